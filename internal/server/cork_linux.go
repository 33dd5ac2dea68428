package server

import "syscall"

// setCork sets or clears TCP_CORK on the socket; it reports whether it
// could.
func setCork(raw syscall.RawConn, on bool) bool {
	v := 0
	if on {
		v = 1
	}
	var err error
	if cerr := raw.Control(func(fd uintptr) {
		err = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_CORK, v) // #nosec G115 -- a descriptor fits an int
	}); cerr != nil {
		return false
	}
	return err == nil
}
