package listing_test

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

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
		{"no middle dot", strings.Replace(card1, " · Operations", " Operations", 1), `t.txt:6: date line: expected " · " between the date and the category`},
		{"empty category", strings.Replace(card1, " · Operations", " · ", 1), "t.txt:6: date line has an empty category"},
		{"non-numeric likes", strings.Replace(card1, "3 likes", "many likes", 1), `t.txt:13: stats line: the likes count "many" is not a whole number`},
		{"negative likes", strings.Replace(card1, "3 likes", "-3 likes", 1), `t.txt:13: stats line: the likes count "-3" is not a whole number of 0 or more`},
		{"huge likes", strings.Replace(card1, "3 likes", "1e30 likes", 1), `t.txt:13: stats line: the likes count "1e30" is not a whole number`},
		{"bad read time", strings.Replace(card1, "15 min read", "a few min read", 1), `t.txt:13: expected the stats line ("N likes · M min read"), found`},
		{"non-numeric read time", strings.Replace(card1, "15 min read", "15m min read", 1), `t.txt:13: stats line: the read time "15m" is not a whole number of minutes`},
		{"no stats line", strings.Replace(card1, "3 likes · 15 min read\n", "", 1), `t.txt:13: expected the stats line ("N likes · M min read"), found "A Title"`},
		{"overflowing likes", strings.Replace(card1, "3 likes", "99999999999999999999999 likes", 1), `t.txt:13: stats line: the likes count 99999999999999999999999 is out of range`},
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

// Regression: a line that cannot be read (NUL, invalid UTF-8) inside a
// card rejected only that card, with line 0, and reading went on after the
// bad line. It must reject the file, naming the bad line.
func TestReaderReadErrorIsSticky(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"NUL in summary", header + strings.Replace(card1, "A summary.", "A sum\x00mary.", 1) + noSource, "t.txt:10: NUL byte"},
		{"invalid UTF-8 in title", header + strings.Replace(card1, "\nA Title\n\n", "\nA Ti\xe2\x80tle\n\n", 1) + noSource, "t.txt:8: invalid UTF-8"},
		{"invalid UTF-8 in stats", header + strings.Replace(card1, "3 likes", "3\xff likes", 1) + noSource, "t.txt:13: invalid UTF-8"},
		{"NUL in the look-ahead", header + card1 + "\nOther\x00 Title\n", "t.txt:16: NUL byte"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cards, diags, err := readAll(tt.src)
			var fe *listing.FileError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v (cards %d, diags %q), want a FileError", err, len(cards), diags)
			}
			if !strings.HasPrefix(fe.Error(), tt.want) {
				t.Errorf("err = %q, want prefix %q", fe.Error(), tt.want)
			}
			if len(diags) > 0 {
				t.Errorf("diags %q: the file error is the only problem to report", diags)
			}
		})
	}
}

// Regression: a card without its closing title consumed the next card's
// first line, so the next card came back without its source and date.
func TestReaderMissingClosingTitleKeepsNextCard(t *testing.T) {
	card2 := "Other Source\nOther Source\nMay 17, 2016 · Databases\n\nB Title\n\nB summary.\n\nKafka\n5 likes · 2 min read\nB Title\n"
	for _, tt := range []struct{ name, next, diag string }{
		{"next card has a source", card2, "t.txt:14: the card has no closing title"},
		{"next card has none", noSource, "t.txt:14: the card has no closing title"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cards, diags, err := readAll(header + strings.TrimSuffix(card1, "A Title\n") + tt.next)
			if err != nil {
				t.Fatal(err)
			}
			if len(diags) != 1 || !strings.HasPrefix(diags[0], tt.diag) {
				t.Errorf("diags = %q, want one starting %q", diags, tt.diag)
			}
			if len(cards) != 1 || cards[0].Line != 14 {
				t.Fatalf("cards = %+v, want the next card, from line 14", cards)
			}
			want := listing.NewReader(strings.NewReader(tt.next), "t.txt")
			w, err := want.Next()
			if err != nil {
				t.Fatal(err)
			}
			if g := cards[0]; g.Source != w.Source || g.Date != w.Date || g.Title != w.Title || g.Raw != w.Raw {
				t.Errorf("next card = %+v, want %+v", g, w)
			}
		})
	}
}

