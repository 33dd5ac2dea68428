package server_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"cardex/internal/server"
	"cardex/internal/sqlite/sqlitetest"
	"cardex/seeds"
	"cardex/web"
)

// newServer serves the seed database the way cardex serve does.
func newServer(t *testing.T) http.Handler {
	t.Helper()
	h, err := server.New(sqlitetest.SeedStore(t), server.Config{Web: web.FS, TagDocs: seeds.FS})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

type page struct {
	status int
	header http.Header
	body   string
	doc    *html.Node
}

func get(t *testing.T, h http.Handler, target string) page {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	res := rec.Result()
	body, _ := io.ReadAll(res.Body)
	p := page{status: res.StatusCode, header: res.Header, body: string(body)}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		doc, err := html.Parse(strings.NewReader(p.body))
		if err != nil {
			t.Fatalf("%s: HTML does not parse: %v", target, err)
		}
		p.doc = doc
	}
	return p
}

// find returns every element named tag that has attribute attr (any value
// when val is "").
func find(n *html.Node, tag, attr, val string) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == tag {
			if attr == "" {
				out = append(out, n)
			} else {
				for _, a := range n.Attr {
					if a.Key == attr && (val == "" || a.Val == val) {
						out = append(out, n)
						break
					}
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

// Real counts from the seed, through every listing route.
func TestListingCounts(t *testing.T) {
	h := newServer(t)
	tests := []struct {
		url      string
		sentence string // starts the explanation
		cards    int    // cards on this page
	}{
		{"/", "92 articles", 20},
		{"/tags/kafka", "5 articles tagged Kafka", 5},
		{"/sources/21cto", "41 articles, from 21CTO", 20},
		{"/sources/21cto?page=3", "41 articles, from 21CTO", 1},
		{"/tags/kafka?tag=microservices", "1 article tagged Kafka and Microservices", 1},
		{"/?not=distributed-systems", "1 article, not tagged Distributed Systems", 1},
		{"/?per=100", "92 articles", 92},
		{"/?any=kafka&any=rabbitmq", "7 articles tagged Kafka or RabbitMQ", 7},
		{"/categories/big-data", "articles", -1},
		{"/archive/2016", "articles, published in 2016", -1},
		{"/archive/2016/05", "articles, published in May 2016", -1},
		{"/tags/distributed-systems?source=21cto&sort=oldest", "41 articles tagged Distributed Systems, from 21CTO, oldest first", 20},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			p := get(t, h, tt.url)
			if p.status != http.StatusOK {
				t.Fatalf("status %d: %s", p.status, p.body)
			}
			s := find(p.doc, "p", "class", "sentence")
			if len(s) != 1 || !strings.Contains(text(s[0]), tt.sentence) {
				t.Errorf("sentence = %q, want %q", textOf(s), tt.sentence)
			}
			if n := len(find(p.doc, "article", "", "")); tt.cards >= 0 && n != tt.cards {
				t.Errorf("%d cards, want %d", n, tt.cards)
			}
			if n := len(find(p.doc, "h1", "", "")); n != 1 {
				t.Errorf("%d h1 elements, want 1", n)
			}
			for _, landmark := range []string{"header", "nav", "main", "aside", "footer"} {
				if len(find(p.doc, landmark, "", "")) == 0 {
					t.Errorf("no <%s> landmark", landmark)
				}
			}
		})
	}
}

func textOf(ns []*html.Node) string {
	if len(ns) == 0 {
		return "<none>"
	}
	return text(ns[0])
}

// A card is an <article> with, in order: the title link, the meta line,
// the summary, the tags, and the stats.
func TestCardStructure(t *testing.T) {
	p := get(t, newServer(t), "/tags/kafka?tag=microservices")
	arts := find(p.doc, "article", "", "")
	if len(arts) != 1 {
		t.Fatalf("%d cards", len(arts))
	}
	a := arts[0]
	var order []string
	for c := a.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode {
			order = append(order, c.Data+"."+attr(c, "class"))
		}
	}
	if got := strings.Join(order, " "); got != "h2. p.meta p.summary ul.tags p.stats" {
		t.Errorf("card children = %q", got)
	}
	title := find(a, "a", "", "")[0]
	if !strings.HasPrefix(attr(title, "href"), "/articles/") {
		t.Errorf("title links to %q", attr(title, "href"))
	}
	if len(find(a, "time", "datetime", "")) != 1 {
		t.Error("no <time datetime> in the card")
	}
	// Tag links add the tag to the current filter.
	for _, l := range find(find(a, "ul", "class", "tags")[0], "a", "", "") {
		href := attr(l, "href")
		if !strings.Contains(href, "kafka") || !strings.Contains(href, "microservices") {
			t.Errorf("tag link %q does not keep the current filter", href)
		}
	}
}

