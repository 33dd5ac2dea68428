package server

import (
	"context"
	"net"
	"syscall"
)

// connKey is the context key of a request's connection, as ConnContext
// keeps it.
type connKey struct{}

// ConnContext is for http.Server's ConnContext: it keeps the
// connection's socket in the context of its requests, so that a body
// sent from a file leaves with its headers, in the same packets (see
// corked). A server without it sends them as two writes.
func ConnContext(ctx context.Context, c net.Conn) context.Context {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return ctx
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return ctx
	}
	return context.WithValue(ctx, connKey{}, raw)
}

// corked holds back the partial packets of the request's connection
// (TCP_CORK, where there is one) until uncork is called with what it
// returned: the headers, written on their own, then go out with the
// body that sendfile sends after them, as nginx does (tcp_nopush). A
// write of their own cost a packet, and its trip through the loopback,
// per response: 17% of the server's CPU on the Zipf mix (perf, 1M
// cards). It returns nil when the socket could not be corked. (No
// closure: this is on every hit of a client without gzip.)
func corked(ctx context.Context) syscall.RawConn {
	raw, _ := ctx.Value(connKey{}).(syscall.RawConn)
	if raw == nil || !setCork(raw, true) {
		return nil
	}
	return raw
}

// uncork lets the packets corked held go.
func uncork(raw syscall.RawConn) {
	if raw != nil {
		setCork(raw, false)
	}
}