// A card cut off by the end of the file is reported at its first line,
// saying where the file ends.
func TestReaderTruncatedLine(t *testing.T) {
	src := header + card1 + "Architect\nArchitect\nMay 16, 2016 · Operations\n\nCut Title\n"
	cards, diags, err := readAll(src)
	if err != nil || len(cards) != 1 {
		t.Fatalf("cards %d, err %v", len(cards), err)
	}
	want := "t.txt:15: the card is cut off by the end of the file after line 19: expected a blank line after the title"
	if len(diags) != 1 || diags[0] != want {
		t.Errorf("diags = %q, want %q", diags, want)
	}
}

// The content hash ignores line endings and a byte-order mark, so a page
// saved on another system is the same page.
func TestReaderContentSHA256(t *testing.T) {
	sum := func(src string) string {
		r := listing.NewReader(strings.NewReader(src), "t.txt")
		for {
			if _, err := r.Next(); err == io.EOF {
				return r.ContentSHA256()
			} else if err != nil {
				t.Fatal(err)
			}
		}
	}
	lf := header + card1 + noSource
	crlf := strings.ReplaceAll(lf, "\n", "\r\n")
	if a, b, c := sum(lf), sum(crlf), sum("\uFEFF"+crlf); a != b || a != c {
		t.Errorf("sums differ: LF %s, CRLF %s, BOM+CRLF %s", a, b, c)
	}
	if a, b := sum(lf), sum(lf+"\n"); a == b {
		t.Error("a different page has the same sum")
	}
}

type noSplit struct{}

func (noSplit) Split(glued, _ string) catalog.SplitResult {
	return catalog.SplitResult{Tags: []string{glued}, Certain: true}
}

// Whole-file outcomes of ReadFile.
func TestReadFileRejects(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"header only", header, "p.txt:4: no cards after the page header"},
		{"header and blank lines", header + "\n\n", "p.txt:4: no cards after the page header"},
		{"blank lines", "\n\n\n", "p.txt:1: no header and no cards"},
		{"mostly malformed", header + strings.Replace(card1, "May 16", "May 36", 1) + strings.Replace(card1, "May 16", "Mai 16", 1) + noSource, "p.txt:1: 2 of 3 cards are malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{"p.txt": {Data: []byte(tt.src)}}
			_, err := listing.ReadFile(fsys, "p.txt", noSplit{}, func(catalog.Card, catalog.SplitResult) error { return nil }, func(listing.Diagnostic) {})
			var fe *listing.FileError
			if !errors.As(err, &fe) || !strings.HasPrefix(fe.Error(), tt.want) {
				t.Errorf("err = %v, want a FileError starting %q", err, tt.want)
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
			checkText(t, c)
		}
	})
}

// checkText checks that c.Text(), which the store keeps in place of Raw
// when the two are equal, reads back as the same card.
func checkText(t *testing.T, c catalog.Card) {
	t.Helper()
	back, diags, err := readAll(header + c.Text())
	if err != nil || len(back) != 1 {
		t.Fatalf("card %+v: its Text() %q reads as %d cards (%v, %q)", c, c.Text(), len(back), err, diags)
	}
	b := back[0]
	if b.Source != c.Source || !b.Date.Equal(c.Date) || b.Category != c.Category || b.Title != c.Title ||
		b.Summary != c.Summary || b.Glued != c.Glued || b.Likes != c.Likes || b.Minutes != c.Minutes || b.Raw != c.Text() {
		t.Fatalf("card %+v: its Text() reads back as %+v", c, b)
	}
}

