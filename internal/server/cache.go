package server

import (
	"bytes"
	"container/list"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"cardex/internal/memo"

	"github.com/klauspost/compress/gzip"
)

// The data changes only when a new database is published, so a response
// is a pure function of (dataset version, method-independent URL). The
// response cache keeps the bytes of recent 200 responses under a byte
// budget (least recently used out first) and answers repeats, and their
// conditional GETs, without touching the store or a template.

// DefaultCacheBytes is the response cache's budget. It was 38 MiB
// before the spill file served pages pushed out of memory about as
// cheaply (a plain body by sendfile, a packed one by a pread): the live
// heap was then 11 MB under the collector's goal at the 96 MiB soft
// limit, and it ran 16 times a second under the Zipf mix. At 24 MiB it
// runs half as often (1M cards, after the bench's two mixes: 164-169
// collections in 10 s at 38 MiB, 88-89 at 24, and 5-13% more requests
// a second, VmHWM the same). At 13 MiB it leaves room under the limit
// for the 11 MB that the store keeps of each card's tags and year
// (sqlite.cardTags): with them and 24 MiB, the collector ran so often
// under the uniform mix that it served 3,086-5,437 requests a second,
// against 12,584-13,529 before them; with 13 MiB, 8,172-14,275, against
// 6,580-11,769 for the build before them in the same runs, and the Zipf
// mix 34,748-38,208 against 34,364-37,613 (1M cards, 10 s each after 10
// s of warm-up, builds alternated; VmHWM 135-138 MB either way).
const DefaultCacheBytes = 13 << 20

// maxCachedResponse is the largest body kept: big CSVs stream instead.
const maxCachedResponse = 1 << 20

// cachedResponse is a response kept compressed (see cacheforms.go): HTML
// and JSON compress about fivefold, so the budget holds five times the
// pages.
type cachedResponse struct {
	key    string
	header http.Header
	size   int // the body's length
	// form is the body in each encoding it is kept in (around shared,
	// when it is set); once the response is kept, responseCache.mu
	// guards it.
	form     [encodings]pieces
	shared   *sharedPart
	sharedAt span // where shared is in the body
	// protected is set once the response was asked for again (or was
	// warmed): it is then in the cache's protected segment.
	protected bool
	// nonCanonical: the response was asked for by a URL that is not its
	// canonical one: it is kept in the odd segment, never protected (see
	// markNonCanonical).
	nonCanonical bool
	// spilled: the response was read from the spill file (cachespill.go)
	// for one request, and is kept nowhere; it is served in the
	// encodings it was spilled in, and never packed again.
	spilled bool
	// plain is the body itself, read from its spill record (spilled is
	// set too).
	plain []byte
	// send is the plain body in the spill file, to be sent from there
	// (spilled is set too; see cachesend.go).
	send *plainSend
	// making[enc] is closed when the body being made in encoding enc
	// is (see responseCache.encoded); nil when none is. Guarded by
	// responseCache.mu.
	making [encodings]chan struct{}
}

// cost is what a response counts against the budget.
// (A shared part counts once, in responseCache.sharedUsed.)
func (r *cachedResponse) cost() int {
	n := len(r.key) + 512
	for _, f := range r.form {
		n += f.len()
	}
	return n
}

type responseCache struct {
	mu     sync.Mutex
	budget int
	used   int
	// The cache is a segmented LRU: a new response enters probation,
	// and moves to the protected segment (at most protectedShare of the
	// budget) when it is asked for again. A burst of URLs asked for once
	// (a crawler, a user paging deep) then only churns probation, and the
	// pages people keep coming back to stay.
	//
	// Responses to non-canonical URLs (see markNonCanonical) have a segment of
	// their own, odd, of oddShare of the budget: a client making every URL
	// unique churns that segment only.
	probation     *list.List // of *cachedResponse, most recent first
	protected     *list.List
	protectedUsed int
	odd           *list.List
	oddUsed       int
	byKey         map[string]*list.Element
	// inflight has a channel for each key being computed, closed when the
	// computation ends: concurrent misses of one URL wait for the first
	// instead of each asking the store (64 clients on one cold page would
	// otherwise compute it 64 times).
	inflight map[string]chan struct{}
	// shared holds the parts many kept responses share, by key, and
	// sharedUsed what they count against the main budget, once each.
	shared     map[string]*sharedPart
	sharedUsed int
	// encoders holds the encoders, a few: each holds about a megabyte,
	// and the room it compresses into.
	encoders chan *encoder
	// readers and buffers are kept for reuse, in free lists: a server
	// under its soft memory limit collects every few tens of
	// milliseconds, which would empty a sync.Pool.
	readers memo.FreeList[*gzip.Reader]
	buffers memo.FreeList[*bytes.Buffer]
	// spill is the second tier (nil when off), and spills the responses
	// pushed out of memory that are still to be written to it (by the
	// request that pushed them out, once c.mu is let go).
	spill  *spillFile
	spills []spillJob
}

