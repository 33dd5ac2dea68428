package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"cardex/internal/catalog"
	"cardex/internal/sqlite"
	"cardex/internal/sqlite/sqlitetest"
)

// The sidebars counted at import (listing_facets) are the live ones, for
// every single-filter listing: on the seed, and on a generated collection
// big enough that listings have more co-tags than are kept and many ties
// at the cut (tags on the same number of articles).
func TestStoredFacetsAreLive(t *testing.T) {
	ctx := context.Background()
	for name, path := range map[string]string{"seed": sqlitetest.SeedDB(t), "generated": generatedDB(t, generated(3000))} {
		t.Run(name, func(t *testing.T) {
			s := sqlitetest.OpenReadOnly(t, path)
			cut, compared := 0, 0
			qs := singleFilterListings(t, s)
			for _, q := range qs {
				stored, err := s.Facets(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				live, err := s.LiveFacets(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				if live.Sample > 0 {
					continue // live counts a sample of a big listing: not comparable
				}
				compared++
				if !reflect.DeepEqual(stored, live) {
					t.Fatalf("%s: stored facets differ from live ones:\nstored %+v\nlive   %+v", q.URL("/"), stored, live)
				}
				if len(live.Tags) == 30 {
					cut++
				}
			}
			t.Logf("%d of %d listings compared, %d with their tags cut to 30", compared, len(qs), cut)
			if name == "generated" && cut < 20 {
				t.Fatalf("only %d listings have more tags than shown: the test does not exercise the cut", cut)
			}
		})
	}
}

// generated makes n cards with Zipf-popular tags (many ties among the
// rare ones), sources and categories.
func generated(n int) []catalog.Card {
	r := rand.New(rand.NewPCG(7, 11))
	tagZipf := rand.NewZipf(rand.New(rand.NewPCG(1, 2)), 1.1, 1, 399)
	srcZipf := rand.NewZipf(rand.New(rand.NewPCG(3, 4)), 1.2, 1, 59)
	cards := make([]catalog.Card, 0, n)
	for i := range n {
		set := map[string]bool{}
		for len(set) < 3+r.IntN(4) {
			set[fmt.Sprintf("Tag %03d", tagZipf.Uint64())] = true
		}
		tags := slices.Sorted(func(yield func(string) bool) {
			for t := range set {
				if !yield(t) {
					return
				}
			}
		})
		c := catalog.Card{
			File: "gen.txt", Line: 1 + 8*i,
			Title: fmt.Sprintf("Article %d", i), Summary: fmt.Sprintf("About article %d.", i),
			Tags: tags, Likes: r.IntN(100), Minutes: 1 + r.IntN(20),
		}
		if r.IntN(20) > 0 { // a card in twenty has no source, date or category
			c.Source = fmt.Sprintf("source%02d", srcZipf.Uint64())
			c.Date = time.Date(2015+r.IntN(8), time.Month(1+r.IntN(12)), 1+r.IntN(28), 0, 0, 0, 0, time.UTC)
			c.Category = fmt.Sprintf("Category %d", r.IntN(8))
		}
		for _, t := range tags {
			c.Glued += t
		}
		c.Raw = c.Title + "\n"
		cards = append(cards, c)
	}
	return cards
}

// generatedDB imports cards and returns the database's path.
func generatedDB(tb testing.TB, cards []catalog.Card) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "gen.db")
	sqlitetest.ImportCards(tb, path, cards)
	return path
}

// singleFilterListings returns every listing of a single filter of s:
// each tag's, each source's and each category's.
func singleFilterListings(t *testing.T, s *sqlite.Store) []catalog.Query {
	t.Helper()
	tags, sources, cats := filterValues(t, s, "")
	var qs []catalog.Query
	for _, tag := range tags {
		qs = append(qs, catalog.Query{Tags: []string{tag.Slug}})
	}
	for _, src := range sources {
		qs = append(qs, catalog.Query{Source: src.Slug})
	}
	for _, c := range cats {
		qs = append(qs, catalog.Query{Category: c.Slug})
	}
	return qs
}

