package sqlite_test

import (
	"cmp"
	"context"
	"errors"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"cardex/internal/catalog"
	"cardex/internal/sqlite"
	"cardex/internal/sqlite/sqlitetest"
)

// seedCard is a card of the seed's golden file: the cards the query tests
// run against, and the data their expected answers are computed from,
// independently of SQL.
type seedCard struct{ sqlitetest.GoldenCard }

func (c seedCard) source() string   { return deref(c.Source) }
func (c seedCard) date() string     { return deref(c.Date) }
func (c seedCard) category() string { return deref(c.Category) }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func (c seedCard) hasTag(slug string) bool {
	return slices.ContainsFunc(c.Tags, func(t string) bool { return catalog.Slugify(t) == slug })
}

// key identifies a card by what the site shows of it.
func (c seedCard) key() string { return c.source() + "|" + c.date() + "|" + c.Title }

func articleKey(a catalog.Article) string {
	src, date := "", ""
	if a.Source != nil {
		src = a.Source.Name
	}
	if !a.Date.IsZero() {
		date = a.Date.Format(time.DateOnly)
	}
	return src + "|" + date + "|" + a.Title
}

// matches is the reference semantics of a catalog.Query.
func (c seedCard) matches(q catalog.Query) bool {
	for _, t := range q.Tags {
		if !c.hasTag(t) {
			return false
		}
	}
	if len(q.Any) > 0 && !slices.ContainsFunc(q.Any, c.hasTag) {
		return false
	}
	if slices.ContainsFunc(q.Not, c.hasTag) {
		return false
	}
	if q.Source != "" && catalog.Slugify(c.source()) != q.Source {
		return false
	}
	if q.Category != "" && catalog.Slugify(c.category()) != q.Category {
		return false
	}
	if !q.From.IsZero() && (c.Date == nil || *c.Date < q.From.First().Format(time.DateOnly)) {
		return false
	}
	if !q.To.IsZero() && (c.Date == nil || *c.Date > q.To.Last().Format(time.DateOnly)) {
		return false
	}
	return true
}

func refCount(cards []seedCard, q catalog.Query) int {
	n := 0
	for _, c := range cards {
		if c.matches(q) {
			n++
		}
	}
	return n
}

// seedStore is the seed database, opened as the server opens it, and its
// cards.
func seedStore(tb testing.TB) (*sqlite.Store, []seedCard) {
	tb.Helper()
	var cards []seedCard
	for _, g := range sqlitetest.Golden(tb) {
		cards = append(cards, seedCard{g})
	}
	return sqlitetest.SeedStore(tb), cards
}

func date(tb testing.TB, s string) catalog.DateBound {
	tb.Helper()
	d, err := catalog.ParseDateBound(s)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

func TestArticlesFilters(t *testing.T) {
	s, cards := seedStore(t)
	if len(cards) != 92 {
		t.Fatalf("the seed has %d cards, want 92", len(cards))
	}
	tests := []struct {
		name string
		q    catalog.Query
		want int // also checked against the reference count from the JSONL
	}{
		{"everything", catalog.Query{}, 92},
		{"tag", catalog.Query{Tags: []string{"kafka"}}, 5},
		{"source", catalog.Query{Source: "21cto"}, 41},
		{"two tags", catalog.Query{Tags: []string{"kafka", "microservices"}}, 1},
		{"not", catalog.Query{Not: []string{"distributed-systems"}}, 1},
		{"from year", catalog.Query{From: date(t, "2016")}, 53},
		{"to month", catalog.Query{To: date(t, "2015-10")}, 18},
		{"from day to day", catalog.Query{From: date(t, "2016-03-16"), To: date(t, "2016-03-17")}, 2},
		{"any", catalog.Query{Any: []string{"kafka", "rabbitmq"}}, 7},
		{"category", catalog.Query{Category: "operations"}, 11},
		{"everything at once", catalog.Query{
			Tags: []string{"distributed-systems"}, Any: []string{"caching", "scalability", "kafka"},
			Not: []string{"backend"}, Source: "21cto", Category: "backend-development", From: date(t, "2015"),
		}, 8},
		{"nothing matches", catalog.Query{Tags: []string{"kafka"}, Not: []string{"kafka"}}, 0},
	}
	byKey := map[string]seedCard{}
	for _, c := range cards {
		byKey[c.key()] = c
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.q.Per = catalog.MaxPer
			page, err := s.Articles(context.Background(), tt.q)
			if err != nil {
				t.Fatal(err)
			}
			ref := refCount(cards, tt.q)
			if ref != tt.want {
				t.Fatalf("the reference counts %d, the test expects %d", ref, tt.want)
			}
			if page.Total != ref || len(page.Articles) != ref {
				t.Errorf("Total = %d with %d articles, want %d", page.Total, len(page.Articles), ref)
			}
			for _, a := range page.Articles {
				c, ok := byKey[articleKey(a)]
				if !ok || !c.matches(tt.q) {
					t.Errorf("article %q should not match", a.Title)
				}
			}
		})
	}
}

