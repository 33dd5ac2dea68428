package sqlite_test

import (
	"context"
	"database/sql"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"cardex/internal/catalog"
	"cardex/internal/sqlite"
	"cardex/internal/sqlite/sqlitetest"
)

// A read-only store keeps every card's tags, by place, as card_tags
// holds them.
func TestKeptTagsAreCardTags(t *testing.T) {
	ctx := context.Background()
	for _, path := range []string{sqlitetest.SeedDB(t), generatedDB(t, generated(3000))} {
		kept, stored, ok, err := sqlite.KeptTagsOfEveryCard(ctx, sqlitetest.OpenReadOnly(t, path))
		if err != nil || !ok {
			t.Fatalf("%s: tags kept %v (%v)", path, ok, err)
		}
		if len(stored) < 90 || !maps.EqualFunc(kept, stored, slices.Equal) {
			t.Fatalf("%s: %d cards' tags kept, card_tags has %d: they differ", path, len(kept), len(stored))
		}
	}
}

// A read-only store lists a search with tags (AND, "any", excluded), a
// source, a category or dates as the search index's matches, its filters
// tested in memory, and gives what SQLite's walk gives on a store opened
// for writing: every page's cards, the totals (counted up to the bound
// or not), whether more follow, the relevance order of a ranked search,
// and the sidebar; with the matches narrowed by the filters' names or
// not, and with one card per story (on the seed's stories and on cards
// posted again), with a search or without one (tags, an "any" group or a
// source, listed by their names in the index).
func TestSearchesWithTagsInMemory(t *testing.T) {
	ctx := context.Background()
	gen := generatedDB(t, generated(3000))
	seed := sqlitetest.SeedDB(t)
	reposted, original := repostedDB(t)
	// The day of a card posted again the same day: two cards of one day,
	// whose places the bounds of that day must both take in.
	again, err := sqlitetest.OpenReadOnly(t, reposted).Articles(ctx, catalog.Query{Source: "reposter0"})
	if err != nil || len(again.Articles) != 1 || again.Articles[0].Date.IsZero() {
		t.Fatalf("the card posted again: %+v (%v)", again.Articles, err)
	}
	twice := date(t, again.Articles[0].Date.Format(time.DateOnly))
	for _, db := range []struct {
		path string
		per  int
		qs   func(tags []catalog.Ref, source, cat string) []catalog.Query
	}{
		{gen, 60, func(tags []catalog.Ref, source, cat string) []catalog.Query {
			t0, t1, t2, t3 := tags[0].Slug, tags[1].Slug, tags[2].Slug, tags[3].Slug
			return []catalog.Query{
				{Q: "article", Tags: []string{t0}},
				{Q: "article", Tags: []string{t0, t1}},
				{Q: "article", Tags: []string{t3}, Source: source},
				{Q: "article", Not: []string{t0}},
				{Q: "article", Tags: []string{t1}, Not: []string{t0}},
				{Q: "article", Any: []string{t0, t1}},
				{Q: "article", Any: []string{t2, t3}, Category: cat},
				{Q: "article -1", Tags: []string{t0}},
				{Q: "tag", Tags: []string{t2}},
				{Q: `"about article"`, Tags: []string{t1}},
				{Q: "article", Tags: []string{t0}, Sort: catalog.SortRelevance},
				{Q: "article", Tags: []string{t0}, From: date(t, "2019")},
				{Q: "article", Not: []string{t0}, To: date(t, "2017-06")},
				{Q: "article", Source: source, From: date(t, "2016-03-04"), To: date(t, "2021")},
				{Q: "article", Tags: []string{t1}, From: date(t, "2030")},
				// Two words the store keeps the rows of (wordSets), and a
				// word it does not keep beside one it does.
				{Q: "article tag", Tags: []string{t1}},
				{Q: "about article -1", Any: []string{t0, t2}, Source: source},
				{Q: "article 010", Tags: []string{t0}},
				// Kept words without names to narrow by: read from the
				// sets alone, excluded ones too.
				{Q: "article -001", Category: cat},
				{Q: "tag 000 -002", From: date(t, "2018"), To: date(t, "2021-06")},
				{Q: "000 -002", Category: cat, Not: []string{t1}, Sort: catalog.SortLongest},
				{Q: "about -001", Category: cat, Sort: catalog.SortShortest},
			}
		}},
		{seed, 2, func(tags []catalog.Ref, source, cat string) []catalog.Query {
			t0, t1, t2 := tags[0].Slug, tags[1].Slug, tags[2].Slug
			return []catalog.Query{
				{Q: "data", Tags: []string{t0}, Sort: catalog.SortRelevance},
				{Q: "data", Tags: []string{t1}, Sort: catalog.SortRelevance},
				{Q: "data -consensus", Any: []string{t1, t2}, Sort: catalog.SortRelevance},
				{Q: "data", Tags: []string{t0}},
				{Q: "systems", Not: []string{t1}, Source: source},
				{Q: "data", Category: cat, Tags: []string{t0}},
				{Q: "data", Tags: []string{t0}, Collapse: true},
				{Q: "the", Not: []string{t1}, Collapse: true},
				{Q: "data", Any: []string{t0, t1}, Collapse: true, Sort: catalog.SortRelevance},
				{Any: []string{t1, t2}, Collapse: true},
				{Tags: []string{t0}, Source: source, Collapse: true},
			}
		}},
		// Cards posted again (one card per story keeps the smaller id of
		// the same day, the newer of two days, the dated of a dated and
		// an undated): every repost carries its card's tags, from
		// another source.
		{reposted, 9, func(tags []catalog.Ref, source, cat string) []catalog.Query {
			t0, t1 := tags[0].Slug, tags[1].Slug
			return []catalog.Query{
				{Q: "article", Tags: []string{t0}, Collapse: true},
				{Q: "article", Not: []string{t1}, Collapse: true},
				{Q: "article", Any: []string{t0, t1}, Category: cat, Collapse: true},
				{Q: "article", Source: original, Collapse: true},
				{Q: "about -1", Tags: []string{t1}, Collapse: true},
				{Q: "article", Tags: []string{t0}, Collapse: true, From: date(t, "2018")},
				{Q: "article", Collapse: true, To: date(t, "2019-05")},
				{Q: "article", From: twice},
				{Q: "article", To: twice},
				{Q: "article", Source: original, From: twice, Collapse: true},
				// One card per story without a search: the names of the
				// tags and source in the index's columns.
				{Tags: []string{t0}, Collapse: true},
				{Tags: []string{t0, t1}, Collapse: true},
				{Any: []string{t0, t1}, Collapse: true},
				{Tags: []string{t0}, Not: []string{t1}, Category: cat, Collapse: true},
				{Tags: []string{t1}, Source: original, Collapse: true},
				{Source: original, From: twice, Collapse: true},
				{Q: "article", Tags: []string{t0}, Collapse: true, Sort: catalog.SortRelevance},
				// Kept words read from their sets, one card per story.
				{Q: "article -001", Category: cat, Collapse: true},
				{Q: "000", Collapse: true, To: twice},
				{Q: "article -002", Collapse: true, Category: cat, Sort: catalog.SortLongest},
			}
		}},
	} {
		ro, rw, tags, source, cat := bothStores(t, db.path)
		byWords := 0 // queries whose words were tested in memory
		for _, bounds := range []struct{ countMax, narrowFrom int }{{sqlite.LiveCountMax, sqlite.NarrowFrom}, {5, sqlite.NarrowFrom}, {sqlite.LiveCountMax, 0}} {
			countMax := bounds.countMax
			sqlite.SetCountMax(ro, countMax)
			sqlite.SetCountMax(rw, countMax)
			sqlite.SetNarrowFrom(ro, bounds.narrowFrom)
			for _, q := range db.qs(tags, source, cat) {
				ro.Forget()
				rw.Forget()
				if ok, err := sqlite.FilteredInMemory(ctx, ro, q); err != nil || !ok {
					t.Fatalf("%s: filtered in memory %v (%v)", q.URL(""), ok, err)
				}
				if n, _, err := sqlite.WordsTestedInMemory(ctx, ro, q); err != nil {
					t.Fatal(err)
				} else if n > 0 {
					byWords++
				}
				if wantF, gotF := bothSidebars(t, rw, ro, q, false); !reflect.DeepEqual(gotF, wantF) {
					t.Fatalf("%s (count bound %d, narrowed from %d): sidebar\n%+v\nSQLite's\n%+v", q.URL(""), countMax, bounds.narrowFrom, gotF, wantF)
				}
				q.Per = db.per
				for p := 1; ; p++ {
					q.Page = p
					want, got := bothPages(t, rw, ro, q)
					if w, g := ids(want.Articles), ids(got.Articles); !slices.Equal(g, w) || got.Total != want.Total || got.More != want.More || got.Unranked != want.Unranked {
						t.Fatalf("%s (count bound %d, narrowed from %d): page %d: %v (total %d, more %v, unranked %v), SQLite's %v (total %d, more %v, unranked %v)",
							q.URL(""), countMax, bounds.narrowFrom, p, g, got.Total, got.More, got.Unranked, w, want.Total, want.More, want.Unranked)
					}
					if len(want.Articles) == 0 {
						if p < 3 && q.From.Text != "2030" { // (after every card: empty)
							t.Fatalf("%s: %d pages, too few to check", q.URL(""), p-1)
						}
						break
					}
				}
			}
		}
		if byWords < 3 {
			t.Fatalf("%s: %d listings tested their words in memory, want some of each bound", db.path, byWords)
		}
	}
}

