package server_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"cardex/internal/catalog"
	"cardex/internal/server"
	"cardex/internal/sqlite/sqlitetest"
	"cardex/seeds"
	"cardex/web"
)

// countingStore counts the listings it is asked for.
type countingStore struct {
	server.Store
	articles atomic.Int64
}

func (c *countingStore) Articles(ctx context.Context, q catalog.Query) (catalog.ArticlePage, error) {
	c.articles.Add(1)
	return c.Store.Articles(ctx, q)
}

// A repeated GET is answered from the response cache: same bytes, same
// headers, no store work; a conditional repeat is a 304.
func TestResponseCache(t *testing.T) {
	st := &countingStore{Store: sqlitetest.SeedStore(t)}
	h, err := server.New(st, server.Config{Web: web.FS, TagDocs: seeds.FS})
	if err != nil {
		t.Fatal(err)
	}
	a, b := get(t, h, "/tags/kafka?source=architect"), get(t, h, "/tags/kafka?source=architect")
	if a.status != 200 || a.body != b.body || a.header.Get("ETag") != b.header.Get("ETag") || a.header.Get("Content-Type") != b.header.Get("Content-Type") {
		t.Fatalf("the cached answer differs: %d %q vs %q", a.status, a.header, b.header)
	}
	if n := st.articles.Load(); n != 1 {
		t.Errorf("the store was asked %d times for one URL", n)
	}
	req := httptest.NewRequest("GET", "/tags/kafka?source=architect", nil)
	req.Header.Set("If-None-Match", a.header.Get("ETag"))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusNotModified || rec.Body.Len() != 0 {
		t.Errorf("conditional repeat: %d, %d bytes", rec.Code, rec.Body.Len())
	}
	if b.header.Get("Content-Security-Policy") == "" {
		t.Error("a cached answer lacks the security headers")
	}
}

// After the store changes (a new database published), nothing cached for
// the old one is served.
func TestResponseCacheFollowsTheStore(t *testing.T) {
	one := sqlitetest.SeedStore(t)
	path := t.TempDir() + "/two.db"
	sqlitetest.ImportCards(t, path, []catalog.Card{sqlitetest.Golden(t)[0].Card()})
	two := sqlitetest.OpenReadOnly(t, path)
	var cur atomic.Pointer[server.Store]
	s1 := server.Store(one)
	cur.Store(&s1)
	h, err := server.New(one, server.Config{Web: web.FS, TagDocs: seeds.FS, Current: func() server.Store { return *cur.Load() }})
	if err != nil {
		t.Fatal(err)
	}
	before := get(t, h, "/index.json")
	s2 := server.Store(two)
	cur.Store(&s2)
	after := get(t, h, "/index.json")
	if before.body == after.body || before.header.Get("ETag") == after.header.Get("ETag") {
		t.Errorf("the response for the old database was served for the new one: %d vs %d bytes, %s vs %s", len(before.body), len(after.body), before.header.Get("ETag"), after.header.Get("ETag"))
	}
}

// blockingStore holds every listing until release is closed.
type blockingStore struct {
	countingStore
	entered chan struct{}
	release chan struct{}
}

func (b *blockingStore) Articles(ctx context.Context, q catalog.Query) (catalog.ArticlePage, error) {
	b.entered <- struct{}{}
	<-b.release
	return b.countingStore.Articles(ctx, q)
}

// Concurrent misses of one URL wait for the first request to compute it:
// the store is asked once, and every client gets the same bytes.
func TestResponseCacheCollapsesConcurrentMisses(t *testing.T) {
	st := &blockingStore{countingStore: countingStore{Store: sqlitetest.SeedStore(t)}, entered: make(chan struct{}, 64), release: make(chan struct{})}
	h, err := server.New(st, server.Config{Web: web.FS, TagDocs: seeds.FS})
	if err != nil {
		t.Fatal(err)
	}
	const clients = 16
	bodies := make([]string, clients)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			bodies[i] = get(t, h, "/tags/kafka").body
		}()
	}
	<-st.entered // the first request is in the store
	select {
	case <-st.entered:
		t.Error("a second request for the same URL reached the store while the first was computing it")
	case <-time.After(300 * time.Millisecond): // time for the others to queue behind it
	}
	close(st.release)
	wg.Wait()
	if n := st.articles.Load(); n != 1 {
		t.Errorf("the store computed one URL %d times for %d concurrent clients", n, clients)
	}
	for i, b := range bodies {
		if b != bodies[0] || b == "" {
			t.Fatalf("client %d got %d bytes, client 0 %d", i, len(b), len(bodies[0]))
		}
	}
}