func TestArticlesPaging(t *testing.T) {
	s, _ := seedStore(t)
	tests := []struct {
		name      string
		page, per int
		want      int
	}{
		{"first default page", 0, 0, catalog.DefaultPer},
		{"page 3 of 40", 3, 40, 12},
		{"page 10 of 10", 10, 10, 2},
		{"past the end", 4, 40, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := s.Articles(context.Background(), catalog.Query{Page: tt.page, Per: tt.per})
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Articles) != tt.want || p.Total != 92 {
				t.Errorf("%d articles of %d, want %d of 92", len(p.Articles), p.Total, tt.want)
			}
		})
	}
	seen := map[int64]bool{}
	for n := 1; n <= 10; n++ {
		p, err := s.Articles(context.Background(), catalog.Query{Page: n, Per: 10, Sort: catalog.SortLongest})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range p.Articles {
			if seen[a.ID] {
				t.Errorf("article %d on two pages", a.ID)
			}
			seen[a.ID] = true
		}
	}
	if len(seen) != 92 {
		t.Errorf("the pages hold %d articles, want 92", len(seen))
	}
}

func TestArticlesSort(t *testing.T) {
	s, cards := seedStore(t)
	newest, oldest := "", "9999"
	for _, c := range cards {
		if c.Date != nil {
			newest, oldest = max(newest, *c.Date), min(oldest, *c.Date)
		}
	}
	// undatedLast orders dated articles by cmpDates and undated ones after them.
	undatedLast := func(a, b catalog.Article, cmpDates func(x, y time.Time) int) int {
		switch {
		case a.Date.IsZero() && b.Date.IsZero():
			return 0
		case a.Date.IsZero():
			return 1
		case b.Date.IsZero():
			return -1
		}
		return cmpDates(a.Date, b.Date)
	}
	newestFirst := func(a, b catalog.Article) int {
		return cmp.Or(undatedLast(a, b, func(x, y time.Time) int { return y.Compare(x) }), cmp.Compare(b.ID, a.ID))
	}
	tests := []struct {
		name  string
		sort  catalog.Sort
		order func(a, b catalog.Article) int
		first func(a catalog.Article) bool
	}{
		{"default", "", newestFirst, func(a catalog.Article) bool { return a.Date.Format(time.DateOnly) == newest }},
		{"newest", catalog.SortNewest, newestFirst, nil},
		{"relevance is newest for now", catalog.SortRelevance, newestFirst, nil},
		{"oldest", catalog.SortOldest, func(a, b catalog.Article) int {
			return cmp.Or(undatedLast(a, b, func(x, y time.Time) int { return x.Compare(y) }), cmp.Compare(a.ID, b.ID))
		}, func(a catalog.Article) bool { return a.Date.Format(time.DateOnly) == oldest }},
		{"longest", catalog.SortLongest, func(a, b catalog.Article) int {
			return cmp.Or(cmp.Compare(b.ReadMinutes, a.ReadMinutes), newestFirst(a, b))
		}, nil},
		{"shortest", catalog.SortShortest, func(a, b catalog.Article) int {
			return cmp.Or(cmp.Compare(a.ReadMinutes, b.ReadMinutes), newestFirst(a, b))
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := s.Articles(context.Background(), catalog.Query{Sort: tt.sort, Per: catalog.MaxPer})
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Articles) != 92 {
				t.Fatalf("%d articles, want 92", len(p.Articles))
			}
			for i := 1; i < len(p.Articles); i++ {
				if tt.order(p.Articles[i-1], p.Articles[i]) > 0 {
					t.Errorf("article %d (%q) comes before article %d (%q)", p.Articles[i-1].ID, p.Articles[i-1].Title, p.Articles[i].ID, p.Articles[i].Title)
				}
			}
			if tt.first != nil && !tt.first(p.Articles[0]) {
				t.Errorf("first article is %q of %s", p.Articles[0].Title, p.Articles[0].Date.Format(time.DateOnly))
			}
		})
	}
	if _, err := s.Articles(context.Background(), catalog.Query{Sort: "random"}); !errors.Is(err, catalog.ErrInvalid) {
		t.Errorf("sort=random: err = %v, want ErrInvalid", err)
	}
}

