// Package server is cardex's HTTP layer: chi routes (all in routes.go),
// handlers that parse a request into a catalog.Query, ask the store, fill a
// typed page struct and render it with templates parsed once at start-up.
package server

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path"
	"strings"
	"sync/atomic"
	"time"

	"cardex/internal/catalog"
	"cardex/internal/markdown"
	"cardex/internal/memo"
)

// Store is what the server needs from storage.
type Store interface {
	Articles(ctx context.Context, q catalog.Query) (catalog.ArticlePage, error)
	Facets(ctx context.Context, q catalog.Query) (catalog.Facets, error)
	Tags(ctx context.Context, by catalog.TagSort) ([]catalog.Ref, error)
	Sources(ctx context.Context) ([]catalog.SourceSummary, error)
	Categories(ctx context.Context) ([]catalog.Ref, error)
	Archive(ctx context.Context) ([]catalog.ArchiveMonth, error)
	Article(ctx context.Context, id int64) (catalog.ArticleDetail, error)
	EachArticle(ctx context.Context, q catalog.Query, fn func(catalog.Article) error) error
	Dataset(ctx context.Context) (version int64, updated time.Time, err error)
	RelatedTags(ctx context.Context, slug string, limit int) ([]catalog.TagLift, error)
	SitemapSize(ctx context.Context) (int, error)
	Sitemap(ctx context.Context, offset, limit int, fn func(catalog.SitemapEntry) error) error
}

// Config is everything the server is built from besides the store.
type Config struct {
	Logger  *slog.Logger
	Web     fs.FS // templates/, static/ and docs/ (web.FS)
	TagDocs fs.FS // tags/{slug}.md (seeds.FS)
	// Current, if set, returns the store to use for each new request
	// (a published database that was reopened); otherwise the store given
	// to New serves every request. A request keeps the store it started
	// with, so it never mixes two datasets.
	Current func() Store
	// QueryTimeout bounds the store work of one request; past it the user
	// gets a 503. Zero means DefaultQueryTimeout.
	QueryTimeout time.Duration
	// QuietAccess logs only the requests that fail (5xx), not one line
	// for every request: for a server behind a proxy that logs them.
	QuietAccess bool
	// CacheBytes is the response cache's budget: 0 means
	// DefaultCacheBytes, a negative value turns the cache off.
	CacheBytes int
	// SpillBytes is the budget of the response cache's spill file
	// (cachespill.go), which takes the responses pushed out of memory:
	// 0 means none. SpillDir is the directory the file is made in (the
	// system's temporary directory when empty).
	SpillBytes int64
	SpillDir   string
	// WarmPages is how many popular pages to render into the response
	// cache, in the background, when a store is first served (0: none).
	WarmPages int
	// TemplateListings renders listing pages with a "listing" page
	// template of Web instead of the Go writer of listinghtml.go: the
	// reference TestListingHTMLIsTheTemplate checks the writer against,
	// with the templates of testdata/listing-spec (web.FS has none).
	TemplateListings bool
	// Computing is how many responses may be computed at once (admit.go):
	// 0 means one per core, a negative value no bound.
	Computing int
	// Queue is how many requests may wait for a slot to compute in
	// (admit.go); past it a request gets a 503 at once. 0 means
	// DefaultQueue, a negative value that none waits.
	Queue int
}

// DefaultQueryTimeout is the store time one request may take.
const DefaultQueryTimeout = 3 * time.Second

