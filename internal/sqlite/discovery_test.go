package sqlite_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"cardex/internal/catalog"
	"cardex/internal/sqlite"
	"cardex/internal/sqlite/sqlitetest"
)

// refLifts is the reference computation of RelatedTags(slug, 0), from the
// golden cards and the definition: lift = together·N / (count(A)·count(B)),
// kept when above 1 for tags on less than 90% of the cards; the tags with
// at least two articles together first, then, only if fewer than three
// have that, the others.
func refLifts(cards []sqlitetest.GoldenCard, slug string) []catalog.TagLift {
	count, together, names := map[string]int{}, map[string]int{}, map[string]string{}
	for _, c := range cards {
		slugs := map[string]bool{}
		for _, t := range c.Tags {
			s := catalog.Slugify(t)
			slugs[s] = true
			if _, ok := names[s]; !ok {
				names[s] = t
			}
		}
		for s := range slugs {
			count[s]++
			if slugs[slug] && s != slug {
				together[s]++
			}
		}
	}
	n := float64(len(cards))
	var supported, oneOff []catalog.TagLift
	for s, k := range together {
		lift := float64(k) * n / (float64(count[slug]) * float64(count[s]))
		if lift <= 1+1e-12 || float64(count[s]) >= 0.9*n {
			continue
		}
		l := catalog.TagLift{Ref: catalog.Ref{Name: names[s], Slug: s, Count: count[s]}, Together: k, Lift: lift}
		if k >= 2 {
			supported = append(supported, l)
		} else {
			oneOff = append(oneOff, l)
		}
	}
	byLift := func(a, b catalog.TagLift) int {
		if math.Abs(a.Lift-b.Lift) > 1e-9 {
			return cmp.Compare(b.Lift, a.Lift)
		}
		return cmp.Or(cmp.Compare(b.Together, a.Together), strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)))
	}
	slices.SortFunc(supported, byLift)
	slices.SortFunc(oneOff, byLift)
	if len(supported) >= 3 {
		return supported
	}
	return append(supported, oneOff...)
}

func TestRelatedTags(t *testing.T) {
	s, _ := seedStore(t)
	golden := sqlitetest.Golden(t)
	for _, slug := range []string{"kafka", "caching", "message-queue", "backend-architecture", "scalability", "microservices", "rabbitmq", "distributed-systems"} {
		t.Run(slug, func(t *testing.T) {
			got, err := s.RelatedTags(context.Background(), slug, 0)
			if err != nil {
				t.Fatal(err)
			}
			want := refLifts(golden, slug)
			if len(got) != len(want) {
				t.Fatalf("%d related tags, want %d:\ngot  %v\nwant %v", len(got), len(want), got, want)
			}
			for i := range want {
				g, w := got[i], want[i]
				if g.Slug != w.Slug || g.Together != w.Together || g.Count != w.Count || math.Abs(g.Lift-w.Lift) > 1e-9 {
					t.Errorf("#%d = %s (together %d, count %d, lift %.4f), want %s (%d, %d, %.4f)",
						i, g.Slug, g.Together, g.Count, g.Lift, w.Slug, w.Together, w.Count, w.Lift)
				}
			}
		})
	}
	t.Run("limit", func(t *testing.T) {
		got, err := s.RelatedTags(context.Background(), "kafka", 2)
		if err != nil {
			t.Fatal(err)
		}
		// Kafka is on 5 of the 92 cards, Docker and Flume on one, with Kafka.
		if len(got) != 2 || got[0].Slug != "docker" || got[1].Slug != "flume" || math.Abs(got[0].Lift-92.0/5) > 1e-9 {
			t.Errorf("top 2 = %v, want docker and flume at 18.4", got)
		}
	})
	t.Run("unknown tag", func(t *testing.T) {
		if _, err := s.RelatedTags(context.Background(), "no-such-tag", 5); !errors.Is(err, catalog.ErrNotFound) {
			t.Errorf("err = %v, want ErrNotFound", err)
		}
	})
}

// tagged is a card with tags, from source "X", dated by i.
func tagged(i int, tags ...string) catalog.Card {
	title := fmt.Sprintf("Alias card %d", i)
	return catalog.Card{File: "aliases.txt", Line: 1 + 11*i, Source: "X", Date: time.Date(2016, 5, 1+i, 0, 0, 0, 0, time.UTC),
		Title: title, Summary: "About " + strings.Join(tags, ", ") + ".", Glued: strings.Join(tags, ""), Tags: tags, Raw: title + "\n"}
}

// importTagged imports cards as one page and returns the summary.
func importTagged(tb testing.TB, s *sqlite.Store, sha string, cards ...catalog.Card) catalog.ImportStats {
	tb.Helper()
	stats, err := s.Import(context.Background(), sqlite.PageImport("aliases.txt", sha, cards...))
	if err != nil {
		tb.Fatal(err)
	}
	return stats
}

