package server

import (
	"bytes"
	"io"
	"net/http"
	"runtime"
	"strings"
	"time"
)

// Responses are computed a few at a time, in the order they were asked
// for. Left to share the CPU, every computing request takes as long as
// the number of them running times its own cost: with 64 connections on
// 2 cores, a search page of 5 ms of CPU took 160 ms, and those were the
// 99th percentile. Queued first in, first out, a request waits for those
// before it, then takes its own cost: the same throughput, with the tail
// of the latencies cut (and the responses the cache answers, which never
// queue, no longer wait for CPU behind dozens of computations).

// defaultComputing is how many responses are computed at once: one per
// core. (On the uniform mix of make bench at 1M cards, 2 on 2 cores
// computed 29-34% more misses a second than no bound, with a p99 of
// 124-132 ms against 185-210; 3, 4 and 8 did no better than 2. A
// database read from a slow disk rather than the page cache may want
// more: cardex serve --computing.)
func defaultComputing() int { return runtime.GOMAXPROCS(0) }

// DefaultQueue is how many requests may wait for a slot to compute in.
// Past it, or past the query timeout of waiting, a request gets a 503
// with Retry-After at once: when requests come faster than they are
// computed, a queue without a bound only makes every one of them later
// (each holds its connection and a goroutine meanwhile), where a quick
// 503 lets a client or a proxy try again, or serve what it has. 64
// connections of make bench never fill it.
const DefaultQueue = 256

// errBusy is admit's answer past its queue.
var errBusy = &httpError{status: http.StatusServiceUnavailable, msg: "The server is busy. Please try again in a moment.", retryAfter: "1"}

// admit lets a request compute its response once fewer than cap(s.computing)
// are being computed, in arrival order (a channel's waiting senders are
// served first in, first out). A CSV export streams for as long as its
// client reads, and a static file or a health check costs nothing: they
// do not queue. A request whose client went away while it waited is
// dropped; one that finds s.maxWaiting waiting, or that waits longer than
// the query timeout, gets a 503 (DefaultQueue).
//
// The response is computed into a buffer and sent once the slot is given
// back: written to the socket under the slot, it held the slot for as
// long as the client took to read it, and a few clients that do not
// read (pipelined requests, a small receive window) held every slot
// until the write timeout. A response past maxCachedResponse (a big
// JSON or Atom listing) gives the slot back and is sent as it comes.
func (s *server) admit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if s.computing == nil || strings.HasSuffix(p, ".csv") || strings.HasPrefix(p, "/static/") || p == "/healthz" {
			next.ServeHTTP(w, r)
			return
		}
		if !s.wait(r) {
			if r.Context().Err() == nil {
				s.serveError(w, r, errBusy)
			}
			return
		}
		aw := &admittedWriter{ResponseWriter: w, buf: s.cache.buffer(), slot: s.computing}
		defer s.cache.release(aw.buf)
		next.ServeHTTP(aw, r)
		aw.send()
	})
}

// wait takes a slot for r, and reports whether it got one: not when
// s.maxWaiting requests wait already, when r waits longer than the query
// timeout, or when its client goes away.
func (s *server) wait(r *http.Request) bool {
	select {
	case s.computing <- struct{}{}:
		return true
	default:
	}
	defer s.waiting.Add(-1)
	if s.waiting.Add(1) > s.maxWaiting {
		return false
	}
	t := time.NewTimer(s.timeout)
	defer t.Stop()
	select {
	case s.computing <- struct{}{}:
		return true
	case <-r.Context().Done():
	case <-t.C:
	}
	return false
}

// admittedWriter holds a response computed under a slot of admit, and
// sends it once the slot is given back.
type admittedWriter struct {
	http.ResponseWriter
	buf    *bytes.Buffer
	status int
	slot   chan struct{} // nil once given back
	passed bool          // past the buffer: writes go through
}

// free gives the slot back, once.
func (w *admittedWriter) free() {
	if w.slot != nil {
		<-w.slot
		w.slot = nil
	}
}

// send gives the slot back and writes what was held.
func (w *admittedWriter) send() {
	w.free()
	if w.passed {
		return
	}
	w.passed = true
	if w.status != 0 {
		w.ResponseWriter.WriteHeader(w.status)
	}
	if w.buf.Len() > 0 {
		w.ResponseWriter.Write(w.buf.Bytes())
	}
}

func (w *admittedWriter) WriteHeader(code int) {
	if w.passed {
		w.ResponseWriter.WriteHeader(code)
		return
	}
	if w.status == 0 {
		w.status = code
	}
}

func (w *admittedWriter) Write(b []byte) (int, error) { return hold(w, b) }

func (w *admittedWriter) WriteString(s string) (int, error) { return hold(w, s) }

// hold keeps p with what is held, or writes it through once the
// response is past maxCachedResponse (the slot given back first).
func hold[P string | []byte](w *admittedWriter, p P) (int, error) {
	if !w.passed && w.buf.Len()+len(p) > maxCachedResponse {
		w.send()
	}
	var to io.Writer = w.buf
	if w.passed {
		to = w.ResponseWriter
	} else if w.status == 0 {
		w.status = http.StatusOK
	}
	switch p := any(p).(type) {
	case string:
		return io.WriteString(to, p)
	default:
		return to.Write(p.([]byte))
	}
}

// FlushError sends what is held (the handler wants it on the wire now)
// and flushes: an http.ResponseController would otherwise reach the
// writer below through Unwrap and flush past the held bytes.
func (w *admittedWriter) FlushError() error {
	w.send()
	return http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *admittedWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