// encoders is how many responses may be compressed at once.
const encoders = 2

// captureBuffers is how many buffers are kept for reuse, for responses
// being computed and for records read from the spill file (about one
// per connection of a busy server), and maxKeptBuffer the largest kept.
const (
	captureBuffers = 64
	maxKeptBuffer  = 256 << 10
)

func newResponseCache(budget int, spill *spillFile) *responseCache {
	c := &responseCache{budget: budget, spill: spill, probation: list.New(), protected: list.New(), odd: list.New(), byKey: map[string]*list.Element{}, inflight: map[string]chan struct{}{},
		encoders: make(chan *encoder, encoders),
		readers:  make(memo.FreeList[*gzip.Reader], encoders), buffers: make(memo.FreeList[*bytes.Buffer], captureBuffers),
		shared: map[string]*sharedPart{}}
	for range encoders {
		c.encoders <- newEncoder()
	}
	return c
}

// begin looks key up. On a miss with nobody computing it, the caller
// leads: it computes the response and must call end. On a miss that
// another request is computing, wait is closed when that one ends. A hit
// counts as the response being asked for again (it is protected) unless
// waited is set: the caller waited for the response's computation, so it
// asked at the same time as the first, not again.
func (c *responseCache) begin(key string, waited bool) (hit *cachedResponse, wait <-chan struct{}, lead bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byKey[key]; ok {
		r := e.Value.(*cachedResponse)
		switch {
		case waited:
		case r.protected:
			c.protected.MoveToFront(e)
		case r.nonCanonical:
			c.odd.MoveToFront(e)
		default:
			c.probation.Remove(e)
			c.protect(r)
		}
		return r, nil, false
	}
	if ch, ok := c.inflight[key]; ok {
		return nil, ch, false
	}
	c.inflight[key] = make(chan struct{})
	return nil, nil, true
}

// end marks the leader's computation of key done.
func (c *responseCache) end(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ch, ok := c.inflight[key]; ok {
		close(ch)
		delete(c.inflight, key)
	}
}

// protectedShare is the part of the main budget (all but the odd segment's)
// the protected segment may use; oddShare the part of the budget the odd
// segment may use.
const (
	protectedShare = 0.8
	oddShare       = 0.1
)

// oddBudget and mainBudget split the budget between the odd segment and
// the others.
func (c *responseCache) oddBudget() int  { return int(oddShare * float64(c.budget)) }
func (c *responseCache) mainBudget() int { return c.budget - c.oddBudget() }

// put keeps r: in probation, or protected when protect is set (a page
// warmed because it is popular), or in the odd segment when r.nonCanonical.
func (c *responseCache) put(r *cachedResponse, protect bool) {
	size := r.cost()
	if size > c.budget/8 || (r.nonCanonical && size > c.oddBudget()) {
		return
	}
	defer c.flushSpills()
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.byKey[r.key]; ok {
		return
	}
	if r.nonCanonical {
		c.byKey[r.key] = c.odd.PushFront(r)
		c.oddUsed += size
		c.shrink()
		return
	}
	if !c.holdShared(r) {
		return
	}
	c.used += size
	if protect {
		c.protect(r)
	} else {
		c.byKey[r.key] = c.probation.PushFront(r)
	}
	c.shrink()
}

// remove drops r, if it is kept.
func (c *responseCache) remove(r *cachedResponse) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byKey[r.key]; ok && e.Value.(*cachedResponse) == r {
		c.drop(e)
	}
}