// Each article carries its source, category, date and tags, in the card's
// order and with their counts; the page names the slugs of its query.
func TestArticlesFields(t *testing.T) {
	s, cards := seedStore(t)
	df := map[string]int{}
	for _, c := range cards {
		for _, tag := range c.Tags {
			df[catalog.Slugify(tag)]++
		}
	}
	byKey := map[string]seedCard{}
	for _, c := range cards {
		byKey[c.key()] = c
	}
	q := catalog.Query{Tags: []string{"kafka"}, Any: []string{"flume", "message-queue"}, Not: []string{"rabbitmq"},
		Source: "architecture-digest", Category: "big-data"}
	p, err := s.Articles(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	wantNames := map[string]catalog.Ref{
		"tag:kafka":                  {Name: "Kafka", Slug: "kafka", Count: df["kafka"]},
		"tag:flume":                  {Name: "Flume", Slug: "flume", Count: df["flume"]},
		"tag:message-queue":          {Name: "Message Queue", Slug: "message-queue", Count: df["message-queue"]},
		"tag:rabbitmq":               {Name: "RabbitMQ", Slug: "rabbitmq", Count: df["rabbitmq"]},
		"source:architecture-digest": {Name: "Architecture Digest", Slug: "architecture-digest", Count: refCount(cards, catalog.Query{Source: "architecture-digest"})},
		"category:big-data":          {Name: "Big Data", Slug: "big-data", Count: refCount(cards, catalog.Query{Category: "big-data"})},
	}
	for k, want := range wantNames {
		if got := p.Names[k]; got != want {
			t.Errorf("Names[%q] = %+v, want %+v", k, got, want)
		}
	}
	if len(p.Names) != len(wantNames) {
		t.Errorf("Names has %d entries, want %d", len(p.Names), len(wantNames))
	}

	all, err := s.Articles(context.Background(), catalog.Query{Per: catalog.MaxPer})
	if err != nil {
		t.Fatal(err)
	}
	noSource := 0
	for _, a := range all.Articles {
		c, ok := byKey[articleKey(a)]
		if !ok {
			t.Fatalf("article %q is not in the seed", a.Title)
		}
		if (a.Source == nil) != (c.Source == nil) || (a.Category == nil) != (c.Category == nil) {
			t.Errorf("%q: source %v, category %v; want %v, %v", a.Title, a.Source, a.Category, c.Source, c.Category)
		}
		if a.Source == nil {
			noSource++
		}
		if a.Category != nil && (a.Category.Name != c.category() || a.Category.Slug != catalog.Slugify(c.category())) {
			t.Errorf("%q: category %+v, want %q", a.Title, a.Category, c.category())
		}
		if a.Summary != c.Summary || a.Likes != c.Likes || a.ReadMinutes != c.ReadMinutes {
			t.Errorf("%q: summary, likes or read time differ from the seed", a.Title)
		}
		var names []string
		for _, tag := range a.Tags {
			names = append(names, tag.Name)
			if tag.Slug != catalog.Slugify(tag.Name) || tag.Count != df[tag.Slug] {
				t.Errorf("%q: tag %+v, want count %d", a.Title, tag, df[tag.Slug])
			}
		}
		if !slices.Equal(names, c.Tags) {
			t.Errorf("%q: tags %q, want %q", a.Title, names, c.Tags)
		}
	}
	if noSource != 5 {
		t.Errorf("%d articles without a source, want 5", noSource)
	}
}

func TestUnknownSlug(t *testing.T) {
	s, _ := seedStore(t)
	tests := []struct {
		name string
		q    catalog.Query
		slug string
	}{
		{"tag", catalog.Query{Tags: []string{"kafka", "no-such-tag"}}, "no-such-tag"},
		{"any", catalog.Query{Any: []string{"no-such-any"}}, "no-such-any"},
		{"not", catalog.Query{Not: []string{"no-such-not"}}, "no-such-not"},
		{"source", catalog.Query{Source: "no-such-source"}, "no-such-source"},
		{"category", catalog.Query{Category: "no-such-category"}, "no-such-category"},
		{"a tag slug as a source", catalog.Query{Source: "kafka"}, "kafka"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Articles(context.Background(), tt.q)
			if !errors.Is(err, catalog.ErrNotFound) || !strings.Contains(err.Error(), tt.slug) {
				t.Errorf("Articles: err = %v, want ErrNotFound naming %q", err, tt.slug)
			}
			_, err = s.Facets(context.Background(), tt.q)
			if !errors.Is(err, catalog.ErrNotFound) || !strings.Contains(err.Error(), tt.slug) {
				t.Errorf("Facets: err = %v, want ErrNotFound naming %q", err, tt.slug)
			}
		})
	}
}

