package server

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// admit lets no more than its slots compute at once, however many ask;
// CSV exports, static files and health checks do not wait for a slot,
// and a request whose client leaves while it waits is never computed.
func TestAdmitBoundsTheResponsesComputedAtOnce(t *testing.T) {
	s := &server{computing: make(chan struct{}, 2), maxWaiting: DefaultQueue, timeout: time.Minute}
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

// The slot is given back before the response is written: a client that
// does not read (pipelined requests, a small receive window) holds no
// slot while it does not. A response past the buffer gives its slot back
// and goes through as it comes, whole.
func TestAdmitSendsOnceTheSlotIsFree(t *testing.T) {
	s := &server{computing: make(chan struct{}, 1), maxWaiting: DefaultQueue, timeout: time.Minute}
	big := bytes.Repeat([]byte("0123456789"), maxCachedResponse/10+1000)
	h := s.admit(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if r.URL.Path == "/big" {
			for b := big; len(b) > 0; b = b[min(len(b), 4096):] {
				w.Write(b[:min(len(b), 4096)])
			}
			return
		}
		w.WriteHeader(http.StatusTeapot)
		io.WriteString(w, strings.Repeat("x", 50_000))
	}))
	for _, path := range []string{"/small", "/big"} {
		stuck := &blockingWriter{ResponseRecorder: httptest.NewRecorder(), writing: make(chan struct{}), unblock: make(chan struct{})}
		aDone := make(chan struct{})
		go func() {
			h.ServeHTTP(stuck, httptest.NewRequest("GET", path, nil))
			close(aDone)
		}()
		<-stuck.writing // its client does not read
		bDone := make(chan struct{})
		go func() {
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/other", nil))
			close(bDone)
		}()
		select {
		case <-bDone:
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: another request waited for the slot of a response being written", path)
		}
		close(stuck.unblock)
		<-aDone
		got := stuck.Body.String()
		switch path {
		case "/small":
			if stuck.Code != http.StatusTeapot || got != strings.Repeat("x", 50_000) {
				t.Fatalf("/small: %d, %d bytes", stuck.Code, len(got))
			}
		case "/big":
			if stuck.Code != http.StatusOK || got != string(big) {
				t.Fatalf("/big: %d, %d bytes of %d", stuck.Code, len(got), len(big))
			}
		}
		if stuck.Header().Get("Content-Type") != "text/plain; charset=utf-8" {
			t.Fatalf("%s: Content-Type %q", path, stuck.Header().Get("Content-Type"))
		}
	}
}

// blockingWriter blocks its first write until unblock is closed, as a
// client that does not read blocks the server's.
type blockingWriter struct {
	*httptest.ResponseRecorder
	once             sync.Once
	writing, unblock chan struct{}
}

func (w *blockingWriter) Write(b []byte) (int, error) {
	w.once.Do(func() { close(w.writing) })
	<-w.unblock
	return w.ResponseRecorder.Write(b)
}