// shrink drops the least recently used responses until each segment is
// within its budget, probation's first. c.mu is held.
func (c *responseCache) shrink() {
	for c.oddUsed > c.oddBudget() && c.odd.Len() > 0 {
		c.evict(c.odd)
	}
	for c.overBudget() {
		switch {
		case c.probation.Len() > 0:
			c.evict(c.probation)
		case c.protected.Len() > 0:
			c.evict(c.protected)
		default:
			return
		}
	}
	c.demote()
}

// overBudget reports whether the main segments and the shared parts are
// over the main budget. c.mu is held.
func (c *responseCache) overBudget() bool {
	return c.used+c.sharedUsed > c.mainBudget()
}

// evict drops the least recently used response of segment l, to be
// written to the spill file. c.mu is held.
func (c *responseCache) evict(l *list.List) {
	e := l.Back()
	if j, ok := c.spillJobOf(e.Value.(*cachedResponse)); ok {
		c.spills = append(c.spills, j)
	}
	c.drop(e)
}

// drop drops the kept response of e. c.mu is held.
func (c *responseCache) drop(e *list.Element) {
	old := e.Value.(*cachedResponse)
	c.segment(old).Remove(e)
	delete(c.byKey, old.key)
	c.releaseShared(old)
	c.charge(old, -old.cost())
}

// segment returns the list that holds the kept response r. c.mu is held.
func (c *responseCache) segment(r *cachedResponse) *list.List {
	switch {
	case r.nonCanonical:
		return c.odd
	case r.protected:
		return c.protected
	default:
		return c.probation
	}
}

// charge counts n more bytes (fewer, when negative) of the kept response
// r against its segment's budget. c.mu is held.
func (c *responseCache) charge(r *cachedResponse, n int) {
	switch {
	case r.nonCanonical:
		c.oddUsed += n
	case r.protected:
		c.used += n
		c.protectedUsed += n
	default:
		c.used += n
	}
}

// protect puts r, in no list, at the front of the protected segment.
// c.mu is held.
func (c *responseCache) protect(r *cachedResponse) {
	r.protected = true
	c.byKey[r.key] = c.protected.PushFront(r)
	c.protectedUsed += r.cost()
	c.demote()
}

// demote moves the protected segment's least recently used responses
// back to probation while it is over its share. c.mu is held.
func (c *responseCache) demote() {
	for float64(c.protectedUsed) > protectedShare*float64(c.mainBudget()) && c.protected.Len() > 1 {
		e := c.protected.Back()
		old := e.Value.(*cachedResponse)
		c.protected.Remove(e)
		old.protected = false
		c.protectedUsed -= old.cost()
		c.byKey[old.key] = c.probation.PushFront(old)
	}
}

// captureWriter records a response while passing it through.
type captureWriter struct {
	http.ResponseWriter
	status       int
	buf          *bytes.Buffer // nil once over
	over         bool
	nonCanonical bool       // the handler said the URL is not the response's canonical one
	shared       sharedMark // what the handler said the response shares with others
}

// captureOf returns the captureWriter under w, if any.
func captureOf(w http.ResponseWriter) *captureWriter {
	for w != nil {
		if cw, ok := w.(*captureWriter); ok {
			return cw
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return nil
		}
		w = u.Unwrap()
	}
	return nil
}

// markNonCanonical tells the response cache to keep the response written to
// w in the odd segment, never protected: a listing asked for by a URL that is
// not its canonical one (parameters in another order, page=1, a parameter
// cardex ignores). Such URLs are rare from the app's own links and search
// box, but scripts and hand-made links use them, and repeat them (they are
// kept, and answered from the cache while they stay in it); and a client
// that makes every URL unique (a cache-busting crawler, an attack, make
// bench's uncached runs) can only churn that segment, never push out the
// pages of the app's own links.
func markNonCanonical(w http.ResponseWriter) {
	if cw := captureOf(w); cw != nil {
		cw.nonCanonical = true
	}
}

func (w *captureWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *captureWriter) Write(b []byte) (int, error) {
	capture(w, b)
	return w.ResponseWriter.Write(b)
}

