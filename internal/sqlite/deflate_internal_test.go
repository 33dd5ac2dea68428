package sqlite

import (
	"bytes"
	"compress/flate"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
)

// inflate unpacks a raw DEFLATE stream against dict with the standard
// library, the reader every stored summary goes through.
func inflate(tb testing.TB, packed, dict []byte) []byte {
	tb.Helper()
	out, err := io.ReadAll(flate.NewReaderDict(bytes.NewReader(packed), dict))
	if err != nil {
		tb.Fatalf("inflating %d bytes: %v", len(packed), err)
	}
	return out
}

// deflateTexts are the shapes a dictDeflater must carry byte for byte:
// matches in the dictionary, in the text itself (overlapping ones too),
// at every length and distance class DEFLATE codes, past the 32 KiB window,
// and bytes that match nothing.
func deflateTexts() []string {
	rng := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 70<<10)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	var lengths strings.Builder
	for n := 3; n <= 300; n++ { // a distinct run of each length, then it again
		run := string(random[n : 2*n])
		lengths.WriteString(run + "|" + run + "#")
	}
	far := string(random[:100]) + strings.Repeat("The article explains ", 1700) + string(random[:100])
	// The dictionary's start at exactly the window's reach (32768 back),
	// then one byte past it, with the dictionary's text in between.
	reach := func(dict []byte) string {
		at := 1<<15 - len(dict)
		return string(random[:at]) + string(dict[:64]) + string(random[at:at+1]) + string(dict[:64]) + string(summaryDictV1[100:400])
	}
	return []string{
		"", "x", "ab", "abc", "abcd", "aaaa", "aaaaaaaaa",
		strings.Repeat("a", 258), strings.Repeat("a", 259), strings.Repeat("ab", 5000),
		strings.Repeat("a", maxUnpacked+1),
		"The article explains how the team describes the covering of distributed consensus.",
		"本文介绍了分布式系统中的一致性协议，包括 Raft 和 Paxos 的实现细节。",
		"exactly‑once delivery — the “outbox” pattern\u202fwith back‑pressure",
		"\x00\xff not UTF-8 \xc3",
		string(random[:1000]), string(random), lengths.String(), far, reach(summaryDictV1),
	}
}

// Every text comes back byte for byte through compress/flate, with the
// summaries' dictionary, with none, and with a dictionary longer than the
// window leaves room for.
func TestDictDeflaterRoundTrip(t *testing.T) {
	long := bytes.Repeat(summaryDictV1, 3)
	for _, dict := range [][]byte{summaryDictV1, nil, long} {
		d := newDictDeflater(dict)
		for _, s := range append(deflateTexts(), seedSummaries(t)...) {
			packed := d.deflate(nil, []byte(s))
			if got := inflate(t, packed, dict); string(got) != s { // the whole dictionary, as a reader is given it
				t.Fatalf("dictionary of %d bytes: %.40q… (%d bytes) came back as %.40q… (%d bytes)", len(dict), s, len(s), got, len(got))
			}
		}
	}
}

// What the deflater is for: text like the dictionary takes much less
// room, repeats take almost none, and it appends to what dst holds.
func TestDictDeflaterPacks(t *testing.T) {
	d := newDictDeflater(summaryDictV1)
	in, out := 0, 0
	for _, s := range seedSummaries(t) {
		in, out = in+len(s), out+len(d.deflate(nil, []byte(s)))
	}
	if out*3 > in {
		t.Errorf("the seed's summaries, which the dictionary is made of, packed into %d of %d bytes; want under a third", out, in)
	}
	if n := len(d.deflate(nil, []byte(strings.Repeat("ab", 5000)))); n > 100 {
		t.Errorf("10,000 bytes of one repeated pair packed into %d bytes", n)
	}
	got := d.deflate([]byte("keep"), []byte("text"))
	if !bytes.HasPrefix(got, []byte("keep")) || string(inflate(t, got[4:], summaryDictV1)) != "text" {
		t.Errorf("deflate did not append to dst: %q", got)
	}
}

// FuzzDictDeflate: any bytes a listing's summary may hold come back
// exactly (a packing bug would lose the summary for good).
func FuzzDictDeflate(f *testing.F) {
	for _, s := range deflateTexts()[:16] {
		f.Add([]byte(s))
	}
	d := newDictDeflater(summaryDictV1)
	f.Fuzz(func(t *testing.T, in []byte) {
		if got := inflate(t, d.deflate(nil, in), summaryDictV1); !bytes.Equal(got, in) {
			t.Fatalf("%q came back as %q", in, got)
		}
	})
}
