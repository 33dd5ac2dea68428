package sqlite_test

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"testing"

	"cardex/internal/catalog"
	"cardex/internal/sqlite"
	"cardex/internal/sqlite/sqlitetest"
)

// A search with more matches than are ranked (2,000) lists them newest
// first and says so, with the same order on every page (near pages probe
// the index card by card, deep ones list every match) and in EachArticle.
func TestSearchTooCommonToRank(t *testing.T) {
	ctx := context.Background()
	cards := generated(3000)
	s := sqlitetest.OpenReadOnly(t, generatedDB(t, cards))

	// Every card's summary says "About article N.": card i has id i+1.
	type card struct {
		id  int64
		day string
	}
	var all []card
	for i, c := range cards {
		d := ""
		if c.HasDate() {
			d = c.Date.Format("2006-01-02")
		}
		all = append(all, card{int64(i + 1), d})
	}
	slices.SortFunc(all, func(a, b card) int {
		if (a.day == "") != (b.day == "") { // undated last
			if a.day == "" {
				return 1
			}
			return -1
		}
		return cmp.Or(cmp.Compare(b.day, a.day), cmp.Compare(b.id, a.id))
	})
	to, err := catalog.ParseDateBound("2030")
	if err != nil {
		t.Fatal(err)
	}
	// A search alone walks the index in its own (listing) order, and so
	// does a search with a filter (searchWalk), the filter probed on
	// each match; a word as typed is also a prefix ("article*"), a quoted
	// word exact.
	for _, tc := range []struct {
		q     catalog.Query
		dated bool // only dated cards match
	}{
		{catalog.Query{Q: "article"}, false},
		{catalog.Query{Q: `"article"`}, false},
		{catalog.Query{Q: "article", To: to}, true},
		{catalog.Query{Q: `"article"`, To: to}, true},
	} {
		var want []int64
		for _, c := range all {
			if !tc.dated || c.day != "" {
				want = append(want, c.id)
			}
		}
		q := tc.q
		q.Per = 100
		var got []int64
		for p := 1; ; p++ {
			q.Page = p
			page, err := s.Articles(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			// A search alone is counted in full; with a filter it is
			// counted live, up to the store's bound.
			wantTotal, wantMore := len(want), false
			if tc.dated && wantTotal > sqlite.LiveCountMax {
				wantTotal, wantMore = sqlite.LiveCountMax, true
			}
			if page.Total != wantTotal || page.More != wantMore || !page.Unranked {
				t.Fatalf("%s, page %d: total %d (more: %v), unranked %v; want %d (%v), true", q.URL(""), p, page.Total, page.More, page.Unranked, wantTotal, wantMore)
			}
			if len(page.Articles) == 0 {
				break
			}
			for _, a := range page.Articles {
				got = append(got, a.ID)
				if !strings.Contains(a.MarkedSummary, catalog.MarkStart+"article"+catalog.MarkEnd) {
					t.Fatalf("%s, page %d: article %d is not highlighted: %q", q.URL(""), p, a.ID, a.MarkedSummary)
				}
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("%s: pages are not newest first: got %v…, want %v…", q.URL(""), got[:10], want[:10])
		}
		q.Page = 0
		var each []int64
		if err := s.EachArticle(ctx, q, func(a catalog.Article) error { each = append(each, a.ID); return nil }); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(each, want) {
			t.Fatalf("%s: EachArticle's order differs from the pages'", q.URL(""))
		}
	}

	// A phrase with few matches ("About article 12.", "Article 12") is
	// ranked.
	few, err := s.Articles(ctx, catalog.Query{Q: `"article 12"`})
	if err != nil {
		t.Fatal(err)
	}
	if few.Unranked || few.Total == 0 {
		t.Fatalf("a search of %d matches is unranked", few.Total)
	}
}

// A search ranked with other filters lists exactly the listing's matches
// in bm25 order of the search, ties newest first, as a reference
// computes it (every match of the search scored, then filtered), on
// every page and in EachArticle. When the search alone has more matches
// than the store ranks, the listing is newest first and says so, however
// few of them the filters keep: ranking scores every match of the
// search.
func TestRankingWithFilters(t *testing.T) {
	ctx := context.Background()
	s, db := seedReadOnly(t)
	score := func(match string) map[int64]float64 {
		return scores(t, db, `SELECT c.id, bm25(cards_fts, `+sqlite.BM25Weights+`) FROM cards_fts f JOIN cards c ON c.seq = f.rowid WHERE cards_fts MATCH ?`, match)
	}
	ranked := 0
	for _, tc := range []struct {
		q     catalog.Query
		match string // the search as FTS5 reads it
	}{
		{catalog.Query{Q: `"data"`}, `"data"`},
		{catalog.Query{Q: `"data"`, Tags: []string{"distributed-systems"}}, `"data"`},
		{catalog.Query{Q: `"data"`, Category: "operations"}, `"data"`},
		{catalog.Query{Q: `"data"`, Not: []string{"microservices"}}, `"data"`},
		{catalog.Query{Q: `"data"`, Collapse: true}, `"data"`},
		{catalog.Query{Q: `"system" -kafka`, Tags: []string{"distributed-systems"}}, `"system"`},
		{catalog.Query{Q: "consist"}, `"consist"*`},
		{catalog.Query{Q: "consist", Tags: []string{"distributed-systems"}}, `"consist"*`},
	} {
		q := tc.q
		q.Sort, q.Per = catalog.SortNewest, catalog.MaxPer
		var newest []int64
		if err := s.EachArticle(ctx, q, func(a catalog.Article) error { newest = append(newest, a.ID); return nil }); err != nil {
			t.Fatal(err)
		}
		scores := score(tc.match)
		want := slices.Clone(newest) // stable: ties stay newest first
		slices.SortStableFunc(want, func(a, b int64) int { return cmp.Compare(scores[a], scores[b]) })
		if len(want) < 3 || slices.Equal(want, newest) {
			t.Fatalf("%s: %d matches, ranked as listed newest first: nothing to check", q.URL(""), len(want))
		}
		ranked++
		q.Sort, q.Per = catalog.SortRelevance, 4
		pages, total, more, each := walk(t, s, q)
		if total != len(want) || more || !slices.Equal(pages, want) || !slices.Equal(each, want) {
			t.Errorf("%s: total %d (more: %v)\npages %v\neach  %v\nwant  %v", q.URL(""), total, more, pages, each, want)
		}
		page, err := s.Articles(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if page.Unranked {
			t.Errorf("%s: unranked", q.URL(""))
		}
	}
	// "data" alone has more matches than a bound of 20, the tag's few:
	// newest first.
	all, err := s.Articles(ctx, catalog.Query{Q: `"data"`, Per: catalog.MaxPer})
	if err != nil {
		t.Fatal(err)
	}
	sqlite.SetCountMax(s, 20)
	defer sqlite.SetCountMax(s, sqlite.LiveCountMax)
	q := catalog.Query{Q: `"data"`, Category: "operations", Per: catalog.MaxPer}
	page, err := s.Articles(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if all.Total <= 20 || page.Total > 20 || page.More || !page.Unranked {
		t.Fatalf("%s: total %d (more: %v), unranked %v; the search alone %d", q.URL(""), page.Total, page.More, page.Unranked, all.Total)
	}
	q.Sort = catalog.SortNewest
	newest, err := s.Articles(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.EqualFunc(page.Articles, newest.Articles, func(a, b catalog.Article) bool { return a.ID == b.ID }) {
		t.Errorf("%s: unranked, but not newest first", q.URL(""))
	}
	// No results: nothing to rank, nor to say is newest first.
	none, err := s.Articles(ctx, catalog.Query{Q: `"data"`, From: date(t, "2099")})
	if err != nil {
		t.Fatal(err)
	}
	if none.Total != 0 || none.Unranked {
		t.Errorf("no results: total %d, unranked %v", none.Total, none.Unranked)
	}
}
