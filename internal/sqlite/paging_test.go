package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"cardex/internal/catalog"
	"cardex/internal/sqlite"
	"cardex/internal/sqlite/sqlitetest"
)

// Pages in a listing's second half are read from its end, in reverse (see
// window): every page of every kind of listing, put together, is the
// listing in order, as EachArticle streams it in one forward pass. A
// listing counted live past the store's bound (here 250 cards, then
// 2,000) has "more", and its pages are all read from the front.
func TestPagesFromEitherEnd(t *testing.T) {
	s, tags := openGenerated(t, generated(3000))
	for _, countMax := range []int{250, sqlite.LiveCountMax} {
		sqlite.SetCountMax(s, countMax)
		pagesFromEitherEnd(t, s, tags)
	}
}

func pagesFromEitherEnd(t *testing.T, s *sqlite.Store, tags []catalog.Ref) {
	for _, q := range []catalog.Query{
		{},                             // all: the date index
		{Tags: []string{tags[0].Slug}}, // a tag's feed
		{Tags: []string{tags[0].Slug, tags[1].Slug}}, // the rarer tag's feed, the other probed
		{Source: "source00"},                         // deferred join on the source index
		{Category: "category-3", Tags: []string{tags[2].Slug}},
		{Q: "article"}, // a search alone: the index's rowid order
		{Collapse: true},
		{Collapse: true, Tags: []string{tags[0].Slug}}, // one card per story, along the tag's feed
		{Sort: catalog.SortOldest},                     // not newest: always from the front
	} {
		for _, per := range []int{10, 100} {
			q.Per = per
			pages, total, more, each := walk(t, s, q)
			if (more && len(pages) <= total) || (!more && len(pages) != total) || !slices.Equal(pages, each) {
				t.Fatalf("%s: %d articles on the pages, total %d (more: %v), %d streamed; first difference at %d", q.URL(""), len(pages), total, more, len(each), firstDiff(pages, each))
			}
		}
	}
}

