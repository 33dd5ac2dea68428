package server

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"testing"
)

// spillOf returns a job for a response of n random (incompressible)
// bytes, kept in S2.
func spillOf(t *testing.T, c *responseCache, key string, n int, rnd *rand.Rand) spillJob {
	t.Helper()
	body := make([]byte, n)
	for i := range body {
		body[i] = byte(rnd.Uint32())
	}
	r := &cachedResponse{key: key, size: n, header: http.Header{"Etag": {`"` + key + `"`}}}
	if err := c.compress(r, body, sharedMark{}, encS2); err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	j, ok := c.spillJobOf(r)
	if !ok {
		t.Fatal("no spill job")
	}
	return j
}

// The spill file is a ring: writing past its budget starts again at the
// start and forgets exactly the records it writes over. Every record in
// the index reads back whole, none overlaps another, and the file never
// grows past the budget.
func TestSpillFileIsARing(t *testing.T) {
	const budget = 64 << 10
	c := newResponseCache(1<<20, newSpillFile(t.TempDir(), budget, nil))
	s := c.spill
	rnd := rand.New(rand.NewPCG(1, 2))
	for i := range 1000 {
		s.write(spillOf(t, c, fmt.Sprintf("k%d", i), 200+rnd.IntN(7000), rnd))
		if i < 40 || i%37 != 0 {
			continue
		}
		s.mu.Lock()
		locs := map[string]spillLoc{}
		for k, v := range s.index {
			locs[k] = v.spillLoc
		}
		s.mu.Unlock()
		if len(locs) < 8 {
			t.Fatalf("after %d records, %d in the index: the ring forgets too much", i+1, len(locs))
		}
		for k, a := range locs {
			if a.off+int64(a.n) > budget {
				t.Fatalf("%s at [%d, %d): past the budget", k, a.off, a.off+int64(a.n))
			}
			for k2, b := range locs {
				if k != k2 && a.off < b.off+int64(b.n) && b.off < a.off+int64(a.n) {
					t.Fatalf("%s [%d,+%d) overlaps %s [%d,+%d)", k, a.off, a.n, k2, b.off, b.n)
				}
			}
			r := s.read(k, new(bytes.Buffer), true)
			if r == nil || r.key != k || r.header.Get("ETag") != `"`+k+`"` || r.form[encS2].head == nil {
				t.Fatalf("%s does not read back: %+v", k, r)
			}
		}
	}
	if st, err := s.f.Stat(); err != nil || st.Size() > budget {
		t.Fatalf("the file is %d bytes (%v); the budget is %d", st.Size(), err, budget)
	}
	// The newest record is always kept; a key already in the file is not
	// written again.
	s.mu.Lock()
	_, newest := s.index["k999"]
	off := s.off
	s.mu.Unlock()
	if !newest {
		t.Error("the newest record is not in the index")
	}
	s.write(spillOf(t, c, "k999", 1000, rnd))
	if s.off != off {
		t.Errorf("a key already spilled was written again (%d -> %d)", off, s.off)
	}
}

// A record damaged in the file (a bit flipped, or written over) is not
// served: it is dropped from the index, and the response is computed.
func TestSpillFileDropsADamagedRecord(t *testing.T) {
	c := newResponseCache(1<<20, newSpillFile(t.TempDir(), 1<<20, nil))
	s := c.spill
	rnd := rand.New(rand.NewPCG(3, 4))
	s.write(spillOf(t, c, "a", 2000, rnd))
	s.write(spillOf(t, c, "b", 2000, rnd))
	at := s.index["a"]
	one := make([]byte, 1)
	if _, err := s.f.ReadAt(one, at.off+int64(at.n)/2); err != nil {
		t.Fatal(err)
	}
	one[0] ^= 0x10
	if _, err := s.f.WriteAt(one, at.off+int64(at.n)/2); err != nil {
		t.Fatal(err)
	}
	if r := s.read("a", new(bytes.Buffer), true); r != nil {
		t.Fatal("a damaged record was read back")
	}
	if _, ok := s.index["a"]; ok {
		t.Error("a damaged record stays in the index")
	}
	if r := s.read("b", new(bytes.Buffer), true); r == nil {
		t.Error("the record after it no longer reads")
	}
	// Asked under another key (a different dataset), a record is not
	// served either.
	b := s.index["b"]
	s.index["c"] = b
	if r := s.read("c", new(bytes.Buffer), true); r != nil {
		t.Error("a record was served for a key not its own")
	}
}