func TestPagination(t *testing.T) {
	h := newServer(t)
	p := get(t, h, "/sources/21cto?page=2")
	if p.status != 200 {
		t.Fatalf("status %d", p.status)
	}
	nav := find(p.doc, "nav", "class", "pagination")
	if len(nav) != 1 || !strings.Contains(text(nav[0]), "Page 2 of 3") {
		t.Fatalf("pagination = %q", textOf(nav))
	}
	prev := find(p.doc, "link", "rel", "prev")
	next := find(p.doc, "link", "rel", "next")
	if len(prev) != 1 || attr(prev[0], "href") != "/sources/21cto" || len(next) != 1 || attr(next[0], "href") != "/sources/21cto?page=3" {
		t.Errorf("rel prev/next = %v %v", prev, next)
	}
	cur := find(nav[0], "a", "aria-current", "page")
	if len(cur) != 1 || text(cur[0]) != "2" {
		t.Errorf("aria-current page = %q", textOf(cur))
	}
	// Past the end: a 404 that links to the last page.
	p = get(t, h, "/sources/21cto?page=4")
	if p.status != http.StatusNotFound || !strings.Contains(p.body, `href="/sources/21cto?page=3"`) {
		t.Errorf("page past the end: %d\n%s", p.status, p.body)
	}
	// Filters are kept on every page link; changing a filter returns to page 1.
	p = get(t, h, "/tags/distributed-systems?page=2&source=21cto")
	for _, a := range find(find(p.doc, "nav", "class", "pagination")[0], "a", "", "") {
		if href := attr(a, "href"); !strings.Contains(href, "source=21cto") || !strings.HasPrefix(href, "/tags/distributed-systems") {
			t.Errorf("page link %q drops a filter", href)
		}
	}
	for _, chip := range find(find(p.doc, "ul", "class", "chips")[0], "a", "", "") {
		if strings.Contains(attr(chip, "href"), "page=") {
			t.Errorf("chip link %q keeps the page", attr(chip, "href"))
		}
	}
}

func TestFacets(t *testing.T) {
	p := get(t, newServer(t), "/")
	aside := find(p.doc, "aside", "", "")
	if len(aside) != 1 {
		t.Fatal("no sidebar")
	}
	common := find(aside[0], "section", "class", "common")
	if len(common) != 1 || !strings.Contains(text(common[0]), "Distributed Systems 91") {
		t.Errorf("common section = %q", textOf(common))
	}
	// Distributed Systems does not crowd the tag list; Kafka is in it.
	first := find(aside[0], "section", "", "")[0]
	if strings.Contains(text(first), "Distributed Systems") || !strings.Contains(text(first), "Kafka 5") {
		t.Errorf("tag facet = %q", text(first))
	}
	for _, a := range find(aside[0], "a", "", "") {
		if attr(a, "href") == "" {
			t.Error("facet entry without a link")
		}
	}
}

func TestErrors(t *testing.T) {
	h := newServer(t)
	tests := []struct {
		url    string
		status int
		says   string
	}{
		{"/?page=abc", 400, "page"},
		{"/?page=0", 400, "out of range"},
		{"/?per=1000", 400, "per"},
		{"/?sort=sideways", 400, "sort"},
		{"/?from=2016-13", 400, "from"},
		{"/tags?sort=x", 400, "sort"},
		{"/tags/no-such-tag", 404, "no-such-tag"},
		{"/sources/nobody", 404, "nobody"},
		{"/articles/999999/x", 404, "Nothing here"},
		{"/articles/abc", 404, "not an article number"},
		{"/no/such/page", 404, "no page"},
		{"/archive/2016/13", 404, "not a month"},
		{"/?tag=kafka&tag=no-such-tag", 404, "no-such-tag"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			p := get(t, h, tt.url)
			if p.status != tt.status {
				t.Fatalf("status %d, want %d", p.status, tt.status)
			}
			if !strings.Contains(p.body, tt.says) {
				t.Errorf("page does not say %q:\n%s", tt.says, p.body)
			}
		})
	}
}

func TestSecurityHeadersEverywhere(t *testing.T) {
	h := newServer(t)
	p := get(t, h, "/")
	css := find(p.doc, "link", "rel", "stylesheet")
	if len(css) != 1 {
		t.Fatal("no stylesheet link")
	}
	for _, u := range []string{"/", "/?page=abc", "/tags/nope", attr(css[0], "href"), "/static/nope.css", "/tags", "/sources", "/categories", "/archive", "/about"} {
		p := get(t, h, u)
		hd := p.header
		if csp := hd.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "object-src 'none'") || !strings.Contains(csp, "base-uri 'none'") {
			t.Errorf("%s: CSP %q", u, csp)
		}
		if hd.Get("X-Content-Type-Options") != "nosniff" || hd.Get("Referrer-Policy") == "" || hd.Get("Content-Type") == "" {
			t.Errorf("%s: headers %v", u, hd)
		}
	}
	s := get(t, h, attr(css[0], "href"))
	if s.status != 200 || !strings.Contains(s.header.Get("Cache-Control"), "immutable") || !strings.HasPrefix(s.header.Get("Content-Type"), "text/css") {
		t.Errorf("stylesheet: %d %v", s.status, s.header)
	}
}

