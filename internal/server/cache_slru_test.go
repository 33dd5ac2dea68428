package server

import (
	"bytes"
	stdgzip "compress/gzip"
	"fmt"
	"io"
	"slices"
	"testing"
)

// The response cache is scan resistant: a response asked for twice stays
// while many responses asked for once come and go, and its accounting
// stays within the budget.
func TestResponseCacheKeepsRepeatedPagesThroughAScan(t *testing.T) {
	entry := func(key string) *cachedResponse {
		return &cachedResponse{key: key, gz: make([]byte, 1000-512-len(key))}
	}
	c := newResponseCache(10_000) // ten entries of 1,000
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
	hot := 0
	for e := c.hot.Front(); e != nil; e = e.Next() {
		r := e.Value.(*cachedResponse)
		if r.hot != e || r.plain == nil || c.byKey[r.key] == nil {
			t.Fatalf("hot entry %s: listed %v, plain %v, kept %v", r.key, r.hot == e, r.plain != nil, c.byKey[r.key] != nil)
		}
		hot += len(r.plain)
	}
	if hot != c.hotUsed || c.overBudget() {
		t.Fatalf("plain copies: %d bytes (counted %d), %d of them allowed beyond the budget; over the budget: %v", hot, c.hotUsed, c.hotBudget, c.overBudget())
	}
	if used != c.used || prot != c.protectedUsed || odd != c.oddUsed || used+shared > c.mainBudget() || odd > c.oddBudget() ||
		float64(prot) > protectedShare*float64(c.mainBudget()) || len(c.byKey) != c.probation.Len()+c.protected.Len()+c.odd.Len() {
		t.Fatalf("accounting: used %d (counted %d), protected %d (counted %d), odd %d (counted %d), budget %d, %d keys for %d+%d+%d entries",
			c.used, used, c.protectedUsed, prot, c.oddUsed, odd, c.budget, len(c.byKey), c.probation.Len(), c.protected.Len(), c.odd.Len())
	}
}

// A kept response holds its gzipped body in slices of about their own
// size (the budget counts lengths; a grown buffer can hold twice its
// length), and the buffers that are reused between responses never
// show through: each response is kept as written. Responses that mark a
// part as shared (a listing's sidebar) keep it once between them, and are
// still, written out, each its own body gzipped; the shared part goes
// when the last of them does.
func TestResponseCacheKeepsExactCopies(t *testing.T) {
	c := newResponseCache(1 << 20)
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
		buf := c.buffer()
		buf.Write(page)
		key := fmt.Sprint("page-", i)
		r := &cachedResponse{key: key, size: len(page)}
		err := c.compress(r, buf.Bytes(), mark)
		c.release(buf)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range [][]byte{r.gz, r.tail} {
			if cap(b) > len(b)+len(b)/8+64 {
				t.Fatalf("page %d: kept %d bytes in a slice of %d", i, len(b), cap(b))
			}
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
		plain, err := c.plainBody(r)
		if err != nil || !bytes.Equal(plain, page) {
			t.Fatalf("page %d: kept body differs (%v)", i, err)
		}
		var zipped bytes.Buffer
		r.writeGzip(&zipped)
		n := zipped.Len()
		zr, err := stdgzip.NewReader(&zipped) // another implementation than the one that wrote it
		if err != nil {
			t.Fatalf("page %d: %v", i, err)
		}
		if got, err := io.ReadAll(zr); err != nil || !bytes.Equal(got, page) || n != r.gzLen() {
			t.Fatalf("page %d gzipped: %d bytes (gzLen %d), unzip to the page: %v (%v)", i, n, r.gzLen(), bytes.Equal(got, page), err)
		}
	}
	if sh := c.shared["listing"]; len(c.shared) != 1 || sh == nil || sh.refs != sharing {
		t.Fatalf("shared parts: %d kept; want one, held by the %d pages that share it", len(c.shared), sharing)
	}
	for i := range 3000 { // 3,000 responses of about 600 bytes: more than the budget
		key := fmt.Sprint("filler-", i)
		r := &cachedResponse{key: key, size: 1}
		if err := c.compress(r, bytes.Repeat([]byte{byte(i)}, 4000), sharedMark{}); err != nil {
			t.Fatal(err)
		}
		c.put(r, true) // protected, as a page asked for again: the pages above go
	}
	check(t, c)
	if len(c.shared) != 0 || c.sharedUsed != 0 {
		t.Fatalf("after the pages sharing it went: %d shared parts, %d bytes counted", len(c.shared), c.sharedUsed)
	}
}

// Plain copies of kept responses may fill what the kept responses leave of
// the budget: a cache of a few pages keeps them all plain. When responses
// need the room, the copies beyond their own small allowance go first.
func TestResponseCacheKeepsPlainCopiesInFreeRoom(t *testing.T) {
	c := newResponseCache(4 << 20) // plain copies always allowed: 256 KiB, each at most 32 KiB
	keep := func(key string, body []byte) {
		r := &cachedResponse{key: key, size: len(body)}
		if err := c.compress(r, body, sharedMark{}); err != nil {
			t.Fatal(err)
		}
		c.put(r, false)
	}
	page := func(i int) []byte { return bytes.Repeat(fmt.Appendf(nil, "<p>page %d</p>\n", i), 1300) } // about 20 KB
	for i := range 30 {
		keep(fmt.Sprint("page-", i), page(i))
	}
	for range 2 {
		for i := range 30 {
			r, _, _ := c.begin(fmt.Sprint("page-", i), true)
			if b, err := c.plainBody(r); err != nil || !bytes.Equal(b, page(i)) {
				t.Fatalf("page %d: %v", i, err)
			}
		}
	}
	check(t, c)
	if c.hot.Len() != 30 || c.hotUsed <= c.hotBudget {
		t.Fatalf("a cache of 30 pages keeps %d of them plain (%d bytes, %d always allowed); want all 30", c.hot.Len(), c.hotUsed, c.hotBudget)
	}
	for i := range 8000 { // responses of about 600 bytes, more than the budget
		keep(fmt.Sprint("filler-", i), bytes.Repeat([]byte{byte(i)}, 4000))
		if i%1000 == 0 {
			check(t, c)
		}
	}
	check(t, c)
	if c.hotUsed > c.hotBudget {
		t.Fatalf("with the budget full of responses, %d bytes of plain copies are kept; want at most %d", c.hotUsed, c.hotBudget)
	}
}
