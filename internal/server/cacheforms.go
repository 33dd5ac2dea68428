package server

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"net/http"
	"slices"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/s2"
)

// A kept response's body is kept compressed, in one or both of two
// encodings: gzip, which clients that accept it (browsers, proxies) get
// as kept, and S2, for the others, which unpacks about nine times faster
// than gzip (17 µs against 151 µs for a 44 KB page at 1M cards; a Zipf
// mix of plain requests spent 39% of the server's CPU unzipping kept
// pages) in 1.3 times gzip's bytes. A response is kept in the encoding
// its first client asked for, and gains the other the first time a
// client asks for that, so that each encoding is made once.
//
// Every page of a listing carries the same sidebar, about half of the
// page's bytes (25 KB of a 54 KB page at 1M cards). The response cache
// keeps it once: a page is kept as three pieces, the part before the
// sidebar, the sidebar (shared by every kept page of the listing) and
// the part after it. In S2 each piece is a block of its own. In gzip they
// are pieces of one gzip stream: the gzip header and a DEFLATE fragment,
// a fragment, and the last fragment and the gzip trailer. Each fragment
// is compressed on its own (no reference to the bytes before it) and all
// but the last end with a sync flush, on a byte boundary, so that their
// concatenation is one valid DEFLATE stream: the pieces written one after
// the other are the page gzipped, as a client reads it. A page kept so
// takes about half the memory, and a miss compresses half the bytes.

// encoding is a form a kept body is kept in.
type encoding int

const (
	encGzip encoding = iota
	encS2
	encodings // how many there are
)

// pieces is a body in one encoding: its part before the shared part
// (the whole body when there is none) and after it. head is nil when the
// body is not kept in that encoding.
type pieces struct{ head, tail []byte }

func (p pieces) len() int { return len(p.head) + len(p.tail) }

// encodedBody is a body in one encoding, its pieces in order.
type encodedBody [3][]byte

func (b encodedBody) len() int { return len(b[0]) + len(b[1]) + len(b[2]) }

func (b encodedBody) writeTo(w io.Writer) {
	for _, p := range b {
		if len(p) > 0 {
			w.Write(p)
		}
	}
}

// span is a byte range [start, end) of a response body.
type span struct{ start, end int }

// sharedMark is what the handler said of the body it wrote: the bytes at
// at are the same in every response marked with key.
type sharedMark struct {
	key string
	at  span
}

// markShared tells the response cache that the bytes of the response
// written to w at span at are the same, byte for byte, in every response
// marked with key (a listing's sidebar, keyed by dataset, route and the
// listing's page 1), so that it keeps them once.
func markShared(w http.ResponseWriter, key string, at span) {
	if cw := captureOf(w); cw != nil {
		cw.shared = sharedMark{key, at}
	}
}

// sharedPart is a piece of kept responses that many of them hold.
type sharedPart struct {
	key string
	// form is the part in each encoding it is kept in, nil for the
	// others; in gzip, an independent DEFLATE fragment, sync-flushed.
	form [encodings][]byte
	size int    // its length unpacked
	crc  uint32 // the CRC-32 of its bytes unpacked
	refs int    // the kept responses that hold it (responseCache.mu)
}

// cost is what a shared part counts against the budget, once.
func (p *sharedPart) cost() int {
	n := len(p.key) + 64
	for _, f := range p.form {
		n += len(f)
	}
	return n
}

// same reports whether p and q are the same bytes.
func (p *sharedPart) same(q *sharedPart) bool { return p.size == q.size && p.crc == q.crc }

// body returns r's body in encoding enc, and whether r is kept in it.
// c.mu is held once r is kept.
func (r *cachedResponse) body(enc encoding) (encodedBody, bool) {
	f := r.form[enc]
	if f.head == nil {
		return encodedBody{}, false
	}
	if r.shared == nil {
		return encodedBody{f.head}, true
	}
	if r.shared.form[enc] == nil {
		return encodedBody{}, false
	}
	return encodedBody{f.head, r.shared.form[enc], f.tail}, true
}

// gzipHeader starts a gzip member: no name, no time, DEFLATE at its
// fastest (XFL 4), from an unknown OS, as compress/gzip writes it.
var gzipHeader = [10]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 4, 255}

// encoder is a DEFLATE writer and the buffers it and S2 write to.
type encoder struct {
	fw  *flate.Writer
	out bytes.Buffer
	s2  []byte
}

func newEncoder() *encoder {
	fw, _ := flate.NewWriter(io.Discard, flate.BestSpeed)
	return &encoder{fw: fw}
}

