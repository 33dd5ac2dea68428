package sqlite

import (
	"bytes"
	"compress/flate"
	"errors"
	"io"
	"strings"
	"testing"
)

// checkInflate compares inflateFixed with compress/flate on one stream:
// when inflateFixed reads it (ok), both fail or both give the same text.
// It reports whether inflateFixed read it.
func checkInflate(t *testing.T, src, dict []byte, limit int) bool {
	t.Helper()
	want, werr := io.ReadAll(flate.NewReaderDict(bytes.NewReader(src), dict))
	if werr == nil && len(want) > limit {
		werr = errInflateLimit
	}
	got, ok, err := inflateFixed([]byte("kept"), src, dict, limit)
	if !ok {
		if err != nil || string(got) != "kept" {
			t.Fatalf("%x: not read, yet %v and %q", src, err, got)
		}
		return false
	}
	if (err == nil) != (werr == nil) {
		t.Fatalf("%x: inflateFixed: %v; compress/flate: %v", src, err, werr)
	}
	// Past the limit only where compress/flate reads more than it: a
	// corrupt stream is not a long one.
	if errors.Is(err, errInflateLimit) && len(want) <= limit {
		t.Fatalf("%x: inflateFixed: %v; compress/flate read %d bytes (limit %d), then %v", src, err, len(want), limit, werr)
	}
	if err == nil && (!bytes.HasPrefix(got, []byte("kept")) || !bytes.Equal(got[4:], want)) {
		t.Fatalf("%x: inflateFixed gave %.60q… (%d bytes), compress/flate %.60q… (%d bytes)", src, got, len(got), want, len(want))
	}
	return true
}

// Everything dictDeflater writes is read back, byte for byte, with the
// summaries' dictionary, with none, and with a long one; and the same
// as compress/flate reads it, cut short at every byte too.
func TestInflateFixedReadsWhatDictDeflaterWrites(t *testing.T) {
	long := bytes.Repeat(summaryDictV1, 5) // past the 32 KiB window
	for _, dict := range [][]byte{summaryDictV1, nil, long} {
		d := newDictDeflater(dict)
		for _, s := range append(deflateTexts(), seedSummaries(t)...) {
			packed := d.deflate(nil, []byte(s))
			got, ok, err := inflateFixed(nil, packed, dict, 1<<30)
			if !ok || err != nil || string(got) != s {
				t.Fatalf("dictionary of %d bytes: %.40q… (%d bytes) came back as %.40q… (%d bytes), %v, %v", len(dict), s, len(s), got, len(got), ok, err)
			}
			if len(packed) < 2000 {
				for cut := range len(packed) {
					checkInflate(t, packed[:cut], dict, 1<<30)
				}
			}
		}
	}
}

// A text of exactly the limit is read; one byte more is an error, from
// a literal or from a match.
func TestInflateFixedLimit(t *testing.T) {
	d := newDictDeflater(summaryDictV1)
	for _, s := range []string{"abcdefghij", strings.Repeat("a", 10)} {
		packed := d.deflate(nil, []byte(s))
		if got, ok, err := inflateFixed(nil, packed, summaryDictV1, 10); !ok || err != nil || string(got) != s {
			t.Errorf("%q at a limit of 10: %q, %v, %v", s, got, ok, err)
		}
		if _, ok, err := inflateFixed(nil, packed, summaryDictV1, 9); !ok || err != errInflateLimit {
			t.Errorf("%q at a limit of 9: %v, %v", s, ok, err)
		}
	}
}

// The codes of 286 and 287 are an error at once, as in compress/flate,
// not text.
func TestInflateFixedInvalidCodes(t *testing.T) {
	for _, src := range [][]byte{{0x1b, 0x03}, {0x1b, 0x07}} {
		if _, ok, err := inflateFixed(nil, src, summaryDictV1, 1<<16); !ok || err == nil || errors.Is(err, errInflateLimit) {
			t.Errorf("%x: %v, %v; want an invalid code", src, ok, err)
		}
		checkInflate(t, src, summaryDictV1, 1<<16)
	}
}

// Streams of other encoders: the ones with other blocks are left to
// compress/flate, the others read as it reads them.
func TestInflateFixedOtherEncoders(t *testing.T) {
	texts := append(deflateTexts(), seedSummaries(t)...)
	read := 0
	for _, level := range []int{flate.NoCompression, flate.BestSpeed, flate.DefaultCompression, flate.BestCompression, flate.HuffmanOnly} {
		for _, s := range texts {
			var b bytes.Buffer
			w, err := flate.NewWriterDict(&b, level, summaryDictV1)
			if err != nil {
				t.Fatal(err)
			}
			w.Write([]byte(s))
			w.Close()
			if checkInflate(t, b.Bytes(), summaryDictV1, maxUnpacked) {
				read++
			}
		}
	}
	// compress/flate writes fixed codes where they are shorter (short
	// texts), and ends each stream with an empty block of them.
	if read == 0 {
		t.Error("no stream of compress/flate was read; the comparison tested nothing")
	}
}

// FuzzInflateFixed: any bytes, stored as a summary, unpack as
// compress/flate unpacks them, or fail where it fails; never a panic.
func FuzzInflateFixed(f *testing.F) {
	d := newDictDeflater(summaryDictV1)
	for _, s := range deflateTexts()[:16] {
		f.Add(d.deflate(nil, []byte(s)))
	}
	f.Add([]byte{0x03, 0x00})       // an empty fixed block
	f.Add([]byte{0x07})             // reserved block type
	f.Add([]byte{0xfb, 0x1f, 0x00}) // a match past the window
	f.Add([]byte{0x1b, 0x03})       // the code of 286, which no stream may use
	f.Fuzz(func(t *testing.T, src []byte) {
		checkInflate(t, src, summaryDictV1, 1<<12)
	})
}
