package sqlite

import (
	"bytes"
	"compress/flate"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"cardex/internal/catalog"
	"cardex/internal/listing"
)

// Every summary comes back byte for byte; the seed's summaries, and text
// that merely resembles them, take less room; text that would not shrink
// is kept as it is.
func TestTextCodec(t *testing.T) {
	tc := newTextCodec()
	texts := seedSummaries(t)
	if len(texts) != 92 {
		t.Fatalf("%d summaries read from the seed, want 92", len(texts))
	}
	in, out := 0, 0
	for _, s := range texts {
		p := packText(s)
		b, ok := p.([]byte)
		if !ok {
			t.Errorf("%.40q… was not compressed", s)
			continue
		}
		in, out = in+len(s), out+len(b)
	}
	if out*2 > in {
		t.Errorf("the seed's summaries packed into %d of %d bytes; want at most half", out, in)
	}
	other := []string{
		"The article describes how a team at Example Corp rebuilt its payment pipeline on Kafka, covering idempotent consumers, exactly‑once delivery and the “outbox” pattern—with lessons on back‑pressure.",
		"本文介绍了分布式系统中的一致性协议，包括 Raft 和 Paxos 的实现细节。",
		"x",
		"",
		strings.Repeat("ab", 5000),
		"\x00\xff not UTF-8 \xc3",
	}
	for _, s := range append(other, texts...) {
		got, err := tc.unpack(packText(s))
		if err != nil || got != s {
			t.Errorf("%.40q… came back as %.40q…, %v", s, got, err)
		}
	}
	if _, ok := packText("x").(string); !ok {
		t.Error("a one-byte text was stored compressed, which makes it bigger")
	}
	if p, ok := packText(other[0]).([]byte); !ok || len(p) >= len(other[0])*3/4 {
		t.Errorf("a summary like the seed's packed into %d of %d bytes; want under three quarters", len(p), len(other[0]))
	}
	// Values of other encoders (klauspost's, before 81b25d8, wrote
	// blocks with codes of their own), which compress/flate reads for
	// inflateFixed: the same text, and the same limit.
	flated := func(s string) []byte {
		var b bytes.Buffer
		w, err := flate.NewWriterDict(&b, flate.BestCompression, summaryDictV1)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(s))
		w.Close()
		return append([]byte{packFormatV1}, b.Bytes()...)
	}
	declined := 0 // streams inflateFixed leaves to compress/flate
	for _, s := range append(other[:1], texts...) {
		p := flated(s)
		if _, ok, _ := inflateFixed(nil, p[1:], summaryDictV1, maxUnpacked); !ok {
			declined++
		}
		if got, err := tc.unpack(p); err != nil || got != s {
			t.Errorf("%.40q…, packed by compress/flate, came back as %.40q…, %v", s, got, err)
		}
	}
	if declined == 0 {
		t.Error("compress/flate wrote fixed codes only: its reader was not tested")
	}
	if _, err := tc.unpack(flated(strings.Repeat("ab", maxUnpacked))); err == nil || !strings.Contains(err.Error(), "unpacks to more than") {
		t.Errorf("a value of compress/flate past the limit: %v, want the limit's error", err)
	}
	// A value that unpacks to more than a listing line can hold is not a
	// summary (a corrupt or crafted file): an error, not a big string.
	huge, ok := packText(strings.Repeat("a", maxUnpacked+1)).([]byte)
	if !ok || len(huge) > 1024 {
		t.Fatalf("a run of %d letters packed into %d bytes (%v)", maxUnpacked+1, len(huge), ok)
	}
	for _, bad := range []any{[]byte{}, []byte{9, 1, 2}, []byte{packFormatV1, 0xff, 0xff}, int64(3), huge} {
		if s, err := tc.unpack(bad); err == nil {
			t.Errorf("unpack(%.20v) = %.20q…, want an error", bad, s)
		}
	}
}

