package server_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"cardex/internal/catalog"
	"cardex/internal/server"
	"cardex/internal/sqlite/sqlitetest"
	"cardex/seeds"
	"cardex/web"
)

// gatedStore holds a search for "gate" until open is closed, whatever
// its context says: a computation that keeps its slot.
type gatedStore struct {
	server.Store
	entered chan struct{}
	open    chan struct{}
}

func (g gatedStore) Articles(ctx context.Context, q catalog.Query) (catalog.ArticlePage, error) {
	if q.Q == "gate" {
		g.entered <- struct{}{}
		<-g.open
	}
	return g.Store.Articles(ctx, q)
}

// With its one slot taken, a server keeps one request waiting and turns
// the next away at once with a 503 and Retry-After; the waiting one gets
// a 503 too once it has waited the query timeout; and once the slot is
// free, requests are served again.
func TestAdmitTurnsAwayPastItsQueue(t *testing.T) {
	g := gatedStore{Store: sqlitetest.SeedStore(t), entered: make(chan struct{}), open: make(chan struct{})}
	h, err := server.New(g, server.Config{Web: web.FS, TagDocs: seeds.FS, Computing: 1, Queue: 1, QueryTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	serve := func(target string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
		return rec
	}
	var wg sync.WaitGroup
	wg.Go(func() { serve("/?q=gate") })
	<-g.entered // the slot is taken

	// Two more: one waits, the other is turned away at once.
	results := make(chan *httptest.ResponseRecorder, 2)
	start := time.Now()
	for _, u := range []string{"/?q=kafka", "/tags/kafka.json"} {
		wg.Go(func() { results <- serve(u) })
	}
	first := <-results
	if first.Code != http.StatusServiceUnavailable || first.Header().Get("Retry-After") == "" {
		t.Fatalf("past the queue: %d, Retry-After %q; want 503 with Retry-After", first.Code, first.Header().Get("Retry-After"))
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("turned away after %v, not at once", took)
	}
	if strings.Contains(first.Body.String(), "context") || first.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("the 503: Cache-Control %q, body %q", first.Header().Get("Cache-Control"), first.Body.String())
	}
	second := <-results
	if second.Code != http.StatusServiceUnavailable || second.Header().Get("Retry-After") == "" {
		t.Fatalf("waited past the query timeout: %d; want 503 with Retry-After", second.Code)
	}
	if took := time.Since(start); took < 2*time.Second {
		t.Errorf("the waiting request was turned away after %v, before the query timeout (2 s)", took)
	}

	close(g.open)
	wg.Wait()
	if rec := serve("/?q=kafka"); rec.Code != http.StatusOK {
		t.Fatalf("with the slot free: %d", rec.Code)
	}
}
