package gen_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"cardex/internal/catalog"
	"cardex/internal/gen"
	"cardex/internal/listing"
)

// memory is an in-memory Output: file name -> bytes, plus the truth.
type memory struct {
	files map[string]*bytes.Buffer
	order []string
	truth bytes.Buffer
}

type nopCloser struct{ *bytes.Buffer }

func (nopCloser) Close() error { return nil }

func generate(t *testing.T, cfg gen.Config) (*memory, gen.Stats) {
	t.Helper()
	m := &memory{files: map[string]*bytes.Buffer{}}
	st, err := gen.Generate(cfg, gen.Output{
		Create: func(name string) (io.WriteCloser, error) {
			if _, ok := m.files[name]; ok {
				return nil, fmt.Errorf("%s written twice", name)
			}
			b := &bytes.Buffer{}
			m.files[name] = b
			m.order = append(m.order, name)
			return nopCloser{b}, nil
		},
		Truth: &m.truth,
	})
	if err != nil {
		t.Fatal(err)
	}
	return m, st
}

func TestDeterministic(t *testing.T) {
	cfg := gen.Config{Cards: 3000, Seed: 7, PerPage: 50}
	a, _ := generate(t, cfg)
	b, _ := generate(t, cfg)
	if !slices.Equal(a.order, b.order) {
		t.Fatalf("file lists differ")
	}
	for _, name := range a.order {
		if !bytes.Equal(a.files[name].Bytes(), b.files[name].Bytes()) {
			t.Fatalf("%s differs between two runs with the same seed", name)
		}
	}
	if !bytes.Equal(a.truth.Bytes(), b.truth.Bytes()) {
		t.Fatal("truth differs between two runs with the same seed")
	}
	c, _ := generate(t, gen.Config{Cards: 3000, Seed: 8, PerPage: 50})
	if slices.Equal(a.order, c.order) && bytes.Equal(a.truth.Bytes(), c.truth.Bytes()) {
		t.Fatal("seeds 7 and 8 gave the same corpus")
	}
}

// TestDirDeterministic writes through the CLI's Output twice and compares
// the files byte for byte.
func TestDirDeterministic(t *testing.T) {
	read := func(dir string) map[string][]byte {
		out := map[string][]byte{}
		es, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			out[e.Name()] = b
		}
		return out
	}
	var corpora []map[string][]byte
	for range 2 {
		dir := t.TempDir()
		if _, err := gen.Generate(gen.Config{Cards: 1500, Seed: 3}, gen.Dir(dir)); err != nil {
			t.Fatal(err)
		}
		corpora = append(corpora, read(dir))
	}
	if len(corpora[0]) == 0 || len(corpora[0]) != len(corpora[1]) {
		t.Fatalf("%d and %d files", len(corpora[0]), len(corpora[1]))
	}
	for name, b := range corpora[0] {
		if !bytes.Equal(b, corpora[1][name]) {
			t.Fatalf("%s differs", name)
		}
	}
}

type truthLine struct {
	File string   `json:"file"`
	Line int      `json:"line"`
	Tags []string `json:"tags"`
}