func TestIndexes(t *testing.T) {
	h := newServer(t)
	p := get(t, h, "/tags")
	if p.status != 200 || !strings.Contains(p.body, "Distributed Systems") {
		t.Fatalf("/tags: %d", p.status)
	}
	first := find(find(p.doc, "ul", "class", "index columns")[0], "li", "", "")[0]
	if !strings.HasPrefix(text(first), "Distributed Systems 91") {
		t.Errorf("first tag by count = %q", text(first))
	}
	p = get(t, h, "/tags?sort=name")
	first = find(find(p.doc, "ul", "class", "index columns")[0], "li", "", "")[0]
	if !strings.HasPrefix(text(first), "Ad Tech") {
		t.Errorf("first tag by name = %q", text(first))
	}
	p = get(t, h, "/sources")
	rows := find(p.doc, "tr", "", "")
	if len(rows) < 2 || !strings.HasPrefix(text(rows[1]), "21CTO 41") {
		t.Errorf("first source row = %q", text(rows[1]))
	}
	p = get(t, h, "/archive")
	if p.status != 200 || len(find(p.doc, "rect", "", "")) == 0 || !strings.Contains(p.body, `href="/archive/2016/05"`) {
		t.Errorf("/archive: %d, bars %d", p.status, len(find(p.doc, "rect", "", "")))
	}
	p = get(t, h, "/categories")
	if p.status != 200 || !strings.Contains(p.body, `href="/categories/big-data"`) {
		t.Errorf("/categories: %d", p.status)
	}
}

func TestArticlePage(t *testing.T) {
	h := newServer(t)
	p := get(t, h, "/tags/kafka?tag=microservices")
	href := attr(find(find(p.doc, "article", "", "")[0], "a", "", "")[0], "href")
	p = get(t, h, href)
	if p.status != 200 {
		t.Fatalf("%s: %d", href, p.status)
	}
	if h1 := find(p.doc, "h1", "", ""); len(h1) != 1 {
		t.Errorf("%d h1", len(h1))
	}
	rel := find(p.doc, "section", "class", "related")
	if len(rel) != 1 || len(find(rel[0], "article", "", "")) == 0 {
		t.Error("no related articles")
	}
	// A wrong slug redirects to the canonical one.
	id := strings.Split(href, "/")[2]
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/articles/"+id+"/wrong-slug", nil))
	if rec.Code != http.StatusMovedPermanently || rec.Header().Get("Location") != href {
		t.Errorf("wrong slug: %d -> %q", rec.Code, rec.Header().Get("Location"))
	}
}

// The same story from two sources is shown on the article page.
func TestSameStory(t *testing.T) {
	h := newServer(t)
	p := get(t, h, "/?per=100")
	var href string
	for _, a := range find(p.doc, "article", "", "") {
		if strings.Contains(text(a), "Vipshop’s Three") {
			href = attr(find(a, "a", "", "")[0], "href")
			break
		}
	}
	if href == "" {
		t.Fatal("Vipshop card not found")
	}
	p = get(t, h, href)
	same := find(p.doc, "section", "class", "same-story")
	if len(same) != 1 || len(find(same[0], "article", "", "")) != 1 {
		t.Errorf("same story section = %q", textOf(same))
	}
}

func TestAboutAndTagDoc(t *testing.T) {
	h := newServer(t)
	p := get(t, h, "/about")
	if p.status != 200 || !strings.Contains(p.body, "<h1 id=\"about-cardex\">About cardex</h1>") {
		t.Errorf("/about: %d", p.status)
	}
	p = get(t, h, "/tags/kafka")
	if len(find(p.doc, "div", "class", "tagdoc")) != 1 {
		t.Error("the Kafka tag page has no description")
	}
}

func TestSlugRedirect(t *testing.T) {
	h := newServer(t)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/tags/Distributed%20Systems?source=21cto", nil))
	if rec.Code != http.StatusMovedPermanently || rec.Header().Get("Location") != "/tags/distributed-systems?source=21cto" {
		t.Errorf("got %d -> %q", rec.Code, rec.Header().Get("Location"))
	}
}

// A query past its deadline is interrupted and the user gets a generic 503.
func TestQueryDeadline(t *testing.T) {
	h, err := server.New(sqlitetest.SeedStore(t), server.Config{Web: web.FS, TagDocs: seeds.FS, QueryTimeout: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"/?q=kafka", "/tags/kafka", "/index.json", "/tags"} {
		p := get(t, h, u)
		if p.status != http.StatusServiceUnavailable || p.header.Get("Retry-After") == "" {
			t.Errorf("%s: %d, want 503 with Retry-After", u, p.status)
		}
		for _, leak := range []string{"context", "deadline", "sqlite", "interrupt"} {
			if strings.Contains(strings.ToLower(p.body), leak) {
				t.Errorf("%s: the 503 page mentions %q", u, leak)
			}
		}
	}
}
