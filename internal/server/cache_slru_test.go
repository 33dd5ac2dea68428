package server

import (
	"bytes"
	stdgzip "compress/gzip"
	"fmt"
	"io"
	"net/http/httptest"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"
)

// The response cache is scan resistant: a response asked for twice stays
// while many responses asked for once come and go, and its accounting
// stays within the budget.
func TestResponseCacheKeepsRepeatedPagesThroughAScan(t *testing.T) {
	entry := func(key string) *cachedResponse {
		return &cachedResponse{key: key, form: [encodings]pieces{encGzip: {head: make([]byte, 1000-512-len(key))}}}
	}
	c := newResponseCache(10_000, nil) // ten entries of 1,000
	hit := func(key string) bool {
		r, _, lead := c.begin(key, false)
		if lead {
			c.end(key)
		}
		return r != nil
	}
	for _, k := range []string{"popular", "warm-ish", "once"} {
		hit(k)
		c.put(entry(k), false)
	}
	c.put(entry("warmed"), true)
	hit("popular") // asked for again: protected
	if !hit("popular") || !hit("warm-ish") {
		t.Fatal("a kept response is not served")
	}
	for i := range 100 {
		k := fmt.Sprintf("scan-%d", i)
		if hit(k) {
			t.Fatalf("%s served before it was kept", k)
		}
		c.put(entry(k), false)
		check(t, c)
	}
	for k, want := range map[string]bool{"popular": true, "warm-ish": true, "warmed": true, "once": false, "scan-0": false, "scan-99": true} {
		if got := hit(k); got != want {
			t.Errorf("after the scan, %s kept: %v, want %v", k, got, want)
		}
	}
	// The protected segment is bounded: asking for every response twice
	// demotes the oldest back to probation, and the newest stay.
	for i := range 20 {
		k := fmt.Sprintf("again-%d", i)
		hit(k)
		c.put(entry(k), false)
		hit(k)
		check(t, c)
	}
	if !hit("again-19") || hit("again-0") {
		t.Error("the protected segment does not keep the most recent repeats")
	}
	// A response kept for a URL that is not canonical stays in the odd
	// segment however often it is asked for: a scan of canonical URLs
	// leaves it, a scan of other non-canonical ones pushes it out, and
	// neither touches the protected responses.
	oddEntry := func(k string) *cachedResponse { r := entry(k); r.nonCanonical = true; return r }
	odd := oddEntry("odd")
	c.put(odd, false)
	for range 3 {
		if !hit("odd") {
			t.Fatal("a non-canonical response is not served")
		}
	}
	if odd.protected {
		t.Error("a non-canonical response was protected")
	}
	for i := range 20 {
		c.put(entry(fmt.Sprintf("scan2-%d", i)), false)
		check(t, c)
	}
	if !hit("odd") {
		t.Error("a scan of canonical URLs pushed out a non-canonical response")
	}
	for i := range 20 {
		c.put(oddEntry(fmt.Sprintf("odd-scan-%d", i)), false)
		check(t, c)
	}
	if hit("odd") || !hit("again-19") || !hit("scan2-19") {
		t.Error("after a scan of non-canonical URLs: the old one stayed, or a canonical one went")
	}
	// Waiting for a response computed for another request is not asking
	// for it again: the response stays in probation.
	c.put(entry("burst"), false)
	if r, _, _ := c.begin("burst", true); r == nil || r.protected {
		t.Errorf("a request that waited for burst protected it")
	}
}