type server struct {
	build   string         // fingerprint of the templates, static files and docs: part of every ETag
	cache   *responseCache // nil when off
	current func() Store
	timeout time.Duration
	log     *slog.Logger
	// quietAccess: the access log has only failed requests (Config).
	quietAccess bool
	web         fs.FS
	tagDocs     fs.FS
	md          *markdown.Renderer
	pages       map[string]*template.Template
	static      map[string]staticFile // by hashed name
	staticURL   map[string]string     // plain name -> /static/hashed name
	handler     http.Handler          // the whole of it, for warming requests
	warmPages   int
	warmed      atomic.Pointer[warmedStore]
	// templateListings: see Config.TemplateListings.
	templateListings bool
	sidebars         memo.Map[string] // rendered sidebars (see sidebarsMax)
	security         http.Header      // the headers every response carries (securityHeaders)
	varyEncoding     []string         // Vary: Accept-Encoding, shared by the responses that have no other Vary
	lastDataset      atomic.Pointer[datasetName]
	computing        chan struct{} // a slot per response being computed (admit); nil: no bound
	waiting          atomic.Int64  // requests waiting for a slot
	maxWaiting       int64         // the most that may (Config.Queue)
}

// sidebarsMax bounds the rendered sidebars the server keeps (10 KB each
// on the seed, 25 KB at 1M generated cards): up to about 3 MB. A
// listing's sidebar (its facets and "Goes with" links) is the same on
// every page of it: its links refine the listing
// and start again at page 1. Building and writing its 60 to 100 links was
// about a tenth of an uncached page's CPU, paid again for every page.
const sidebarsMax = 128

// Handler is the cardex HTTP handler New returns.
type Handler struct {
	http.Handler
	cache *responseCache
}

// Close closes the response cache's spill file and the descriptions of
// it kept for sendfile, once the handler serves no more (after the HTTP
// server's Shutdown). The spilled pages go with the file, which was
// unlinked when it was made; a request served after Close is answered
// as without a spill file.
func (h *Handler) Close() error { return h.cache.close() }

// New returns the cardex HTTP handler. It parses every template and
// fingerprints every static file up front: a broken template fails here.
func New(store Store, cfg Config) (*Handler, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &server{current: cfg.Current, timeout: cfg.QueryTimeout, log: cfg.Logger, quietAccess: cfg.QuietAccess, web: cfg.Web, tagDocs: cfg.TagDocs, md: markdown.New(),
		sidebars: memo.Map[string]{Max: sidebarsMax}, security: securityHeaders(), varyEncoding: []string{"Accept-Encoding"}}
	if s.current == nil {
		s.current = func() Store { return store }
	}
	if s.timeout <= 0 {
		s.timeout = DefaultQueryTimeout
	}
	s.maxWaiting = int64(cmp.Or(cfg.Queue, DefaultQueue))
	switch {
	case cfg.Computing == 0:
		s.computing = make(chan struct{}, defaultComputing())
	case cfg.Computing > 0:
		s.computing = make(chan struct{}, cfg.Computing)
	}
	if cfg.SpillBytes > 0 && cfg.SpillDir != "" {
		if st, err := os.Stat(cfg.SpillDir); err != nil || !st.IsDir() {
			return nil, fmt.Errorf("spill directory %s: not a directory", cfg.SpillDir)
		}
	}
	spill := newSpillFile(cfg.SpillDir, cfg.SpillBytes, func(err error) {
		s.log.Warn("the response cache's spill file stops here: pages pushed out of memory will be computed again", "err", err)
	})
	if spill != nil && cfg.CacheBytes >= 0 {
		if err := spill.start(); err != nil {
			return nil, fmt.Errorf("the response cache's spill file: %w (--spill-dir sets its folder, --spill-mib=0 turns it off)", err)
		}
	}
	switch {
	case cfg.CacheBytes == 0:
		s.cache = newResponseCache(DefaultCacheBytes, spill)
	case cfg.CacheBytes > 0:
		s.cache = newResponseCache(cfg.CacheBytes, spill)
	}
	if err := s.loadStatic(); err != nil {
		return nil, err
	}
	if err := s.fingerprint(); err != nil {
		return nil, err
	}
	if err := s.parseTemplates(); err != nil {
		return nil, err
	}
	if _, ok := s.pages["listing"]; cfg.TemplateListings && !ok {
		return nil, fmt.Errorf("TemplateListings: no templates/pages/listing.html")
	}
	s.handler, s.warmPages, s.templateListings = s.routes(), cfg.WarmPages, cfg.TemplateListings
	s.maybeWarm(s.current())
	return &Handler{Handler: s.handler, cache: s.cache}, nil
}