// TestFormat reads every page back with the listing parser: no
// diagnostics, the headers agree with the cards, and each card's fields
// and tags are what the truth says.
func TestFormat(t *testing.T) {
	const cards = 5000
	m, st := generate(t, gen.Config{Cards: cards, Seed: 11, PerPage: 40})
	if st.Cards != cards {
		t.Fatalf("Stats.Cards = %d, want %d", st.Cards, cards)
	}
	if st.Files != len(m.files) {
		t.Fatalf("Stats.Files = %d, %d files written", st.Files, len(m.files))
	}
	dec := json.NewDecoder(&m.truth)
	var (
		total, noSource int
		tagSeen         = map[string]int{}
		listingTotals   = map[string]int{}    // listing -> cards read
		keys            = map[string]string{} // the importer's card identity -> where
	)
	for _, name := range m.order {
		raw := m.files[name].Bytes()
		if bytes.HasSuffix(raw, []byte("\n")) {
			t.Errorf("%s ends in a newline", name)
		}
		if !utf8.Valid(raw) {
			t.Fatalf("%s is not UTF-8", name)
		}
		r := listing.NewReader(bytes.NewReader(raw), name)
		var prev catalog.Card
		n := 0
		for {
			c, err := r.Next()
			for _, w := range r.Warnings() {
				t.Errorf("warning: %v", w)
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%v", err)
			}
			n++
			total++
			var tr truthLine
			if err := dec.Decode(&tr); err != nil {
				t.Fatalf("truth for %s:%d: %v", name, c.Line, err)
			}
			if tr.File != name || tr.Line != c.Line {
				t.Fatalf("truth names %s:%d, the card is at %s:%d", tr.File, tr.Line, name, c.Line)
			}
			checkCard(t, c, tr.Tags)
			for _, tag := range tr.Tags {
				tagSeen[tag]++
			}
			// The same source, date and title is the same card to the
			// importer: two such cards would be one.
			key := c.Source + "\x1f" + c.Date.String() + "\x1f" + c.Title
			if other, ok := keys[key]; ok && c.Source != "" {
				t.Errorf("%s:%d is the same card as %s", name, c.Line, other)
			}
			keys[key] = fmt.Sprintf("%s:%d", name, c.Line)
			if c.Source == "" {
				noSource++
			} else if prev.HasDate() && c.Date.After(prev.Date) {
				t.Errorf("%s:%d: %s is after the card before it (%s)", name, c.Line, c.Date.Format("2006-01-02"), prev.Date.Format("2006-01-02"))
			}
			if c.HasDate() {
				prev = c
			}
		}
		h := r.Header()
		if h.Number < 1 || h.Number > h.Of || h.Total < n {
			t.Errorf("%s: header %+v with %d cards", name, h, n)
		}
		if want := fmt.Sprintf("-page-%d.txt", h.Number); !strings.HasSuffix(name, want) {
			t.Errorf("%s: header says page %d", name, h.Number)
		}
		if h.Number < h.Of && n != 40 {
			t.Errorf("%s: page %d of %d has %d cards, want 40", name, h.Number, h.Of, n)
		}
		listingTotals[strings.TrimSuffix(name, fmt.Sprintf("-page-%d.txt", h.Number))] += n
		if h.Number == h.Of && h.Total != (h.Of-1)*40+n {
			t.Errorf("%s: last page: total %d, but %d pages of 40 and %d", name, h.Total, h.Of-1, n)
		}
	}
	if dec.More() {
		t.Error("the truth has more lines than the corpus has cards")
	}
	if total != cards {
		t.Errorf("read %d cards, want %d", total, cards)
	}
	if st.Listings != len(listingTotals) {
		t.Errorf("Stats.Listings = %d, %d listings written", st.Listings, len(listingTotals))
	}
	if p := float64(noSource) / cards; p < 0.03 || p > 0.07 {
		t.Errorf("%.1f%% of cards have no source, want about 5%%", 100*p)
	}
	if len(tagSeen) < 1000 {
		t.Errorf("only %d distinct tags on %d cards", len(tagSeen), cards)
	}
}

func checkCard(t *testing.T, c catalog.Card, tags []string) {
	t.Helper()
	at := fmt.Sprintf("%s:%d", c.File, c.Line)
	if len(tags) < 3 || len(tags) > 6 {
		t.Errorf("%s: %d tags, want 3 to 6", at, len(tags))
	}
	for i := 1; i < len(tags); i++ {
		if tags[i-1] >= tags[i] {
			t.Errorf("%s: tags not strictly ascending: %q", at, tags)
		}
	}
	if strings.Join(tags, "") != c.Glued {
		t.Errorf("%s: tags line %q is not the truth %q glued", at, c.Glued, tags)
	}
	if n := len(strings.Fields(c.Title)); n < 6 || n > 14 {
		t.Errorf("%s: title has %d words: %q", at, n, c.Title)
	}
	if n := len(strings.Fields(c.Summary)); n < 25 || n > 60 {
		t.Errorf("%s: summary has %d words: %q", at, n, c.Summary)
	}
	if c.Minutes < 1 || c.Minutes > 60 || c.Likes < 0 {
		t.Errorf("%s: %d likes, %d minutes", at, c.Likes, c.Minutes)
	}
	if (c.Source == "") != (c.Category == "") || (c.Source == "") != !c.HasDate() {
		t.Errorf("%s: source %q, category %q, date %v: all or none", at, c.Source, c.Category, c.Date)
	}
	if c.HasDate() && (c.Date.Year() < 2015 || c.Date.Year() > 2025) {
		t.Errorf("%s: date %v outside the ten years", at, c.Date)
	}
}