// walk returns the ids of every page of q, one page after the other, with
// the listing's total and whether it has more, and the ids EachArticle
// streams for q.
func walk(t *testing.T, s *sqlite.Store, q catalog.Query) (pages []int64, total int, more bool, each []int64) {
	t.Helper()
	ctx := context.Background()
	for p := 1; ; p++ {
		q.Page = p
		page, err := s.Articles(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if p > 1 && (page.Total != total || page.More != more) {
			t.Fatalf("%s: page %d says %d articles (more: %v), page 1 %d (%v)", q.URL(""), p, page.Total, page.More, total, more)
		}
		total, more = page.Total, page.More
		if len(page.Articles) == 0 {
			break
		}
		for _, a := range page.Articles {
			pages = append(pages, a.ID)
		}
	}
	q.Page = 0
	if err := s.EachArticle(ctx, q, func(a catalog.Article) error { each = append(each, a.ID); return nil }); err != nil {
		t.Fatal(err)
	}
	return pages, total, more, each
}

func firstDiff(a, b []int64) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// Pages deep inside a listing on a read-only store are read from its
// anchors (every 20th row, or sparser for a long listing) from the
// listing's second deep page on: put together, the pages are the listing
// in order, as many as its total, for a tag's feed (whose cards without
// a date come last, so an anchor may have no date), a feed probed for a
// second tag, a tag within a category (paged in memory, without
// anchors, on a store that keeps its cards' categories), and a search
// alone whose prefix expands into 200 words; at every page size,
// with anchors every 20 rows and sparser ones.
func TestAnchoredPages(t *testing.T) {
	// 1,500 cards of one tag, two in five without a date, half of them
	// with a second tag, half in each of two categories; the search
	// "word" starts 200 words, and every card has one of them.
	cards := generated(1500)
	for i := range cards {
		c := &cards[i]
		c.Tags = []string{"Tag Big"}
		if i%2 == 0 {
			c.Tags = append(c.Tags, "Tag Half")
		}
		c.Glued = strings.Join(c.Tags, "")
		c.Title = fmt.Sprintf("Article %d word%d", i, i%200)
		c.Category = fmt.Sprintf("Category %d", i%3%2)
		if i%5 < 2 {
			c.Source, c.Date = "", time.Time{}
		}
	}
	s, _ := openGenerated(t, cards)
	// A category of fewer cards than the tag pages the listing along its
	// feed, as at scale (TestFewMatchesOfFiltersWithoutASearch checks the
	// walk of a small one).
	sqlite.SetSmallWalk(s, 0)
	for _, most := range []int{2048, 7} { // anchors every 20 rows; every 220 (1,500 / 7, rounded up to 20s)
		sqlite.SetAnchorRows(s, most)
		for _, l := range []struct {
			q        catalog.Query
			want     int
			anchored int // listings whose anchors walking it keeps
		}{
			{catalog.Query{Tags: []string{"tag-big"}}, 1500, 1},
			{catalog.Query{Tags: []string{"tag-big", "tag-half"}}, 750, 1},
			// Paged in memory, from the index's rows of the tag's name
			// (pageInMemory): no anchors.
			{catalog.Query{Tags: []string{"tag-big"}, Category: "category-0"}, 1000, 0},
			{catalog.Query{Q: "word", Sort: catalog.SortNewest}, 1500, 1}, // newest first: a search with few matches is ranked otherwise
		} {
			q := l.q
			before := sqlite.AnchoredListings(s)
			for _, per := range []int{20, 7, 100} {
				q.Per = per
				pages, total, more, each := walk(t, s, q)
				if len(each) != l.want || total != l.want || more {
					t.Fatalf("%s: %d articles streamed, total %d, want %d", q.URL(""), len(each), total, l.want)
				}
				if !slices.Equal(pages, each) {
					t.Fatalf("anchors at most %d, %s: %d articles on the pages, %d streamed; first difference at %d", most, q.URL(""), len(pages), len(each), firstDiff(pages, each))
				}
			}
			// The anchors are the listing's, whatever the page size.
			if got := sqlite.AnchoredListings(s); got != before+l.anchored {
				t.Fatalf("%s: anchors kept for %d listings, %d before walking it: want %d more", q.URL(""), got, before, l.anchored)
			}
		}
	}
	if got := sqlite.PrefixWords(s, "word"); len(got) != 200 {
		t.Errorf(`"word" expanded into %d words, want 200`, len(got))
	}
}

// Every import that changes the cards leaves the search index in one
// segment: a query that seeks (the highlights of a page, a page from its
// anchor) opens each of its terms once per segment. The index is made
// to flush small segments, so that its rebuild leaves many.
func TestSearchIndexIsOneSegment(t *testing.T) {
	path := generatedDB(t, generated(3000))
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	segments := func() int {
		t.Helper()
		var n int
		if err := db.QueryRow(`SELECT count(DISTINCT segid) FROM cards_fts_idx`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := segments(); n != 1 {
		t.Fatalf("after the first import: %d segments, want 1", n)
	}
	if _, err := db.Exec(`INSERT INTO cards_fts (cards_fts, rank) VALUES ('hashsize', 4096)`); err != nil {
		t.Fatal(err)
	}
	cards := generated(3500) // 500 new cards
	sqlitetest.ImportCards(t, path, cards)
	if n := segments(); n != 1 {
		t.Fatalf("after a second import: %d segments, want 1", n)
	}
}

// A listing in an order of its own (oldest first, longest or shortest
// read first) that its walk gives (a search, a tag's feed) is read
// along that walk: oldest first backwards, undated cards last; a small
// listing in any order listed and sorted; with a date bound, inside the
// range of the walk it gives, in every order. Put together, its pages are
// the listing in that order, as EachArticle streams it with one ORDER
// BY; with the count bound at its default and low enough that the big
// listings are not "small".
func TestSortedPagesAlongTheWalk(t *testing.T) {
	s, tags := openGenerated(t, generated(3000))
	slices.SortFunc(tags, func(a, b catalog.Ref) int { return b.Count - a.Count })
	small := tags[len(tags)/2]
	if small.Count < 5 || small.Count > 200 || tags[0].Count < 500 {
		t.Fatalf("tag sizes %d and %d: nothing to check", tags[0].Count, small.Count)
	}
	for _, countMax := range []int{sqlite.LiveCountMax, 50} {
		sqlite.SetCountMax(s, countMax)
		for _, q := range []catalog.Query{
			{Q: "article"}, // the search index alone
			{Q: `"article"`, Tags: []string{tags[1].Slug}}, // a search walk, the tag probed
			{Q: "article", Category: "category-3"},
			{Tags: []string{tags[0].Slug}}, // a big tag's feed
			{Tags: []string{small.Slug}},   // a small one
			{Tags: []string{tags[0].Slug, tags[2].Slug}},
			{Tags: []string{tags[1].Slug}, Category: "category-5"},
			{Tags: []string{tags[0].Slug}, Collapse: true},
			{Q: "article", From: date(t, "2017"), To: date(t, "2019-06")}, // a range of the index's places
			{Q: `"article"`, Tags: []string{tags[1].Slug}, From: date(t, "2020")},
			{Tags: []string{tags[0].Slug}, To: date(t, "2016-03")}, // a range of the feed
			{Tags: []string{tags[0].Slug}, From: date(t, "2018"), Collapse: true},
		} {
			for _, sort := range []catalog.Sort{catalog.SortNewest, catalog.SortOldest, catalog.SortLongest, catalog.SortShortest} {
				for _, per := range []int{30, 100} {
					q.Sort, q.Per = sort, per
					pages, total, more, each := walk(t, s, q)
					if len(each) == 0 || (!more && len(pages) != total) || !slices.Equal(pages, each) {
						t.Fatalf("%s (bound %d): %d articles on the pages, total %d (more: %v), %d streamed; first difference at %d",
							q.URL(""), countMax, len(pages), total, more, len(each), firstDiff(pages, each))
					}
				}
			}
		}
	}
	sqlite.SetCountMax(s, sqlite.LiveCountMax)
	// A bound past every card's date, or before it: no place in range.
	for _, q := range []catalog.Query{
		{Q: "article", Category: "category-3", From: date(t, "2099")},
		{Q: "article", Category: "category-3", To: date(t, "2001")},
		{Tags: []string{tags[0].Slug}, From: date(t, "2099")},
	} {
		page, err := s.Articles(context.Background(), q)
		if err != nil || page.Total != 0 || page.More || len(page.Articles) != 0 {
			t.Errorf("%s: total %d (more: %v), %d articles, %v; want none", q.URL(""), page.Total, page.More, len(page.Articles), err)
		}
	}
}

// A date bound that does not parse, from a Go caller (ParseQuery refuses
// it first for HTTP), is an error that names the parameter, on a tag's
// feed and a search's walk too, where the bound is a range of the walk.
func TestBadDateBound(t *testing.T) {
	s, _ := seedStore(t)
	ctx := context.Background()
	bad := catalog.DateBound{Text: "soon"}
	for _, q := range []catalog.Query{
		{Tags: []string{"distributed-systems"}, From: bad},
		{Tags: []string{"distributed-systems"}, To: bad, Collapse: true},
		{Q: "kafka", Tags: []string{"distributed-systems"}, From: bad},
		{Tags: []string{"distributed-systems", "kafka"}, From: bad}, // no "any" group to widen: the sidebar walks the feed first
		{Tags: []string{"distributed-systems", "kafka"}, To: bad},
	} {
		if _, err := s.Articles(ctx, q); err == nil || !strings.Contains(err.Error(), "soon") {
			t.Errorf("Articles %+v: %v, want an error about the date", q, err)
		}
		if _, err := s.Facets(ctx, q); err == nil || !strings.Contains(err.Error(), "soon") {
			t.Errorf("Facets %+v: %v, want an error about the date", q, err)
		}
	}
}