// A page served plain is spilled plain too, and later plain requests
// read it from there rather than unpacking the kept copy: here that copy
// is damaged after the first request, and the page still comes back
// whole.
func TestPlainBodyIsReadFromTheSpillFile(t *testing.T) {
	c := newResponseCache(1<<20, newSpillFile(t.TempDir(), 1<<20, nil))
	rnd := rand.New(rand.NewPCG(5, 6))
	body := make([]byte, 5000)
	for i := range body {
		body[i] = byte(rnd.Uint32())
	}
	r := &cachedResponse{key: "k", size: len(body), header: http.Header{"Etag": {`"k"`}}}
	if err := c.compress(r, body, sharedMark{}, encS2); err != nil {
		t.Fatal(err)
	}
	c.put(r, false)
	serve := func() *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		if !c.serve(rec, httptest.NewRequest("GET", "/", nil), r) {
			t.Fatal("not served")
		}
		return rec
	}
	if rec := serve(); !bytes.Equal(rec.Body.Bytes(), body) {
		t.Fatal("the first answer is not the body")
	}
	if _, ok := c.spill.index[plainKey("k")]; !ok {
		t.Fatal("the plain body was not spilled")
	}
	c.mu.Lock()
	r.form[encS2].head = r.form[encS2].head[:3] // unpacking it now fails
	c.mu.Unlock()
	if rec := serve(); !bytes.Equal(rec.Body.Bytes(), body) || rec.Header().Get("ETag") != `"k"` || rec.Header().Get("Content-Length") != "5000" {
		t.Fatalf("from the spill file: %d bytes, ETag %s, Content-Length %s", rec.Body.Len(), rec.Header().Get("ETag"), rec.Header().Get("Content-Length"))
	}
}

// When a record cannot be written (a full disk), the file stops taking
// records and says why, once; the records already in it are still read.
func TestSpillFileStopsWhenAWriteFails(t *testing.T) {
	var why []error
	c := newResponseCache(1<<20, newSpillFile(t.TempDir(), 1<<20, func(err error) { why = append(why, err) }))
	s := c.spill
	rnd := rand.New(rand.NewPCG(7, 8))
	s.write(spillOf(t, c, "a", 2000, rnd))
	// A file that refuses writes, reading what the real one holds.
	ro, err := os.Open(fmt.Sprintf("/proc/self/fd/%d", s.f.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	s.f = ro
	s.write(spillOf(t, c, "b", 2000, rnd))
	s.write(spillOf(t, c, "c", 2000, rnd))
	if len(why) != 1 || !s.broken {
		t.Fatalf("told %d times (%v), broken %v; want once", len(why), why, s.broken)
	}
	if _, ok := s.index["b"]; ok {
		t.Error("a record that was not written is indexed")
	}
	if r := s.read("a", new(bytes.Buffer), true); r == nil {
		t.Error("the record written before no longer reads")
	}
}

// A spill directory that does not exist is an error when the server
// starts, not a silent lack of the file.
func TestSpillDirectoryIsChecked(t *testing.T) {
	if _, err := New(nil, Config{SpillBytes: 1 << 20, SpillDir: t.TempDir() + "/missing"}); err == nil {
		t.Error("no error for a missing spill directory")
	}
}

// A key is written again when its new job has a body its record lacks
// (a page spilled in S2, then kept gzipped for a browser), and not
// otherwise.
func TestSpillFileRewritesAKeyWithNewBodies(t *testing.T) {
	c := newResponseCache(1<<20, newSpillFile(t.TempDir(), 1<<20, nil))
	s := c.spill
	rnd := rand.New(rand.NewPCG(9, 10))
	s.write(spillOf(t, c, "k", 2000, rnd)) // S2 only
	off := s.off
	s.write(spillOf(t, c, "k", 2000, rnd))
	if s.off != off {
		t.Fatal("the same bodies were written again")
	}
	body := make([]byte, 2000)
	r := &cachedResponse{key: "k", size: len(body), header: http.Header{}}
	if err := c.compress(r, body, sharedMark{}, encGzip); err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	j, _ := c.spillJobOf(r)
	c.mu.Unlock()
	s.write(j)
	got := s.read("k", new(bytes.Buffer), true)
	if got == nil || got.form[encGzip].head == nil {
		t.Fatalf("the gzipped body was not spilled: %+v", got)
	}
}

// The index holds at most maxSpillRecords records, whatever the budget.
func TestSpillFileIndexIsBounded(t *testing.T) {
	c := newResponseCache(1<<20, newSpillFile(t.TempDir(), 256<<20, nil))
	s := c.spill
	for i := range maxSpillRecords + 500 {
		s.write(spillJob{key: fmt.Sprintf("p%d", i), header: http.Header{}, size: 1, plain: []byte{'x'}})
	}
	if len(s.index) > maxSpillRecords {
		t.Errorf("%d records indexed; at most %d", len(s.index), maxSpillRecords)
	}
	if _, ok := s.index[fmt.Sprintf("p%d", maxSpillRecords+499)]; !ok {
		t.Error("the newest record is not indexed")
	}
}

// Writing a record reuses the writer's buffer: a page's plain body,
// spilled, allocates nothing the size of the page (a round of the
// uniform mix writes thousands of them).
func TestSpillWriteReusesItsBuffer(t *testing.T) {
	c := newResponseCache(1<<20, newSpillFile(t.TempDir(), 64<<20, nil))
	if err := c.spill.start(); err != nil {
		t.Fatal(err)
	}
	body := bytes.Repeat([]byte("a page of cards "), 54_000/16)
	header := http.Header{"Etag": {`"e"`}, "Content-Type": {"text/html; charset=utf-8"}}
	c.spillPlain("k0", header, body) // the buffer grows once
	const n = 200
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := range n {
		c.spillPlain(fmt.Sprintf("k%d", i+1), header, body)
	}
	runtime.ReadMemStats(&after)
	bytesPer := (after.TotalAlloc - before.TotalAlloc) / n
	if bytesPer > 4<<10 {
		t.Fatalf("a plain record of %d bytes allocated %d bytes to write", len(body), bytesPer)
	}
}
