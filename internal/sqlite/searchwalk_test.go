package sqlite_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"cardex/internal/catalog"
)

// A search with a tag or a source walks the index's matches with the tag
// or source name asked of the index as a phrase too (searchWalk), which
// is looser than the filter: "Balancing" is a phrase of "Load Balancing",
// "Ann" of "Ann Lee". The probes settle it: every page, and the count,
// hold exactly the cards with the tag or the source, as EachArticle
// (which lists every match first) streams them. A name with no word is
// not asked of the index, nor one whose letters the tokenizer does not
// know (U+19B0, a letter to Go); quotes and diacritics are phrases too.
func TestSearchWalkNarrowsByTagAndSource(t *testing.T) {
	var cards []catalog.Card
	for i := range 60 {
		c := catalog.Card{
			File: "walk.txt", Line: 1 + 8*i,
			Title: fmt.Sprintf("Walk article %d", i), Summary: "A word about walking.",
			Source: []string{"Ann", "Ann Lee", "Bo"}[i%3], Category: "News",
			Date:  time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i),
			Likes: i, Minutes: 3,
		}
		c.Tags = [][]string{
			{"Balancing"}, {"Load Balancing"}, {"Balancing", "Load Balancing"}, {"#", "Other"},
			{"\u19b0\u19b1"}, // letters to Go, no word to SQLite's unicode61
			{`Café "Noir"`},
		}[i%6]
		for _, tg := range c.Tags {
			c.Glued += tg
		}
		c.Raw = c.Title + "\n"
		cards = append(cards, c)
	}
	s, tags := openGenerated(t, cards)
	ctx := context.Background()
	slug := func(name string) string {
		return tags[slices.IndexFunc(tags, func(r catalog.Ref) bool { return r.Name == name })].Slug
	}
	for _, tc := range []struct {
		q    catalog.Query
		want int
	}{
		{catalog.Query{Q: "walking", Tags: []string{"balancing"}}, 20},
		{catalog.Query{Q: "walking", Tags: []string{"load-balancing"}}, 20},
		{catalog.Query{Q: "walking", Source: "ann"}, 20},
		{catalog.Query{Q: "walking", Source: "ann", Tags: []string{"balancing"}}, 10},
		{catalog.Query{Q: "walking", Tags: []string{slug("#")}}, 10},
		{catalog.Query{Q: "walking", Tags: []string{slug("\u19b0\u19b1")}}, 10},
		{catalog.Query{Q: "walking", Tags: []string{slug(`Café "Noir"`)}}, 10},
	} {
		for _, sort := range []catalog.Sort{catalog.SortNewest, catalog.SortRelevance} {
			q := tc.q
			q.Sort, q.Per = sort, 7
			pages, total, more, each := walk(t, s, q)
			if total != tc.want || more || len(pages) != tc.want || !slices.Equal(pages, each) {
				t.Errorf("%s: total %d (more: %v), %d on the pages, %d streamed; want %d", q.URL(""), total, more, len(pages), len(each), tc.want)
			}
			for _, id := range pages {
				a, err := s.Article(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if src := tc.q.Source; src != "" && (a.Source == nil || a.Source.Slug != src) {
					t.Errorf("%s: article %d is from %v", q.URL(""), id, a.Source)
				}
				for _, slug := range tc.q.Tags {
					if !slices.ContainsFunc(a.Tags, func(r catalog.Ref) bool { return r.Slug == slug }) {
						t.Errorf("%s: article %d lacks %s: %v", q.URL(""), id, slug, a.Tags)
					}
				}
			}
		}
	}
}
