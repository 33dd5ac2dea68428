package server_test

import (
	"encoding/csv"
	"slices"
	"strings"
	"testing"

	"cardex/internal/catalog"
)

const vipshop = "How Vipshop’s Three‑Tier Monitoring System Keeps Services Running Smoothly"

// The seed's one story of two cards: the same Vipshop article from 21CTO
// (the newer) and from Java High-Performance Architecture.
var vipshopSources = []string{"21CTO", "Java High-Performance Architecture"}

// Each card of a story says who else published it, with links to their
// listings; a card alone says nothing.
func TestAlsoPublishedBy(t *testing.T) {
	h := newServer(t)
	p := get(t, h, "/?per=100")
	if also := find(p.doc, "p", "class", "also"); len(also) != 2 {
		t.Errorf("%d cards say “Also published by”, want 2: %q", len(also), textOf(also))
	}
	found := 0
	for _, a := range find(p.doc, "article", "", "") {
		if text(find(a, "h2", "", "")[0]) != vipshop {
			continue
		}
		found++
		own := text(find(a, "a", "class", "source")[0])
		other := vipshopSources[0]
		if own == other {
			other = vipshopSources[1]
		}
		also := find(a, "p", "class", "also")
		if len(also) != 1 || text(also[0]) != "Also published by "+other {
			t.Errorf("the %s card: %q, want “Also published by %s”", own, textOf(also), other)
			continue
		}
		links := find(also[0], "a", "", "")
		if len(links) != 1 || attr(links[0], "href") != "/sources/"+catalog.Slugify(other) {
			t.Errorf("the %s card links to %v", own, links)
		}
	}
	if found != 2 {
		t.Fatalf("%d Vipshop cards, want 2", found)
	}
	// The article page shows it too, above the same-story section.
	href := attr(find(find(p.doc, "article", "", "")[0], "a", "", "")[0], "href")
	for _, a := range find(p.doc, "article", "", "") {
		if text(find(a, "h2", "", "")[0]) == vipshop {
			href = attr(find(a, "a", "", "")[0], "href")
		}
	}
	if ap := get(t, h, href); !strings.Contains(text(find(ap.doc, "article", "class", "card full")[0]), "Also published by") {
		t.Errorf("%s: the article does not say who else published it", href)
	}
}

// The duplicates switch: two plain links, the current one marked, that
// keep the other filters and go back to page 1.
func TestDuplicatesSwitch(t *testing.T) {
	h := newServer(t)
	tests := []struct {
		url       string
		sentence  string
		current   string
		showAll   string
		collapse  string
		vipshops  int
		nextPage2 string // the next-page link keeps the switch
	}{
		{"/tags/distributed-systems?page=2", "91 articles tagged Distributed Systems", "show all",
			"/tags/distributed-systems", "/tags/distributed-systems?collapse=1", -1, ""},
		{"/tags/distributed-systems?per=100", "91 articles tagged Distributed Systems", "show all",
			"/tags/distributed-systems?per=100", "/tags/distributed-systems?collapse=1&per=100", 2, ""},
		{"/tags/distributed-systems?collapse=1&per=100", "90 articles tagged Distributed Systems, one per story", "collapse",
			"/tags/distributed-systems?per=100", "/tags/distributed-systems?collapse=1&per=100", 1, ""},
		{"/?collapse=1", "91 articles, one per story", "collapse", "/", "/?collapse=1", -1, "/?collapse=1&page=2"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			p := get(t, h, tt.url)
			if p.status != 200 {
				t.Fatalf("%d", p.status)
			}
			if s := text(find(p.doc, "p", "class", "sentence")[0]); s != tt.sentence {
				t.Errorf("sentence %q, want %q", s, tt.sentence)
			}
			sw := find(p.doc, "p", "class", "duplicates")
			if len(sw) != 1 || !strings.HasPrefix(text(sw[0]), "Duplicates: show all | collapse") {
				t.Fatalf("switch %q", textOf(sw))
			}
			links := find(sw[0], "a", "", "")
			if len(links) != 2 || attr(links[0], "href") != tt.showAll || attr(links[1], "href") != tt.collapse {
				t.Errorf("switch links %q %q, want %q %q", attr(links[0], "href"), attr(links[1], "href"), tt.showAll, tt.collapse)
			}
			var current []string
			for _, l := range links {
				if attr(l, "aria-current") == "true" {
					current = append(current, text(l))
				}
			}
			if !slices.Equal(current, []string{tt.current}) {
				t.Errorf("current %v, want %s", current, tt.current)
			}
			if tt.vipshops >= 0 {
				n := 0
				for _, a := range find(p.doc, "article", "", "") {
					if text(find(a, "h2", "", "")[0]) == vipshop {
						n++
					}
				}
				if n != tt.vipshops {
					t.Errorf("%d Vipshop cards, want %d", n, tt.vipshops)
				}
			}
			if tt.nextPage2 != "" {
				if next := find(p.doc, "a", "rel", "next"); len(next) == 0 || attr(next[0], "href") != tt.nextPage2 {
					t.Errorf("next page link %q, want %q", textOf(next), tt.nextPage2)
				}
			}
		})
	}
	if p := get(t, h, "/?collapse=2"); p.status != 400 || !strings.Contains(p.body, "collapse") {
		t.Errorf("/?collapse=2: %d", p.status)
	}
}