// SQL reads summaries through card_unpack on every connection, the
// read-only ones included, and the search index finds their words.
func TestSummariesStoredPacked(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "c.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	const summary = "The article explains how «Ünïcode» summaries—with curly “quotes”, U+2011 non‑breaking hyphens and 中文—survive compression, covering the details."
	if _, err := s.db.ExecContext(ctx, `INSERT INTO cards (id, title, summary, likes, read_minutes, glued, raw, seq) VALUES (1, 'T', ?, 0, 1, 'X', '', 1)`, packText(summary)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO cards_fts (cards_fts) VALUES ('rebuild')`); err != nil {
		t.Fatal(err)
	}
	var typ string
	if err := s.db.QueryRowContext(ctx, `SELECT typeof(summary) FROM cards`).Scan(&typ); err != nil || typ != "blob" {
		t.Errorf("the summary is stored as %q (%v), want a blob", typ, err)
	}
	if _, _, err := s.seal(ctx, false, ""); err != nil {
		t.Fatal(err)
	}
	s.Close()
	ro, err := OpenReadOnly(ctx, path, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	var got string
	if err := ro.db.QueryRowContext(ctx, `SELECT card_unpack(summary) FROM cards`).Scan(&got); err != nil || got != summary || !utf8.ValidString(got) {
		t.Errorf("card_unpack(summary) = %q, %v; want the summary", got, err)
	}
	var hl string
	if err := ro.db.QueryRowContext(ctx, `SELECT highlight(cards_fts, 1, '[', ']') FROM cards_fts WHERE cards_fts MATCH 'compression'`).Scan(&hl); err != nil || !strings.Contains(hl, "[compression]") {
		t.Errorf("search for a word of the summary: %q, %v", hl, err)
	}
}

// BenchmarkTextCodec packs and unpacks the seed's 92 summaries (one op is
// all of them): the importer packs every summary, and a served page
// unpacks each of its cards'. pack-reference packs them with
// compress/flate's writer at BestSpeed, reset with the dictionary for
// each, and unpack-reference unpacks them with compress/flate's reader,
// reset with the dictionary for each, as references measured in the same
// run.
func BenchmarkTextCodec(b *testing.B) {
	texts := seedSummaries(b)
	tc := newTextCodec()
	b.Run("pack", func(b *testing.B) {
		for b.Loop() {
			for _, s := range texts {
				packText(s)
			}
		}
	})
	b.Run("pack-reference", func(b *testing.B) {
		var buf bytes.Buffer
		w, _ := flate.NewWriterDict(&buf, flate.BestSpeed, summaryDictV1)
		for b.Loop() {
			for _, s := range texts {
				buf.Reset()
				w.Reset(&buf) // keeps the dictionary
				w.Write([]byte(s))
				w.Close()
			}
		}
	})
	packed := make([]any, len(texts))
	for i, s := range texts {
		packed[i] = packText(s)
	}
	b.Run("unpack", func(b *testing.B) {
		for b.Loop() {
			for _, p := range packed {
				if _, err := tc.unpack(p); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("unpack-reference", func(b *testing.B) {
		var src bytes.Reader
		r := flate.NewReaderDict(&src, summaryDictV1)
		buf := make([]byte, 0, 4096)
		for b.Loop() {
			for _, p := range packed {
				v, ok := p.([]byte)
				if !ok {
					continue
				}
				src.Reset(v[1:])
				r.(flate.Resetter).Reset(&src, summaryDictV1)
				out := bytes.NewBuffer(buf[:0])
				if _, err := out.ReadFrom(r); err != nil {
					b.Fatal(err)
				}
				_ = out.String()
			}
		}
	})
}

// seedSummaries returns the summaries of the seed page's cards.
func seedSummaries(tb testing.TB) []string {
	var texts []string
	for _, c := range seedCards(tb) {
		texts = append(texts, c.Summary)
	}
	return texts
}

// seedCards returns the cards of the seed page.
func seedCards(tb testing.TB) []catalog.Card {
	f, err := os.Open(filepath.Join("..", "..", "seeds", "distributed-systems-page-21.txt"))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	r := listing.NewReader(f, "seed")
	var cards []catalog.Card
	for {
		c, err := r.Next()
		if err != nil {
			break
		}
		cards = append(cards, c)
	}
	return cards
}