// streamed returns how many articles EachArticle streams for q.
func streamed(t *testing.T, s *sqlite.Store, q catalog.Query) int {
	t.Helper()
	n := 0
	if err := s.EachArticle(context.Background(), q, func(catalog.Article) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

// openGenerated imports cards, opens the database read-only and returns
// it with its tags, by name.
func openGenerated(t *testing.T, cards []catalog.Card) (*sqlite.Store, []catalog.Ref) {
	t.Helper()
	s := sqlitetest.OpenReadOnly(t, generatedDB(t, cards))
	tags, err := s.Tags(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	return s, tags
}

// The total of a listing of two filters (two tags, a tag and a source or
// a category, a source and a category), of a tag less another and of an
// "any" group of two tags follows from the kept sidebar counts when the
// pair is there, and is counted live when not: both are the true count.
func TestTwoFilterTotals(t *testing.T) {
	ctx := context.Background()
	cards := generated(3000)
	s, tags := openGenerated(t, cards)
	slugs := make([]map[string]bool, len(cards))
	for i, c := range cards {
		slugs[i] = map[string]bool{}
		for _, t := range c.Tags {
			slugs[i]["tag:"+catalog.Slugify(t)] = true
		}
		if c.Source != "" {
			slugs[i]["source:"+catalog.Slugify(c.Source)] = true
			slugs[i]["category:"+catalog.Slugify(c.Category)] = true
		}
	}
	// check compares q's total with the cards that has says match it,
	// and counts by kind the listings whose total the kept counts gave.
	kept := map[string]int{}
	check := func(q catalog.Query, has func(map[string]bool) bool) {
		t.Helper()
		if _, ok, err := sqlite.KeptTotal(s, q); err != nil {
			t.Fatal(err)
		} else if ok {
			kind := fmt.Sprintf("%d tags, %d not, %d any, source %v, category %v", len(q.Tags), len(q.Not), len(q.Any), q.Source != "", q.Category != "")
			kept[kind]++
		}
		want := 0
		for _, s := range slugs {
			if has(s) {
				want++
			}
		}
		page, err := s.Articles(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if page.Total != want || page.More {
			t.Fatalf("%s: total %d (more: %v), want %d", q.URL(""), page.Total, page.More, want)
		}
	}
	both := func(a, b string) func(map[string]bool) bool {
		return func(s map[string]bool) bool { return s[a] && s[b] }
	}
	// The popular tags with every other: pairs kept at import (a tag's
	// top co-tags) and pairs that are not (counted live), empty ones too;
	// and the same tags as a tag less another and as an "any" group.
	for i, a := range tags[:12] {
		for j, b := range tags[i+1:] {
			ta, tb := "tag:"+a.Slug, "tag:"+b.Slug
			check(catalog.Query{Tags: []string{a.Slug, b.Slug}}, both(ta, tb))
			if j >= 60 {
				continue // a tag less another, and an "any" group: with the next 60 tags
			}
			check(catalog.Query{Tags: []string{a.Slug}, Not: []string{b.Slug}}, func(s map[string]bool) bool { return s[ta] && !s[tb] })
			check(catalog.Query{Any: []string{a.Slug, b.Slug}}, func(s map[string]bool) bool { return s[ta] || s[tb] })
		}
	}
	// Tags with sources and categories, and sources with categories: the
	// generated corpus has 60 sources (Zipf) and 8 categories.
	var sources []string
	for i := range 60 {
		sources = append(sources, catalog.Slugify(fmt.Sprintf("source%02d", i)))
	}
	for i, a := range tags[:40] {
		for _, src := range sources {
			check(catalog.Query{Tags: []string{a.Slug}, Source: src}, both("tag:"+a.Slug, "source:"+src))
		}
		cat := catalog.Slugify(fmt.Sprintf("Category %d", i%8))
		check(catalog.Query{Tags: []string{a.Slug}, Category: cat}, both("tag:"+a.Slug, "category:"+cat))
	}
	for i, src := range sources {
		cat := catalog.Slugify(fmt.Sprintf("Category %d", i%8))
		check(catalog.Query{Source: src, Category: cat}, both("source:"+src, "category:"+cat))
	}
	// Each kind was answered from the kept counts at least once (a live
	// count is exact on 3,000 cards too, so the totals alone cannot say).
	for _, kind := range []string{
		"2 tags, 0 not, 0 any, source false, category false", "1 tags, 1 not, 0 any, source false, category false",
		"0 tags, 0 not, 2 any, source false, category false", "1 tags, 0 not, 0 any, source true, category false",
		"1 tags, 0 not, 0 any, source false, category true", "0 tags, 0 not, 0 any, source true, category true",
	} {
		if kept[kind] == 0 {
			t.Errorf("no listing of %s got its total from the kept counts (%v)", kind, kept)
		}
	}
}

// The source index's top tags come from the kept co-tags; they are the
// ones counted live (the same database with listing_facets emptied, as a
// database migrated since its last import has it).
func TestSourceTopTagsStoredAreLive(t *testing.T) {
	ctx := context.Background()
	path := generatedDB(t, generated(3000))
	bare := filepath.Join(t.TempDir(), "bare.db")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bare, b, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite3", bare)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`DELETE FROM listing_facets`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	stored, err := sqlitetest.OpenReadOnly(t, path).Sources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	live, err := sqlitetest.OpenReadOnly(t, bare).Sources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) < 50 || !reflect.DeepEqual(stored, live) {
		t.Fatalf("%d sources; stored top tags differ from live ones:\nstored %+v\nlive   %+v", len(stored), stored, live)
	}
}

// A tag's related tags ranked at import are the first of those ranked
// live (asked for all of them, which the kept ones cannot answer).
func TestRelatedTagsStoredAreLive(t *testing.T) {
	ctx := context.Background()
	s, tags := openGenerated(t, generated(3000))
	some := 0
	for _, tag := range tags {
		if tag.Count > 1000 {
			continue // live ranking samples the newest 1,000 cards of a big tag
		}
		stored, err := s.RelatedTags(ctx, tag.Slug, 10)
		if err != nil {
			t.Fatal(err)
		}
		live, err := s.RelatedTags(ctx, tag.Slug, 0)
		if err != nil {
			t.Fatal(err)
		}
		live = live[:min(len(live), 10)]
		if !reflect.DeepEqual(stored, live) {
			t.Fatalf("%s: stored related tags differ from live ones:\nstored %+v\nlive   %+v", tag.Slug, stored, live)
		}
		if len(stored) == 10 {
			some++
		}
	}
	if some < 20 {
		t.Fatalf("only %d tags have 10 related tags: the test does not exercise the cut", some)
	}
}

// A read-only store remembers each listing's sidebar and live total,
// whatever the page, order and page size: so the sidebar and total of any
// page, order and size must be those of page 1, as a fresh store counts
// them.
func TestFacetsAndTotalsRememberedPerListing(t *testing.T) {
	ctx := context.Background()
	cards := generated(3000)
	path := generatedDB(t, cards)
	warm, tags := sqlitetest.OpenReadOnly(t, path), []string{}
	all, err := warm.Tags(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range all[:6] {
		tags = append(tags, r.Slug)
	}
	// A tag's related tags, remembered, are what a fresh store finds; a
	// tag that does not exist stays an error.
	for _, slug := range tags[:4] {
		for _, limit := range []int{5, 12} {
			want, err := sqlitetest.OpenReadOnly(t, path).RelatedTags(ctx, slug, limit)
			if err != nil {
				t.Fatal(err)
			}
			for range 2 {
				if got, err := warm.RelatedTags(ctx, slug, limit); err != nil || !reflect.DeepEqual(got, want) || len(got) == 0 {
					t.Errorf("related tags of %s (%d): %v, %v; fresh %v", slug, limit, got, err, want)
				}
			}
		}
	}
	for range 2 {
		if _, err := warm.RelatedTags(ctx, "no-such-tag", 5); err == nil {
			t.Error("related tags of a tag that does not exist: no error")
		}
	}
	for _, base := range []catalog.Query{
		{Tags: []string{tags[0], tags[3]}},
		{Any: []string{tags[1], tags[4]}, Not: []string{tags[2]}},
		{Tags: []string{tags[5]}, Source: "source01"},
		{Q: "article"},
		{Q: "article", Tags: []string{tags[0]}},
		{Tags: []string{tags[0]}, Collapse: true},
	} {
		if _, err := warm.Facets(ctx, base); err != nil {
			t.Fatal(err)
		}
		if _, err := warm.Articles(ctx, base); err != nil {
			t.Fatal(err)
		}
		for _, v := range []func(*catalog.Query){
			func(q *catalog.Query) { q.Page = 3 },
			func(q *catalog.Query) { q.Sort = catalog.SortOldest },
			func(q *catalog.Query) { q.Sort, q.Per = catalog.SortShortest, 50 },
		} {
			q := base
			v(&q)
			fresh := sqlitetest.OpenReadOnly(t, path)
			want, err := fresh.Facets(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			got, err := warm.Facets(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s: remembered sidebar differs from a fresh count:\n%+v\n%+v", q.URL(""), got, want)
			}
			wp, err := fresh.Articles(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			gp, err := warm.Articles(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if gp.Total != wp.Total || len(want.Tags) == 0 || wp.Total == 0 {
				t.Errorf("%s: total %d remembered, %d fresh (%d tags)", q.URL(""), gp.Total, wp.Total, len(want.Tags))
			}
		}
	}
}

// A sidebar counted live over a big listing holds exactly the counts of
// its newest results (sqlite.FacetSample of them), though only the
// entries shown are read: the
// tags on at least 90% of them in Common, the 30 most frequent others
// (ties by slug), the 15 most frequent sources.
func TestLiveFacetsCountTheNewestResults(t *testing.T) {
	ctx := context.Background()
	s, tags := openGenerated(t, generated(3000))
	var qs []catalog.Query
	for _, a := range tags[:6] {
		qs = append(qs, catalog.Query{Tags: []string{a.Slug}}, catalog.Query{Tags: []string{a.Slug}, Not: []string{tags[7].Slug}})
		for _, b := range tags[:6] {
			if a.Slug < b.Slug {
				qs = append(qs, catalog.Query{Tags: []string{a.Slug, b.Slug}})
			}
		}
	}
	const sample = sqlite.FacetSample
	type entry struct {
		slug string
		n    int
	}
	top := func(counts map[string]int) []entry {
		var es []entry
		for slug, n := range counts {
			es = append(es, entry{slug, n})
		}
		slices.SortFunc(es, func(a, b entry) int {
			if a.n != b.n {
				return b.n - a.n
			}
			return strings.Compare(a.slug, b.slug)
		})
		return es
	}
	sampled, cut := 0, 0
	for _, q := range qs {
		f, err := s.LiveFacets(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		tagN, sourceN, total := map[string]int{}, map[string]int{}, 0
		errEnough := errors.New("enough")
		err = s.EachArticle(ctx, q, func(a catalog.Article) error {
			if total == sample {
				return errEnough
			}
			total++
			for _, tg := range a.Tags {
				tagN[tg.Slug]++
			}
			if a.Source != nil {
				sourceN[a.Source.Slug]++
			}
			return nil
		})
		if err != nil && !errors.Is(err, errEnough) {
			t.Fatal(err)
		}
		if errors.Is(err, errEnough) != (f.Sample == sample) {
			t.Fatalf("%s: Sample %d, with more than %d results: %v", q.URL("/"), f.Sample, sample, errors.Is(err, errEnough))
		}
		if f.Sample > 0 {
			sampled++
		}
		var wantCommon, wantTags, gotCommon, gotTags, wantSources, gotSources []entry
		for _, e := range top(tagN) {
			switch {
			case total >= 10 && e.n*100 >= total*90:
				wantCommon = append(wantCommon, e)
			case len(wantTags) < 30:
				wantTags = append(wantTags, e)
			}
		}
		wantSources = top(sourceN)[:min(len(sourceN), 15)]
		for _, tg := range f.Common {
			gotCommon = append(gotCommon, entry{tg.Slug, tg.Count})
		}
		for _, tg := range f.Tags {
			gotTags = append(gotTags, entry{tg.Slug, tg.Count})
		}
		for _, src := range f.Sources {
			gotSources = append(gotSources, entry{src.Slug, src.Count})
		}
		if !reflect.DeepEqual(gotCommon, wantCommon) || !reflect.DeepEqual(gotTags, wantTags) || !reflect.DeepEqual(gotSources, wantSources) {
			t.Fatalf("%s (%d results counted):\ncommon  %v\nwant    %v\ntags    %v\nwant    %v\nsources %v\nwant    %v",
				q.URL("/"), total, gotCommon, wantCommon, gotTags, wantTags, gotSources, wantSources)
		}
		if len(tagN) > len(wantCommon)+30 && len(sourceN) > 15 {
			cut++
		}
	}
	if sampled < 5 || cut < 5 {
		t.Fatalf("%d of %d listings sampled, %d with entries cut: the test does not exercise the bounds", sampled, len(qs), cut)
	}
}