// TestText checks that the text carries the typography of real pages.
func TestText(t *testing.T) {
	m, _ := generate(t, gen.Config{Cards: 2000, Seed: 5})
	var all strings.Builder
	for _, name := range m.order {
		all.Write(m.files[name].Bytes())
	}
	s := all.String()
	for _, want := range []string{"\u2011", "’", "“", "”", "—", " · "} {
		if !strings.Contains(s, want) {
			t.Errorf("no %q in the corpus", want)
		}
	}
}

func TestVocabulary(t *testing.T) {
	v := gen.NewVocabulary(1, gen.DefaultTags, gen.DefaultSources)
	if len(v.Tags) != gen.DefaultTags || len(v.Sources) != gen.DefaultSources || len(v.Categories) != 20 {
		t.Fatalf("%d tags, %d sources, %d categories", len(v.Tags), len(v.Sources), len(v.Categories))
	}
	key := func(s string) string { return strings.ReplaceAll(catalog.Slugify(s), "-", "") }
	for _, list := range [][]string{v.Tags, v.Sources} {
		seen := map[string]string{}
		for _, name := range list {
			if name != strings.TrimSpace(name) || name == "" || strings.ContainsAny(name, "\n·") {
				t.Fatalf("bad name %q", name)
			}
			if other, ok := seen[key(name)]; ok {
				t.Fatalf("%q and %q would be one tag or source", name, other)
			}
			seen[key(name)] = name
		}
	}
	// The styles of the aggregator's tags are all there.
	var lowerMulti, titleMulti, acronym, camel int
	for _, tag := range v.Tags {
		switch {
		case strings.Contains(tag, " ") && tag == strings.ToLower(tag):
			lowerMulti++
		case strings.Contains(tag, " "):
			titleMulti++
		case len(tag) >= 2 && tag == strings.ToUpper(tag):
			acronym++
		case strings.IndexFunc(tag[1:], func(r rune) bool { return r >= 'A' && r <= 'Z' }) >= 0:
			camel++
		}
	}
	for name, n := range map[string]int{"lowercase multiword": lowerMulti, "Title Case multiword": titleMulti, "acronym": acronym, "CamelCase": camel} {
		if n < gen.DefaultTags/20 {
			t.Errorf("%d %s tags of %d", n, name, gen.DefaultTags)
		}
	}
}

func TestPlan(t *testing.T) {
	for _, n := range []int{1, 199, 200, 12345, 1_000_000} {
		_, ls := gen.Plan(gen.Config{Cards: n, Seed: 1})
		sum := 0
		for i, l := range ls {
			sum += l.Cards
			if l.Cards < 1 || (i > 0 && l.Cards > ls[i-1].Cards+1) {
				t.Errorf("%d cards: listing %d (%s) has %d cards", n, i, l.Tag, l.Cards)
			}
		}
		if sum != n {
			t.Errorf("%d cards: the listings hold %d", n, sum)
		}
	}
}

// TestStreaming checks that memory does not grow with the corpus: a
// writer that keeps nothing sees the pages go by.
func TestStreaming(t *testing.T) {
	lines := 0
	_, err := gen.Generate(gen.Config{Cards: 20_000, Seed: 2}, gen.Output{
		Create: func(string) (io.WriteCloser, error) { return countingWriter{&lines}, nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	if lines < 20_000*8 {
		t.Fatalf("only %d lines for 20,000 cards", lines)
	}
}

type countingWriter struct{ n *int }

func (w countingWriter) Write(p []byte) (int, error) {
	*w.n += bytes.Count(p, []byte("\n"))
	return len(p), nil
}
func (countingWriter) Close() error { return nil }

func BenchmarkGenerate(b *testing.B) {
	for b.Loop() {
		w := bufio.NewWriter(io.Discard)
		if _, err := gen.Generate(gen.Config{Cards: 10_000, Seed: 1}, gen.Output{
			Create: func(string) (io.WriteCloser, error) { return nopWriteCloser{w}, nil },
		}); err != nil {
			b.Fatal(err)
		}
	}
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }
