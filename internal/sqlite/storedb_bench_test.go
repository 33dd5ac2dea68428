package sqlite_test

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

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
	store := openWarm(b, ctx, path)
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
	// story; two tags seldom seen together; a tag of a few thousand
	// cards with one card per story; a search ranked by relevance (the
	// word of the most matches that is still ranked), alone and within
	// the biggest tag; and a common word within a rare tag. Page 1 and
	// the sidebar,
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
	// The word of the most matches that a search of it alone is still
	// ranked by (the count bound): its ranking scores every match.
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var rankable string
	if err := db.QueryRowContext(ctx, `SELECT term FROM search_words WHERE doc <= ? AND term GLOB '[a-z][a-z]*' AND term NOT GLOB '*[^a-z]*'
		ORDER BY doc DESC, term LIMIT 1`, sqlite.LiveCountMax).Scan(&rankable); err != nil {
		b.Fatal(err)
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
		{"ranked-search", catalog.Query{Q: rankable}},
		{"tag+ranked-search", catalog.Query{Tags: []string{top.Slug}, Q: rankable}},
		{"rare-tag+common-word", catalog.Query{Tags: []string{rare}, Q: search}},
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

// BenchmarkStoreShapes looks for the slowest shapes of listing on the
// database CARDEX_BENCH_DB names (skipped when unset): 400 random
// queries, the same ones for a seed (CARDEX_BENCH_SHAPES_SEED, default
// 1), each combining some of one to two tags, a source, a category, one
// to three words (some excluded), an "any" and a "not" tag, one card per
// story, a date, an order and a page, drawn half from the most popular
// values and half from all. Each is timed as its first call (Articles,
// then Facets, the slower counting), under a deadline of 3 s. It reports
// the median, the 99th percentile and the slowest, and logs the 15
// slowest shapes: where BenchmarkStoreDB's fixed listings do not look.
func BenchmarkStoreShapes(b *testing.B) {
	path := os.Getenv("CARDEX_BENCH_DB")
	if path == "" {
		b.Skip("CARDEX_BENCH_DB is not set")
	}
	seed, _ := strconv.ParseUint(cmp.Or(os.Getenv("CARDEX_BENCH_SHAPES_SEED"), "1"), 10, 64)
	ctx := context.Background()
	store := openWarm(b, ctx, path)
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	column := func(query string) []string {
		out, err := sqlite.Column[string](db.QueryContext(ctx, query))
		if err != nil {
			b.Fatal(err)
		}
		return out
	}
	tags := column(`SELECT slug FROM tags ORDER BY cards DESC, slug`)
	sources := column(`SELECT slug FROM sources ORDER BY cards DESC, slug`)
	categories := column(`SELECT slug FROM categories ORDER BY cards DESC, slug`)
	words := column(`SELECT term FROM search_words WHERE term NOT GLOB '*[^a-z]*' ORDER BY doc DESC, term LIMIT 3000`)
	if len(tags) == 0 || len(sources) == 0 || len(categories) == 0 || len(words) == 0 {
		b.Fatal("an empty database")
	}
	from := date(b, "2024")
	type shape struct {
		took time.Duration
		what string
	}
	var shapes []shape
	for b.Loop() {
		r := rand.New(rand.NewPCG(seed, 0))
		pick := func(xs []string) string {
			if r.IntN(2) == 0 {
				return xs[r.IntN(min(len(xs), 20))]
			}
			return xs[r.IntN(len(xs))]
		}
		shapes = shapes[:0]
		for range 400 {
			var q catalog.Query
			for range r.IntN(3) {
				q.Tags = append(q.Tags, pick(tags))
			}
			if r.IntN(4) == 0 {
				q.Source = pick(sources)
			}
			if r.IntN(6) == 0 {
				q.Category = pick(categories)
			}
			if r.IntN(2) == 0 {
				q.Q = pick(words)
				if r.IntN(3) == 0 {
					q.Q += " " + pick(words)
				}
				if r.IntN(5) == 0 {
					q.Q += " -" + pick(words)
				}
			}
			if r.IntN(6) == 0 {
				q.Not = []string{pick(tags)}
			}
			if r.IntN(6) == 0 {
				q.Any = []string{pick(tags), pick(tags)}
			}
			q.Collapse = r.IntN(5) == 0
			if r.IntN(5) == 0 {
				q.From = from
			}
			q.Sort = []catalog.Sort{"", "", "", "", "", catalog.SortNewest, catalog.SortOldest, catalog.SortLongest}[r.IntN(8)]
			if r.IntN(4) == 0 {
				q.Page = 1 + r.IntN(50)
			}
			q = q.WithPage(q.Page) // its lists sorted, each tag once, as a URL would give it
			store.Forget()
			qctx, cancel := context.WithTimeout(ctx, 3*time.Second)
			start := time.Now()
			_, err := store.Articles(qctx, q)
			page := time.Since(start)
			var side time.Duration
			if err == nil {
				start = time.Now()
				_, err = store.Facets(qctx, q)
				side = time.Since(start)
			}
			cancel()
			what := fmt.Sprintf("%s (page %v, sidebar %v)", q.URL(""), page.Round(time.Microsecond), side.Round(time.Microsecond))
			if err != nil && !errors.Is(err, catalog.ErrNotFound) {
				what += ": " + err.Error()
			}
			shapes = append(shapes, shape{max(page, side), what})
		}
	}
	slices.SortFunc(shapes, func(a, b shape) int { return cmp.Compare(b.took, a.took) })
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(shapes[len(shapes)/2].took), "p50-ms")
	b.ReportMetric(ms(shapes[len(shapes)/100].took), "p99-ms")
	b.ReportMetric(ms(shapes[0].took), "max-ms")
	for _, s := range shapes[:15] {
		b.Logf("%9.2f ms  %s", ms(s.took), s.what)
	}
}

// openWarm opens the database at path for serving, preloaded as cardex
// serve preloads it (Store.Preload), closed with the benchmark.
func openWarm(b *testing.B, ctx context.Context, path string) *sqlite.Store {
	b.Helper()
	store, err := sqlite.OpenReadOnly(ctx, path, 2)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	if err := store.Preload(ctx); err != nil {
		b.Fatal(err)
	}
	return store
}
