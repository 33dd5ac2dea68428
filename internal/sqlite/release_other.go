//go:build !linux || !cgo

package sqlite

import "runtime/debug"

// releaseMemory gives the Go heap's free pages back to the system (see
// release_linux.go; elsewhere malloc is not glibc's).
func releaseMemory() { debug.FreeOSMemory() }
