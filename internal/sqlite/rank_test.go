package sqlite_test

import (
	"context"
	"slices"
	"testing"

	"cardex/internal/catalog"
	"cardex/internal/sqlite"
)

// A ranking worked out in Go is FTS5's bm25 to the bit: for every word of
// the seed in at least two cards, as a word, as a prefix, with a second
// word, twice, with a word excluded, the Go scores equal bm25(cards_fts,
// ...) of the same MATCH; with those and within a tag, a category, less
// a tag with one card per story, or from a date, the order (ties newest
// first) is the one FTS5's bm25 gives, and the listing's total is the
// number ranked.
func TestRankingByLengthsIsBM25(t *testing.T) {
	ctx := context.Background()
	s, db := seedReadOnly(t)
	bm25 := func(match string) map[int64]float64 {
		return scores(t, db, `SELECT rowid, bm25(cards_fts, `+sqlite.BM25Weights+`) FROM cards_fts WHERE cards_fts MATCH ?`, match)
	}
	rows, err := db.Query(`SELECT term FROM search_words WHERE doc >= 2 AND term GLOB '[a-z]*' AND term NOT GLOB '*[^a-z0-9]*' ORDER BY term`)
	if err != nil {
		t.Fatal(err)
	}
	var words []string
	for rows.Next() {
		var w string
		if err := rows.Scan(&w); err != nil {
			t.Fatal(err)
		}
		words = append(words, w)
	}
	if rows.Close(); len(words) < 100 {
		t.Fatalf("%d words in two cards or more: too few to check", len(words))
	}
	from, err := catalog.ParseDateBound("2025-06")
	if err != nil {
		t.Fatal(err)
	}
	// The MATCH of a word as typed: a prefix from three letters on (an
	// excluded word is always whole).
	typed := func(w string) string {
		if len(w) < 3 {
			return `"` + w + `"`
		}
		return `"` + w + `"*`
	}
	type check struct {
		q     catalog.Query
		match string // the search as FTS5 ranks it; "" when filtered
	}
	var checks []check
	for i, w := range words {
		other := words[(i+1)%len(words)]
		checks = append(checks,
			check{catalog.Query{Q: `"` + w + `"`}, `"` + w + `"`},
			check{catalog.Query{Q: w}, typed(w)},
			check{catalog.Query{Q: w + " " + other}, typed(w) + ` AND ` + typed(other)},
			check{catalog.Query{Q: w + " -" + other}, `(` + typed(w) + `) NOT ("` + other + `")`},
			check{catalog.Query{Q: w + " " + w}, typed(w) + ` AND ` + typed(w)},
			check{catalog.Query{Q: w, Tags: []string{"distributed-systems"}}, ""},
			check{catalog.Query{Q: w, Category: "operations"}, ""},
			check{catalog.Query{Q: w + " -" + other, Tags: []string{"distributed-systems"}}, ""},
			check{catalog.Query{Q: w, Not: []string{"microservices"}, Collapse: true}, ""},
			check{catalog.Query{Q: w, From: from}, ""},
		)
		if len(w) > 4 {
			checks = append(checks, check{catalog.Query{Q: w[:3]}, typed(w[:3])})
		}
	}
	tied, ranked := 0, 0
	for i, c := range checks {
		byLengths, scores, ok, byFTS5, err := sqlite.RankingTwice(ctx, s, c.q)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			t.Fatalf("%s: not ranked in Go", c.q.URL(""))
		}
		if !slices.Equal(byLengths, byFTS5) {
			t.Fatalf("%s: ranked in Go %v, by FTS5 %v", c.q.URL(""), byLengths, byFTS5)
		}
		if len(byLengths) > 1 {
			ranked++
		}
		if c.match == "" {
			// Counted by its ranking (the search alone is ranked): the
			// listing's total is the number ranked.
			// Now and then counted afresh, the search's own count and
			// ranking forgotten: the count then works the ranking out
			// (countTotal), where otherwise it is remembered from
			// RankingTwice's calls.
			if i%7 == 0 {
				s.Forget()
			}
			page, err := s.Articles(ctx, c.q)
			if err != nil {
				t.Fatal(err)
			}
			if page.Total != len(byFTS5) || page.More || page.Unranked {
				t.Fatalf("%s: total %d (more %v, unranked %v), %d ranked", c.q.URL(""), page.Total, page.More, page.Unranked, len(byFTS5))
			}
			continue
		}
		want := bm25(c.match)
		if len(want) != len(scores) {
			t.Fatalf("%s: %d scores in Go, %d by FTS5", c.q.URL(""), len(scores), len(want))
		}
		seen := map[float64]bool{}
		for seq, k := range want {
			if scores[seq] != k {
				t.Fatalf("%s: place %d scored %v in Go, %v by FTS5", c.q.URL(""), seq, scores[seq], k)
			}
			if seen[k] {
				tied++
			}
			seen[k] = true
		}
	}
	// A phrase of words is ranked by FTS5 (so is any term Go cannot
	// read the places of).
	if _, _, ok, byFTS5, err := sqlite.RankingTwice(ctx, s, catalog.Query{Q: `"distributed systems"`}); err != nil || ok || len(byFTS5) < 2 {
		t.Fatalf("a phrase: ranked in Go %v, %d ranked by FTS5 (%v)", ok, len(byFTS5), err)
	}
	// The checks would pass on rankings of one card, or with no ties to
	// order newest first.
	if ranked < len(checks)/4 || tied == 0 {
		t.Fatalf("%d of %d rankings of more than one card, %d ties: too few to check", ranked, len(checks), tied)
	}
	t.Logf("%d rankings (%d of more than one card, %d tied scores)", len(checks), ranked, tied)
}
