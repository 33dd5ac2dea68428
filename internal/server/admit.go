package server

import (
	"net/http"
	"runtime"
	"strings"
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

// admit lets a request compute its response once fewer than cap(s.computing)
// are being computed, in arrival order (a channel's waiting senders are
// served first in, first out). A CSV export streams for as long as its
// client reads, and a static file or a health check costs nothing: they
// do not queue. A request whose client went away while it waited is
// dropped.
func (s *server) admit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if s.computing == nil || strings.HasSuffix(p, ".csv") || strings.HasPrefix(p, "/static/") || p == "/healthz" {
			next.ServeHTTP(w, r)
			return
		}
		select {
		case s.computing <- struct{}{}:
		case <-r.Context().Done():
			return
		}
		defer func() { <-s.computing }()
		next.ServeHTTP(w, r)
	})
}