func TestFacets(t *testing.T) {
	s, cards := seedStore(t)
	with := func(q catalog.Query, fn func(*catalog.Query)) catalog.Query {
		q.Tags, q.Any, q.Not = slices.Clone(q.Tags), slices.Clone(q.Any), slices.Clone(q.Not)
		fn(&q)
		return q
	}
	tests := []struct {
		name   string
		q      catalog.Query
		common []string // slugs expected in Common
		check  func(t *testing.T, f catalog.Facets)
	}{
		{"everything", catalog.Query{}, []string{"distributed-systems"}, func(t *testing.T, f catalog.Facets) {
			if len(f.Tags) != 30 {
				t.Errorf("%d tags, want 30", len(f.Tags))
			}
			if f.Sources[0].Slug != "21cto" || f.Sources[0].Count != 41 {
				t.Errorf("top source %+v, want 21cto with 41", f.Sources[0])
			}
		}},
		{"a page tag", catalog.Query{Tags: []string{"distributed-systems"}}, []string{"distributed-systems"}, func(t *testing.T, f catalog.Facets) {
			if !f.Common[0].Active {
				t.Error("the query's own tag is not marked active")
			}
		}},
		{"few results", catalog.Query{Tags: []string{"kafka"}}, nil, func(t *testing.T, f catalog.Facets) {
			i := slices.IndexFunc(f.Tags, func(t catalog.TagFacet) bool { return t.Slug == "kafka" })
			if i < 0 || !f.Tags[i].Active || f.Tags[i].Count != 5 {
				t.Errorf("kafka facet missing, inactive or miscounted: %+v", f.Tags)
			}
		}},
		{"any", catalog.Query{Any: []string{"kafka", "rabbitmq"}}, nil, nil},
		{"any with more", catalog.Query{Any: []string{"caching", "scalability"}, Source: "21cto", Not: []string{"backend"}}, nil, func(t *testing.T, f catalog.Facets) {
			if !slices.ContainsFunc(f.Tags, func(t catalog.TagFacet) bool { return t.Or > 0 }) {
				t.Error("no tag would widen the results")
			}
		}},
		{"source", catalog.Query{Source: "21cto"}, []string{"distributed-systems"}, nil},
		{"dates", catalog.Query{From: date(t, "2016-02"), To: date(t, "2016")}, []string{"distributed-systems"}, nil},
		{"no results", catalog.Query{Tags: []string{"kafka"}, Not: []string{"kafka"}}, nil, func(t *testing.T, f catalog.Facets) {
			if len(f.Tags) != 1 || f.Tags[0].Slug != "kafka" || !f.Tags[0].Active || f.Tags[0].Count != 0 {
				t.Errorf("tags %+v, want only the active kafka", f.Tags)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := s.Facets(context.Background(), tt.q)
			if err != nil {
				t.Fatal(err)
			}
			total := refCount(cards, tt.q)
			var common []string
			for _, tf := range f.Common {
				common = append(common, tf.Slug)
				if total < 10 || tf.Count*10 < total*9 {
					t.Errorf("common tag %s on %d of %d results", tf.Slug, tf.Count, total)
				}
			}
			if !slices.Equal(common, tt.common) {
				t.Errorf("Common = %q, want %q", common, tt.common)
			}
			if len(f.Tags) > 30 || len(f.Sources) > 15 {
				t.Errorf("%d tags and %d sources; the limits are 30 and 15", len(f.Tags), len(f.Sources))
			}
			carried := map[string]bool{}
			for _, c := range cards {
				if c.matches(tt.q) {
					for _, tag := range c.Tags {
						carried[catalog.Slugify(tag)] = true
					}
				}
			}
			if len(f.Tags) < 30 && len(f.Tags)+len(f.Common) < len(carried) {
				t.Errorf("%d tags shown of %d carried", len(f.Tags)+len(f.Common), len(carried))
			}
			for i, tf := range slices.Concat(f.Tags, f.Common) {
				and := refCount(cards, with(tt.q, func(q *catalog.Query) { q.Tags = append(q.Tags, tf.Slug) }))
				if tf.Count != and || (tf.Count == 0 && !tf.Active) {
					t.Errorf("tag %s: Count = %d, want %d (> 0)", tf.Slug, tf.Count, and)
				}
				if tf.Active != tt.q.HasTag(tf.Slug) {
					t.Errorf("tag %s: Active = %v", tf.Slug, tf.Active)
				}
				not := total - refCount(cards, with(tt.q, func(q *catalog.Query) { q.Not = append(q.Not, tf.Slug) }))
				if tf.Not != not {
					t.Errorf("tag %s: Not = %d, want %d", tf.Slug, tf.Not, not)
				}
				// Or widens the "any" group: q.Any, or else q's one AND tag.
				or := 0
				switch {
				case len(tt.q.Any) > 0:
					or = refCount(cards, with(tt.q, func(q *catalog.Query) { q.Any = append(q.Any, tf.Slug) })) - total
				case len(tt.q.Tags) == 1:
					or = refCount(cards, with(tt.q, func(q *catalog.Query) { q.Any, q.Tags = []string{q.Tags[0], tf.Slug}, nil })) - total
				}
				if tf.Or != or {
					t.Errorf("tag %s: Or = %d, want %d", tf.Slug, tf.Or, or)
				}
				if i > 0 && i < len(f.Tags) && f.Tags[i-1].Count < tf.Count {
					t.Errorf("tag %s (%d) after %s (%d)", tf.Slug, tf.Count, f.Tags[i-1].Slug, f.Tags[i-1].Count)
				}
			}
			for _, r := range f.Sources {
				if want := refCount(cards, with(tt.q, func(q *catalog.Query) { q.Source = r.Slug })); r.Count != want || want == 0 {
					t.Errorf("source %s: Count = %d, want %d", r.Slug, r.Count, want)
				}
			}
			for _, r := range f.Categories {
				if want := refCount(cards, with(tt.q, func(q *catalog.Query) { q.Category = r.Slug })); r.Count != want || want == 0 {
					t.Errorf("category %s: Count = %d, want %d", r.Slug, r.Count, want)
				}
			}
			dated := 0
			for i, r := range f.Years {
				want := 0
				for _, c := range cards {
					if c.matches(tt.q) && strings.HasPrefix(c.date(), r.Slug+"-") {
						want++
					}
				}
				if r.Count != want || want == 0 || r.Name != r.Slug {
					t.Errorf("year %+v, want Count %d", r, want)
				}
				if i > 0 && f.Years[i-1].Name <= r.Name {
					t.Errorf("year %s after %s", r.Name, f.Years[i-1].Name)
				}
				dated += r.Count
			}
			want := 0
			for _, c := range cards {
				if c.matches(tt.q) && c.Date != nil {
					want++
				}
			}
			if dated != want {
				t.Errorf("years count %d articles, want the %d dated ones", dated, want)
			}
			if tt.check != nil {
				tt.check(t, f)
			}
		})
	}
}

func TestTags(t *testing.T) {
	s, cards := seedStore(t)
	df := map[string]int{}
	for _, c := range cards {
		for _, tag := range c.Tags {
			df[catalog.Slugify(tag)]++
		}
	}
	tests := []struct {
		name  string
		by    catalog.TagSort
		order func(a, b catalog.Ref) int
	}{
		{"by count", catalog.TagsByCount, func(a, b catalog.Ref) int {
			return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)))
		}},
		{"by name", catalog.TagsByName, func(a, b catalog.Ref) int {
			return cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tags, err := s.Tags(context.Background(), tt.by)
			if err != nil {
				t.Fatal(err)
			}
			if len(tags) != len(df) {
				t.Errorf("%d tags, want %d", len(tags), len(df))
			}
			for i, r := range tags {
				if r.Count != df[r.Slug] {
					t.Errorf("tag %s: Count = %d, want %d", r.Slug, r.Count, df[r.Slug])
				}
				if i > 0 && tt.order(tags[i-1], r) > 0 {
					t.Errorf("%q comes before %q", tags[i-1].Name, r.Name)
				}
			}
			if tt.by == catalog.TagsByCount && (tags[0].Slug != "distributed-systems" || tags[0].Count != 91) {
				t.Errorf("first tag %+v, want Distributed Systems with 91", tags[0])
			}
		})
	}
	if _, err := s.Tags(context.Background(), "size"); !errors.Is(err, catalog.ErrInvalid) {
		t.Errorf("Tags(size): err = %v, want ErrInvalid", err)
	}
}