// fragment returns prefix followed by b compressed on its own: ending
// with a sync flush when more fragments follow, with the final block and
// then the gzip trailer of the whole body (crc, size) otherwise. The
// result is a copy of its exact size (the budget counts lengths).
func (g *encoder) fragment(prefix, b []byte, last bool, crc uint32, size int) ([]byte, error) {
	g.out.Reset()
	g.out.Write(prefix)
	g.fw.Reset(&g.out)
	if _, err := g.fw.Write(b); err != nil {
		return nil, err
	}
	if !last {
		if err := g.fw.Flush(); err != nil {
			return nil, err
		}
		return bytes.Clone(g.out.Bytes()), nil
	}
	if err := g.fw.Close(); err != nil {
		return nil, err
	}
	out := make([]byte, g.out.Len(), g.out.Len()+8)
	copy(out, g.out.Bytes())
	out = binary.LittleEndian.AppendUint32(out, crc)
	return binary.LittleEndian.AppendUint32(out, uint32(size)), nil // #nosec G115 -- ISIZE is the size modulo 2^32 (RFC 1952); a kept body is at most 1 MiB
}

// block returns b as an S2 block, a copy of its exact size.
func (g *encoder) block(b []byte) []byte {
	if n := s2.MaxEncodedLen(len(b)); cap(g.s2) < n {
		g.s2 = make([]byte, n)
	}
	return slices.Clone(s2.Encode(g.s2, b))
}

// piece returns part of a body of the given crc and size in encoding
// enc: first and last say whether it starts or ends the body.
func (g *encoder) piece(enc encoding, part []byte, first, last bool, crc uint32, size int) ([]byte, error) {
	if enc == encS2 {
		return g.block(part), nil
	}
	var prefix []byte
	if first {
		prefix = gzipHeader[:]
	}
	return g.fragment(prefix, part, last, crc, size)
}

// compress sets r's body in encoding enc from body: whole, or around the
// shared part that mark names (not for a response in the odd segment,
// which keeps to its own budget). A shared part already kept in enc is
// not compressed again.
func (c *responseCache) compress(r *cachedResponse, body []byte, mark sharedMark, enc encoding) error {
	g := <-c.encoders
	defer func() { c.encoders <- g }()
	crc := crc32.ChecksumIEEE(body)
	at := mark.at
	if mark.key == "" || r.nonCanonical || at.start < 0 || at.start >= at.end || at.end > len(body) {
		head, err := g.piece(enc, body, true, true, crc, len(body))
		r.form[enc] = pieces{head: head}
		return err
	}
	part := body[at.start:at.end]
	sh := &sharedPart{key: mark.key, size: len(part), crc: crc32.ChecksumIEEE(part)}
	c.mu.Lock()
	if kept := c.shared[mark.key]; kept != nil && kept.same(sh) && kept.form[enc] != nil {
		sh = kept
	}
	c.mu.Unlock()
	if sh.form[enc] == nil {
		var err error
		if sh.form[enc], err = g.piece(enc, part, false, false, 0, 0); err != nil {
			return err
		}
	}
	head, err := g.piece(enc, body[:at.start], true, false, 0, 0)
	if err != nil {
		return err
	}
	tail, err := g.piece(enc, body[at.end:], false, true, crc, len(body))
	if err != nil {
		return err
	}
	r.form[enc], r.shared, r.sharedAt = pieces{head, tail}, sh, at
	return nil
}

// holdShared makes r hold the kept copy of its shared part, keeping r's
// own when there is none, and adding the encodings r's has and the kept
// one lacks; false when a different part is kept under the same key
// (then r is not to be kept). c.mu is held.
func (c *responseCache) holdShared(r *cachedResponse) bool {
	if r.shared == nil {
		return true
	}
	kept, ok := c.shared[r.shared.key]
	switch {
	case !ok:
		kept = r.shared
		c.shared[kept.key] = kept
		c.sharedUsed += kept.cost()
	case !kept.same(r.shared):
		return false
	default:
		c.mergeShared(kept, r.shared)
	}
	kept.refs++
	r.shared = kept
	return true
}

// mergeShared adds to the kept shared part the encodings of its bytes
// that from has and it lacks. c.mu is held.
func (c *responseCache) mergeShared(kept, from *sharedPart) {
	for enc, f := range from.form {
		if kept.form[enc] == nil && f != nil {
			kept.form[enc] = f
			c.sharedUsed += len(f)
		}
	}
}

// releaseShared lets go of r's shared part, dropping it when no kept
// response holds it any more. c.mu is held.
func (c *responseCache) releaseShared(r *cachedResponse) {
	sh := r.shared
	if sh == nil {
		return
	}
	if sh.refs--; sh.refs == 0 {
		delete(c.shared, sh.key)
		c.sharedUsed -= sh.cost()
	}
}

