package server

import (
	"net/http/httptest"
	"testing"

	"cardex/internal/sqlite/sqlitetest"
	"cardex/seeds"
	"cardex/web"
)

// BenchmarkResponseCacheGzip times what the response cache does to a
// listing page of the seed (20 cards, about 50 KB): gzip it once, when it
// is kept (every miss), and gunzip it for a client that does not accept
// gzip (a hit outside the hot list).
func BenchmarkResponseCacheGzip(b *testing.B) {
	h, err := New(sqlitetest.SeedStore(b), Config{Web: web.FS, TagDocs: seeds.FS, CacheBytes: -1})
	if err != nil {
		b.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/tags/distributed-systems", nil))
	page := rec.Body.Bytes()
	if rec.Code != 200 || len(page) < 30_000 {
		b.Fatalf("the page: %d, %d bytes", rec.Code, len(page))
	}
	c := newResponseCache(1 << 20)
	b.Run("gzip", func(b *testing.B) {
		b.SetBytes(int64(len(page)))
		for b.Loop() {
			if err := c.compress(&cachedResponse{}, page, sharedMark{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	r := &cachedResponse{key: "k", size: len(page)}
	if err := c.compress(r, page, sharedMark{}); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(r.gzLen()), "gz-bytes")
	b.Run("gunzip", func(b *testing.B) {
		b.SetBytes(int64(len(page)))
		for b.Loop() {
			if _, err := c.plainBody(r); err != nil {
				b.Fatal(err)
			}
		}
	})
	// A page kept around its listing's shared sidebar (see
	// cachegzip.go), as every listing page is.
	shared := &cachedResponse{key: "s", size: len(page)}
	if err := c.compress(shared, page, sharedMark{key: "sidebar", at: span{len(page) / 3, 4 * len(page) / 5}}); err != nil || shared.shared == nil {
		b.Fatalf("compress around a shared part: %v", err)
	}
	b.Run("gunzip-shared", func(b *testing.B) {
		b.SetBytes(int64(len(page)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.plainBody(shared); err != nil {
				b.Fatal(err)
			}
		}
	})
}
