package sqlite

import (
	"database/sql"
	"strings"
	"testing"

	"cardex/internal/catalog"
)

// ftsHighlighter marks text as FTS5's highlight() does, with the index's
// tokenizer: the reference markMatches must agree with.
type ftsHighlighter struct{ db *sql.DB }

func newFTSHighlighter(tb testing.TB) ftsHighlighter {
	db, err := sql.Open("sqlite3", ":memory:")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE VIRTUAL TABLE t USING fts5 (x, y, tokenize = 'unicode61 remove_diacritics 2')`); err != nil {
		tb.Fatal(err)
	}
	return ftsHighlighter{db}
}

// mark returns FTS5's highlight of text for the search, on a row that
// matches it in any case (its other column holds every searched word, as
// a card's tags or source may), or ok false when FTS5 finds no row.
func (h ftsHighlighter) mark(tb testing.TB, text string, s catalog.Search) (string, bool) {
	match, _ := ftsMatchWith(s, leavePrefixes)
	var words []string
	for _, t := range s.Terms {
		if !t.Exclude {
			words = append(words, strings.Join(t.Words, " "))
		}
	}
	if _, err := h.db.Exec(`DELETE FROM t`); err != nil {
		tb.Fatal(err)
	}
	if _, err := h.db.Exec(`INSERT INTO t (x, y) VALUES (?, ?)`, text, strings.Join(words, " , ")); err != nil {
		tb.Fatal(err)
	}
	var out string
	switch err := h.db.QueryRow(`SELECT highlight(t, 0, char(1), char(2)) FROM t WHERE t MATCH ?`, match).Scan(&out); err {
	case nil:
		return out, true
	case sql.ErrNoRows:
		return "", false
	default:
		tb.Fatalf("MATCH %q: %v", match, err)
		return "", false
	}
}

// markCase checks markMatches against FTS5 for one text and search; it
// reports whether markMatches marked the text itself.
func markCase(t *testing.T, h ftsHighlighter, text, search string) bool {
	s := catalog.ParseSearch(search)
	if !s.HasPositive() {
		return false
	}
	got, ok := markMatches(text, s)
	if !ok {
		return false
	}
	want, found := h.mark(t, text, s)
	if !found {
		return false
	}
	if got != want {
		t.Fatalf("search %q in %q:\n got %q\nwant %q (FTS5)", search, text, got, want)
	}
	return true
}

// Marking search matches in Go gives, byte for byte, what FTS5's
// highlight() gives: on every title and summary of the seed page, for
// words, prefixes, phrases, repeated and overlapping terms; and it
// declines (leaving FTS5 to mark) text or searches with letters outside
// ASCII.
func TestMarkMatchesIsFTS5Highlight(t *testing.T) {
	h := newFTSHighlighter(t)
	texts := seedTexts(t)
	searches := []string{"kafka", "distributed sys", `"event sourcing"`, "multi-layer", "consensus raft", "data", "a", "the the",
		`"the" the`, "stream processing", "CRDT", "crdts", "2PC", "db", "s", "in the", "e", "systems -kafka", `"distributed systems" distr`}
	marked := 0
	for _, text := range texts {
		for _, q := range searches {
			if markCase(t, h, text, q) {
				marked++
			}
		}
	}
	if marked < len(texts)*len(searches)*9/10 {
		t.Errorf("markMatches marked %d of %d cases itself; want nearly all", marked, len(texts)*len(searches))
	}
	for _, c := range []struct{ text, search string }{
		{"Café culture", "cafe"},
		{"分布式系统 consensus", "consensus"},
		{"naïve approach", "approach"},
		{"plain text", "café"},
		{"bad \xff byte", "bad"},
	} {
		if _, ok := markMatches(c.text, catalog.ParseSearch(c.search)); ok {
			t.Errorf("markMatches(%q, %q) marked it itself; want it left to FTS5", c.text, c.search)
		}
	}
	for _, c := range []struct{ text, search, want string }{
		{"Kafka\u2011based streams \u2014 a “Kafka” story", "kafka", "\x01Kafka\x02\u2011based streams \u2014 a “\x01Kafka\x02” story"},
		{"a b a b", `"a b"`, "\x01a b\x02 \x01a b\x02"},
		{"a a a", `"a a"`, "\x01a a a\x02"},
	} {
		if got, ok := markMatches(c.text, catalog.ParseSearch(c.search)); !ok || got != c.want {
			t.Errorf("markMatches(%q, %q) = %q, %v; want %q", c.text, c.search, got, ok, c.want)
		}
	}
}

// FuzzMarkMatches checks markMatches against FTS5's highlight() on any
// text and search: wherever it marks text itself, it marks it as FTS5.
func FuzzMarkMatches(f *testing.F) {
	for _, text := range seedTexts(f)[:20] {
		f.Add(text, "distributed sys")
	}
	f.Add("a b a b", `"a b" b`)
	f.Add("x-y x\u2011y", "x-y")
	h := newFTSHighlighter(f)
	f.Fuzz(func(t *testing.T, text, search string) {
		if len(text) > 4096 || len(search) > 200 {
			return
		}
		markCase(t, h, text, search)
	})
}

// seedTexts returns the titles and summaries of the seed page's cards.
func seedTexts(tb testing.TB) []string {
	var texts []string
	for _, c := range seedCards(tb) {
		texts = append(texts, c.Title, c.Summary)
	}
	return texts
}