// A kept response whose body cannot be unpacked is not served (serve
// writes nothing, and the response is computed again), and is removed,
// so that the response computed takes its place.
func TestResponseCacheDropsAnUnreadableResponse(t *testing.T) {
	c := newResponseCache(1<<20, nil)
	page := bytes.Repeat([]byte("<p>a page</p>\n"), 500)
	for _, kind := range []string{"probation", "protected", "odd"} {
		r := &cachedResponse{key: kind, size: len(page), nonCanonical: kind == "odd", header: map[string][]string{"Etag": {`"1"`}}}
		if err := c.compress(r, page, sharedMark{}, encS2); err != nil {
			t.Fatal(err)
		}
		c.put(r, kind == "protected")
		for i := range r.form[encS2].head { // its bytes garbled, its length kept (the budget counts it)
			r.form[encS2].head[i] = 0xff
		}
		rec := httptest.NewRecorder()
		if c.serve(rec, httptest.NewRequest("GET", "/", nil), r) || rec.Body.Len() != 0 || len(rec.Header()) != 0 {
			t.Fatalf("%s: an unreadable body was served: %d bytes, headers %v", kind, rec.Body.Len(), rec.Header())
		}
		c.remove(r)
		c.remove(r) // no longer kept: nothing to do
		check(t, c)
		if c.byKey[kind] != nil {
			t.Fatalf("%s: an unreadable response stays kept", kind)
		}
	}
}

// check verifies the cache's accounting.
func check(t *testing.T, c *responseCache) {
	t.Helper()
	used, prot := 0, 0
	for e := c.probation.Front(); e != nil; e = e.Next() {
		r := e.Value.(*cachedResponse)
		if r.protected || c.byKey[r.key] != e {
			t.Fatalf("probation entry %s: protected %v, indexed %v", r.key, r.protected, c.byKey[r.key] == e)
		}
		used += r.cost()
	}
	for e := c.protected.Front(); e != nil; e = e.Next() {
		r := e.Value.(*cachedResponse)
		if !r.protected || c.byKey[r.key] != e {
			t.Fatalf("protected entry %s: protected %v, indexed %v", r.key, r.protected, c.byKey[r.key] == e)
		}
		used += r.cost()
		prot += r.cost()
	}
	odd := 0
	for e := c.odd.Front(); e != nil; e = e.Next() {
		r := e.Value.(*cachedResponse)
		if r.protected || !r.nonCanonical || c.byKey[r.key] != e {
			t.Fatalf("odd entry %s: protected %v, indexed %v", r.key, r.protected, c.byKey[r.key] == e)
		}
		odd += r.cost()
	}
	refs, shared := map[*sharedPart]int{}, 0
	for _, e := range c.byKey {
		if sh := e.Value.(*cachedResponse).shared; sh != nil {
			if refs[sh]++; refs[sh] == 1 {
				shared += sh.cost()
			}
		}
	}
	for sh, n := range refs {
		if sh.refs != n || c.shared[sh.key] != sh {
			t.Fatalf("shared part %s: %d refs counted, %d held, kept %v", sh.key, sh.refs, n, c.shared[sh.key] == sh)
		}
	}
	if len(refs) != len(c.shared) || shared != c.sharedUsed {
		t.Fatalf("shared parts: %d held, %d kept; %d bytes, %d counted", len(refs), len(c.shared), shared, c.sharedUsed)
	}
	if c.overBudget() {
		t.Fatalf("over the budget: %d used, %d shared, %d allowed", c.used, c.sharedUsed, c.mainBudget())
	}
	for _, e := range c.byKey {
		r := e.Value.(*cachedResponse)
		for enc := range encodings {
			if r.form[enc].head != nil && r.shared != nil && r.shared.form[enc] == nil {
				t.Fatalf("%s is kept in encoding %d around a shared part that is not", r.key, enc)
			}
		}
	}
	if used != c.used || prot != c.protectedUsed || odd != c.oddUsed || used+shared > c.mainBudget() || odd > c.oddBudget() ||
		float64(prot) > protectedShare*float64(c.mainBudget()) || len(c.byKey) != c.probation.Len()+c.protected.Len()+c.odd.Len() {
		t.Fatalf("accounting: used %d (counted %d), protected %d (counted %d), odd %d (counted %d), budget %d, %d keys for %d+%d+%d entries",
			c.used, used, c.protectedUsed, prot, c.oddUsed, odd, c.budget, len(c.byKey), c.probation.Len(), c.protected.Len(), c.odd.Len())
	}
}

// A kept response holds its body in slices of about their own size (the
// budget counts lengths; a grown buffer can hold twice its length), and
// the buffers that are reused between responses never show through: each
// response is kept as written, in the encoding it was first asked for,
// and is served in both, the other made from it once and then kept too.
// Responses that mark a part as shared (a listing's sidebar) keep it once
// between them, and are still, written out, each its own body; the shared
// part goes when the last of them does.
func TestResponseCacheKeepsExactCopies(t *testing.T) {
	c := newResponseCache(1<<20, nil)
	sidebar := bytes.Repeat([]byte("<li><a href=\"/tags/kafka\">Kafka</a> 12</li>\n"), 300)
	sharing := 0
	for i := range 20 {
		page := bytes.Repeat(fmt.Appendf(nil, "<p>page %d, line %%d</p>\n", i), 400+i*97)
		var mark sharedMark
		if i%2 == 1 {
			at := len(page) / 3
			page = slices.Concat(page[:at], sidebar, page[at:])
			mark = sharedMark{"listing", span{at, at + len(sidebar)}}
			sharing++
		}
		first, other := encoding(i/2%2), encoding(1-i/2%2) // both orders, with and without sharing
		buf := c.buffer()
		buf.Write(page)
		key := fmt.Sprint("page-", i)
		r := &cachedResponse{key: key, size: len(page)}
		err := c.compress(r, buf.Bytes(), mark, first)
		c.release(buf)
		if err != nil {
			t.Fatal(err)
		}
		if r.form[other].head != nil {
			t.Fatalf("page %d is kept in an encoding nobody asked for", i)
		}
		c.put(r, false)
		check(t, c)
		r, _, lead := c.begin(key, false)
		if lead {
			c.end(key)
		}
		if r == nil {
			t.Fatalf("page %d not kept", i)
		}
		for range 2 { // made, then as kept
			plain := c.buffer()
			if err := c.plain(r, plain); err != nil || !bytes.Equal(plain.Bytes(), page) {
				t.Fatalf("page %d: kept body differs (%v)", i, err)
			}
			c.release(plain)
			zipped, err := c.encoded(r, encGzip)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			zipped.writeTo(&buf)
			n := buf.Len()
			zr, err := stdgzip.NewReader(&buf) // another implementation than the one that wrote it
			if err != nil {
				t.Fatalf("page %d: %v", i, err)
			}
			if got, err := io.ReadAll(zr); err != nil || !bytes.Equal(got, page) || n != zipped.len() {
				t.Fatalf("page %d gzipped: %d bytes (len %d), unzip to the page: %v (%v)", i, n, zipped.len(), bytes.Equal(got, page), err)
			}
			check(t, c)
		}
		for enc, f := range r.form {
			if f.head == nil {
				t.Fatalf("page %d, asked for in both encodings, is not kept in encoding %d", i, enc)
			}
			for _, b := range [][]byte{f.head, f.tail} {
				if cap(b) > len(b)+len(b)/8+64 {
					t.Fatalf("page %d: kept %d bytes in a slice of %d", i, len(b), cap(b))
				}
			}
		}
	}
	if sh := c.shared["listing"]; len(c.shared) != 1 || sh == nil || sh.refs != sharing || sh.form[encGzip] == nil || sh.form[encS2] == nil {
		t.Fatalf("shared parts: %d kept; want one, in both encodings, held by the %d pages that share it", len(c.shared), sharing)
	}
	for i := range 3000 { // 3,000 responses of about 600 bytes: more than the budget
		key := fmt.Sprint("filler-", i)
		r := &cachedResponse{key: key, size: 1}
		if err := c.compress(r, bytes.Repeat([]byte{byte(i)}, 4000), sharedMark{}, encGzip); err != nil {
			t.Fatal(err)
		}
		c.put(r, true) // protected, as a page asked for again: the pages above go
	}
	check(t, c)
	if len(c.shared) != 0 || c.sharedUsed != 0 {
		t.Fatalf("after the pages sharing it went: %d shared parts, %d bytes counted", len(c.shared), c.sharedUsed)
	}
}

// Clients asking for the same kept responses in both encodings at once,
// while other responses push them out, each get the body as written, and
// the cache's accounting holds (run with -race, this is also the test of
// its locking).
func TestResponseCacheEncodesConcurrently(t *testing.T) {
	c := newResponseCache(48<<10, nil) // room for about half the pages
	sidebar := bytes.Repeat([]byte("<li>sidebar</li>\n"), 800)
	page := func(i int) ([]byte, sharedMark) {
		var p []byte
		for line := range 300 {
			p = fmt.Appendf(p, "<p>page %d, line %d</p>\n", i, line*line*(i+1))
		}
		p = slices.Concat(p, sidebar, []byte("<footer>"))
		return p, sharedMark{"listing", span{len(p) - len(sidebar) - 8, len(p) - 8}}
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for j := range 300 {
				i := (j*7 + g) % 40
				key := fmt.Sprint("page-", i)
				body, mark := page(i)
				r, _, lead := c.begin(key, false)
				if lead {
					r = &cachedResponse{key: key, size: len(body)}
					if err := c.compress(r, body, mark, encoding(g%2)); err != nil {
						t.Error(err)
					}
					c.put(r, false)
					c.end(key)
				}
				if r == nil {
					continue
				}
				got := c.buffer()
				if err := c.plain(r, got); err != nil || !bytes.Equal(got.Bytes(), body) {
					t.Errorf("%s plain: differs (%v)", key, err)
				}
				c.release(got)
				if _, err := c.encoded(r, encGzip); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	check(t, c)
	if len(c.byKey) >= 40 {
		t.Fatalf("all %d pages kept: the test meant them to push each other out", len(c.byKey))
	}
}

// Clients that ask at once for a kept page in an encoding it is not kept
// in yet wait for one making of it instead of each making it: every one
// of them gets the very bytes kept.
func TestEncodedOnceForClientsAtOnce(t *testing.T) {
	c := newResponseCache(1<<20, nil)
	page := bytes.Repeat([]byte("<p>a popular page</p>\n"), 2000)
	r := &cachedResponse{key: "popular", size: len(page)}
	if err := c.compress(r, page, sharedMark{}, encS2); err != nil {
		t.Fatal(err)
	}
	c.put(r, false)
	// Every encoder taken: the making waits until they are given back,
	// and the other clients come while it waits.
	var held []*encoder
	for range encoders {
		held = append(held, <-c.encoders)
	}
	const clients = 8
	got := make([]encodedBody, clients)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Go(func() {
			var err error
			if got[i], err = c.encoded(r, encGzip); err != nil {
				t.Error(err)
			}
		})
	}
	for deadline := time.Now().Add(10 * time.Second); ; runtime.Gosched() {
		c.mu.Lock()
		making := r.making[encGzip] != nil
		c.mu.Unlock()
		if making {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no client is making the gzip form")
		}
	}
	for _, g := range held {
		c.encoders <- g
	}
	wg.Wait()
	c.mu.Lock()
	kept, ok := r.body(encGzip)
	c.mu.Unlock()
	if !ok {
		t.Fatal("the gzip form was not kept")
	}
	for i, b := range got {
		if len(b) == 0 || len(b[0]) == 0 || &b[0][0] != &kept[0][0] {
			t.Fatalf("client %d got a gzip form of its own, not the one kept", i)
		}
	}
	var all bytes.Buffer
	kept.writeTo(&all)
	zr, err := stdgzip.NewReader(&all)
	if err != nil {
		t.Fatal(err)
	}
	if body, err := io.ReadAll(zr); err != nil || !bytes.Equal(body, page) {
		t.Fatalf("the kept gzip form does not unzip to the page (%v)", err)
	}
	check(t, c)
}
