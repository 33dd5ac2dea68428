package server

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"cardex/internal/sqlite/sqlitetest"
	"cardex/seeds"
	"cardex/web"
)

// BenchmarkResponseCacheEncodings times what the response cache does to a
// listing page of the seed (20 cards, about 50 KB) in each encoding it
// keeps: pack it (every miss, in the encoding its client asked for), and
// unpack a page kept around its listing's shared sidebar (see
// cacheforms.go) for a client that does not accept gzip (every such hit:
// from S2, or unzipped once, the first time, for a page kept gzipped).
// kept-bytes is the page's size kept so, its sidebar included.
func BenchmarkResponseCacheEncodings(b *testing.B) {
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
	c := newResponseCache(1<<20, nil)
	for _, enc := range []struct {
		name string
		enc  encoding
	}{{"gzip", encGzip}, {"s2", encS2}} {
		b.Run(enc.name+"/pack", func(b *testing.B) {
			b.SetBytes(int64(len(page)))
			for b.Loop() {
				if err := c.compress(&cachedResponse{}, page, sharedMark{}, enc.enc); err != nil {
					b.Fatal(err)
				}
			}
		})
		r := &cachedResponse{key: enc.name, size: len(page)}
		if err := c.compress(r, page, sharedMark{key: enc.name, at: span{len(page) / 3, 4 * len(page) / 5}}, enc.enc); err != nil || r.shared == nil {
			b.Fatalf("compress around a shared part: %v", err)
		}
		body, _ := r.body(enc.enc)
		b.Run(enc.name+"/unpack-shared", func(b *testing.B) {
			b.SetBytes(int64(len(page)))
			b.ReportAllocs()
			for b.Loop() {
				buf := c.buffer()
				if _, err := c.unpack(r, buf); err != nil || buf.Len() != len(page) {
					b.Fatalf("unpacked %d bytes of %d: %v", buf.Len(), len(page), err)
				}
				c.release(buf)
			}
			b.ReportMetric(float64(body.len()), "kept-bytes")
		})
	}
}

// discard is a ResponseWriter that keeps only the headers, cleared for
// each request, as net/http's are.
type discard struct {
	h      http.Header
	status int
	n      int
}

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) WriteHeader(code int)        { d.status = code }
func (d *discard) Write(p []byte) (int, error) { d.n += len(p); return len(p), nil }

// BenchmarkCacheHit times a request the response cache answers, through
// the whole handler (the middleware, the lookup, the headers), for a
// client that takes gzip (the bytes as kept) and one that does not (the
// page's plain record read from the spill file).
func BenchmarkCacheHit(b *testing.B) {
	h, err := New(sqlitetest.SeedStore(b), Config{Web: web.FS, TagDocs: seeds.FS, SpillBytes: 64 << 20, SpillDir: b.TempDir(), QuietAccess: true})
	if err != nil {
		b.Fatal(err)
	}
	for _, ae := range []string{"gzip", ""} {
		req := httptest.NewRequest("GET", "/tags/distributed-systems", nil)
		if ae != "" {
			req.Header.Set("Accept-Encoding", ae)
		}
		for range 2 { // computed, then kept (and spilled plain)
			h.ServeHTTP(httptest.NewRecorder(), req)
		}
		name := "plain"
		if ae != "" {
			name = ae
		}
		b.Run(name, func(b *testing.B) {
			w := &discard{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				w.n = 0
				h.ServeHTTP(w, req)
				if w.status != 200 || w.n < 1000 {
					b.Fatalf("%d, %d bytes", w.status, w.n)
				}
			}
		})
	}
}