func (w *captureWriter) WriteString(s string) (int, error) {
	capture(w, s)
	return io.WriteString(w.ResponseWriter, s)
}

// capture keeps a copy of p, written to w, unless the response is over
// maxCachedResponse.
func capture[P string | []byte](w *captureWriter, p P) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if w.over {
		return
	}
	if w.buf.Len()+len(p) > maxCachedResponse {
		w.over = true
		w.buf = nil
		return
	}
	switch p := any(p).(type) {
	case string:
		w.buf.WriteString(p)
	case []byte:
		w.buf.Write(p)
	}
}

func (w *captureWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// cacheable headers are the ones a cached response replays.
var cacheable = []string{"Content-Type", "ETag", "Last-Modified", "Cache-Control", "Content-Disposition"}

// cacheResponses serves repeated GETs from the response cache. It runs
// after pinStore, so the key has the version of the store the request
// would read.
func (s *server) cacheResponses(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.cache == nil || (r.Method != http.MethodGet && r.Method != http.MethodHead) || strings.HasPrefix(r.URL.Path, "/static/") {
			next.ServeHTTP(w, r)
			return
		}
		// A kept response is served gzipped to clients that accept it.
		if h := w.Header(); len(h["Vary"]) == 0 {
			h["Vary"] = s.varyEncoding // shared: see securityHeaders
		} else {
			h.Add("Vary", "Accept-Encoding")
		}
		dataset, err := s.datasetKey(r.Context())
		if err != nil {
			next.ServeHTTP(w, r)
			return
		}
		// The host and scheme appear in the absolute URLs of feeds,
		// sitemaps and the OpenSearch description, and nowhere else (so a
		// page warmed by the server itself serves every host name).
		host := ""
		if strings.HasSuffix(r.URL.Path, ".atom") || strings.HasSuffix(r.URL.Path, ".xml") {
			host = r.Host + " " + r.Header.Get("X-Forwarded-Proto")
		}
		key := dataset + " " + host + " " + r.URL.RequestURI()
		c, wait, lead := s.cache.begin(key, false)
		if wait != nil {
			// Another request is computing this response: wait for it,
			// then take it from the cache. If it was not kept (an error,
			// a CSV) or this request's deadline comes first, compute.
			select {
			case <-wait:
				c, _, lead = s.cache.begin(key, true)
			case <-r.Context().Done():
			}
		}
		if lead {
			defer s.cache.end(key)
		}
		if c != nil {
			if s.cache.serve(w, r, c) {
				return
			}
			// Its kept body could not be read: drop it, so that the
			// response computed now takes its place.
			s.cache.remove(c)
		} else if s.cache.spill != nil && s.cache.serveSpilled(w, r, key) {
			return
		}
		cw := &captureWriter{ResponseWriter: w, buf: s.cache.buffer()}
		defer func() { s.cache.release(cw.buf) }()
		next.ServeHTTP(cw, r)
		// Never keep a response that may be cut short: the client went
		// away or the deadline passed mid-way (a dropped CSV download
		// would otherwise answer later requests with its first rows),
		// and streamed CSVs are not kept at all.
		if cw.status != http.StatusOK || cw.over || r.Method == http.MethodHead || w.Header().Get("ETag") == "" ||
			r.Context().Err() != nil || strings.HasPrefix(w.Header().Get("Content-Type"), "text/csv") {
			return
		}
		h := http.Header{}
		for _, k := range cacheable {
			if v := w.Header().Values(k); len(v) > 0 {
				h[http.CanonicalHeaderKey(k)] = v
			}
		}
		// Kept in the encoding this client asked for; the other is
		// made when a client asks for it.
		resp := &cachedResponse{key: key, header: h, size: cw.buf.Len(), nonCanonical: cw.nonCanonical}
		if err := s.cache.compress(resp, cw.buf.Bytes(), cw.shared, keptEncoding(r)); err != nil {
			return
		}
		s.cache.put(resp, r.Context().Value(warmKey{}) != nil)
	})
}

