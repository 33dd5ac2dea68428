package server_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"cardex/internal/catalog"
	"cardex/internal/server"
	"cardex/internal/sqlite/sqlitetest"
	"cardex/seeds"
	"cardex/web"
)

// Responses pushed out of a small memory budget are written to the spill
// file and served from it, byte for byte as computed, without the store:
// gzipped or plain, whichever encoding they were kept in, with their own
// ETags, 304s and HEADs. The file is unlinked from the start.
func TestResponseCacheSpills(t *testing.T) {
	st := &countingStore{Store: sqlitetest.SeedStore(t)}
	dir := t.TempDir()
	// Room in memory for a few pages only.
	h, err := server.New(st, server.Config{Web: web.FS, TagDocs: seeds.FS, CacheBytes: 96 << 10, SpillBytes: 8 << 20, SpillDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	// The file is made, unlinked, when the server starts: its
	// descriptors (the file's, and the idle ones it is sent from) are
	// there before any request.
	before := openSpillFiles(t, dir)
	if before < 1 {
		t.Fatalf("no spill file open in %s after New", dir)
	}
	tags, err := st.Tags(context.Background(), catalog.TagsByCount)
	if err != nil || len(tags) < 40 {
		t.Fatalf("%d tags, %v", len(tags), err)
	}
	type first struct{ body, etag, ctype string }
	fetch := func(method, url, ae, inm string) *httptest.ResponseRecorder {
		return serveWith(h, method, url, ae, inm)
	}
	unzip := func(rec *httptest.ResponseRecorder) string {
		t.Helper()
		if rec.Header().Get("Content-Encoding") != "gzip" {
			return rec.Body.String()
		}
		zr, err := gzip.NewReader(bytes.NewReader(rec.Body.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	// Half of the pages are first asked for by a client that takes gzip
	// (kept gzipped), half by one that does not (kept in S2).
	firsts := map[string]first{}
	var urls []string
	for i, tg := range tags[:40] {
		u := "/tags/" + tg.Slug
		ae := ""
		if i%2 == 0 {
			ae = "gzip"
		}
		rec := fetch("GET", u, ae, "")
		if rec.Code != 200 {
			t.Fatalf("%s: %d", u, rec.Code)
		}
		urls = append(urls, u)
		firsts[u] = first{rec.Body.String(), rec.Header().Get("ETag"), rec.Header().Get("Content-Type")}
	}
	asked := st.articles.Load()
	for _, u := range urls {
		want := firsts[u]
		for _, ae := range []string{"", "gzip"} {
			if ae == "gzip" {
				// A page spilled in S2 only is computed again for a
				// client that takes gzip (and sent plain, as a computed
				// response is), then kept gzipped.
				fetch("GET", u, ae, "")
			}
			rec := fetch("GET", u, ae, "")
			if rec.Code != 200 || unzip(rec) != want.body || rec.Header().Get("Content-Type") != want.ctype {
				t.Fatalf("%s, Accept-Encoding %q: %d, %d bytes (want %d), %s", u, ae, rec.Code, len(unzip(rec)), len(want.body), rec.Header().Get("Content-Type"))
			}
			if rec.Header().Get("Content-Length") != strconv.Itoa(rec.Body.Len()) {
				t.Errorf("%s: Content-Length %s for %d bytes", u, rec.Header().Get("Content-Length"), rec.Body.Len())
			}
			etag := rec.Header().Get("ETag")
			zipped := rec.Header().Get("Content-Encoding") == "gzip"
			if zipped != (ae == "gzip") {
				t.Errorf("%s, Accept-Encoding %q: Content-Encoding %q", u, ae, rec.Header().Get("Content-Encoding"))
			}
			if (zipped && (etag == want.etag || etag == "")) || (!zipped && etag != want.etag) {
				t.Errorf("%s, Accept-Encoding %q: ETag %s, gzipped %v; the page's is %s", u, ae, etag, zipped, want.etag)
			}
			if rec := fetch("GET", u, ae, etag); rec.Code != http.StatusNotModified || rec.Body.Len() != 0 {
				t.Errorf("%s, If-None-Match: %d, %d bytes", u, rec.Code, rec.Body.Len())
			}
			if head := fetch("HEAD", u, ae, ""); head.Code != 200 || head.Body.Len() != 0 || head.Header().Get("Content-Length") != strconv.Itoa(rec.Body.Len()) {
				t.Errorf("%s, HEAD: %d, %d bytes, Content-Length %s", u, head.Code, head.Body.Len(), head.Header().Get("Content-Length"))
			}
		}
	}
	// Only the pages first kept in S2 (for a plain client) and spilled
	// so are computed again, once, for a client that takes gzip.
	if n := st.articles.Load() - asked; n > 20 {
		t.Errorf("the store was asked for %d listings again; all 40 should be in memory or spilled (20 at most computed again gzipped)", n)
	}
	// Over a real connection, plain bodies read back whole once are
	// sent from the file (sendfile): still the same bytes and headers,
	// for pages kept in memory and pages only in the file alike.
	ts := httptest.NewServer(h)
	defer ts.Close()
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	for range 3 {
		for _, u := range urls {
			resp, err := client.Get(ts.URL + u)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			want := firsts[u]
			if err != nil || resp.StatusCode != 200 || string(got) != want.body || resp.Header.Get("ETag") != want.etag ||
				resp.Header.Get("Content-Type") != want.ctype || resp.Header.Get("Content-Length") != strconv.Itoa(len(want.body)) {
				t.Fatalf("%s over TCP: %d, %d bytes (want %d, %v), ETag %s, Content-Length %s", u, resp.StatusCode, len(got), len(want.body), err,
					resp.Header.Get("ETag"), resp.Header.Get("Content-Length"))
			}
		}
	}
	if n := openSpillFiles(t, dir); n != before {
		t.Errorf("%d descriptors of the spill file open after the requests, %d before", n, before)
	}
	if ents, err := os.ReadDir(dir); err != nil || len(ents) != 0 {
		t.Errorf("the spill directory holds %d files (%v); the file is unlinked", len(ents), err)
	}
	// Closed once it serves no more, the handler leaves no descriptor
	// of the file open, and a request after that is still answered:
	// computed again, the same bytes.
	ts.Close()
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if n := openSpillFiles(t, dir); n != 0 {
		t.Errorf("%d descriptors of the spill file open after Close", n)
	}
	for _, u := range urls[:4] {
		if rec := fetch("GET", u, "", ""); rec.Code != 200 || rec.Body.String() != firsts[u].body {
			t.Errorf("%s after Close: %d, %d bytes (want %d)", u, rec.Code, rec.Body.Len(), len(firsts[u].body))
		}
	}
	if err := h.Close(); err != nil {
		t.Errorf("a second Close: %v", err)
	}
}

// Without a spill file, the same pages pushed out of memory are
// computed again: the test above measures the spill, not the memory.
func TestResponseCacheWithoutSpillRecomputes(t *testing.T) {
	st := &countingStore{Store: sqlitetest.SeedStore(t)}
	h, err := server.New(st, server.Config{Web: web.FS, TagDocs: seeds.FS, CacheBytes: 96 << 10})
	if err != nil {
		t.Fatal(err)
	}
	tags, err := st.Tags(context.Background(), catalog.TagsByCount)
	if err != nil || len(tags) < 40 {
		t.Fatalf("%d tags, %v", len(tags), err)
	}
	for range 2 {
		for _, tg := range tags[:40] {
			get(t, h, "/tags/"+tg.Slug)
		}
	}
	if n := st.articles.Load(); n <= 40 {
		t.Errorf("the store was asked for %d listings for 40 pages asked for twice; the budget should hold only a few", n)
	}
}

// Many clients at once over more pages than memory and a small spill
// file hold: the file wraps around under them, and every answer is still
// the page as computed.
func TestResponseCacheSpillsConcurrently(t *testing.T) {
	st := sqlitetest.SeedStore(t)
	h, err := server.New(st, server.Config{Web: web.FS, TagDocs: seeds.FS, CacheBytes: 96 << 10, SpillBytes: 64 << 10, SpillDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	tags, err := st.Tags(context.Background(), catalog.TagsByCount)
	if err != nil || len(tags) < 60 {
		t.Fatalf("%d tags, %v", len(tags), err)
	}
	want := map[string]string{}
	for _, tg := range tags[:60] {
		u := "/tags/" + tg.Slug
		want[u] = get(t, h, u).body
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := range 300 {
				u := "/tags/" + tags[(i*7+g*13)%60].Slug
				ae := ""
				if i%3 == 0 {
					ae = "gzip"
				}
				rec := serveWith(h, "GET", u, ae, "")
				body := rec.Body.Bytes()
				if rec.Header().Get("Content-Encoding") == "gzip" {
					zr, err := gzip.NewReader(bytes.NewReader(body))
					if err == nil {
						body, err = io.ReadAll(zr)
					}
					if err != nil {
						errs <- u + ": " + err.Error()
						return
					}
				}
				if rec.Code != 200 || string(body) != want[u] {
					errs <- u + ": a different answer"
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// openSpillFiles counts this process's open descriptors of deleted spill
// files in dir.
func openSpillFiles(t *testing.T, dir string) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, fd := range fds {
		target, err := os.Readlink("/proc/self/fd/" + fd.Name())
		if err == nil && strings.HasPrefix(target, dir+"/cardex-spill-") && strings.HasSuffix(target, " (deleted)") {
			n++
		}
	}
	return n
}