// aliasCards spell some tags several ways.
func aliasCards() []catalog.Card {
	return []catalog.Card{
		tagged(0, "Kafka", "Real-time Processing"),
		tagged(1, "Realtime Processing"),
		tagged(2, "Real time processing"), // the same slug as "Real-time Processing": one tag already
		tagged(3, "Realtime Processing", "Stream Processing"),
		tagged(4, "Ecommerce"),
		tagged(5, "E-commerce"),
		tagged(6, "C"),
		tagged(7, "C++"),
		tagged(8, "Microservice"),
		tagged(9, "Microservices"),
		tagged(10, "Microservices"),
		tagged(11, "Kubernetes"),
		tagged(12, "Kubernets"),
		tagged(13, "Python2"),
		tagged(14, "Python3"),
		tagged(15, "Redis"),
		tagged(16, "Redux"),
	}
}

func TestAliasMerge(t *testing.T) {
	s, _ := MustOpenDB(t)
	ctx := context.Background()
	stats := importTagged(t, s, "one", aliasCards()...)
	// "Real-time Processing" (2 cards) beats "Realtime Processing" (2
	// cards) by age; "Ecommerce" beats "E-commerce" likewise.
	wantAliases := []string{"e-commerce -> ecommerce", "realtime-processing -> real-time-processing"}
	if stats.Aliases != len(wantAliases) {
		t.Errorf("stats.Aliases = %d, want %d", stats.Aliases, len(wantAliases))
	}
	as, err := s.Aliases(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var gotAliases []string
	for _, a := range as {
		gotAliases = append(gotAliases, a.Alias.Slug+" -> "+a.Canonical.Slug)
	}
	if !slices.Equal(gotAliases, wantAliases) {
		t.Errorf("aliases = %q, want %q", gotAliases, wantAliases)
	}

	t.Run("one tag with every card", func(t *testing.T) {
		tags, err := s.Tags(ctx, catalog.TagsByName)
		if err != nil {
			t.Fatal(err)
		}
		counts := map[string]int{}
		for _, r := range tags {
			counts[r.Slug] = r.Count
		}
		for slug, want := range map[string]int{"real-time-processing": 4, "realtime-processing": 0, "ecommerce": 2, "e-commerce": 0, "c": 1, "c-plus-plus": 1} {
			if counts[slug] != want {
				t.Errorf("tag %s: %d cards, want %d", slug, counts[slug], want)
			}
		}
		res, err := s.Articles(ctx, catalog.Query{Tags: []string{"real-time-processing"}})
		if err != nil {
			t.Fatal(err)
		}
		if res.Total != 4 {
			t.Errorf("real-time-processing lists %d articles, want 4", res.Total)
		}
		if stats.Tags != len(tags) {
			t.Errorf("stats.Tags = %d, want %d (aliases are not tags)", stats.Tags, len(tags))
		}
	})

	t.Run("an alias slug is moved", func(t *testing.T) {
		for _, q := range []catalog.Query{
			{Tags: []string{"realtime-processing"}},
			{Any: []string{"kafka", "realtime-processing"}},
			{Not: []string{"realtime-processing"}, Source: "x"},
		} {
			_, err := s.Articles(ctx, q)
			var mv *catalog.MovedError
			if !errors.As(err, &mv) || *mv != (catalog.MovedError{Kind: "tag", From: "realtime-processing", To: "real-time-processing"}) {
				t.Errorf("Articles(%v): err = %v, want a MovedError", q, err)
			}
			if _, err := s.Facets(ctx, q); !errors.As(err, &mv) {
				t.Errorf("Facets(%v): err = %v, want a MovedError", q, err)
			}
		}
		if _, err := s.RelatedTags(ctx, "realtime-processing", 5); !errors.As(err, new(*catalog.MovedError)) {
			t.Errorf("RelatedTags: err = %v, want a MovedError", err)
		}
	})

	t.Run("proposals", func(t *testing.T) {
		ps, err := s.AliasProposals(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range ps {
			got = append(got, p.A.Slug+" ~ "+p.B.Slug+": "+p.Reason)
		}
		// Not Python2/Python3 (a version), not Redis/Redux (too short to tell).
		want := []string{"kubernetes ~ kubernets: one letter apart", "microservices ~ microservice: plural"}
		if !slices.Equal(got, want) {
			t.Errorf("proposals = %q, want %q", got, want)
		}
		if stats.AliasProposals != len(want) {
			t.Errorf("stats.AliasProposals = %d, want %d", stats.AliasProposals, len(want))
		}
	})

	t.Run("importing again changes nothing", func(t *testing.T) {
		before := dump(t, s)
		again := importTagged(t, s, "one", aliasCards()...)
		if again.Version != stats.Version || again.Updated != 0 || again.Aliases != stats.Aliases {
			t.Errorf("second import: %+v, want version %d, nothing updated", again, stats.Version)
		}
		if after := dump(t, s); after != before {
			t.Error("the second import changed the database")
		}
	})

	t.Run("a new card with an alias spelling joins the canonical tag", func(t *testing.T) {
		more := importTagged(t, s, "two", tagged(20, "Realtime-Processing"), tagged(21, "ECommerce"))
		if more.NewTags != 0 || more.Aliases != stats.Aliases {
			t.Errorf("import: %d new tags, %d aliases; want 0 and %d", more.NewTags, more.Aliases, stats.Aliases)
		}
		res, err := s.Articles(ctx, catalog.Query{Tags: []string{"real-time-processing"}})
		if err != nil {
			t.Fatal(err)
		}
		if res.Total != 5 {
			t.Errorf("real-time-processing lists %d articles, want 5", res.Total)
		}
	})
}

func TestAliasKey(t *testing.T) {
	tests := []struct{ a, b string }{
		{"Real-time Processing", "Realtime Processing"},
		{"Real time processing", "REAL‑TIME processing"},
		{"E-commerce", "Ecommerce"},
		{"Node.js", "NodeJS"},
		{"Café", "cafe"},
	}
	for _, tt := range tests {
		if ka, kb := catalog.AliasKey(tt.a), catalog.AliasKey(tt.b); ka != kb {
			t.Errorf("AliasKey(%q) = %q, AliasKey(%q) = %q; want equal", tt.a, ka, tt.b, kb)
		}
	}
	for _, pair := range [][2]string{{"C", "C++"}, {"C", "C#"}, {"C++", "C#"}, {"R&D", "RD"}} {
		if catalog.AliasKey(pair[0]) == catalog.AliasKey(pair[1]) {
			t.Errorf("AliasKey(%q) = AliasKey(%q) = %q; want different", pair[0], pair[1], catalog.AliasKey(pair[0]))
		}
	}
	if k := catalog.AliasKey("!!!"); k != "" {
		t.Errorf(`AliasKey("!!!") = %q, want ""`, k)
	}
}

// sitemapAll reads the whole sitemap in pages of per entries.
func sitemapAll(tb testing.TB, s *sqlite.Store, per int) []catalog.SitemapEntry {
	tb.Helper()
	size, err := s.SitemapSize(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	var out []catalog.SitemapEntry
	for off := 0; off < size+per; off += per {
		n := 0
		err := s.Sitemap(context.Background(), off, per, func(e catalog.SitemapEntry) error {
			out = append(out, e)
			n++
			return nil
		})
		if err != nil {
			tb.Fatal(err)
		}
		if want := max(0, min(per, size-off)); n != want {
			tb.Fatalf("Sitemap(%d, %d): %d entries, want %d", off, per, n, want)
		}
	}
	return out
}

func TestSitemap(t *testing.T) {
	s, cards := seedStore(t)
	ctx := context.Background()
	all := sitemapAll(t, s, 1000)
	// Every article once, with its date.
	articles := map[string]int{}
	for _, e := range all {
		if e.Article != 0 {
			articles[e.Title+"|"+e.LastMod.Format(time.DateOnly)]++
		}
	}
	want := map[string]int{}
	for _, c := range cards {
		d := time.Time{}.Format(time.DateOnly)
		if c.Date != nil {
			d = *c.Date
		}
		want[c.Title+"|"+d]++
	}
	if len(cards) != 92 || !maps.Equal(articles, want) {
		t.Errorf("sitemap articles differ from the golden cards: got %d distinct, want %d", len(articles), len(want))
	}
	// Every listing that has articles.
	listings := map[string]bool{}
	for _, e := range all {
		if e.Article == 0 {
			listings[e.Route.Path()] = true
		}
	}
	tags, err := s.Tags(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	months, err := s.Archive(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantListings := []string{"/tags/kafka", "/sources/21cto", "/categories/big-data", "/archive/2016", "/archive/2016/05"}
	for _, r := range tags {
		wantListings = append(wantListings, catalog.Route{Kind: "tags", Value: r.Slug}.Path())
	}
	for _, m := range months {
		wantListings = append(wantListings, fmt.Sprintf("/archive/%04d/%02d", m.Year, int(m.Month)))
	}
	for _, p := range wantListings {
		if !listings[p] {
			t.Errorf("no %s in the sitemap", p)
		}
	}
	if len(all) != len(listings)+92 {
		t.Errorf("%d entries, want %d listings + 92 articles", len(all), len(listings))
	}
	// Paging through in small steps gives the same entries in the same order.
	if small := sitemapAll(t, s, 7); !slices.Equal(small, all) {
		t.Error("the sitemap read 7 at a time differs from the whole")
	}
}
