package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"runtime/debug"
	"time"
)

// requestState is what the middleware tells the handlers about a
// request, in one context value: its id, made when first asked for (most
// requests, answered from the cache and not logged, never need one), and
// the store it reads (pinStore).
type requestState struct {
	id    string
	store Store
}

type stateKey struct{}

// withState returns r with a state, and the state: the one it has (from
// the middleware before), or a new one.
func withState(r *http.Request) (*http.Request, *requestState) {
	if rs := stateOf(r.Context()); rs != nil {
		return r, rs
	}
	rs := &requestState{}
	return r.WithContext(context.WithValue(r.Context(), stateKey{}, rs)), rs
}

// stateOf returns the request's state, or nil for a request that did not
// come through the middleware.
func stateOf(ctx context.Context) *requestState {
	st, _ := ctx.Value(stateKey{}).(*requestState)
	return st
}

// requestID returns the request's id, for the log and error pages.
func requestID(ctx context.Context) string {
	st := stateOf(ctx)
	if st == nil {
		return ""
	}
	if st.id == "" {
		var b [6]byte
		_, _ = rand.Read(b[:])
		st.id = hex.EncodeToString(b[:])
	}
	return st.id
}

// contentSecurityPolicy allows no script at all, styles and images only
// from this origin, and nothing to frame or re-base the page.
const contentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self' data:; " +
	"form-action 'self'; base-uri 'none'; frame-ancestors 'none'; object-src 'none'"

// securityHeaders returns the headers every response carries.
func securityHeaders() http.Header {
	h := http.Header{}
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Permissions-Policy", "interest-cohort=(), camera=(), microphone=(), geolocation=()")
	return h
}

// securityHeaders sets the headers every response carries, whoever
// writes it. Their values are shared by every response (a header's
// slice of values is only ever replaced, or appended to past its
// length), which saves six allocations a request.
func (s *server) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		for k, v := range s.security {
			h[k] = v
		}
		next.ServeHTTP(w, r)
	})
}

// statusWriter records the status and size of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

func (w *statusWriter) WriteString(s string) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := io.WriteString(w.ResponseWriter, s)
	w.bytes += n
	return n, err
}

// ReadFrom lets a body sent from a file reach net/http's ReadFrom, which
// sends it with sendfile (see cachesend.go).
func (w *statusWriter) ReadFrom(src io.Reader) (int64, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := io.Copy(w.ResponseWriter, src)
	w.bytes += int(n)
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// accessLog gives each request an id and logs one structured line for it.
func (s *server) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		r, _ = withState(r)
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if r.Context().Value(warmKey{}) != nil {
			return
		}
		level := s.log.Info
		if sw.status >= 500 {
			level = s.log.Warn
		} else if s.quietAccess {
			return
		}
		level("request", "id", requestID(r.Context()), "method", r.Method, "path", r.URL.RequestURI(), "status", sw.status,
			"bytes", sw.bytes, "ms", float64(time.Since(start).Microseconds())/1000, "remote", r.RemoteAddr)
	})
}

// recoverer turns a panic into a logged 500 instead of a dropped connection.
func (s *server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic", "path", r.URL.RequestURI(), "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				s.serveError(w, r, fmt.Errorf("panic: %v", v))
			}
		}()
		next.ServeHTTP(w, r)
	})
}
