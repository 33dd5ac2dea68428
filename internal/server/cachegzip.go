package server

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"io"
	"net/http"

	"github.com/klauspost/compress/flate"
)

// Every page of a listing carries the same sidebar, about half of the
// page's bytes (25 KB of a 54 KB page at 1M cards). The response cache
// keeps it once: a page is kept as three pieces of one gzip stream, the
// part before the sidebar (the gzip header and a DEFLATE fragment), the
// sidebar (a fragment of its own, shared by every kept page of the
// listing) and the part after it (the last fragment and the gzip
// trailer). Each fragment is compressed on its own (no reference to the
// bytes before it) and all but the last end with a sync flush, on a byte
// boundary, so that their concatenation is one valid DEFLATE stream: the
// pieces written one after the other are the page gzipped, as a client
// reads it. A page kept so takes about half the memory, and a miss
// compresses half the bytes.

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
	key  string
	gz   []byte // an independent DEFLATE fragment, sync-flushed
	size int    // its length unzipped
	crc  uint32 // the CRC-32 of its bytes unzipped
	refs int    // the kept responses that hold it (responseCache.mu)
}

// cost is what a shared part counts against the budget, once.
func (p *sharedPart) cost() int { return len(p.gz) + len(p.key) + 64 }

// gzLen is the length of r's body gzipped.
func (r *cachedResponse) gzLen() int {
	if r.shared == nil {
		return len(r.gz)
	}
	return len(r.gz) + len(r.shared.gz) + len(r.tail)
}

// writeGzip writes r's body gzipped.
func (r *cachedResponse) writeGzip(w io.Writer) {
	w.Write(r.gz)
	if r.shared != nil {
		w.Write(r.shared.gz)
		w.Write(r.tail)
	}
}

// gzipReader reads r's body gzipped, its pieces one after the other
// without joining them, which copied the page's gzipped bytes for every
// unzipping. (A gzip reader reads a reader that is not an io.ByteReader
// through a bufio.Reader it keeps across Resets, which the DEFLATE
// decoder has a fast path for, as it has for a bytes.Reader.)
func (r *cachedResponse) gzipReader() io.Reader {
	if r.shared == nil {
		return bytes.NewReader(r.gz)
	}
	return io.MultiReader(bytes.NewReader(r.gz), bytes.NewReader(r.shared.gz), bytes.NewReader(r.tail))
}

// gzipHeader starts a gzip member: no name, no time, DEFLATE at its
// fastest (XFL 4), from an unknown OS, as compress/gzip writes it.
var gzipHeader = [10]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 4, 255}

// gzipper is a DEFLATE writer and the buffer it writes to.
type gzipper struct {
	fw  *flate.Writer
	out bytes.Buffer
}

func newGzipper() *gzipper {
	fw, _ := flate.NewWriter(io.Discard, flate.BestSpeed)
	return &gzipper{fw: fw}
}

// fragment returns prefix followed by b compressed on its own: ending
// with a sync flush when more fragments follow, with the final block and
// then the gzip trailer of the whole body (crc, size) otherwise. The
// result is a copy of its exact size (the budget counts lengths).
func (g *gzipper) fragment(prefix, b []byte, last bool, crc uint32, size int) ([]byte, error) {
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

// compress sets r's gzipped body from body: whole, or around the shared
// part that mark names (not for a response in the odd segment, which
// keeps to its own budget). A shared part already kept is not compressed
// again.
func (c *responseCache) compress(r *cachedResponse, body []byte, mark sharedMark) error {
	g := <-c.writers
	defer func() { c.writers <- g }()
	crc := crc32.ChecksumIEEE(body)
	at := mark.at
	if mark.key == "" || r.nonCanonical || at.start < 0 || at.start >= at.end || at.end > len(body) {
		var err error
		r.gz, err = g.fragment(gzipHeader[:], body, true, crc, len(body))
		return err
	}
	part := body[at.start:at.end]
	sh := &sharedPart{key: mark.key, size: len(part), crc: crc32.ChecksumIEEE(part)}
	c.mu.Lock()
	kept := c.shared[mark.key]
	c.mu.Unlock()
	if kept != nil && kept.size == sh.size && kept.crc == sh.crc {
		sh = kept
	} else {
		var err error
		if sh.gz, err = g.fragment(nil, part, false, 0, 0); err != nil {
			return err
		}
	}
	head, err := g.fragment(gzipHeader[:], body[:at.start], false, 0, 0)
	if err != nil {
		return err
	}
	tail, err := g.fragment(nil, body[at.end:], true, crc, len(body))
	if err != nil {
		return err
	}
	r.gz, r.shared, r.tail = head, sh, tail
	return nil
}

// holdShared makes r hold the kept copy of its shared part, keeping r's
// own when there is none; false when a different part is kept under the
// same key (then r is not to be kept). c.mu is held.
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
	case kept.size != r.shared.size || kept.crc != r.shared.crc:
		return false
	}
	kept.refs++
	r.shared = kept
	return true
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