// The seed's cards print as they were read, and every card's Text reads
// back as the same card; the cards that print otherwise are the ones the
// store keeps the raw text of.
func TestCardText(t *testing.T) {
	seed, err := os.ReadFile(seedPath)
	if err != nil {
		t.Fatal(err)
	}
	cards, _, err := readAll(string(seed))
	if err != nil || len(cards) != 92 {
		t.Fatalf("%d cards, %v", len(cards), err)
	}
	for i, c := range cards {
		raw := c.Raw
		if i == len(cards)-1 {
			raw += "\n" // the file has no final newline
		}
		if c.Text() != raw {
			t.Errorf("%s:%d: Text() = %q, want the card as read, %q", c.File, c.Line, c.Text(), c.Raw)
		}
		checkText(t, c)
	}
	// Cards that print otherwise than they were read.
	for _, tt := range []struct{ name, src string }{
		{"thousands separator", noSource + "\n"},
		{"one like", strings.Replace(card1, "3 likes", "1 like", 1)},
		{"avatar text", strings.Replace(card1, "Architect\n", "Architect Weekly\n", 1)},
		{"zero-padded day", strings.Replace(card1, "May 16", "May 06", 1)},
		{"no final newline", strings.TrimSuffix(card1, "\n")},
	} {
		cards, _, err := readAll(header + tt.src)
		if err != nil || len(cards) != 1 {
			t.Fatalf("%s: %d cards, %v", tt.name, len(cards), err)
		}
		if c := cards[0]; c.Text() == c.Raw {
			t.Errorf("%s: Text() is the raw text %q; want it to differ", tt.name, c.Raw)
		} else {
			checkText(t, c)
		}
	}
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

// recorder is an Observer that records what it is fed.
type recorder struct{ seen []string }

func (r *recorder) Observe(glued string)   { r.seen = append(r.seen, "tags "+glued) }
func (r *recorder) ObserveText(txt string) { r.seen = append(r.seen, "text "+txt) }

// Observe feeds the observer every card of every file, in order (which
// cards count is order-dependent past the splitter's bounds), over more
// cards than it hands over at a time, and stops at a file it cannot read,
// having observed the files before it (and, parsed ahead, none after).
func TestObserveFeedsEveryCardInOrder(t *testing.T) {
	fsys := fstest.MapFS{}
	var paths, want []string
	var perFile []int
	for f := range 5 {
		var b strings.Builder
		b.WriteString(header)
		for i := range 200 + 300*f {
			title := fmt.Sprintf("Title %d.%d", f, i)
			fmt.Fprintf(&b, "Architect\nArchitect\nMay 16, 2016 · Operations\n\n%s\n\nSummary %d.%d.\n\nDistributed SystemsKafka%d\n3 likes · 15 min read\n%s\n", title, f, i, i, title)
			want = append(want, fmt.Sprintf("tags Distributed SystemsKafka%d", i), "text "+title, fmt.Sprintf("text Summary %d.%d.", f, i))
		}
		name := fmt.Sprintf("p%d.txt", f)
		fsys[name] = &fstest.MapFile{Data: []byte(b.String())}
		paths = append(paths, name)
		perFile = append(perFile, len(want))
	}
	var r recorder
	if err := listing.Observe(fsys, paths, &r); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r.seen, want) {
		t.Fatalf("observed %d strings, want %d, in order; first difference at %d", len(r.seen), len(want), firstDiff(r.seen, want))
	}
	r = recorder{}
	if err := listing.Observe(fsys, slices.Concat(paths[:2], []string{"missing.txt"}, paths[2:]), &r); err == nil {
		t.Error("Observe of a missing file: no error")
	}
	if !slices.Equal(r.seen, want[:perFile[1]]) {
		t.Errorf("before a missing file, observed %d strings, want the %d of the files before it", len(r.seen), perFile[1])
	}
}

func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