// A read-only store keeps the rows of the search index's commonest
// words (those in at least a fifth of its rows), as a search of the word
// alone finds them, prefix and all; and it tests them in memory in a
// listing with tags or a source (TestSearchesWithTagsInMemory checks
// the listings).
func TestCommonWordsKept(t *testing.T) {
	ctx := context.Background()
	reposted, _ := repostedDB(t)
	for _, db := range []struct {
		path string
		want []string // terms kept, among others
	}{
		{generatedDB(t, generated(3000)), []string{`"article"*`, `"tag"*`, `"000"*`}},
		{sqlitetest.SeedDB(t), []string{`"distributed"*`, `"data"*`, `"a"`}},
		{reposted, []string{`"article"*`}},
	} {
		ro := sqlitetest.OpenReadOnly(t, db.path)
		kept, err := sqlite.KeptWords(ctx, ro)
		if err != nil {
			t.Fatal(err)
		}
		for _, term := range db.want {
			if _, ok := kept[term]; !ok {
				t.Errorf("%s: %s not kept (%d terms kept)", db.path, term, len(kept))
			}
		}
		raw, err := sql.Open("sqlite3", "file:"+db.path+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		var rows int
		if err := raw.QueryRowContext(ctx, `SELECT count(*) FROM cards_fts_docsize`).Scan(&rows); err != nil {
			t.Fatal(err)
		}
		for term, places := range kept {
			want, err := sqlite.Column[uint32](raw.QueryContext(ctx, `SELECT rowid FROM cards_fts WHERE cards_fts MATCH ? ORDER BY rowid`, term))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(places, want) {
				t.Errorf("%s: %s kept at %d places, the index matches %d", db.path, term, len(places), len(want))
			}
			if len(want)*5 < rows {
				t.Errorf("%s: %s kept with %d of %d rows", db.path, term, len(want), rows)
			}
		}
		tags, _, _ := filterValues(t, ro, catalog.TagsByCount)
		for _, q := range []catalog.Query{
			{Q: "article", Tags: []string{tags[0].Slug}},
			{Q: "data", Tags: []string{tags[0].Slug}},
		} {
			if _, ok := kept[`"`+q.Q+`"*`]; !ok {
				continue
			}
			if n, ok, err := sqlite.WordsTestedInMemory(ctx, ro, q); err != nil || !ok || n != 1 {
				t.Errorf("%s: %s: %d words tested in memory (filtered in memory %v, %v)", db.path, q.URL(""), n, ok, err)
			}
		}
	}
}

// A store that was not preloaded reads what it keeps of every card only
// for a listing that needs it: not for the pages and sidebars of a tag,
// a category, a search alone or every card (a store whose preload
// failed serves those from SQLite without waiting on the read), but for
// a search with tags.
func TestKeptCardsReadOnlyWhenNeeded(t *testing.T) {
	ctx := context.Background()
	path := sqlitetest.SeedDB(t)
	ro := sqlitetest.OpenReadOnly(t, path)
	tags, _, _ := filterValues(t, ro, catalog.TagsByCount)
	for _, q := range []catalog.Query{
		{},
		{Tags: []string{tags[0].Slug}},
		{Q: "data"},
		{Category: "operations"},
		{Tags: []string{tags[1].Slug}, Page: 2},
	} {
		if _, err := ro.Articles(ctx, q); err != nil {
			t.Fatal(err)
		}
		if _, err := ro.Facets(ctx, q); err != nil {
			t.Fatal(err)
		}
		if sqlite.KeptCardsRead(ro) {
			t.Fatalf("%s: the kept cards were read", q.URL(""))
		}
	}
	if _, err := ro.Articles(ctx, catalog.Query{Q: "data", Tags: []string{tags[0].Slug}}); err != nil {
		t.Fatal(err)
	}
	if !sqlite.KeptCardsRead(ro) {
		t.Fatal("a search with a tag: the kept cards were not read")
	}
}

// A read-only store counts the sidebar of a listing of tags or a source
// without a search (its newest results, read from the search index by
// the names of its tags and source, filtered in memory), and of a search
// alone, as SQLite does on a store opened for writing.
func TestSidebarsByNamesInMemory(t *testing.T) {
	ctx := context.Background()
	reposted, original := repostedDB(t)
	for _, db := range []struct {
		path  string
		other []catalog.Query
	}{
		{generatedDB(t, generated(3000)), nil},
		{sqlitetest.SeedDB(t), nil},
		{reposted, []catalog.Query{{Source: original, Tags: []string{"tag-000"}}}},
	} {
		ro, rw, tags, source, cat := bothStores(t, db.path)
		if err := ro.Preload(ctx); err != nil { // as cardex serve does: a search alone waits on no read
			t.Fatal(err)
		}
		t0, t1, t2 := tags[0].Slug, tags[1].Slug, tags[2].Slug
		// Words of the biggest tags' names, which most cards' text holds.
		w0, w1 := strings.ToLower(strings.Fields(tags[0].Name)[0]), strings.ToLower(strings.Fields(tags[1].Name)[0])
		for _, q := range append([]catalog.Query{
			{Q: w0},
			{Q: w0 + " " + w1},
			{Q: w0 + " -" + w1},
			{Q: w1, Sort: catalog.SortRelevance},
			{Tags: []string{t0}, Source: source},
			{Tags: []string{t0}, Not: []string{t1}},
			{Tags: []string{t0, t1}},
			{Tags: []string{t1, t2}, Category: cat},
			{Any: []string{t0, t1}, Category: cat},
			{Any: []string{t1, t2}, Not: []string{t0}},
			{Tags: []string{t1}, From: date(t, "2019")},
			{Source: source, Tags: []string{t2}, To: date(t, "2020-06")},
		}, db.other...) {
			ro.Forget()
			rw.Forget()
			if ok, err := sqlite.SampledInMemory(ctx, ro, q); err != nil || !ok {
				t.Fatalf("%s: sampled in memory %v (%v)", q.URL(""), ok, err)
			}
			if want, got := bothSidebars(t, rw, ro, q, true); !reflect.DeepEqual(got, want) {
				t.Fatalf("%s: sidebar\n%+v\nSQLite's\n%+v", q.URL(""), got, want)
			}
		}
	}
}

// A read-only store counts a listing with an "any" group (with AND
// tags, a source, a category, excluded tags or dates) in memory, from
// the index's rows of its names, and pages through its first matches
// there; a tag with a source of fewer cards, when the listing
// is short, is paged along the source. Either gives what SQLite gives on
// a store opened for writing, every page, with the count bound or not.
func TestFewMatchesOfFiltersWithoutASearch(t *testing.T) {
	ctx := context.Background()
	path := generatedDB(t, generated(3000))
	ro, rw, tags, _, cat := bothStores(t, path)
	_, sources, _ := filterValues(t, ro, catalog.TagsByCount)
	t0, t1, t2, t3 := tags[0].Slug, tags[1].Slug, tags[2].Slug, tags[3].Slug
	small := sources[0]
	for _, s := range sources {
		if s.Count >= 60 && s.Count < small.Count || small.Count < 60 {
			small = s
		}
	}
	type listing struct {
		q        catalog.Query
		inMemory bool // counted in memory
		short    bool // fewer cards than a page (5) but some: the walk stops at the last
	}
	rarest := tags[len(tags)-1]
	for _, l := range []listing{
		{catalog.Query{Any: []string{t0, t1}, Category: cat}, true, false},
		{catalog.Query{Any: []string{t1, t2}, Not: []string{t0}}, true, false},
		{catalog.Query{Any: []string{t2, t3}, Category: cat, Not: []string{t1}, From: date(t, "2018")}, true, false},
		{catalog.Query{Any: []string{t0, t3}, To: date(t, "2017-06")}, true, false},
		{catalog.Query{Any: []string{t0, t1}, Tags: []string{t2}, Category: cat}, true, false},
		{catalog.Query{Any: []string{t1, t2}, Source: small.Slug}, true, false},
		{catalog.Query{Tags: []string{t1}, Category: cat}, false, false},
		{catalog.Query{Tags: []string{t0}, Source: small.Slug}, false, false},
		{catalog.Query{Tags: []string{t0}, Source: small.Slug, Not: []string{t3}}, false, false},
		{catalog.Query{Tags: []string{rarest.Slug}}, false, true},
	} {
		if ok, err := sqlite.CountedInMemory(ctx, ro, l.q); err != nil || ok != l.inMemory {
			t.Fatalf("%s: counted in memory %v, want %v (%v)", l.q.URL(""), ok, l.inMemory, err)
		}
		// A tag's pages within a category, newest first, by the tag's
		// names; a tag from a source along the source's or the tag's feed.
		wantPaged := len(l.q.Tags) > 0 && l.q.Category != ""
		if ok, err := sqlite.PagedInMemory(ctx, ro, l.q); err != nil || ok != wantPaged {
			t.Fatalf("%s: paged in memory %v, want %v (%v)", l.q.URL(""), ok, wantPaged, err)
		}
		for _, countMax := range []int{sqlite.LiveCountMax, 7} {
			sqlite.SetCountMax(ro, countMax)
			sqlite.SetCountMax(rw, countMax)
			ro.Forget()
			rw.Forget()
			q := l.q
			q.Per = 5
			for p := 1; ; p++ {
				q.Page = p
				want, got := bothPages(t, rw, ro, q)
				if w, g := ids(want.Articles), ids(got.Articles); !slices.Equal(g, w) || got.Total != want.Total || got.More != want.More {
					t.Fatalf("%s (count bound %d): page %d: %v (total %d, more %v), SQLite's %v (total %d, more %v)",
						q.URL(""), countMax, p, g, got.Total, got.More, w, want.Total, want.More)
				}
				if len(want.Articles) == 0 {
					if l.short != (p == 2 && want.Total < q.Per) || (!l.short && p < 3) {
						t.Fatalf("%s: %d pages of %d cards, not the listing meant", q.URL(""), p-1, want.Total)
					}
					break
				}
			}
		}
	}
}

// A search with filters tested in memory is counted before it is
// ranked: a listing of none works out no ranking (FTS5's bm25 would
// merge the postings of a common prefix first), and one of some is
// ranked as SQLite ranks it.
func TestNoRankingOfNone(t *testing.T) {
	ro, rw, tags, _, _ := bothStores(t, generatedDB(t, generated(3000)))
	sqlite.SetCountMax(ro, 100_000) // every search of this corpus is ranked
	sqlite.SetCountMax(rw, 100_000)
	none := catalog.Query{Q: "article", Tags: []string{tags[0].Slug}, From: date(t, "2030")}
	some := catalog.Query{Q: "article", Tags: []string{tags[1].Slug}}
	for _, q := range []catalog.Query{none, some} {
		if q.EffectiveSort() != catalog.SortRelevance {
			t.Fatalf("%s: sorted by %q, want by relevance", q.URL(""), q.EffectiveSort())
		}
		ro.Forget()
		want, got := bothPages(t, rw, ro, q)
		if w, g := ids(want.Articles), ids(got.Articles); !slices.Equal(g, w) || got.Total != want.Total || got.Unranked || want.Unranked {
			t.Fatalf("%s: %v (total %d, unranked %v), SQLite's %v (total %d, unranked %v)", q.URL(""), g, got.Total, got.Unranked, w, want.Total, want.Unranked)
		}
		if ranked := sqlite.RankingsKept(ro); (got.Total > 0) != (ranked == 1) {
			t.Fatalf("%s: %d results, %d rankings worked out", q.URL(""), got.Total, ranked)
		}
	}
}

// A search alone of words the store keeps the places of (wordSets),
// excluded ones too, is listed from the sets in an order of its own (by
// read time) and newest first, as SQLite lists it.
func TestSearchesOfKeptWordsAlone(t *testing.T) {
	ctx := context.Background()
	ro, rw, _, _, _ := bothStores(t, generatedDB(t, generated(3000)))
	kept, err := sqlite.KeptWords(ctx, ro)
	if err != nil {
		t.Fatal(err)
	}
	for _, term := range []string{`"000"*`, `"002"`, `"001"`} {
		if _, ok := kept[term]; !ok {
			t.Fatalf("%s not kept", term)
		}
	}
	for _, q := range []catalog.Query{
		{Q: "000 -002", Sort: catalog.SortLongest},
		{Q: "000 -001 -002", Sort: catalog.SortShortest, Collapse: true},
		{Q: "000 -002", Sort: catalog.SortNewest},
	} {
		q.Per = 50
		if pages := samePages(t, rw, ro, q); pages < 3 {
			t.Fatalf("%s: %d pages, too few to check", q.URL(""), pages)
		}
	}
}

// A read-only store lists a listing without a search that has excluded
// tags, an "any" group or AND tags with other filters, in an order by
// read time or oldest first, by testing every place in memory (scan),
// and counts it so in any order; pages and totals are SQLite's, with
// one card per story too.
func TestScannedListings(t *testing.T) {
	reposted, original := repostedDB(t)
	for _, db := range []struct {
		path   string
		source string
	}{{generatedDB(t, generated(3000)), ""}, {reposted, original}} {
		ro, rw, tags, source, cat := bothStores(t, db.path)
		if db.source != "" {
			source = db.source
		}
		sqlite.SetScanFrom(ro, 0)
		if err := ro.Preload(context.Background()); err != nil { // the word sets, as cardex serve reads them
			t.Fatal(err)
		}
		t0, t1, t2, t3 := tags[0].Slug, tags[1].Slug, tags[2].Slug, tags[3].Slug
		for _, q := range []catalog.Query{
			{Not: []string{t0}, Sort: catalog.SortLongest},
			{Not: []string{t1}, Collapse: true, Sort: catalog.SortShortest},
			{Any: []string{t1, t2}, Sort: catalog.SortLongest},
			{Any: []string{t0, t3}, Category: cat, Sort: catalog.SortShortest},
			{Any: []string{t2, t3}, Not: []string{t0}, Sort: catalog.SortLongest},
			{Tags: []string{t0, t1}, Sort: catalog.SortLongest},
			{Tags: []string{t0}, Source: source, Sort: catalog.SortLongest, Collapse: true},
			{Tags: []string{t0}, Category: cat, Not: []string{t2}, From: date(t, "2016"), Sort: catalog.SortLongest},
			{Not: []string{t0}, To: date(t, "2019-06"), Sort: catalog.SortShortest},
			// Newest first: counted by the scan, paged along a feed.
			{Tags: []string{t0, t1}, Not: []string{t2}},
			{Not: []string{t1}, From: date(t, "2017")},
			// Oldest first: the scan's places backwards.
			{Any: []string{t1, t2}, Sort: catalog.SortOldest},
			{Not: []string{t0}, Collapse: true, Sort: catalog.SortOldest},
			{Tags: []string{t0}, Category: cat, Not: []string{t2}, Sort: catalog.SortOldest},
			{Not: []string{t1}, Sort: catalog.SortOldest},
			{Q: "article", Not: []string{t1}, Sort: catalog.SortOldest}, // a word the store keeps the places of
			{Q: "article -data", Tags: []string{t2}, Sort: catalog.SortOldest},
			{Not: []string{t0}, From: date(t, "2016"), To: date(t, "2020"), Sort: catalog.SortOldest},
		} {
			ctx := context.Background()
			if ok, err := sqlite.Scanned(ctx, ro, q); err != nil || !ok {
				t.Fatalf("%s: scanned %v (%v)", q.URL(""), ok, err)
			}
			q.Per = 10
			// With the count bound under the listing's size too: an "any"
			// group's count then does not list every match, and the scan
			// does.
			for _, countMax := range []int{sqlite.LiveCountMax, 5} {
				sqlite.SetCountMax(ro, countMax)
				sqlite.SetCountMax(rw, countMax)
				if pages := samePages(t, rw, ro, q); pages < 2 {
					t.Fatalf("%s: %d pages, too few to check", q.URL(""), pages)
				}
			}
		}
	}
}
