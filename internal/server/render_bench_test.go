package server_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"cardex/internal/server"
	"cardex/internal/sqlite/sqlitetest"
	"cardex/seeds"
	"cardex/web"
)

// BenchmarkListingPage times whole listing pages through the handler on
// the seed database: uncached (the store's queries, building the page,
// writing it) and from the response cache (plain and gzipped).
func BenchmarkListingPage(b *testing.B) {
	st := sqlitetest.SeedStore(b)
	uncached, err := server.New(st, server.Config{Web: web.FS, TagDocs: seeds.FS, CacheBytes: -1})
	if err != nil {
		b.Fatal(err)
	}
	cached, err := server.New(st, server.Config{Web: web.FS, TagDocs: seeds.FS})
	if err != nil {
		b.Fatal(err)
	}
	for _, p := range []struct{ name, url string }{
		{"all", "/"}, {"tag", "/tags/distributed-systems"}, {"two-tags", "/tags/distributed-systems?tag=kafka"},
		{"search", "/?q=data"}, {"json", "/tags/distributed-systems.json"},
	} {
		b.Run("uncached/"+p.name, func(b *testing.B) {
			for b.Loop() {
				serve(b, uncached, p.url, "")
			}
		})
	}
	for _, enc := range []string{"", "gzip"} {
		name := "cached/plain"
		if enc != "" {
			name = "cached/gzip"
		}
		b.Run(name, func(b *testing.B) {
			serve(b, cached, "/tags/distributed-systems", enc)
			for b.Loop() {
				serve(b, cached, "/tags/distributed-systems", enc)
			}
		})
	}
}

func serve(b *testing.B, h http.Handler, url, acceptEncoding string) {
	req := httptest.NewRequest(http.MethodGet, url, nil)
	if acceptEncoding != "" {
		req.Header.Set("Accept-Encoding", acceptEncoding)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		b.Fatalf("%s: %d", url, rec.Code)
	}
}