func TestSources(t *testing.T) {
	s, cards := seedStore(t)
	sources, err := s.Sources(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(sources) == 0 || sources[0].Name != "21CTO" || sources[0].Count != 41 {
		t.Fatalf("first source %+v, want 21CTO with 41", sources)
	}
	names := map[string]bool{}
	for _, c := range cards {
		if c.Source != nil {
			names[*c.Source] = true
		}
	}
	if len(sources) != len(names) {
		t.Errorf("%d sources, want %d", len(sources), len(names))
	}
	for i, src := range sources {
		t.Run(src.Slug, func(t *testing.T) {
			var first, last string
			tagCount := map[string]int{}
			n := 0
			for _, c := range cards {
				if c.source() != src.Name {
					continue
				}
				n++
				if d := c.date(); d != "" {
					if first == "" || d < first {
						first = d
					}
					last = max(last, d)
				}
				for _, tag := range c.Tags {
					tagCount[catalog.Slugify(tag)]++
				}
			}
			if src.Count != n {
				t.Errorf("Count = %d, want %d", src.Count, n)
			}
			if i > 0 && sources[i-1].Count < src.Count {
				t.Errorf("after %s with fewer articles", sources[i-1].Slug)
			}
			format := func(d time.Time) string {
				if d.IsZero() {
					return ""
				}
				return d.Format(time.DateOnly)
			}
			if format(src.First) != first || format(src.Last) != last {
				t.Errorf("dates %s to %s, want %s to %s", format(src.First), format(src.Last), first, last)
			}
			eligible := len(tagCount)
			if tagCount["distributed-systems"] > 0 {
				eligible-- // on nearly every card
			}
			if len(src.TopTags) != min(3, eligible) {
				t.Errorf("%d top tags of %d eligible", len(src.TopTags), eligible)
			}
			for j, tag := range src.TopTags {
				if tag.Slug == "distributed-systems" {
					t.Error("a tag on nearly every card is a top tag")
				}
				if tag.Count != tagCount[tag.Slug] {
					t.Errorf("top tag %s: Count = %d, want %d", tag.Slug, tag.Count, tagCount[tag.Slug])
				}
				if j > 0 && src.TopTags[j-1].Count < tag.Count {
					t.Errorf("top tag %s after one with fewer articles", tag.Slug)
				}
			}
			for slug, n := range tagCount {
				top := slices.ContainsFunc(src.TopTags, func(r catalog.Ref) bool { return r.Slug == slug })
				if top || len(src.TopTags) < 3 || slug == "distributed-systems" {
					continue
				}
				if last := src.TopTags[2]; n > last.Count {
					t.Errorf("tag %s (%d) is not a top tag but %s (%d) is", slug, n, last.Slug, last.Count)
				}
			}
		})
	}
}

func TestCategories(t *testing.T) {
	s, cards := seedStore(t)
	cats, err := s.Categories(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{}
	for _, c := range cards {
		if c.Category != nil {
			want[catalog.Slugify(*c.Category)]++
		}
	}
	if len(cats) != len(want) || cats[0].Name != "Backend Development" || cats[0].Count != 52 {
		t.Errorf("categories %+v, want %d starting with Backend Development (52)", cats, len(want))
	}
	for i, c := range cats {
		if c.Count != want[c.Slug] {
			t.Errorf("category %s: Count = %d, want %d", c.Slug, c.Count, want[c.Slug])
		}
		if i > 0 && cmp.Or(cmp.Compare(cats[i-1].Count, c.Count)*-1, cmp.Compare(cats[i-1].Name, c.Name)) > 0 {
			t.Errorf("%s comes before %s", cats[i-1].Name, c.Name)
		}
	}
}

func TestArchive(t *testing.T) {
	s, cards := seedStore(t)
	months, err := s.Archive(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{}
	for _, c := range cards {
		if c.Date != nil {
			want[(*c.Date)[:7]]++
		}
	}
	sum := 0
	for i, m := range months {
		key := time.Date(m.Year, m.Month, 1, 0, 0, 0, 0, time.UTC).Format("2006-01")
		if m.Count != want[key] {
			t.Errorf("%s: %d articles, want %d", key, m.Count, want[key])
		}
		if i > 0 && (months[i-1].Year < m.Year || months[i-1].Year == m.Year && months[i-1].Month <= m.Month) {
			t.Errorf("%s comes after an older month", key)
		}
		sum += m.Count
	}
	if sum != 87 || len(months) != len(want) {
		t.Errorf("%d months with %d articles, want %d with 87", len(months), sum, len(want))
	}
}

func TestArticle(t *testing.T) {
	s, cards := seedStore(t)
	all, err := s.Articles(context.Background(), catalog.Query{Per: catalog.MaxPer})
	if err != nil {
		t.Fatal(err)
	}
	df := map[string]int{}
	for _, c := range cards {
		for _, tag := range c.Tags {
			df[catalog.Slugify(tag)]++
		}
	}
	// score is the reference relatedness of two articles.
	score := func(a, b catalog.Article) float64 {
		sum := 0.0
		for _, t := range a.Tags {
			if slices.ContainsFunc(b.Tags, func(u catalog.Ref) bool { return u.Slug == t.Slug }) {
				sum += math.Log(float64(len(cards)) / float64(df[t.Slug]))
			}
		}
		return math.Round(sum*1e9) / 1e9
	}
	const vipshop = "How Vipshop’s Three‑Tier Monitoring System Keeps Services Running Smoothly"
	var vip []catalog.Article
	for _, a := range all.Articles {
		if a.Title == vipshop {
			vip = append(vip, a)
		}
	}
	if len(vip) != 2 {
		t.Fatalf("%d articles titled %q, want 2", len(vip), vipshop)
	}
	tests := []struct {
		name      string
		a         catalog.Article
		sameStory []int64
	}{
		{"same story from " + vip[0].Source.Name, vip[0], []int64{vip[1].ID}},
		{"same story from " + vip[1].Source.Name, vip[1], []int64{vip[0].ID}},
		{"newest", all.Articles[0], nil},
		{"oldest dated", all.Articles[len(all.Articles)-6], nil},
		{"undated", all.Articles[len(all.Articles)-1], nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := s.Article(context.Background(), tt.a.ID)
			if err != nil {
				t.Fatal(err)
			}
			if d.ID != tt.a.ID || d.Title != tt.a.Title || !slices.Equal(d.Tags, tt.a.Tags) {
				t.Errorf("article %+v, want %+v", d.Article, tt.a)
			}
			var same []int64
			for _, x := range d.SameStory {
				same = append(same, x.ID)
				if len(x.Tags) == 0 {
					t.Errorf("same-story article %d has no tags", x.ID)
				}
			}
			if !slices.Equal(same, tt.sameStory) {
				t.Errorf("SameStory = %v, want %v", same, tt.sameStory)
			}
			// The reference: every other article sharing a tag, by score,
			// then newest first, leaving out the same story.
			var want []catalog.Article
			for _, b := range all.Articles { // newest first already
				if b.ID != tt.a.ID && !slices.Contains(same, b.ID) && slices.ContainsFunc(b.Tags, func(u catalog.Ref) bool {
					return slices.ContainsFunc(tt.a.Tags, func(v catalog.Ref) bool { return u.Slug == v.Slug })
				}) {
					want = append(want, b)
				}
			}
			slices.SortStableFunc(want, func(x, y catalog.Article) int { return cmp.Compare(score(tt.a, y), score(tt.a, x)) })
			want = want[:min(len(want), 5)]
			if len(d.Related) != len(want) {
				t.Fatalf("%d related, want %d", len(d.Related), len(want))
			}
			for i := range want {
				if d.Related[i].ID != want[i].ID || !slices.Equal(d.Related[i].Tags, want[i].Tags) {
					t.Errorf("related[%d] = %d %q (score %.3f), want %d %q (score %.3f)", i,
						d.Related[i].ID, d.Related[i].Title, score(tt.a, d.Related[i]), want[i].ID, want[i].Title, score(tt.a, want[i]))
				}
			}
		})
	}
	if _, err := s.Article(context.Background(), 1<<40); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("Article(no such id): err = %v, want ErrNotFound", err)
	}
}

// Titles that differ only in case, dashes, quotes, spaces or the
// punctuation around words, or in one word of six, are the same story;
// titles further apart are not. Each case is a pair of cards sharing a tag
// of their own, so the second card is related when it is not the same story.
func TestSameStory(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		same bool
	}{
		{"identical", "Kafka Consumer Groups Explained", "Kafka Consumer Groups Explained", true},
		{"non-breaking hyphen", "Real\u2011time Joins", "Real-time Joins", true},
		{"hyphen", "Event\u2010driven Billing", "Event-driven Billing", true},
		{"en dash", "Zero\u2013Downtime Deploys", "zero-downtime deploys", true},
		{"em dash", "Graph\u2014Native Storage", "Graph-Native Storage", true},
		{"curly double quotes", "\u201cServerless\u201d Myths", `"Serverless" Myths`, true},
		{"curly apostrophe", "Vipshop\u2019s Dashboards", "Vipshop's Dashboards", true},
		{"case", "REDIS CLUSTER TUNING", "Redis Cluster Tuning", true},
		{"spaces", " Etcd\u202fLeader  Election ", "Etcd Leader Election", true},
		{"trailing punctuation", "Tracing at Uber.", "Tracing at Uber", true},
		{"one word of six changed", "Lessons From Scaling Our Search Platform", "Lessons From Scaling Our Search Cluster", true},
		{"two words of six changed", "Notes About Building A Metrics Pipeline", "Notes About Building A Logging System", false},
		{"another story", "Batch Jobs With Kubernetes", "Why We Left MongoDB", false},
	}
	var cards []catalog.Card
	for i, tt := range tests {
		tag := []string{"Case " + tt.name}
		day := ptr(time.Date(2016, 1, 1+i, 0, 0, 0, 0, time.UTC).Format(time.DateOnly))
		cards = append(cards,
			sqlitetest.GoldenCard{Title: tt.a, Summary: "s", Source: ptr("A " + tt.name), Date: day, Tags: tag}.Card(),
			sqlitetest.GoldenCard{Title: tt.b, Summary: "s", Source: ptr("B " + tt.name), Tags: tag}.Card())
	}
	path := filepath.Join(t.TempDir(), "cardex.db")
	sqlitetest.ImportCards(t, path, cards)
	s := sqlitetest.OpenReadOnly(t, path)
	all, err := s.Articles(context.Background(), catalog.Query{Per: catalog.MaxPer})
	if err != nil {
		t.Fatal(err)
	}
	bySource := map[string]int64{}
	for _, a := range all.Articles {
		bySource[a.Source.Name] = a.ID
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := bySource["A "+tt.name], bySource["B "+tt.name]
			d, err := s.Article(context.Background(), a)
			if err != nil {
				t.Fatal(err)
			}
			wantSame, wantRelated := []int64{b}, []int64(nil)
			if !tt.same {
				wantSame, wantRelated = nil, []int64{b}
			}
			if got := ids(d.SameStory); !slices.Equal(got, wantSame) {
				t.Errorf("SameStory = %v, want %v", got, wantSame)
			}
			if got := ids(d.Related); !slices.Equal(got, wantRelated) {
				t.Errorf("Related = %v, want %v", got, wantRelated)
			}
		})
	}
}

func ptr(s string) *string { return &s }
