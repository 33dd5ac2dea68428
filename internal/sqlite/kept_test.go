package sqlite_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"cardex/internal/catalog"
	"cardex/internal/sqlite"
	"cardex/internal/sqlite/sqlitetest"
)

// A read-only store lists by read time in memory (its cards' read times
// kept, their matches listed newest first and sorted by a counting sort)
// exactly as SQLite's ORDER BY lists them on a store opened for writing:
// the same cards on every page, ties newest first, with the same totals,
// for every card, tags, a search, a source, a category, dates and their
// combinations, an "any" group or a tag left out alone (every place
// tested: scan), with one card per story too (the seed's stories); a
// listing it would walk with a probe of each card (an "any" group from a
// source of fewer cards than scanFromCards) is left to SQLite.
func TestReadTimeOrdersInMemory(t *testing.T) {
	ctx := context.Background()
	path := generatedDB(t, generated(3000))
	ro := sqlitetest.OpenReadOnly(t, path)
	tags, err := ro.Tags(ctx, "")
	if err != nil || len(tags) < 5 {
		t.Fatalf("%d tags (%v)", len(tags), err)
	}
	from := date(t, "2019")
	checkReadTimeOrders(t, ro, path, []catalog.Query{
		{},
		{Collapse: true},
		{Tags: []string{tags[0].Slug}},
		{Tags: []string{tags[4].Slug}},
		{Tags: []string{tags[0].Slug, tags[1].Slug}},
		{Tags: []string{tags[0].Slug}, Not: []string{tags[2].Slug}},
		{Tags: []string{tags[0].Slug}, Collapse: true},
		{Tags: []string{tags[0].Slug}, From: from},
		{Q: "article"},
		{Q: "article", Tags: []string{tags[3].Slug}},
		{Q: "article -1"},
		{Q: "article -002", Category: "category-3"},
		{Q: "article", Source: "source01"},
		{Q: "article", Source: "source01", Category: "category-3", Collapse: true},
		{Source: "source01"},
		{Category: "category-3"},
		{Source: "source01", Category: "category-3"},
		{From: from},
		{Any: []string{tags[0].Slug, tags[1].Slug}},
		{Not: []string{tags[0].Slug}},
	}, []catalog.Query{
		{Any: []string{tags[0].Slug, tags[1].Slug}, Source: "source01"},
	})

	// Stories: the seed's, and generated cards posted again (repostedDB).
	seed := sqlitetest.SeedDB(t)
	reposted, _ := repostedDB(t)
	for _, path := range []string{seed, reposted} {
		s := sqlitetest.OpenReadOnly(t, path)
		all, err := s.Articles(ctx, catalog.Query{})
		if err != nil {
			t.Fatal(err)
		}
		collapsed, err := s.Articles(ctx, catalog.Query{Collapse: true})
		if err != nil {
			t.Fatal(err)
		}
		if collapsed.Total >= all.Total {
			t.Fatalf("%d cards, %d with one card per story: no story to check", all.Total, collapsed.Total)
		}
		checkReadTimeOrders(t, s, path, []catalog.Query{
			{Collapse: true},
			{Collapse: true, From: date(t, "2016")},
		}, nil)
	}
	checkReadTimeOrders(t, sqlitetest.OpenReadOnly(t, seed), seed, []catalog.Query{
		{Tags: []string{"distributed-systems"}, Collapse: true},
		{Q: "data", Collapse: true},
		{Q: "data", Category: "operations", Collapse: true},
		{Category: "operations", Collapse: true},
	}, nil)
}

