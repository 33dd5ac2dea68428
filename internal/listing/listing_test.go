package listing_test

import (
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"cardex/internal/catalog"
	"cardex/internal/listing"
)

const seedPath = "../../seeds/distributed-systems-page-21.txt"

// readAll reads every card of src, returning the cards, the per-card
// diagnostics, and the error that stopped reading (nil at EOF).
func readAll(src string) ([]catalog.Card, []string, error) {
	r := listing.NewReader(strings.NewReader(src), "t.txt")
	var cards []catalog.Card
	var diags []string
	for {
		c, err := r.Next()
		for _, w := range r.Warnings() {
			diags = append(diags, "warning "+w.Error())
		}
		if err == io.EOF {
			return cards, diags, nil
		}
		var d *listing.Diagnostic
		if errors.As(err, &d) {
			diags = append(diags, d.Error())
			continue
		}
		if err != nil {
			return cards, diags, err
		}
		cards = append(cards, c)
	}
}

const card1 = "Architect\nArchitect\nMay 16, 2016 · Operations\n\nA Title\n\nA summary.\n\nDistributed SystemsKafka\n3 likes · 15 min read\nA Title\n"
const noSource = "\nOther Title\n\nAnother summary.\n\nKafka\n1,204 likes · 2 min read\nOther Title"
const header = "Tagged articles\n2122 articles\nPage 21 of 22\n"

func TestReaderFields(t *testing.T) {
	cards, diags, err := readAll(header + card1 + noSource)
	if err != nil || len(diags) > 0 {
		t.Fatalf("err=%v diags=%q", err, diags)
	}
	if len(cards) != 2 {
		t.Fatalf("got %d cards, want 2", len(cards))
	}
	c := cards[0]
	if c.Line != 4 || c.Source != "Architect" || c.Date.Format("2006-01-02") != "2016-05-16" || c.Category != "Operations" ||
		c.Title != "A Title" || c.Summary != "A summary." || c.Glued != "Distributed SystemsKafka" || c.Likes != 3 || c.Minutes != 15 {
		t.Errorf("card 1 = %+v", c)
	}
	if c.Raw != card1 {
		t.Errorf("card 1 raw = %q, want %q", c.Raw, card1)
	}
	c = cards[1]
	if c.Line != 15 || c.Source != "" || c.HasDate() || c.Category != "" || c.Likes != 1204 || c.Minutes != 2 {
		t.Errorf("card 2 = %+v", c)
	}
	if c.Raw != noSource {
		t.Errorf("card 2 raw = %q (the last line has no newline)", c.Raw)
	}
}

// CRLF line endings and a byte-order mark read exactly like the LF original.
func TestReaderCRLFAndBOM(t *testing.T) {
	lf, _, err := readAll(header + card1 + noSource)
	if err != nil {
		t.Fatal(err)
	}
	crlf := "\uFEFF" + strings.ReplaceAll(header+card1+noSource, "\n", "\r\n")
	got, diags, err := readAll(crlf)
	if err != nil || len(diags) > 0 {
		t.Fatalf("err=%v diags=%q", err, diags)
	}
	if len(got) != len(lf) {
		t.Fatalf("CRLF: %d cards, LF: %d", len(got), len(lf))
	}
	for i := range got {
		if got[i].Raw != lf[i].Raw || got[i].Title != lf[i].Title || got[i].Line != lf[i].Line {
			t.Errorf("card %d differs: %+v vs %+v", i, got[i], lf[i])
		}
	}
}

