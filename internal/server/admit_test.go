package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// admit lets no more than its slots compute at once, however many ask;
// CSV exports, static files and health checks do not wait for a slot,
// and a request whose client leaves while it waits is never computed.
func TestAdmitBoundsTheResponsesComputedAtOnce(t *testing.T) {
	s := &server{computing: make(chan struct{}, 2)}
	var running, most, computed atomic.Int64
	release := make(chan struct{})
	h := s.admit(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		computed.Add(1)
		n := running.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		if r.URL.Path == "/slow" {
			<-release
		}
		running.Add(-1)
	}))
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/slow", nil))
		}()
	}
	// Two compute; eight wait. The others pass them.
	for deadline := time.Now().Add(5 * time.Second); running.Load() < 2; {
		if time.Now().After(deadline) {
			t.Fatal("the first two requests did not start")
		}
		time.Sleep(time.Millisecond)
	}
	for _, p := range []string{"/index.csv", "/tags.csv", "/static/app.css", "/healthz"} {
		done := make(chan struct{})
		go func() {
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", p, nil))
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("%s waited for a slot", p)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	gone := make(chan struct{})
	go func() {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/gone", nil).WithContext(ctx))
		close(gone)
	}()
	cancel()
	<-gone
	close(release)
	wg.Wait()
	if m := most.Load(); m > 2+1 { // the two slots, and one of the requests that do not queue
		t.Fatalf("%d responses computed at once; the bound is 2", m)
	}
	if n := computed.Load(); n != 10+4 {
		t.Fatalf("%d responses computed; want the 10 slow ones and the 4 that do not queue, not the one whose client left", n)
	}
}