// A kept response goes gzipped to clients that accept gzip, with an ETag
// of its own, and unzipped to the others: the same bytes either way, and
// Vary says it depends on Accept-Encoding.
func TestResponseCacheGzip(t *testing.T) {
	h, err := server.New(sqlitetest.SeedStore(t), server.Config{Web: web.FS, TagDocs: seeds.FS})
	if err != nil {
		t.Fatal(err)
	}
	// A response is kept in the encoding its first client asked for, and
	// gains the other when a client asks for that.
	for _, firstAE := range []string{"gzip", ""} {
		t.Run("first "+firstAE, func(t *testing.T) { testResponseCacheGzip(t, h, firstAE) })
	}
}

func testResponseCacheGzip(t *testing.T, h http.Handler, firstAE string) {
	url := "/tags/kafka"
	if firstAE == "" {
		url = "/sources/architect"
	}
	fetch := func(ae, inm string) *httptest.ResponseRecorder { return serveWith(h, "GET", url, ae, inm) }
	first := fetch(firstAE, "") // computed: sent as rendered
	plain := first.Body.String()
	etag := first.Header().Get("ETag")
	if first.Code != 200 || first.Header().Get("Content-Encoding") != "" || !strings.Contains(first.Header().Get("Vary"), "Accept-Encoding") {
		t.Fatalf("first response: %d, encoding %q, Vary %q", first.Code, first.Header().Get("Content-Encoding"), first.Header().Get("Vary"))
	}
	for _, tc := range []struct {
		ae     string
		zipped bool
	}{
		{"gzip", true}, {"br, gzip;q=0.5", true}, {"*", true}, {"gzip, deflate, br, zstd", true},
		{"", false}, {"identity", false}, {"gzip;q=0", false}, {"gzip; q=0.000", false}, {"br", false},
	} {
		rec := fetch(tc.ae, "")
		body := rec.Body.Bytes()
		if tc.zipped {
			zr, err := gzip.NewReader(bytes.NewReader(body))
			if err != nil {
				t.Fatalf("Accept-Encoding %q: not gzip: %v", tc.ae, err)
			}
			if body, err = io.ReadAll(zr); err != nil {
				t.Fatal(err)
			}
		}
		enc, tag := rec.Header().Get("Content-Encoding"), rec.Header().Get("ETag")
		switch {
		case rec.Code != 200 || string(body) != plain:
			t.Errorf("Accept-Encoding %q: %d, %d bytes; want the first response's %d", tc.ae, rec.Code, len(body), len(plain))
		case tc.zipped && (enc != "gzip" || tag == etag || tag == ""):
			t.Errorf("Accept-Encoding %q: encoding %q, ETag %s (plain %s)", tc.ae, enc, tag, etag)
		case !tc.zipped && (enc != "" || tag != etag):
			t.Errorf("Accept-Encoding %q: encoding %q, ETag %s; want none, %s", tc.ae, enc, tag, etag)
		case !strings.Contains(rec.Header().Get("Vary"), "Accept-Encoding"):
			t.Errorf("Accept-Encoding %q: Vary %q", tc.ae, rec.Header().Get("Vary"))
		case rec.Header().Get("Content-Length") != strconv.Itoa(rec.Body.Len()):
			t.Errorf("Accept-Encoding %q: Content-Length %s for %d bytes", tc.ae, rec.Header().Get("Content-Length"), rec.Body.Len())
		}
		if rec := fetch(tc.ae, tag); rec.Code != http.StatusNotModified || rec.Body.Len() != 0 {
			t.Errorf("Accept-Encoding %q, If-None-Match %s: %d, %d bytes", tc.ae, tag, rec.Code, rec.Body.Len())
		}
	}
	// A HEAD has a GET's headers and no body; a plain one unpacks
	// nothing.
	for _, ae := range []string{"", "gzip"} {
		req := httptest.NewRequest("HEAD", url, nil)
		if ae != "" {
			req.Header.Set("Accept-Encoding", ae)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		got := fetch(ae, "")
		if rec.Code != 200 || rec.Body.Len() != 0 || rec.Header().Get("Content-Length") != strconv.Itoa(got.Body.Len()) ||
			rec.Header().Get("Content-Encoding") != got.Header().Get("Content-Encoding") || rec.Header().Get("ETag") != got.Header().Get("ETag") {
			t.Errorf("HEAD, Accept-Encoding %q: %d, %d bytes, Content-Length %s, encoding %q, ETag %s; the GET: %d bytes, encoding %q, ETag %s",
				ae, rec.Code, rec.Body.Len(), rec.Header().Get("Content-Length"), rec.Header().Get("Content-Encoding"), rec.Header().Get("ETag"),
				got.Body.Len(), got.Header().Get("Content-Encoding"), got.Header().Get("ETag"))
		}
	}
}

// serveWith answers a request with the given Accept-Encoding and
// If-None-Match headers (none when empty).
func serveWith(h http.Handler, method, url, ae, inm string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, url, nil)
	if ae != "" {
		req.Header.Set("Accept-Encoding", ae)
	}
	if inm != "" {
		req.Header.Set("If-None-Match", inm)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// A listing asked for by a URL that is not its canonical one (an ignored
// parameter, page=1, its filters in another form or order) is kept too,
// and answered from the cache when asked for again.
func TestResponseCacheKeepsNonCanonicalURLs(t *testing.T) {
	st := &countingStore{Store: sqlitetest.SeedStore(t)}
	h, err := server.New(st, server.Config{Web: web.FS, TagDocs: seeds.FS})
	if err != nil {
		t.Fatal(err)
	}
	canonical := get(t, h, "/tags/kafka?source=architect")
	for i, u := range []string{"/tags/kafka?source=architect&_bench=1", "/tags/kafka?page=1&source=architect", "/?tag=kafka&source=architect", "/sources/architect?tag=kafka"} {
		before := st.articles.Load()
		a, b := get(t, h, u), get(t, h, u)
		if a.status != 200 || b.body != a.body || (i < 2 && a.body != canonical.body) {
			t.Fatalf("%s: %d, not the canonical page", u, a.status)
		}
		if n := st.articles.Load() - before; n != 1 {
			t.Errorf("%s asked twice: the store was asked %d times, want 1 (kept)", u, n)
		}
	}
}

// signalHandler is a slog handler that records messages and signals one.
type signalHandler struct {
	mu   *sync.Mutex
	msgs *[]string
	on   string
	ch   chan struct{}
}

func (h signalHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h signalHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	*h.msgs = append(*h.msgs, r.Message)
	if r.Message == h.on {
		close(h.ch)
	}
	return nil
}
func (h signalHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h signalHandler) WithGroup(string) slog.Handler      { return h }

// With WarmPages, the popular pages are rendered into the response cache
// when the store is first served, before anyone asks: the home page, the
// biggest tags and sources. The warming requests are not in the access log.
func TestWarmingRendersPopularPages(t *testing.T) {
	st := &countingStore{Store: sqlitetest.SeedStore(t)}
	var msgs []string
	warmed := make(chan struct{})
	log := slog.New(signalHandler{mu: &sync.Mutex{}, msgs: &msgs, on: "warmed the response cache", ch: warmed})
	h, err := server.New(st, server.Config{Web: web.FS, TagDocs: seeds.FS, Logger: log, WarmPages: 12})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-warmed:
	case <-time.After(30 * time.Second):
		t.Fatal("not warmed after 30 s")
	}
	// The seed has 92 cards: 5 pages of all, and only its biggest tag
	// and source have a page 2.
	if n := st.articles.Load(); n < 8 || n > 12 {
		t.Errorf("warming asked for %d listings, want 8 to 12", n)
	}
	tags, err := st.Tags(context.Background(), catalog.TagsByCount)
	if err != nil {
		t.Fatal(err)
	}
	before := st.articles.Load()
	for _, u := range []string{"/", "/?page=2", "/tags/" + tags[0].Slug, "/tags/" + tags[1].Slug} {
		if p := get(t, h, u); p.status != http.StatusOK {
			t.Fatalf("%s: %d", u, p.status)
		}
	}
	if n := st.articles.Load() - before; n != 0 {
		t.Errorf("popular pages after warming: the store was asked %d times, want 0", n)
	}
	if p := get(t, h, "/tags/"+tags[len(tags)-1].Slug); p.status != http.StatusOK || st.articles.Load() != before+1 {
		t.Errorf("a rare tag's page was warmed too (store asked %d times)", st.articles.Load()-before)
	}
	for i, m := range msgs {
		if m == "request" && i < len(msgs)-5 {
			t.Errorf("message %d of %q: warming requests are logged", i, msgs)
			break
		}
	}
}

// With QuietAccess the access log keeps only the requests that failed;
// without it, every request has its line.
func TestQuietAccessLogsFailuresOnly(t *testing.T) {
	for _, quiet := range []bool{false, true} {
		var buf bytes.Buffer
		var mu sync.Mutex
		log := slog.New(slog.NewJSONHandler(lockedWriter{&mu, &buf}, nil))
		h, err := server.New(sqlitetest.SeedStore(t), server.Config{Web: web.FS, TagDocs: seeds.FS, Logger: log, QuietAccess: quiet})
		if err != nil {
			t.Fatal(err)
		}
		broken, err := server.New(stubStore{errors.New("no such table: cards")}, server.Config{Web: web.FS, TagDocs: seeds.FS, Logger: log, QuietAccess: quiet})
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range []string{"/", "/", "/tags/kafka", "/no-such-page"} {
			get(t, h, u)
		}
		if p := get(t, broken, "/"); p.status != http.StatusInternalServerError {
			t.Fatalf("a broken store: %d, want 500", p.status)
		}
		mu.Lock()
		lines := strings.Count(buf.String(), `"msg":"request"`)
		failed := strings.Count(buf.String(), `"status":500`)
		mu.Unlock()
		if want := map[bool]int{false: 5, true: 1}[quiet]; lines != want || failed != 1 {
			t.Errorf("QuietAccess %v: %d request lines (%d with status 500), want %d (1)", quiet, lines, failed, want)
		}
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}