// Each malformed card is reported at the right line and skipped; reading
// goes on with the next card.
func TestReaderMalformedCards(t *testing.T) {
	tests := []struct {
		name, card string
		wantDiag   string
	}{
		{"bad date", strings.Replace(card1, "May 16, 2016", "May 32, 2016", 1), "t.txt:6: no such date: May 32, 2016"},
		{"iso date", strings.Replace(card1, "May 16, 2016 · Operations", "2016-05-16 · Operations", 1), `t.txt:6: expected a date line like "May 22, 2016 · Category"`},
		{"no middle dot", strings.Replace(card1, " · Operations", " Operations", 1), `t.txt:6: expected a date line like`},
		{"empty category", strings.Replace(card1, " · Operations", " · ", 1), "t.txt:6: date line has an empty category"},
		{"non-numeric likes", strings.Replace(card1, "3 likes", "many likes", 1), `t.txt:13: expected the stats line`},
		{"negative likes", strings.Replace(card1, "3 likes", "-3 likes", 1), `t.txt:13: expected the stats line`},
		{"huge likes", strings.Replace(card1, "3 likes", "1e30 likes", 1), `t.txt:13: expected the stats line`},
		{"overflowing likes", strings.Replace(card1, "3 likes", "99999999999999999999999 likes", 1), `t.txt:13: likes or read time out of range`},
		{"title mismatch", strings.Replace(card1, "15 min read\nA Title", "15 min read\nB Title", 1), "t.txt:14: the title after the stats line differs"},
		{"missing tags", strings.Replace(card1, "Distributed SystemsKafka\n", "", 1), "t.txt:12: the card has no tags line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cards, diags, err := readAll(header + tt.card + noSource)
			if err != nil {
				t.Fatal(err)
			}
			if len(cards) != 1 || cards[0].Title != "Other Title" {
				t.Errorf("want only the good card after the bad one, got %d cards", len(cards))
			}
			if len(diags) != 1 || !strings.HasPrefix(diags[0], tt.wantDiag) {
				t.Errorf("diags = %q, want one starting %q", diags, tt.wantDiag)
			}
		})
	}
}

// A card cut off by the end of the file is reported, not dropped silently.
func TestReaderTruncated(t *testing.T) {
	full := header + card1
	for cut := len(header) + 1; cut < len(full)-1; cut += 7 {
		cards, diags, err := readAll(full[:cut])
		if err != nil {
			t.Fatalf("cut %d: %v", cut, err)
		}
		if len(cards)+len(diags) == 0 {
			t.Errorf("cut at %d: no card and no diagnostic", cut)
		}
	}
}

// Input that cannot be a listing rejects the whole file with its line.
func TestReaderRejectsNonListing(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"NUL byte", header + "Arch\x00itect\n", "t.txt:4: NUL byte"},
		{"invalid UTF-8", header + card1 + "\xff\xfe\n", "t.txt:15: invalid UTF-8"},
		{"long line", header + strings.Repeat("x", 1<<20) + "\n", "t.txt:4: line is longer than 64 KiB"},
		{"empty", "", "t.txt:1: empty file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := readAll(tt.src)
			var fe *listing.FileError
			if !errors.As(err, &fe) || !errors.Is(err, listing.ErrNotListing) {
				t.Fatalf("err = %v, want a FileError", err)
			}
			if !strings.HasPrefix(fe.Error(), tt.want) {
				t.Errorf("err = %q, want prefix %q", fe.Error(), tt.want)
			}
		})
	}
}

func TestReaderHeader(t *testing.T) {
	r := listing.NewReader(strings.NewReader(header+card1), "t.txt")
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	h := r.Header()
	if h.Total != 2122 || h.Number != 21 || h.Of != 22 || h.Raw != header {
		t.Errorf("header = %+v", h)
	}
}

func FuzzReader(f *testing.F) {
	seed, err := os.ReadFile(seedPath)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(seed))
	f.Add(header + card1 + noSource)
	f.Add(header)
	f.Add("")
	f.Add("\n\n\n")
	f.Fuzz(func(t *testing.T, src string) {
		cards, _, _ := readAll(src)
		for _, c := range cards {
			if c.Line < 1 || !strings.Contains(src, strings.TrimSuffix(c.Title, "\r")) {
				t.Fatalf("card %+v does not come from the input", c)
			}
			if c.Likes < 0 || c.Minutes < 0 {
				t.Fatalf("negative stats: %+v", c)
			}
		}
	})
}

func BenchmarkReader(b *testing.B) {
	seed, err := os.ReadFile(seedPath)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(seed)))
	for b.Loop() {
		cards, _, err := readAll(string(seed))
		if err != nil || len(cards) != 92 {
			b.Fatalf("%d cards, %v", len(cards), err)
		}
	}
}