// encoded returns r's body in encoding enc, from the cache or made now
// from the body in the other encoding (and then kept too while r is).
// Requests that ask for it while it is being made wait for that making
// instead of each making it: a page's first clients of the other
// encoding come in dozens at once when the page is popular.
func (c *responseCache) encoded(r *cachedResponse, enc encoding) (encodedBody, error) {
	c.mu.Lock()
	b, ok := r.body(enc)
	wait := r.making[enc]
	if !ok && wait == nil {
		done := make(chan struct{})
		r.making[enc] = done
		defer func() {
			c.mu.Lock()
			r.making[enc] = nil
			c.mu.Unlock()
			close(done)
		}()
	}
	c.mu.Unlock()
	if ok {
		return b, nil
	}
	if wait != nil {
		<-wait
		c.mu.Lock()
		b, ok = r.body(enc)
		c.mu.Unlock()
		if ok {
			return b, nil
		}
		// Made, but not kept (the response left the cache meanwhile):
		// made again here.
	}
	plain := c.buffer()
	defer c.release(plain)
	if _, err := c.unpack(r, plain); err != nil {
		return encodedBody{}, err
	}
	return c.keepAs(r, plain.Bytes(), enc)
}

// plain appends r's body to buf, unpacked from S2. A response kept only
// gzipped is unzipped, and kept in S2 too from then on.
func (c *responseCache) plain(r *cachedResponse, buf *bytes.Buffer) error {
	fromS2, err := c.unpack(r, buf)
	if err != nil || fromS2 || r.spilled {
		return err
	}
	_, err = c.keepAs(r, buf.Bytes(), encS2)
	return err
}

// keepAs returns body, r's body, in encoding enc, and keeps it so while
// r is kept.
func (c *responseCache) keepAs(r *cachedResponse, body []byte, enc encoding) (encodedBody, error) {
	made := &cachedResponse{key: r.key, size: r.size, nonCanonical: r.nonCanonical}
	var mark sharedMark
	if r.shared != nil {
		mark = sharedMark{r.shared.key, r.sharedAt}
	}
	if err := c.compress(made, body, mark, enc); err != nil {
		return encodedBody{}, err
	}
	c.addForm(r, made, enc)
	b, _ := made.body(enc)
	return b, nil
}

// addForm adds to r, if it is still kept, its body in encoding enc as
// made holds it, and makes room for it. c.mu is not held.
func (c *responseCache) addForm(r, made *cachedResponse, enc encoding) {
	defer c.flushSpills()
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byKey[r.key]; !ok || e.Value.(*cachedResponse) != r || r.form[enc].head != nil {
		return
	}
	if r.shared != nil {
		if made.shared == nil || !made.shared.same(r.shared) {
			return
		}
		c.mergeShared(r.shared, made.shared)
	}
	r.form[enc] = made.form[enc]
	c.charge(r, made.form[enc].len())
	c.shrink()
}

// errCorrupt is a kept body that does not unpack to its size.
var errCorrupt = errors.New("response cache: a kept body does not unpack to its size")

// unpack appends r's body to buf, from S2 if r is kept in it (fromS2),
// else unzipped.
func (c *responseCache) unpack(r *cachedResponse, buf *bytes.Buffer) (fromS2 bool, err error) {
	c.mu.Lock()
	b, fromS2 := r.body(encS2)
	if !fromS2 {
		b, _ = r.body(encGzip)
	}
	c.mu.Unlock()
	if !fromS2 {
		return false, c.gunzip(b, r.size, buf)
	}
	buf.Grow(r.size)
	dst := buf.AvailableBuffer()[:r.size]
	n := 0
	for _, p := range b {
		if p == nil {
			continue
		}
		// Each piece unpacks in place, where the one before it ended.
		size, err := s2.DecodedLen(p)
		if err != nil {
			return true, err
		}
		if n+size > len(dst) {
			return true, errCorrupt
		}
		if _, err := s2.Decode(dst[n:n+size], p); err != nil {
			return true, err
		}
		n += size
	}
	if n != r.size {
		return true, errCorrupt
	}
	buf.Write(dst)
	return true, nil
}

// gunzip appends the gzipped body b of the given size to buf. The
// pieces are read one after the other without joining them, which would
// copy the page's gzipped bytes for every unzipping. (A gzip reader
// reads a reader that is not an io.ByteReader through a bufio.Reader it
// keeps across Resets, which the DEFLATE decoder has a fast path for, as
// it has for a bytes.Reader.)
func (c *responseCache) gunzip(b encodedBody, size int, buf *bytes.Buffer) error {
	zr, ok := c.readers.Take()
	if !ok {
		zr = new(gzip.Reader)
	}
	defer c.readers.Give(zr)
	var in io.Reader = bytes.NewReader(b[0])
	if b[1] != nil {
		in = io.MultiReader(bytes.NewReader(b[0]), bytes.NewReader(b[1]), bytes.NewReader(b[2]))
	}
	if err := zr.Reset(in); err != nil {
		return err
	}
	buf.Grow(size)
	n, err := io.Copy(buf, zr)
	if err == nil && n != int64(size) {
		err = errCorrupt
	}
	return err
}
