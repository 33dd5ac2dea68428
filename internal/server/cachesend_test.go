package server

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"testing"
	"time"
)

// A plain body read back whole once is then sent from the spill file
// (sendfile, through the access log's writer, over a real connection),
// byte for byte, with its headers: here the copy kept in memory is
// damaged after the first request, so every later answer comes from the
// file, and the third and later from a description of their own.
func TestPlainBodyIsSentFromTheSpillFile(t *testing.T) {
	c := newResponseCache(1<<20, newSpillFile(t.TempDir(), 1<<20, nil))
	if err := c.spill.start(); err != nil {
		t.Fatal(err)
	}
	if c.spill.senders == nil {
		t.Fatal("no descriptions to send from: /proc/self/fd did not open the file again")
	}
	rnd := rand.New(rand.NewPCG(7, 8))
	body := make([]byte, 70_000)
	for i := range body {
		body[i] = byte(rnd.Uint32())
	}
	r := &cachedResponse{key: "k", size: len(body), header: http.Header{"Etag": {`"k"`}, "Content-Type": {"text/html; charset=utf-8"}}}
	if err := c.compress(r, body, sharedMark{}, encS2); err != nil {
		t.Fatal(err)
	}
	c.put(r, false)
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		if !c.serve(sw, req, r) {
			t.Error("not served")
		}
		if sw.bytes != len(body) && req.Method == http.MethodGet {
			t.Errorf("the access log counted %d bytes of %d", sw.bytes, len(body))
		}
	}))
	ts.Config.ConnContext = ConnContext // headers corked with the body, as cardex serve does
	ts.Start()
	defer ts.Close()
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	get := func(i int) {
		t.Helper()
		resp, err := client.Get(ts.URL)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || !bytes.Equal(got, body) || resp.Header.Get("ETag") != `"k"` ||
			resp.Header.Get("Content-Length") != strconv.Itoa(len(body)) || resp.Header.Get("Content-Encoding") != "" {
			t.Fatalf("request %d: %d bytes (%v), equal %v, ETag %s, Content-Length %s", i, len(got), err, bytes.Equal(got, body),
				resp.Header.Get("ETag"), resp.Header.Get("Content-Length"))
		}
	}
	get(1) // unpacked from memory, and spilled plain
	c.mu.Lock()
	r.form[encS2].head = r.form[encS2].head[:3] // unpacking it now fails
	c.mu.Unlock()
	get(2) // read from the file into the heap, its CRC checked
	if n := c.spill.sent.Load(); n != 0 {
		t.Fatalf("%d bodies sent before the record's CRC was checked", n)
	}
	for i := 3; i < 3+2*spillSenders; i++ {
		get(i)
	}
	if n := c.spill.sent.Load(); n != 2*spillSenders {
		t.Fatalf("%d bodies sent from the file; want %d", n, 2*spillSenders)
	}
	// The client has the whole body before the handler lets its pin go:
	// wait for the handler, not a time.
	pinned := func() int {
		c.spill.mu.Lock()
		defer c.spill.mu.Unlock()
		return len(c.spill.pins)
	}
	for deadline := time.Now().Add(5 * time.Second); pinned() != 0 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	if n := pinned(); n != 0 {
		t.Fatalf("%d records still pinned after the requests", n)
	}
}

// A record being sent is never written over: the ring's writes skip
// past it (a slow client costs the ring that record, not its writes),
// and the body sent is the one pinned. Once the sending ends, the ring
// goes on over its place.
func TestPinnedRecordIsNotWrittenOver(t *testing.T) {
	const budget = 64 << 10
	c := newResponseCache(1<<20, newSpillFile(t.TempDir(), budget, nil))
	s := c.spill
	if err := s.start(); err != nil {
		t.Fatal(err)
	}
	rnd := rand.New(rand.NewPCG(9, 10))
	for i := range 5 { // the pinned record is not at the start
		s.write(spillOf(t, c, fmt.Sprintf("j%d", i), 3000, rnd))
	}
	body := make([]byte, 6000)
	for i := range body {
		body[i] = byte(rnd.Uint32())
	}
	c.spillPlain("p", http.Header{"Etag": {`"p"`}}, body)
	if s.read(plainKey("p"), new(bytes.Buffer), false) == nil { // checks its CRC
		t.Fatal("the plain record does not read back")
	}
	send := s.pinPlain(plainKey("p"))
	if send == nil {
		t.Fatal("not pinned")
	}
	if resp := send.response(new(bytes.Buffer)); resp == nil || resp.header.Get("ETag") != `"p"` || resp.size != len(body) || resp.send != send {
		t.Fatalf("the record's headers do not read back: %+v", resp)
	}
	pinned := s.index[plainKey("p")].spillLoc
	overlaps := func(v spillLoc) bool {
		return v.off < pinned.off+int64(pinned.n) && pinned.off < v.off+int64(v.n)
	}
	for i := range 200 { // about eight laps of the ring
		s.write(spillOf(t, c, fmt.Sprintf("k%d", i), 500+rnd.IntN(3000), rnd))
		s.mu.Lock()
		for k, v := range s.index {
			if k != plainKey("p") && overlaps(v.spillLoc) {
				t.Fatalf("%s [%d,+%d) was written over the pinned record [%d,+%d)", k, v.off, v.n, pinned.off, pinned.n)
			}
		}
		_, newest := s.index[fmt.Sprintf("k%d", i)]
		s.mu.Unlock()
		if !newest {
			t.Fatalf("k%d was not written: the ring stopped at the pinned record", i)
		}
	}
	got := httptest.NewRecorder()
	if err := send.writeTo(context.Background(), got); err != nil || !bytes.Equal(got.Body.Bytes(), body) {
		t.Fatalf("sent %d bytes (%v), equal %v", got.Body.Len(), err, bytes.Equal(got.Body.Bytes(), body))
	}
	send.release()
	if len(s.pins) != 0 {
		t.Fatal("still pinned after release")
	}
	over := false
	for i := range 100 {
		s.write(spillOf(t, c, fmt.Sprintf("m%d", i), 500+rnd.IntN(3000), rnd))
		s.mu.Lock()
		for _, v := range s.index {
			over = over || overlaps(v.spillLoc)
		}
		s.mu.Unlock()
	}
	if !over {
		t.Error("the ring did not go on over the record's place once it was let go")
	}
}

// No more than maxSpillSenders descriptions of the file are open at
// once (slow readers hold theirs; a server short of descriptors needs
// them for connections): past that, bodies are copied. Once they are
// given back, the kept ones are all that stay open.
func TestSpillSendersAreBounded(t *testing.T) {
	s := newSpillFile(t.TempDir(), 1<<20, nil)
	if err := s.start(); err != nil {
		t.Fatal(err)
	}
	var held []*os.File
	for range maxSpillSenders {
		g := s.sender()
		if g == nil {
			t.Fatalf("only %d descriptions opened; want %d", len(held), maxSpillSenders)
		}
		held = append(held, g)
	}
	if g := s.sender(); g != nil {
		t.Fatalf("a description past the %d allowed", maxSpillSenders)
	}
	for _, g := range held {
		s.putSender(g)
	}
	if n := s.extraSenders.Load(); n != 0 || len(s.senders) != spillSenders {
		t.Fatalf("%d extra descriptions open and %d kept after all were given back; want 0 and %d", n, len(s.senders), spillSenders)
	}
	if g := s.sender(); g == nil {
		t.Fatal("no description once they were given back")
	}
}
