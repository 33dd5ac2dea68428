//go:build !linux

package server

import "syscall"

// setCork does nothing where there is no TCP_CORK: the headers and the
// body go out as two writes.
func setCork(syscall.RawConn, bool) bool { return false }