// JSON says who else published each article and whether the listing is
// collapsed; CSV streams the collapsed set too.
func TestCollapseFormats(t *testing.T) {
	h := newServer(t)
	type listing struct {
		Query struct {
			Collapse *bool `json:"collapse"`
		} `json:"query"`
		Total    int `json:"total"`
		Articles []struct {
			Title           string    `json:"title"`
			Source          *string   `json:"source"`
			AlsoPublishedBy *[]string `json:"also_published_by"`
		} `json:"articles"`
	}
	for _, tt := range []struct {
		url      string
		collapse bool
		total    int
		vipshops []string // the sources of the Vipshop articles listed
	}{
		{"/index.json?per=100", false, 92, vipshopSources},
		{"/index.json?per=100&collapse=1", true, 91, vipshopSources[:1]},
	} {
		var res listing
		getJSON(t, h, tt.url, &res)
		if res.Query.Collapse == nil || *res.Query.Collapse != tt.collapse || res.Total != tt.total {
			t.Errorf("%s: collapse %v, total %d", tt.url, res.Query.Collapse, res.Total)
		}
		var srcs []string
		for _, a := range res.Articles {
			if a.AlsoPublishedBy == nil {
				t.Fatalf("%s: %q has no also_published_by", tt.url, a.Title)
			}
			if a.Title != vipshop {
				if len(*a.AlsoPublishedBy) != 0 {
					t.Errorf("%s: %q also published by %v", tt.url, a.Title, *a.AlsoPublishedBy)
				}
				continue
			}
			srcs = append(srcs, *a.Source)
			want := slices.DeleteFunc(slices.Clone(vipshopSources), func(s string) bool { return s == *a.Source })
			if !slices.Equal(*a.AlsoPublishedBy, want) {
				t.Errorf("%s: the %s article also published by %v, want %v", tt.url, *a.Source, *a.AlsoPublishedBy, want)
			}
		}
		slices.Sort(srcs)
		if !slices.Equal(srcs, tt.vipshops) {
			t.Errorf("%s: Vipshop articles from %v, want %v", tt.url, srcs, tt.vipshops)
		}
	}
	p := get(t, h, "/index.csv?collapse=1")
	recs, err := csv.NewReader(strings.NewReader(p.body)).ReadAll()
	if err != nil || len(recs) != 1+91 {
		t.Errorf("CSV, collapsed: %d rows (%v), want a header and 91", len(recs), err)
	}
}
