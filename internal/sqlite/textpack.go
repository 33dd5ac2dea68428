package sqlite

import (
	"bytes"
	"compress/flate"
	"context"
	"database/sql"
	"database/sql/driver"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"net/url"

	"cardex/internal/memo"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// Summaries are most of a card's bytes (314 MB of text at 1M cards) and
// are stored compressed (migration 0011): cards.summary is a BLOB, a
// format byte and a raw DEFLATE stream against a preset dictionary, or
// the TEXT itself when compressing would not make it smaller. Each
// summary is compressed on its own, so reading one costs a few µs. Go
// reads it as it scans a row (textCodec.into); SQL that needs the text
// itself (the search index's content view) calls card_unpack(summary), a
// function every connection of a Store has. The importer packs in Go.

// summaryDictV1 is the preset dictionary of format 1: 8 KB of the
// summaries of the real sample page (seeds/), whose phrasing ("The
// article explains…", "describing", "covering") real summaries share. A
// stored summary depends on it: it never changes; a better one would be
// format 2.
//
//go:embed summaries-v1.dict
var summaryDictV1 []byte

const packFormatV1 = 1

// summaryDeflater packs format 1. Like the dictionary it is built from, it
// is a constant: read-only once made.
var summaryDeflater = newDictDeflater(summaryDictV1)

// maxUnpacked bounds what a stored value may unpack to: a summary is one
// line of a listing (listing.MaxLineBytes).
const maxUnpacked = 64 << 10

// textCodec unpacks summaries (packText packs them). It keeps a few
// DEFLATE readers between calls, in a free list rather than a sync.Pool:
// a pool is emptied at every collection, and both the server and the
// importer run under soft memory limits that make them collect often.
type textCodec struct {
	readers memo.FreeList[*unpacker]
}

// codecFree is how many readers a textCodec keeps: one per goroutine that
// unpacks at once (a server's connections).
const codecFree = 8

func newTextCodec() *textCodec {
	return &textCodec{readers: make(memo.FreeList[*unpacker], codecFree)}
}

// PackedSummary is a card's summary as cards.summary stores it, packed
// ahead of Import.AddPackedCard. Packing is a pure function, safe on any
// goroutine: the importer packs on the goroutines that split tags, where
// its store goroutine spent 12 s of a 1M-card load packing while they
// waited for it.
type PackedSummary struct {
	of string // the summary packed
	v  any
}

// PackSummary packs s.
func PackSummary(s string) PackedSummary { return PackedSummary{of: s, v: packText(s)} }

// packText returns what cards.summary stores of s: a []byte (BLOB) when
// compressing saves bytes, s itself (TEXT) otherwise. It needs none of a
// codec's state.
//
// It packs with a dictDeflater (deflate.go), which hashes the dictionary
// once rather than for each summary, and writes the fixed Huffman codes
// rather than a table of its own in each stream. Measured on the 100k
// corpus's 100,000 summaries (31.4 MB): 16.66 MB (53.0%) in 0.45 s, where
// klauspost/compress's StatelessDeflate, used before, packed them into
// 17.65 MB (56.2%) in 1.12-1.17 s; 300-byte pieces of web/docs/, text
// unlike the dictionary, pack to 68.7% of their bytes against its 66.9%.
// BenchmarkTextCodec/pack-reference is compress/flate's fastest level,
// reset with the dictionary for each summary, in the same run.
func packText(s string) any {
	b := make([]byte, 1, len(s)/2+16)
	b[0] = packFormatV1
	if b = summaryDeflater.deflate(b, []byte(s)); len(b) >= len(s) {
		return s
	}
	return b
}

// unpacker is the reusable state of one unpacking: its DEFLATE reader,
// the reader of the packed bytes, and the room it unpacks into.
type unpacker struct {
	src bytes.Reader
	r   io.ReadCloser // a flate.Resetter
	buf []byte
}

// inflate reads a raw DEFLATE stream against the summaries' dictionary
// with compress/flate into u.buf, up to maxUnpacked bytes
// (errInflateLimit past it), as inflateFixed does for the streams it
// reads.
func (u *unpacker) inflate(src []byte) ([]byte, error) {
	u.src.Reset(src)
	if u.r == nil {
		u.r = flate.NewReaderDict(&u.src, summaryDictV1)
	} else if err := u.r.(flate.Resetter).Reset(&u.src, summaryDictV1); err != nil {
		return nil, err
	}
	out := u.buf[:0]
	for {
		if len(out) == cap(out) {
			if len(out) > maxUnpacked {
				return nil, errInflateLimit
			}
			out = append(out, 0)[:len(out)]
		}
		n, err := u.r.Read(out[len(out):cap(out)])
		out = out[:len(out)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if len(out) > maxUnpacked {
		return nil, errInflateLimit
	}
	return out, nil
}

// unpack returns the text of a stored summary.
func (tc *textCodec) unpack(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case nil:
		return "", nil
	case []byte:
		if len(v) == 0 || v[0] != packFormatV1 {
			return "", fmt.Errorf("card_unpack: unknown format of a %d-byte value", len(v))
		}
		u, ok := tc.readers.Take()
		if !ok {
			u = &unpacker{buf: make([]byte, 0, 4096)}
		}
		defer tc.readers.Give(u)
		// What dictDeflater wrote (fixed codes) is read without
		// compress/flate; anything else, with it. A summary is one line
		// of a listing, at most 64 KiB: a stored value that unpacks to
		// more is not one.
		out, ok, err := inflateFixed(u.buf[:0], v[1:], summaryDictV1, maxUnpacked)
		if !ok {
			out, err = u.inflate(v[1:])
		}
		if errors.Is(err, errInflateLimit) {
			return "", fmt.Errorf("card_unpack: a %d-byte value unpacks to more than %d bytes", len(v), maxUnpacked)
		}
		if err != nil {
			return "", fmt.Errorf("card_unpack: %w", err)
		}
		if cap(out) <= 16<<10 {
			u.buf = out // keep a grown buffer, unless a rare long summary made it big
		}
		return string(out), nil
	default:
		return "", fmt.Errorf("card_unpack: a %T is not a stored text", v)
	}
}

// into returns a scan destination that unpacks a stored summary into *s.
func (tc *textCodec) into(s *string) sql.Scanner { return packedDest{tc, s} }

type packedDest struct {
	tc *textCodec
	s  *string
}

func (d packedDest) Scan(src any) (err error) {
	*d.s, err = d.tc.unpack(src)
	return err
}

// register gives a connection the SQL functions card_unpack(x), the
// text of a stored summary, and card_pack(text), its stored form (for
// migrations).
func (tc *textCodec) register(c *sqlite3.SQLiteConn) error {
	if err := c.RegisterFunc("card_unpack", func(v any) (string, error) { return tc.unpack(v) }, true); err != nil {
		return err
	}
	return c.RegisterFunc("card_pack", packText, true)
}

// connector opens connections to one SQLite database, each with the
// codec's functions.
type connector struct {
	dsn string
	drv *sqlite3.SQLiteDriver
}

func (c connector) Connect(context.Context) (driver.Conn, error) { return c.drv.Open(c.dsn) }
func (c connector) Driver() driver.Driver                        { return c.drv }

// openStore returns a Store of the database at path, opened with the
// driver parameters q; every connection has its codec's functions.
func openStore(path string, q url.Values) *Store {
	tc := newTextCodec()
	dsn := "file:" + escapePath(path) + "?" + q.Encode()
	return &Store{db: sql.OpenDB(connector{dsn: dsn, drv: &sqlite3.SQLiteDriver{ConnectHook: tc.register}}), codec: tc, countMax: liveCountMax, narrowFrom: narrowFromMatches, smallWalk: smallWalkMax, scanFrom: scanFromCards}
}