// A read-only store's pages newest first with one card per story, read
// from memory from a row on (and up to as many rows before the end),
// are those SQLite's walk gives on a store opened for writing: every
// page, the ones before and after the hand-over included, whether the
// listing's size is known or counted up to the bound (a row more asked
// for), newest first and a search's relevance when too common to rank,
// for every card, a tag, a word, a source, a category and dates, on the
// seed's stories and on cards posted again, a word in a category, a
// source, tags or dates too (filtered in memory); a listing walked
// with a filter tested on each card's row (a tag in a category) is left
// to the walk.
func TestCollapsedPagesInMemory(t *testing.T) {
	ctx := context.Background()
	reposted, original := repostedDB(t)
	for _, db := range []struct {
		path, word string
		more       []catalog.Query
	}{
		{sqlitetest.SeedDB(t), "the", nil},
		// The source of a card posted again the day after: it lists the
		// older card without its story's newer one.
		{reposted, "article", []catalog.Query{{Source: original}}},
	} {
		path := db.path
		ro, rw, tags, source, cat := bothStores(t, path)
		sqlite.SetCollapsedFrom(ro, 6)
		for _, countMax := range []int{sqlite.LiveCountMax, 5} {
			sqlite.SetCountMax(ro, countMax)
			sqlite.SetCountMax(rw, countMax)
			walked := []catalog.Query{ // a filter tested on each card: not from memory
				{Tags: []string{tags[0].Slug}, Category: cat},
			}
			for i, q := range slices.Concat(walked, []catalog.Query{
				{},
				{Q: db.word, Category: cat, From: date(t, "2016")},
				{Q: db.word, Tags: []string{tags[0].Slug}},
				{Q: db.word, Category: cat, Any: []string{tags[0].Slug, tags[1].Slug}},
				{Q: db.word, Not: []string{tags[1].Slug}},
				{Q: db.word, Source: source},
				{Q: db.word, Category: cat},
				{Q: db.word, Source: source, Category: cat},
				{Tags: []string{tags[0].Slug}},
				{Q: db.word},
				{Q: db.word, Sort: catalog.SortRelevance},
				{Source: source},
				{Category: cat},
				{From: date(t, "2016")},
			}, db.more) {
				if q.Sort == "" {
					q.Sort = catalog.SortNewest
				}
				q.Collapse, q.Per = true, 3
				if ok, err := sqlite.CollapsedFromMemory(ctx, ro, q); err != nil || ok != (i >= len(walked)) {
					t.Fatalf("%s: from memory %v (%v)", q.URL(""), ok, err)
				}
				for p := 1; ; p++ {
					q.Page = p
					want, got := bothPages(t, rw, ro, q)
					if w, g := ids(want.Articles), ids(got.Articles); !slices.Equal(g, w) {
						t.Fatalf("%s (count bound %d): page %d: %v, SQLite's %v", q.URL(""), countMax, p, g, w)
					}
					if len(want.Articles) == 0 {
						if p < 5 {
							t.Fatalf("%s: %d pages, too few to check", q.URL(""), p-1)
						}
						break
					}
				}
			}
		}
	}
}

// repostedDB returns the path of a database of 400 generated cards and
// 12 of them posted again by another source: dated cards the same day
// (one card per story keeps the smaller id) or the day after (it keeps
// the newer), an undated card undated (the smaller id), and a dated one
// undated (it keeps the dated); and the source of a card posted again the
// day after.
func repostedDB(t *testing.T) (path, original string) {
	cards := generated(400)
	var dated, undated []int
	for i, c := range cards {
		if c.HasDate() {
			dated = append(dated, i)
		} else {
			undated = append(undated, i)
		}
	}
	if len(dated) < 9 || len(undated) < 3 {
		t.Fatalf("%d dated cards, %d undated", len(dated), len(undated))
	}
	repost := func(i, k int, change func(*catalog.Card)) {
		c := cards[i]
		c.Source, c.Line = fmt.Sprintf("reposter%d", k), 1+8*(400+k)
		change(&c)
		cards = append(cards, c)
	}
	for k := range 8 {
		repost(dated[k*5], k, func(c *catalog.Card) {
			if k%2 == 1 {
				c.Date = c.Date.AddDate(0, 0, 1)
			}
		})
	}
	original = catalog.Slugify(cards[dated[5]].Source)
	for k := range 2 {
		repost(undated[k], 8+k, func(*catalog.Card) {})
		repost(dated[40+k], 10+k, func(c *catalog.Card) { c.Date = time.Time{} })
	}
	return generatedDB(t, cards), original
}

// checkReadTimeOrders checks that ro (read-only, of the database at
// path) lists each of inMemory by read time in memory, and each of
// leftToSQLite not, with the pages, in both orders, that a store opened
// for writing gives.
func checkReadTimeOrders(t *testing.T, ro *sqlite.Store, path string, inMemory, leftToSQLite []catalog.Query) {
	t.Helper()
	ctx := context.Background()
	rw, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer rw.Close()
	for i, q := range slices.Concat(inMemory, leftToSQLite) {
		for _, sort := range []catalog.Sort{catalog.SortLongest, catalog.SortShortest} {
			q.Sort, q.Per, q.Page = sort, 7, 1
			first, err := rw.Articles(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if first.Total < 2 && !first.More {
				t.Fatalf("%s: %d results, too few to check", q.URL(""), first.Total)
			}
			sorted, err := sqlite.TimeSorted(ctx, ro, q)
			if err != nil {
				t.Fatal(err)
			}
			if sorted != (i < len(inMemory)) {
				t.Fatalf("%s: sorted in memory %v", q.URL(""), sorted)
			}
			last := first.Pages()
			for _, p := range []int{1, 2, max(1, last/2), last, last + 1} {
				q.Page = p
				want, got := bothPages(t, rw, ro, q)
				w, g := ids(want.Articles), ids(got.Articles)
				// (A writable store counts a search up to the bound, where a
				// read-only one knows a word's count.)
				if !slices.Equal(g, w) || (!want.More && (got.Total != want.Total || got.More)) {
					t.Fatalf("%s: page %d of %d: %v (total %d, more %v), SQLite's %v (total %d, more %v)",
						q.URL(""), p, last, g, got.Total, got.More, w, want.Total, want.More)
				}
			}
		}
	}
}