// serve answers r from a kept response: gzipped when the client accepts
// it, with its own ETag (a representation of its own), and plain
// otherwise; a 304 when If-None-Match names either ETag. It reports
// false, having written nothing, when the kept body could not be read
// (then the response is to be computed).
func (c *responseCache) serve(w http.ResponseWriter, r *http.Request, resp *cachedResponse) bool {
	etag := resp.header.Get("ETag")
	zipped := keptEncoding(r) == encGzip // a spilled response served to such a client has gzip (serveSpilled)
	// head writes the kept headers, those of the gzipped representation
	// when zipped, and the status.
	head := func(status int, encoding string, length int) {
		h := w.Header()
		for k, v := range resp.header {
			h[k] = v
		}
		if zipped {
			h.Set("ETag", gzipETag(etag))
		}
		if encoding != "" {
			h.Set("Content-Encoding", encoding)
		}
		if length >= 0 {
			h.Set("Content-Length", strconv.Itoa(length))
		}
		w.WriteHeader(status)
	}
	if inm := r.Header.Get("If-None-Match"); inm != "" && (etagMatch(inm, etag) || etagMatch(inm, gzipETag(etag))) {
		head(http.StatusNotModified, "", -1)
		return true
	}
	if !zipped {
		if r.Method == http.MethodHead {
			head(http.StatusOK, "", resp.size) // nothing to unpack
			return true
		}
		if resp.send != nil {
			head(http.StatusOK, "", resp.send.n)
			resp.send.writeTo(r.Context(), w)
			return true
		}
		if resp.plain != nil {
			head(http.StatusOK, "", len(resp.plain))
			w.Write(resp.plain)
			return true
		}
		if c.spill != nil && !resp.spilled && c.servePlainSpilled(w, r, resp, head) {
			return true
		}
		plain := c.buffer()
		defer c.release(plain)
		if err := c.plain(resp, plain); err != nil {
			return false
		}
		head(http.StatusOK, "", plain.Len())
		w.Write(plain.Bytes())
		if !resp.nonCanonical {
			c.spillPlain(resp.key, resp.header, plain.Bytes())
		}
		return true
	}
	body, err := c.encoded(resp, encGzip)
	if err != nil {
		return false
	}
	head(http.StatusOK, "gzip", body.len())
	if r.Method != http.MethodHead {
		body.writeTo(w)
	}
	return true
}

// keptEncoding is the encoding of the response cache that serves r:
// gzip when r accepts it (the bytes as kept), S2 otherwise (unpacked for
// it).
func keptEncoding(r *http.Request) encoding {
	if acceptsGzip(r.Header.Get("Accept-Encoding")) {
		return encGzip
	}
	return encS2
}

// gzipETag is the ETag of the gzipped representation of the response
// whose ETag is etag.
func gzipETag(etag string) string {
	if strings.HasSuffix(etag, `"`) {
		return strings.TrimSuffix(etag, `"`) + `-gz"`
	}
	return etag
}

// acceptsGzip reports whether an Accept-Encoding header accepts gzip: it
// names gzip (or *) without q=0.
func acceptsGzip(ae string) bool {
	for ae != "" {
		var part string
		part, ae, _ = strings.Cut(ae, ",")
		name, params, _ := strings.Cut(part, ";")
		if name = strings.TrimSpace(name); name != "gzip" && name != "*" {
			continue
		}
		q, ok := strings.CutPrefix(strings.ReplaceAll(params, " ", ""), "q=")
		if !ok {
			return true
		}
		v, err := strconv.ParseFloat(q, 64)
		return err == nil && v > 0
	}
	return false
}

// buffer returns an empty buffer for a response from the free list (a
// new one when the cache is off: c is nil), to give back with release
// once the response is kept.
func (c *responseCache) buffer() *bytes.Buffer {
	if c == nil {
		return new(bytes.Buffer)
	}
	if b, ok := c.buffers.Take(); ok {
		b.Reset()
		return b
	}
	return new(bytes.Buffer)
}

// release gives b back to the free list (nothing when the cache is off).
func (c *responseCache) release(b *bytes.Buffer) {
	if c != nil && b != nil && b.Cap() <= maxKeptBuffer {
		c.buffers.Give(b)
	}
}

// etagMatch reports whether an If-None-Match header matches etag.
func etagMatch(inm, etag string) bool {
	for _, t := range strings.Split(inm, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}
