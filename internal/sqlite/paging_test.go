package sqlite_test

import (
	"context"
	"slices"
	"testing"

	"cardex/internal/catalog"
)

// Pages in a listing's second half are read from its end, in reverse (see
// window): every page of every kind of listing, put together, is the
// listing in order, as EachArticle streams it in one forward pass.
func TestPagesFromEitherEnd(t *testing.T) {
	ctx := context.Background()
	s, tags := openGenerated(t, generated(3000))
	for _, q := range []catalog.Query{
		{},                             // all: the date index
		{Tags: []string{tags[0].Slug}}, // a tag's feed
		{Tags: []string{tags[0].Slug, tags[1].Slug}}, // the rarer tag's feed, the other probed
		{Source: "source00"},                         // deferred join on the source index
		{Category: "category-3", Tags: []string{tags[2].Slug}},
		{Q: "article"}, // a search alone: the index's rowid order
		{Collapse: true},
		{Sort: catalog.SortOldest}, // not newest: always from the front
	} {
		for _, per := range []int{10, 100} {
			q.Per = per
			var pages []int64
			total := -1
			for p := 1; ; p++ {
				q.Page = p
				page, err := s.Articles(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				total = page.Total
				if len(page.Articles) == 0 {
					break
				}
				for _, a := range page.Articles {
					pages = append(pages, a.ID)
				}
			}
			q.Page = 0
			var each []int64
			if err := s.EachArticle(ctx, q, func(a catalog.Article) error { each = append(each, a.ID); return nil }); err != nil {
				t.Fatal(err)
			}
			if len(pages) != total || !slices.Equal(pages, each) {
				t.Fatalf("%s: %d articles on the pages, total %d, %d streamed; first difference at %d", q.URL(""), len(pages), total, len(each), firstDiff(pages, each))
			}
		}
	}
}

func firstDiff(a, b []int64) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
