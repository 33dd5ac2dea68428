package sqlite_test

import (
	"cmp"
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

// seedStories is the seed as stories, from the reference rule applied to
// every pair of its cards: each article's story number (the position of
// its story's first card in the golden file), and the articles by id.
type seedStories struct {
	all   []catalog.Article // every article, newest first
	byID  map[int64]seedCard
	story map[int64]int // article id -> story number
	size  map[int]int   // story number -> cards
}

func loadSeedStories(t *testing.T, s *sqlite.Store, cards []seedCard) seedStories {
	t.Helper()
	all, err := s.Articles(context.Background(), catalog.Query{Per: catalog.MaxPer})
	if err != nil {
		t.Fatal(err)
	}
	if all.Total != len(cards) || len(all.Articles) != len(cards) {
		t.Fatalf("%d articles, want %d", all.Total, len(cards))
	}
	var titles, summaries []string
	pos := map[string]int{}
	for i, c := range cards {
		titles, summaries = append(titles, c.Title), append(summaries, c.Summary)
		pos[c.key()] = i
	}
	ref := sqlite.ReferenceStories(titles, summaries)
	ss := seedStories{all: all.Articles, byID: map[int64]seedCard{}, story: map[int64]int{}, size: map[int]int{}}
	for _, a := range all.Articles {
		i, ok := pos[articleKey(a)]
		if !ok {
			t.Fatalf("article %q is not in the seed", a.Title)
		}
		ss.byID[a.ID], ss.story[a.ID] = cards[i], int(ref[i])
		ss.size[int(ref[i])]++
	}
	return ss
}

func findTitled(t *testing.T, arts []catalog.Article, prefix string) []catalog.Article {
	t.Helper()
	var out []catalog.Article
	for _, a := range arts {
		if strings.HasPrefix(a.Title, prefix) {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(a, b catalog.Article) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// The stories stored at import are those of the reference rule, and
// Article's same-story list is the story's other cards.
func TestStoriesSeed(t *testing.T) {
	s, cards := seedStore(t)
	ss := loadSeedStories(t, s, cards)
	multi := 0
	for _, n := range ss.size {
		if n > 1 {
			multi++
		}
	}
	t.Logf("%d cards, %d stories, %d of more than one card", len(ss.all), len(ss.size), multi)

	for _, tt := range []struct {
		name, a, b string // title prefixes of two seed cards
		same       bool
	}{
		// The same title from 21CTO and from Java High-Performance
		// Architecture, a day apart: the same article republished.
		{"Vipshop", "How Vipshop’s Three‑Tier", "How Vipshop’s Three‑Tier", true},
		// Both from 21CTO, fifteen days apart, titled apart after the
		// colon ("Restful APIs, RabbitMQ, Redis & More" against
		// "Architecture, Tools, and Best Practices": title words 8 shared of
		// 18, Jaccard 0.44). The summaries tell two posts of one project's
		// write-up, not one post twice: the first is about the APIs, queues
		// and team practice, the second about OS differences, network
		// ports and architecture decisions, and they share few words
		// (Jaccard 0.18, below 0.3). Not one story.
		{"Hybrid Cloud", "What I Learned Building a Hybrid Cloud System: Restful", "What I Learned Building a Hybrid Cloud System: Architecture", false},
		// Right at the title threshold (7 words shared of 10, Jaccard 0.7),
		// but the summaries are two different overviews (Jaccard 0.28):
		// not one story.
		{"Load Balancing", "Mastering Load Balancing: Principles, Types, and", "Mastering Load Balancing: Principles, Types, Algorithms", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			pair := findTitled(t, ss.all, tt.a)
			if tt.a != tt.b {
				pair = append(pair, findTitled(t, ss.all, tt.b)...)
			}
			if len(pair) != 2 {
				t.Fatalf("%d cards, want 2", len(pair))
			}
			a, b := pair[0], pair[1]
			if got := ss.story[a.ID] == ss.story[b.ID]; got != tt.same {
				t.Fatalf("the reference says same story = %v, the test expects %v", got, tt.same)
			}
			if !tt.same {
				if a.DuplicateOf != 0 || b.DuplicateOf != 0 || a.OtherSources != nil || b.OtherSources != nil {
					t.Errorf("DuplicateOf %d, %d; OtherSources %v, %v; want none", a.DuplicateOf, b.DuplicateOf, a.OtherSources, b.OtherSources)
				}
				return
			}
			if a.DuplicateOf != a.ID || b.DuplicateOf != a.ID {
				t.Errorf("DuplicateOf = %d, %d; want the smaller id %d for both", a.DuplicateOf, b.DuplicateOf, a.ID)
			}
			if !slices.Equal(a.OtherSources, []catalog.Ref{*b.Source}) || !slices.Equal(b.OtherSources, []catalog.Ref{*a.Source}) {
				t.Errorf("OtherSources = %v and %v, want each the other's source", a.OtherSources, b.OtherSources)
			}
		})
	}

	// Every card against the reference, and against Article.
	for _, a := range ss.all {
		var others []int64
		var sources []string
		for _, b := range ss.all {
			if b.ID != a.ID && ss.story[b.ID] == ss.story[a.ID] {
				others = append(others, b.ID)
				if b.Source != nil && (a.Source == nil || b.Source.Slug != a.Source.Slug) && !slices.Contains(sources, b.Source.Name) {
					sources = append(sources, b.Source.Name)
				}
			}
		}
		wantDup := int64(0)
		if len(others) > 0 {
			wantDup = min(a.ID, slices.Min(others))
		}
		var gotSources []string
		for _, r := range a.OtherSources {
			gotSources = append(gotSources, r.Name)
		}
		slices.Sort(sources)
		if a.DuplicateOf != wantDup || !slices.Equal(gotSources, sources) {
			t.Errorf("%d %q: DuplicateOf %d, OtherSources %v; want %d, %v", a.ID, a.Title, a.DuplicateOf, gotSources, wantDup, sources)
		}
		d, err := s.Article(context.Background(), a.ID)
		if err != nil {
			t.Fatal(err)
		}
		var same []int64
		for _, x := range d.SameStory {
			same = append(same, x.ID)
		}
		slices.Sort(same)
		if !slices.Equal(same, others) || d.DuplicateOf != a.DuplicateOf {
			t.Errorf("%d: Article's SameStory %v, DuplicateOf %d; want %v, %d", a.ID, same, d.DuplicateOf, others, a.DuplicateOf)
		}
	}
}

// collapsed is the reference of Query.Collapse: of the cards matching q,
// the newest of each story (undated last; on the same day, the smallest
// id).
func (ss seedStories) collapsed(q catalog.Query) []int64 {
	best := map[int]catalog.Article{}
	for _, a := range ss.all {
		if !ss.byID[a.ID].matches(q) {
			continue
		}
		st := ss.story[a.ID]
		if b, ok := best[st]; !ok || newer(a, b) {
			best[st] = a
		}
	}
	var ids []int64
	for _, a := range best {
		ids = append(ids, a.ID)
	}
	slices.Sort(ids)
	return ids
}

// newer reports whether a comes before b in a story: dated before
// undated, then the later date, then the smaller id.
func newer(a, b catalog.Article) bool {
	switch {
	case a.Date.IsZero() != b.Date.IsZero():
		return b.Date.IsZero()
	case !a.Date.Equal(b.Date):
		return a.Date.After(b.Date)
	}
	return a.ID < b.ID
}

// Collapse lists one card per story, the newest among those matching the
// other filters, and counts them.
func TestCollapse(t *testing.T) {
	s, cards := seedStore(t)
	ss := loadSeedStories(t, s, cards)
	extra := 0
	for _, n := range ss.size {
		extra += n - 1
	}
	java := findTitled(t, ss.all, "How Vipshop’s Three‑Tier")[1].Source.Slug
	tests := []struct {
		name string
		q    catalog.Query
		want int // -1: only against the reference
	}{
		{"everything", catalog.Query{}, len(cards) - extra},
		{"oldest first", catalog.Query{Sort: catalog.SortOldest}, len(cards) - extra},
		{"tag", catalog.Query{Tags: []string{"distributed-systems"}}, -1},
		{"the newer card's source", catalog.Query{Source: "21cto"}, 41},
		{"the older card's source", catalog.Query{Source: java}, -1},
		{"a tag only the newer card has", catalog.Query{Tags: []string{"vipshop"}}, 1},
		{"excluding it leaves the older card", catalog.Query{Not: []string{"vipshop"}, Category: "operations"}, -1},
		{"the older card's day", catalog.Query{From: date(t, "2016-03-16"), To: date(t, "2016-03-16")}, 1},
		{"both days", catalog.Query{From: date(t, "2016-03-16"), To: date(t, "2016-03-17")}, 1},
		{"any", catalog.Query{Any: []string{"apm", "operations"}}, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.q.Per, tt.q.Collapse = catalog.MaxPer, true
			page, err := s.Articles(context.Background(), tt.q)
			if err != nil {
				t.Fatal(err)
			}
			want := ss.collapsed(tt.q)
			if tt.want >= 0 && len(want) != tt.want {
				t.Fatalf("the reference gives %d, the test expects %d", len(want), tt.want)
			}
			var got []int64
			for _, a := range page.Articles {
				got = append(got, a.ID)
			}
			slices.Sort(got)
			if page.Total != len(want) || !slices.Equal(got, want) {
				t.Errorf("Total %d, ids %v; want %d, %v", page.Total, got, len(want), want)
			}
			// The CSV path streams the same set.
			var each []int64
			if err := s.EachArticle(context.Background(), tt.q, func(a catalog.Article) error {
				each = append(each, a.ID)
				if i := slices.IndexFunc(page.Articles, func(b catalog.Article) bool { return b.ID == a.ID }); i < 0 ||
					a.DuplicateOf != page.Articles[i].DuplicateOf || !slices.Equal(a.OtherSources, page.Articles[i].OtherSources) {
					t.Errorf("EachArticle's %d differs from Articles'", a.ID)
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			slices.Sort(each)
			if !slices.Equal(each, want) {
				t.Errorf("EachArticle ids %v, want %v", each, want)
			}
		})
	}
	// Counted up to a bound: the total is the bound, with "more", past
	// it, whether a walk of the matches finds that or the counts kept at
	// import show it (every card less those that share a story); never
	// "more" at or under it. A listing of at most one filter (a tag, a
	// source, a category) is exact whatever the bound: its size is kept
	// at import (listing_hidden).
	for _, bound := range []int{1, 5, 40, 70, 90} {
		sqlite.SetCountMax(s, bound)
		for _, tt := range tests {
			q := tt.q
			q.Collapse = true
			want := len(ss.collapsed(q))
			page, err := s.Articles(context.Background(), q)
			if err != nil {
				t.Fatal(err)
			}
			plain := q
			plain.Collapse, plain.Sort, plain.Per = false, "", 0
			wantTotal, wantMore := min(want, bound), want > bound
			if kept := len(plain.Tags)+btoi(plain.Source != "")+btoi(plain.Category != "") <= 1 && plain.Q == "" &&
				len(plain.Any)+len(plain.Not) == 0 && plain.From.IsZero() && plain.To.IsZero(); kept {
				wantTotal, wantMore = want, false
			}
			if page.Total != wantTotal || page.More != wantMore {
				t.Errorf("%s, counted up to %d: total %d (more: %v); want %d (%v)", tt.name, bound, page.Total, page.More, wantTotal, wantMore)
			}
		}
	}
	sqlite.SetCountMax(s, sqlite.LiveCountMax)
	collapsedSizesKept(t, s)
	// A search goes through the same condition.
	page, err := s.Articles(context.Background(), catalog.Query{Q: "vipshop monitoring", Collapse: true})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != 1 || len(page.Articles) != 1 || page.Articles[0].Source.Slug != "21cto" {
		t.Errorf("search, collapsed: %d results", page.Total)
	}
}

// Under Collapse the facets count the listed cards, and a tag's Or and Not
// are what adding it to the "any" group or excluding it would do to the
// collapsed total.
func TestCollapseFacets(t *testing.T) {
	s, _ := seedStore(t)
	ctx := context.Background()
	total := func(q catalog.Query) int {
		t.Helper()
		p, err := s.Articles(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		return p.Total
	}
	for _, q := range []catalog.Query{
		{},
		{Tags: []string{"distributed-systems"}},
		{Any: []string{"operations", "apm"}},
		{Source: "21cto"},
		{Category: "operations"},
	} {
		q.Collapse, q.Per = true, catalog.MaxPer
		t.Run(q.URL(""), func(t *testing.T) {
			page, f := pageAndFacets(t, s, q)
			years, categories, undated, uncategorized := 0, 0, 0, 0
			for _, y := range f.Years {
				years += y.Count
			}
			for _, c := range f.Categories {
				categories += c.Count
			}
			for _, a := range page.Articles {
				if a.Date.IsZero() {
					undated++
				}
				if a.Category == nil {
					uncategorized++
				}
			}
			if years+undated != page.Total || categories+uncategorized != page.Total {
				t.Errorf("years %d + undated %d, categories %d + none %d; total %d", years, undated, categories, uncategorized, page.Total)
			}
			for _, src := range f.Sources {
				n := 0
				for _, a := range page.Articles {
					if a.Source != nil && a.Source.Slug == src.Slug {
						n++
					}
				}
				if src.Count != n {
					t.Errorf("source %s: %d, but %d listed", src.Slug, src.Count, n)
				}
			}
			og, widen := q.OrGroup()
			for _, tf := range slices.Concat(f.Tags, f.Common) {
				n := 0
				for _, a := range page.Articles {
					if slices.ContainsFunc(a.Tags, func(r catalog.Ref) bool { return r.Slug == tf.Slug }) {
						n++
					}
				}
				if tf.Count != n {
					t.Errorf("tag %s: count %d, but %d listed carry it", tf.Slug, tf.Count, n)
				}
				if !tf.Active && !slices.Contains(q.Not, tf.Slug) {
					without := q.Refine(func(q *catalog.Query) { q.Not = append(q.Not, tf.Slug) })
					if want := page.Total - total(without); tf.Not != want {
						t.Errorf("tag %s: Not %d, want %d", tf.Slug, tf.Not, want)
					}
				}
				if widen && !slices.Contains(og.Any, tf.Slug) {
					with := og.Refine(func(q *catalog.Query) { q.Any = append(q.Any, tf.Slug) })
					if want := total(with) - page.Total; tf.Or != want {
						t.Errorf("tag %s: Or %d, want %d", tf.Slug, tf.Or, want)
					}
				}
			}
		})
	}
}

// A new card of a story joins it; a database migrated from before stories
// gets them from the next import, even one that changes nothing else.
func TestStoriesAfterImport(t *testing.T) {
	ctx := context.Background()
	path := sqlitetest.SeedDB(t)
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	all, err := s.Articles(ctx, catalog.Query{Per: catalog.MaxPer})
	if err != nil {
		t.Fatal(err)
	}
	vip := findTitled(t, all.Articles, "How Vipshop’s Three‑Tier")
	card := sqlitetest.GoldenCard{
		Title: strings.ToUpper(vip[0].Title), Summary: vip[1].Summary + " Republished.",
		Source: ptr("Ops Weekly"), Date: ptr("2016-03-20"), Tags: []string{"Republished Elsewhere"},
	}.Card()
	if _, err := s.Import(ctx, func(im *sqlite.Import) error {
		if err := im.BeginPage("more.txt"); err != nil {
			return err
		}
		if err := im.AddCard(card, catalog.SplitResult{Tags: card.Tags, Certain: true}); err != nil {
			return err
		}
		return im.EndPage(catalog.PageHeader{Number: 1, Of: 1}, "more")
	}); err != nil {
		t.Fatal(err)
	}
	page, err := s.Articles(ctx, catalog.Query{Tags: []string{"republished-elsewhere"}})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != 1 {
		t.Fatalf("%d new cards", page.Total)
	}
	added := page.Articles[0]
	var names []string
	for _, r := range added.OtherSources {
		names = append(names, r.Name)
	}
	if added.DuplicateOf != vip[0].ID || !slices.Equal(names, []string{vip[0].Source.Name, vip[1].Source.Name}) {
		t.Errorf("the new card: DuplicateOf %d, OtherSources %v", added.DuplicateOf, names)
	}
	col, err := s.Articles(ctx, catalog.Query{Q: "vipshop monitoring", Collapse: true})
	if err != nil {
		t.Fatal(err)
	}
	if col.Total != 1 || col.Articles[0].ID != added.ID {
		t.Errorf("collapsed, the story is shown by %v, want the newest card %d", col.Articles, added.ID)
	}
	collapsedSizesKept(t, s)

	// As after migration 0003: no story yet.
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE cards SET story = NULL; DELETE FROM meta WHERE key = 'stories'`); err != nil {
		t.Fatal(err)
	}
	before, err := s.Version(ctx)
	if err != nil {
		t.Fatal(err)
	}
	nothing := func(*sqlite.Import) error { return nil }
	if _, err := s.Import(ctx, nothing); err != nil {
		t.Fatal(err)
	}
	after, err := s.Version(ctx)
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.Article(ctx, vip[1].ID)
	if err != nil {
		t.Fatal(err)
	}
	if after != before+1 || len(d.SameStory) != 2 || d.DuplicateOf != vip[0].ID {
		t.Errorf("version %d -> %d, %d same-story cards, DuplicateOf %d", before, after, len(d.SameStory), d.DuplicateOf)
	}
	collapsedSizesKept(t, s)
	if _, err := s.Import(ctx, nothing); err != nil {
		t.Fatal(err)
	}
	if again, _ := s.Version(ctx); again != after {
		t.Errorf("an import that changes nothing moved the version %d -> %d", after, again)
	}
}

// A collapsed listing of more cards than a live sidebar samples, but
// fewer stories: its tags' Not counts every matching card of each story,
// not only those among the newest cards. 60 stories of 5 cards each, all
// tagged Base, all but each story's oldest card tagged Late, which is
// older than every story's newest three: excluding Late removes no story
// (each keeps its oldest card), and the sidebar, over all 60 stories,
// says it is exact.
func TestCollapsedFacetsCountWholeStories(t *testing.T) {
	var cards []catalog.Card
	for j := range 60 {
		for k := range 5 {
			c := catalog.Card{
				File: "stories.txt", Line: 1 + 8*len(cards),
				Title:   storyTitle(j),
				Summary: fmt.Sprintf("What happened in story %d.", j),
				Source:  fmt.Sprintf("Source %d", k), Category: "News",
				Date:  time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, k*100+j), // a story's cards far apart
				Tags:  []string{"Base", "Late"},
				Likes: k, Minutes: 2,
			}
			if k == 0 {
				c.Tags = []string{"Base"}
			}
			for _, tg := range c.Tags {
				c.Glued += tg
			}
			c.Raw = c.Title + "\n"
			cards = append(cards, c)
		}
	}
	s, _ := openGenerated(t, cards)
	page, f := pageAndFacets(t, s, catalog.Query{Tags: []string{"base"}, Collapse: true})
	i := slices.IndexFunc(slices.Concat(f.Common, f.Tags), func(tf catalog.TagFacet) bool { return tf.Slug == "late" })
	if page.Total != 60 || i < 0 || f.Sample != 0 {
		t.Fatalf("total %d, late at %d, sample %d; want 60 stories, late listed, no sample", page.Total, i, f.Sample)
	}
	if late := slices.Concat(f.Common, f.Tags)[i]; late.Count != 60 || late.Not != 0 {
		t.Errorf("late: count %d, not %d; want 60 (every listed card) and 0 (every story keeps its oldest card)", late.Count, late.Not)
	}
}

// A collapsed listing's "+N" (Or) counts the stories that adding a tag
// to the "any" group would add: none when every story of the widened
// group already has a card among the matches, whichever matches the
// sidebar samples. 250 stories, each with an old card tagged Base (the
// newest ten also Extra) and a new one tagged Extra and Other, not Base;
// the newest of those are in the stories of the oldest Base cards.
func TestCollapsedFacetsOrCountsWholeStories(t *testing.T) {
	var cards []catalog.Card
	day := func(n int) time.Time { return time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, n) }
	for j := range 250 {
		base := []string{"Base"}
		if j >= 240 {
			base = []string{"Base", "Extra"}
		}
		for k, c := range []catalog.Card{
			{Source: "Source A", Date: day(j), Tags: base},
			{Source: "Source B", Date: day(1000 + 249 - j), Tags: []string{"Extra", "Other"}},
		} {
			c.File, c.Line = "or.txt", 1+8*(2*j+k)
			c.Title, c.Summary, c.Category, c.Minutes = storyTitle(j), "Told twice.", "News", 2
			c.Glued, c.Raw = strings.Join(c.Tags, ""), storyTitle(j)+"\n"
			cards = append(cards, c)
		}
	}
	s, _ := openGenerated(t, cards)
	q := catalog.Query{Tags: []string{"base"}, Collapse: true}
	f, err := s.Facets(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	all := slices.Concat(f.Common, f.Tags)
	i := slices.IndexFunc(all, func(tf catalog.TagFacet) bool { return tf.Slug == "extra" })
	if i < 0 || all[i].Count != 10 || all[i].Or != 0 {
		t.Fatalf("extra: at %d of %+v; want it with a count of 10 and an or of 0 (every story has a card tagged Base)", i, all)
	}
}

// storyTitle is a title of three made-up words that no other j's title
// has.
func storyTitle(j int) string {
	word := func(n int) string {
		b := []byte("xxxxxx")
		for k := range b {
			b[k] = byte('a' + n%26)
			n = n/26 + 7*k + 3
		}
		return string(b)
	}
	return fmt.Sprintf("%s %s %s", word(3*j), word(3*j+1), word(3*j+2))
}

// pageAndFacets returns page q of s's listing and its sidebar.
func pageAndFacets(t *testing.T, s *sqlite.Store, q catalog.Query) (catalog.ArticlePage, catalog.Facets) {
	t.Helper()
	page, err := s.Articles(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	f, err := s.Facets(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	return page, f
}

// collapsedSizesKept checks that the size of every listing of at most one
// filter with one card per story, which the store reads from the counts
// kept at import (listing_hidden), is the number of cards that listing
// streams, each tested against the collapsing rule on its own; and that
// some listing hides cards, so that the check can fail.
func collapsedSizesKept(t *testing.T, s *sqlite.Store) {
	t.Helper()
	ctx := context.Background()
	qs := append([]catalog.Query{{}}, singleFilterListings(t, s)...)
	hiding := 0
	for _, q := range qs {
		q.Collapse = true
		page, err := s.Articles(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if n := streamed(t, s, q); page.Total != n || page.More {
			t.Errorf("%s: total %d (more: %v), %d streamed", q.URL(""), page.Total, page.More, n)
		}
		plain := q
		plain.Collapse = false
		all, err := s.Articles(ctx, plain)
		if err != nil {
			t.Fatal(err)
		}
		if all.Total > page.Total {
			hiding++
		}
	}
	if hiding < 2 {
		t.Errorf("%d listings hide cards of a story: nothing to check", hiding)
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// A database made before migration 0013 has no listing_hidden: opening
// it migrates it, and the table is filled from the stories stored, so
// that the collapsed listings' sizes read from it are right at once,
// before any import.
func TestMigrationKeepsHiddenCounts(t *testing.T) {
	ctx := context.Background()
	path := sqlitetest.SeedDB(t)
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`DROP TABLE listing_hidden; DELETE FROM schema_migrations WHERE name = '0013_listing_hidden.sql'`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	collapsedSizesKept(t, s)
}

// A listing of one card per story whose size without the collapsing is
// kept (a word's) is "more" than the count bound without a walk only
// when it surely is: its kept size less what collapsing every card
// hides is over the bound. The seed's Vipshop story has two cards that
// both mention the word, so with the bound at one card the collapsed
// listing is exact, not "more".
func TestCollapsedOverTheBound(t *testing.T) {
	s, _ := seedStore(t)
	ctx := context.Background()
	plain, err := s.Articles(ctx, catalog.Query{Q: `"vipshop"`})
	if err != nil {
		t.Fatal(err)
	}
	if plain.Total < 2 || plain.More {
		t.Fatalf("%d cards mention Vipshop: nothing to check", plain.Total)
	}
	sqlite.SetCountMax(s, plain.Total-1)
	defer sqlite.SetCountMax(s, sqlite.LiveCountMax)
	q := catalog.Query{Q: `"vipshop"`, Collapse: true}
	page, err := s.Articles(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if n := streamed(t, s, q); n >= plain.Total || page.More || page.Total != n {
		t.Errorf("collapsed, bound %d: total %d (more: %v), %d streamed, %d uncollapsed", plain.Total-1, page.Total, page.More, n, plain.Total)
	}
}