// pinStore gives the request the current store, for all of its queries,
// in its state.
func (s *server) pinStore(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := s.current()
		s.maybeWarm(st)
		r, rs := withState(r)
		rs.store = st
		next.ServeHTTP(w, r)
	})
}

// deadline gives a request the response cache did not answer a deadline
// for its queries (a kept response needs none, and a timer less).
func (s *server) deadline(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		timeout := s.timeout
		if strings.HasSuffix(r.URL.Path, ".csv") {
			// A CSV streams the whole result set: give it the time a
			// response may take, not one query's.
			timeout = max(timeout, 25*time.Second)
		}
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// db returns the store pinned to the request.
func (s *server) db(ctx context.Context) Store {
	if rs := stateOf(ctx); rs != nil && rs.store != nil {
		return rs.store
	}
	return s.current()
}

// datasetKey names the dataset a request reads, in the keys of what the
// server keeps (responses, sidebars): the store's identity, its version
// and its import time.
func (s *server) datasetKey(ctx context.Context) (string, error) {
	st := s.db(ctx)
	version, updated, err := st.Dataset(ctx)
	if err != nil {
		return "", err
	}
	// The last one made is kept: every request asks, and it changes only
	// when a new database is published.
	if k := s.lastDataset.Load(); k != nil && k.store == st && k.version == version && k.updated.Equal(updated) {
		return k.key, nil
	}
	k := &datasetName{store: st, version: version, updated: updated, key: fmt.Sprintf("%p %d %d", st, version, updated.UnixNano())}
	s.lastDataset.Store(k)
	return k.key, nil
}

// datasetName is a dataset's key, and what it was made from.
type datasetName struct {
	store   Store
	version int64
	updated time.Time
	key     string
}

// fingerprint hashes everything the pages are made of besides the data,
// so that a new release gets new ETags even for an unchanged dataset.
func (s *server) fingerprint() error {
	h := sha256.New()
	err := fs.WalkDir(s.web, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(s.web, p)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s %d\n", p, len(b))
		h.Write(b)
		return nil
	})
	s.build = hex.EncodeToString(h.Sum(nil))[:8]
	return err
}

type staticFile struct {
	body        []byte
	contentType string
}

// loadStatic reads static/ into memory under content-hashed names, so
// that they can be cached for a year.
func (s *server) loadStatic() error {
	s.static, s.staticURL = map[string]staticFile{}, map[string]string{}
	return fs.WalkDir(s.web, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(s.web, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		name := strings.TrimPrefix(p, "static/")
		ext := path.Ext(name)
		hashed := strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:6]) + ext
		s.static[hashed] = staticFile{body: body, contentType: contentTypes[ext]}
		s.staticURL[name] = "/static/" + hashed
		return nil
	})
}

var contentTypes = map[string]string{
	".css": "text/css; charset=utf-8",
	".svg": "image/svg+xml",
	".ico": "image/x-icon",
	".png": "image/png",
	".xml": "application/opensearchdescription+xml",
}

func (s *server) parseTemplates() error {
	pages, err := fs.Glob(s.web, "templates/pages/*.html")
	if err != nil {
		return err
	}
	s.pages = map[string]*template.Template{}
	for _, p := range pages {
		name := strings.TrimSuffix(path.Base(p), ".html")
		t, err := template.New(name).Funcs(s.funcs()).ParseFS(s.web, "templates/layout.html", "templates/partials/*.html", p)
		if err != nil {
			return fmt.Errorf("template %s: %w", name, err)
		}
		s.pages[name] = t
	}
	if len(s.pages) == 0 {
		return fmt.Errorf("no page templates under templates/pages")
	}
	return nil
}
