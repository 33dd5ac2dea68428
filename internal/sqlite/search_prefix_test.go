package sqlite_test

import (
	"context"
	"reflect"
	"testing"

	"cardex/internal/catalog"
	"cardex/internal/sqlite"
	"cardex/internal/sqlite/sqlitetest"
)

// A read-only store expands a search's prefix terms into the index's
// words ("kafk" into "kafka") and asks FTS5 for an OR of them; a writable
// store leaves the prefix to FTS5. Both must give the same pages, totals,
// highlights and sidebars, for every kind of search.
func TestPrefixExpansionChangesNothing(t *testing.T) {
	ctx := context.Background()
	path := sqlitetest.SeedDB(t)
	plain, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	expanding := sqlitetest.OpenReadOnly(t, path)
	searches := []string{
		"kafk", "kafka", "k", "d", "distributed sys", "data", "micro servic", "multi-layer", `"message queue" kafk`,
		"kafka -rabbit", "-kafka", "秒", "café", "vipshop", "zzzz", "stream process", "2016", "sys kafk", "e", "s", "c",
		"pro", "com", "con",
	}
	expanded := 0
	// Prefixes expanded up to the default number of words, and up to 16,
	// so that the seed has prefixes left to FTS5 too ("pro" starts 27
	// words; "s", of one letter, is no prefix: catalog.ParseSearch).
	for _, most := range []int{sqlite.PrefixWordsMax, 16} {
		sqlite.SetPrefixMax(expanding, most)
		for _, text := range searches {
			for _, q := range []catalog.Query{
				{Q: text}, {Q: text, Sort: catalog.SortRelevance}, {Q: text, Page: 2, Per: 10},
				{Q: text, Sort: catalog.SortOldest}, {Q: text, Tags: []string{"kafka"}}, {Q: text, Collapse: true},
			} {
				want, werr := plain.Articles(ctx, q)
				got, gerr := expanding.Articles(ctx, q)
				if (werr != nil) != (gerr != nil) || !reflect.DeepEqual(got, want) {
					t.Errorf("%s: expanded\n%+v (%v)\nplain\n%+v (%v)", q.URL(""), got, gerr, want, werr)
					continue
				}
				wf, werr := plain.Facets(ctx, q)
				gf, gerr := expanding.Facets(ctx, q)
				if (werr != nil) != (gerr != nil) || !reflect.DeepEqual(gf, wf) {
					t.Errorf("%s: sidebar expanded\n%+v\nplain\n%+v", q.URL(""), gf, wf)
				}
				if want.Total > 0 && q.Page == 0 {
					expanded++
				}
			}
		}
		got := sqlite.PrefixWords(expanding, "pro")
		switch {
		case most < 27 && got != nil:
			// "pro" starts too many words: it stays a prefix, and was compared too.
			t.Errorf(`"pro" expanded to %d words with at most %d, want none (left to FTS5)`, len(got), most)
		case most >= 27 && len(got) != 27:
			t.Errorf(`"pro" expanded to %d words with at most %d, want its 27`, len(got), most)
		}
	}
	if expanded < 80 {
		t.Errorf("only %d of the listings compared have matches", expanded)
	}
	if got := sqlite.PrefixWords(expanding, "kafk"); !reflect.DeepEqual(got, []string{"kafka"}) {
		t.Errorf(`"kafk" expanded to %q, want [kafka]`, got)
	}
}

// The words table behind prefix expansion and one-word counts
// (search_words) follows every import: after a second page brings new
// cards, a read-only store finds the new words, and counts a word by
// prefix, whole and quoted as a writable store counts it by walking the
// matches.
func TestSearchWordsFollowImports(t *testing.T) {
	ctx := context.Background()
	path := sqlitetest.SeedDB(t)
	card := func(i int, title string) catalog.Card {
		return catalog.Card{Source: "Zed Lab", Title: title, Summary: "A summary of zyxel notes.", Tags: []string{"Kafka"}, Line: i + 1}
	}
	searches := []string{"zyxel", "zyx", `"zyxel"`, "kafka", "kafk"}
	totals := func(s *sqlite.Store) []int {
		var out []int
		for _, text := range searches {
			p, err := s.Articles(ctx, catalog.Query{Q: text})
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, p.Total)
		}
		return out
	}
	if got := totals(sqlitetest.OpenReadOnly(t, path)); got[0] != 0 || got[1] != 0 {
		t.Fatalf("before the import: %v", got)
	}
	sqlitetest.ImportCards(t, path, []catalog.Card{card(0, "Zyxel switches at scale"), card(1, "Zyxelian routers"), card(2, "Kafka on zyxel")})
	plain, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	want := totals(plain)
	plain.Close()
	ro := sqlitetest.OpenReadOnly(t, path)
	got := totals(ro)
	if !reflect.DeepEqual(got, want) || want[0] != 3 || want[1] != 3 {
		t.Errorf("after the import, totals of %q: read-only %v, counted %v (want 3 cards with zyxel)", searches, got, want)
	}
	// Found in the words table, not left to FTS5 for want of it.
	if w := sqlite.PrefixWords(ro, "zyx"); !reflect.DeepEqual(w, []string{"zyxel", "zyxelian"}) {
		t.Errorf(`"zyx" expanded to %q, want zyxel and zyxelian`, w)
	}
}
