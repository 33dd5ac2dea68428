package sqlite_test

import (
	"context"
	"errors"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"cardex/internal/catalog"
	"cardex/internal/sqlite"
)

// BenchmarkStoreDB times the store-layer queries behind a listing page on
// a real database: the one named by CARDEX_BENCH_DB (make bench and make
// bench-quick point it at the database they import the generated corpus
// into). It is skipped when the variable is unset. For each listing kind
// (all, the most popular tag, that tag with the tag most often seen with
// it, the most popular source, and a search for CARDEX_BENCH_SEARCH or the
// first word of the most popular tag) it times Articles for page 1 and for
// the deepest page, each as the listing's first call, and for the middle
// page as a later call; Facets; and EachArticle up to its 100th row. It
// also times page 1 and Facets of listings that combine filters (see
// combined below), which no count kept at import answers.
func BenchmarkStoreDB(b *testing.B) {
	path := os.Getenv("CARDEX_BENCH_DB")
	if path == "" {
		b.Skip("CARDEX_BENCH_DB is not set")
	}
	ctx := context.Background()
	store, err := sqlite.OpenReadOnly(ctx, path, 2)
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	tags, err := store.Tags(ctx, catalog.TagsByCount)
	if err != nil || len(tags) == 0 {
		b.Fatalf("no tags (%v)", err)
	}
	top := tags[0]
	facets, err := store.Facets(ctx, catalog.Query{Tags: []string{top.Slug}})
	if err != nil {
		b.Fatal(err)
	}
	var with string
	for _, t := range slices.Concat(facets.Common, facets.Tags) {
		if t.Slug != top.Slug {
			with = t.Slug
			break
		}
	}
	sources, err := store.Sources(ctx)
	if err != nil || len(sources) == 0 {
		b.Fatalf("no sources (%v)", err)
	}
	source := slices.MaxFunc(sources, func(a, b catalog.SourceSummary) int { return a.Count - b.Count })
	search := os.Getenv("CARDEX_BENCH_SEARCH")
	if search == "" {
		search = strings.ToLower(strings.Fields(top.Name)[0])
	}
	two := []string{top.Slug, with}
	slices.Sort(two)
	listings := []struct {
		name string
		q    catalog.Query
	}{
		{"all", catalog.Query{}},
		{"tag", catalog.Query{Tags: []string{top.Slug}}},
		{"two-tags", catalog.Query{Tags: two}},
		{"source", catalog.Query{Source: source.Slug}},
		{"search", catalog.Query{Q: search}},
	}
	for _, l := range listings {
		first, err := store.Articles(ctx, l.q)
		if err != nil {
			b.Fatalf("%s: %v", l.name, err)
		}
		deep := l.q
		deep.Page = first.Pages()
		firstCall(b, store, "Articles/"+l.name+"/page-1", 0, func() error { _, err := store.Articles(ctx, l.q); return err })
		firstCall(b, store, "Articles/"+l.name+"/deepest", deep.Page, func() error { _, err := store.Articles(ctx, deep); return err })
		// A page in the middle of the listing, asked for after other
		// deep pages of it: the store remembers the listing's total, and
		// from its second deep page its page anchors, as it does for
		// every later page of a listing; the middle is where an index
		// walk would skip the most rows.
		middle := l.q
		middle.Page = max(1, (first.Pages()+1)/2)
		for range 2 {
			if _, err := store.Articles(ctx, middle); err != nil {
				b.Fatalf("%s: %v", l.name, err)
			}
		}
		b.Run("Articles/"+l.name+"/middle-remembered", func(b *testing.B) {
			for b.Loop() {
				if _, err := store.Articles(ctx, middle); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(middle.Page), "page")
		})
		firstCall(b, store, "Facets/"+l.name, 0, func() error { _, err := store.Facets(ctx, l.q); return err })
	}
	// Listings that combine filters, which no table kept at import
	// counts: a tag with a search, a source, a date or an excluded tag;
	// an "any" group; a search of two words; a search with one card per
	// story; two tags seldom seen together; and a tag of a few hundred
	// cards with one card per story. Page 1 and the sidebar,
	// each as the listing's first call, named "combined/…" (the report
	// of make bench gives them a row of their own).
	second := strings.ToLower(strings.Fields(tags[min(1, len(tags)-1)].Name)[0])
	rare := tags[min(len(tags)-1, 200)].Slug
	var from catalog.DateBound
	if newest, err := store.Articles(ctx, catalog.Query{Tags: []string{top.Slug}}); err == nil && len(newest.Articles) > 0 && !newest.Articles[0].Date.IsZero() {
		if from, err = catalog.ParseDateBound(strconv.Itoa(newest.Articles[0].Date.Year() - 2)); err != nil {
			b.Fatal(err)
		}
	}
	anyTwo := []string{top.Slug, tags[min(2, len(tags)-1)].Slug}
	slices.Sort(anyTwo)
	unkept := []string{top.Slug, rare}
	slices.Sort(unkept)
	combined := []struct {
		name string
		q    catalog.Query
	}{
		{"tag+search", catalog.Query{Tags: []string{top.Slug}, Q: second}},
		{"tag+source", catalog.Query{Tags: []string{top.Slug}, Source: source.Slug}},
		{"tag+from", catalog.Query{Tags: []string{top.Slug}, From: from}},
		{"tag-not-tag", catalog.Query{Tags: []string{top.Slug}, Not: []string{with}}},
		{"any-two-tags", catalog.Query{Any: anyTwo}},
		{"two-words", catalog.Query{Q: search + " " + second}},
		{"search+collapse", catalog.Query{Q: search, Collapse: true}},
		{"unkept-pair", catalog.Query{Tags: unkept}},
		{"rare-tag+collapse", catalog.Query{Tags: []string{rare}, Collapse: true}},
	}
	for _, l := range combined {
		if _, err := store.Articles(ctx, l.q); err != nil {
			b.Fatalf("%s: %v", l.name, err)
		}
		firstCall(b, store, "Articles/combined/"+l.name+"/page-1", 0, func() error { _, err := store.Articles(ctx, l.q); return err })
		firstCall(b, store, "Facets/combined/"+l.name, 0, func() error { _, err := store.Facets(ctx, l.q); return err })
	}
	errEnough := errors.New("enough")
	b.Run("EachArticle/tag/first-100", func(b *testing.B) {
		for b.Loop() {
			n := 0
			err := store.EachArticle(ctx, catalog.Query{Tags: []string{top.Slug}}, func(catalog.Article) error {
				if n++; n == 100 {
					return errEnough
				}
				return nil
			})
			if err != nil && !errors.Is(err, errEnough) {
				b.Fatal(err)
			}
		}
	})
}

// firstCall times call as the first of its listing: every memo of store
// forgotten before each call. page, when not 0, is reported with it.
func firstCall(b *testing.B, store *sqlite.Store, name string, page int, call func() error) {
	b.Run(name, func(b *testing.B) {
		for b.Loop() {
			store.Forget() // the cost of a listing asked for the first time
			if err := call(); err != nil {
				b.Fatal(err)
			}
		}
		if page != 0 {
			b.ReportMetric(float64(page), "page") // after the loop, which clears what was reported before it
		}
	})
}
