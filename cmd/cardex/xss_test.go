package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"cardex/internal/server"
	"cardex/internal/sqlite"
	"cardex/seeds"
	"cardex/web"
)

// xssFixture is a listing page whose titles, summaries, tags, sources and
// categories are XSS payloads: 46 distinct ones in 57 places (OWASP
// filter-evasion strings, javascript:, data: and vbscript: URLs, </title>
// and attribute breakouts, entity- and unicode-escaped variants, CSS
// expressions, template syntax), and one card of CSV formulas.
const xssFixture = "testdata/xss.txt"

// htmlElements are the elements cardex's templates write (and <mark>, for
// search matches): any other element in a page was injected.
var htmlElements = map[string]bool{
	"html": true, "head": true, "meta": true, "title": true, "link": true, "body": true,
	"header": true, "nav": true, "main": true, "aside": true, "footer": true, "section": true, "article": true,
	"h1": true, "h2": true, "p": true, "a": true, "ul": true, "li": true, "span": true, "div": true, "time": true,
	"code": true, "mark": true, "form": true, "label": true, "input": true, "button": true,
	"table": true, "thead": true, "tbody": true, "tr": true, "th": true, "td": true,
	"svg": true, "rect": true, "line": true, // the archive's chart
}

// urlAttrs are the attributes whose value a browser loads or navigates to.
var urlAttrs = map[string]bool{
	"href": true, "src": true, "action": true, "formaction": true, "data": true, "poster": true,
	"srcset": true, "background": true, "cite": true, "xlink:href": true, "ping": true, "manifest": true, "icon": true,
}

// urlScheme is the scheme a browser would see in an attribute value: it
// ignores leading spaces and control characters and drops tabs and
// newlines inside.
func urlScheme(v string) string {
	v = strings.TrimLeft(v, "\x00\x01\x02\x03\x04\x05\x06\x07\x08\t\n\v\f\r\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f ")
	v = strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(v)
	colon := strings.IndexByte(v, ':')
	if colon < 0 || strings.ContainsAny(v[:colon], "/?#") {
		return ""
	}
	return strings.ToLower(v[:colon])
}

// checkPage returns what was injected into the page (a <script> or any
// element the templates do not write, an on* attribute, a style
// attribute, a URL with a scheme other than http(s) (data: only for the
// favicon), a meta refresh), and the page's links.
func checkPage(target string, doc *html.Node) (problems, links []string) {
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch {
			case n.Data == "script":
				bad("%s: a <script> element: %s", target, render(n))
			case !htmlElements[n.Data] || n.Namespace == "math":
				bad("%s: a foreign <%s> element: %s", target, n.Data, render(n))
			case n.Data == "svg" && attrOf(n, "class") != "chart":
				bad("%s: an <svg> that is not the archive chart: %s", target, render(n))
			case n.Data == "meta" && attrOf(n, "http-equiv") != "":
				bad("%s: <meta http-equiv>: %s", target, render(n))
			}
			for _, a := range n.Attr {
				key := strings.ToLower(a.Key)
				if a.Namespace != "" {
					key = a.Namespace + ":" + key
				}
				switch {
				case strings.HasPrefix(key, "on"):
					bad("%s: an event handler attribute %s=%q on <%s>", target, key, a.Val, n.Data)
				case key == "style":
					bad("%s: a style attribute %q on <%s>", target, a.Val, n.Data)
				case urlAttrs[key] || strings.HasSuffix(key, ":href"):
					scheme := urlScheme(a.Val)
					favicon := n.Data == "link" && attrOf(n, "rel") == "icon" && a.Val == "data:,"
					if scheme != "" && scheme != "http" && scheme != "https" && !favicon {
						bad("%s: <%s %s=%q>: scheme %q", target, n.Data, key, a.Val, scheme)
					}
					if key == "href" && strings.HasPrefix(a.Val, "/") && !strings.HasPrefix(a.Val, "//") {
						links = append(links, a.Val)
					}
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return problems, links
}

// checkPage finds what it must find: the test is only as good as it.
func TestCheckPageFindsInjections(t *testing.T) {
	for _, tt := range []struct {
		page string
		want int
	}{
		{`<link rel="icon" href="data:,"><a href="/tags/kafka">k</a><a href="https://example.com/">e</a><a href="#ZgotmplZ">z</a>`, 0},
		{`<script>alert(1)</script>`, 1},
		{`<img src=x onerror=alert(1)>`, 2}, // foreign <img>, onerror
		{`<a href="javascript:alert(1)">x</a>`, 1},
		{`<a href=" &#x09;JaVa&#x0A;Script:alert(1)">x</a>`, 1},
		{`<a href="data:text/html,x">x</a><link rel="stylesheet" href="data:,">`, 2},
		{`<form action="vbscript:x"><button formaction="javascript:x">b</button></form>`, 2},
		{`<p style="width: expression(alert(1))">x</p>`, 1},
		{`<svg/onload=alert(1)>`, 2}, // not the chart, onload
		{`<meta http-equiv="refresh" content="0;url=javascript:x">`, 1},
		{`<iframe src="/x"></iframe><object data="/x"></object><base href="/">`, 3},
		{`<math><mi>x</mi></math>`, 2},
	} {
		doc, err := html.Parse(strings.NewReader(tt.page))
		if err != nil {
			t.Fatal(err)
		}
		if problems, _ := checkPage("p", doc); len(problems) != tt.want {
			t.Errorf("%s: %d problems, want %d: %q", tt.page, len(problems), tt.want, problems)
		}
	}
}

func render(n *html.Node) string {
	var b strings.Builder
	html.Render(&b, n)
	if b.Len() > 200 {
		return b.String()[:200] + "…"
	}
	return b.String()
}

func attrOf(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// elements returns the elements named tag whose class is class ("" for
// any).
func elements(n *html.Node, tag, class string) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == tag && (class == "" || attrOf(n, "class") == class) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

// textOf is the text a browser shows for n, exactly (no whitespace
// folding).
func textOf(n *html.Node) string {
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
	return b.String()
}

// The fixture's payloads go through the real pipeline (cardex import into
// a temp database, served read-only as cardex serve does) and come out as
// text everywhere: every page type and format is fetched, and every link
// on those pages once more; the HTML is parsed and checked by checkPage;
// titles show exactly the stored text; the JSON, Atom and CSV twins parse,
// with the right Content-Type, and carry the titles unchanged.
func TestStoredXSS(t *testing.T) {
	out, stderr, err := cardex(t, "parse", xssFixture)
	if err != nil || stderr != "" {
		t.Fatalf("parse %s: %v\n%s", xssFixture, err, stderr)
	}
	cards := readJSONL(t, out)
	titles, summaries := map[string]bool{}, map[string]bool{}
	for _, c := range cards {
		titles[c.Title] = true
		summaries[c.Summary] = true
	}
	if len(cards) != 14 {
		t.Fatalf("%d cards in %s, want 14", len(cards), xssFixture)
	}
	db := filepath.Join(t.TempDir(), "xss.db")
	if _, stderr, err := cardex(t, "import", "-q", "--db", db, xssFixture); err != nil {
		t.Fatalf("import: %v\n%s", err, stderr)
	}
	store, err := sqlite.OpenReadOnly(context.Background(), db, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	h, err := server.New(store, server.Config{Web: web.FS, TagDocs: seeds.FS})
	if err != nil {
		t.Fatal(err)
	}

	start := []string{"/", "/?per=100", "/?collapse=1", "/tags", "/tags?sort=name", "/sources", "/categories", "/archive",
		"/archive/2016", "/archive/2016/05", "/sitemap.xml", "/opensearch.xml",
		"/index.json?per=100", "/index.atom", "/index.csv", "/tags.json", "/tags.atom", "/tags.csv",
		"/sources.json", "/sources.csv", "/categories.json", "/categories.atom", "/archive.json", "/archive.csv"}
	for _, q := range []string{"script", "alert", "onerror", "javascript", "svg onload", "<script>", `"><script>`, "title", "img src", "expression", "xss", "-alert"} {
		v := url.Values{"q": {q}}.Encode()
		start = append(start, "/?"+v, "/index.json?"+v, "/index.atom?"+v, "/index.csv?"+v)
	}
	const maxDepth, maxPages = 1, 1500
	seen := map[string]bool{}
	queue := []string{}
	for _, u := range start {
		seen[u] = true
		queue = append(queue, u)
	}
	depth := map[string]int{}
	shownTitles := map[string]bool{}
	counts := map[string]int{}
	for len(queue) > 0 {
		target := queue[0]
		queue = queue[1:]
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
		res := rec.Result()
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode == http.StatusMovedPermanently || res.StatusCode == http.StatusNotFound {
			continue // a facet past what exists, or a slug redirect
		}
		if res.StatusCode != http.StatusOK {
			t.Errorf("%s: %d", target, res.StatusCode)
			continue
		}
		ct := res.Header.Get("Content-Type")
		p, _, _ := strings.Cut(target, "?")
		var links []string
		switch path.Ext(p) {
		case ".json":
			counts["json"]++
			if ct != "application/json; charset=utf-8" {
				t.Errorf("%s: Content-Type %q", target, ct)
			}
			var v struct {
				Articles []struct{ Title, Summary string }
			}
			if err := json.Unmarshal(body, &v); err != nil {
				t.Errorf("%s: JSON: %v", target, err)
			}
			for _, a := range v.Articles {
				if !titles[a.Title] || !summaries[a.Summary] {
					t.Errorf("%s: title %q / summary %q is not stored text", target, a.Title, a.Summary)
				}
			}
		case ".atom":
			counts["atom"]++
			if ct != "application/atom+xml; charset=utf-8" {
				t.Errorf("%s: Content-Type %q", target, ct)
			}
			var feed struct {
				Entries []struct {
					Title   string `xml:"title"`
					Summary string `xml:"summary"`
				} `xml:"entry"`
			}
			if err := xml.Unmarshal(body, &feed); err != nil {
				t.Errorf("%s: Atom: %v", target, err)
			}
			for _, e := range feed.Entries {
				if strings.HasPrefix(p, "/index") && (!titles[e.Title] || !summaries[e.Summary]) {
					t.Errorf("%s: entry title %q / summary %q is not stored text", target, e.Title, e.Summary)
				}
			}
		case ".csv":
			counts["csv"]++
			if ct != "text/csv; charset=utf-8" {
				t.Errorf("%s: Content-Type %q", target, ct)
			}
			records, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
			if err != nil || len(records) == 0 {
				t.Errorf("%s: CSV: %v", target, err)
				continue
			}
			for _, r := range records[1:] {
				for _, cell := range r {
					if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
						t.Errorf("%s: a cell a spreadsheet would run as a formula: %q", target, cell)
					}
				}
			}
			// A defused formula cell is the stored text after a quote.
			unCSV := func(s string) string {
				if len(s) > 1 && s[0] == '\'' && strings.ContainsRune("=+-@\t\r", rune(s[1])) {
					return s[1:]
				}
				return s
			}
			if p == "/index.csv" {
				for _, r := range records[1:] {
					if !titles[unCSV(r[2])] || !summaries[unCSV(r[3])] {
						t.Errorf("%s: row title %q / summary %q is not stored text", target, r[2], r[3])
					}
				}
			}
		case ".xml":
			counts["xml"]++
			if err := xml.Unmarshal(body, new(struct{})); err != nil {
				t.Errorf("%s: XML: %v", target, err)
			}
		default:
			counts["html"]++
			if ct != "text/html; charset=utf-8" {
				t.Errorf("%s: Content-Type %q", target, ct)
				continue
			}
			doc, err := html.Parse(strings.NewReader(string(body)))
			if err != nil {
				t.Fatalf("%s: %v", target, err)
			}
			var problems []string
			problems, links = checkPage(target, doc)
			for _, p := range problems {
				t.Error(p)
			}
			for _, c := range elements(doc, "article", "card") {
				for _, h2 := range elements(c, "h2", "") {
					if got := textOf(h2); !titles[got] {
						t.Errorf("%s: a card shows the title %q, not stored text", target, got)
					}
				}
				for _, s := range elements(c, "p", "summary") {
					if got := textOf(s); !summaries[got] {
						t.Errorf("%s: a card shows the summary %q, not stored text", target, got)
					}
				}
			}
			if strings.HasPrefix(p, "/articles/") {
				h1 := elements(doc, "h1", "")
				if len(h1) != 1 || !titles[textOf(h1[0])] {
					t.Errorf("%s: the h1 is not a stored title", target)
					continue
				}
				shownTitles[textOf(h1[0])] = true
				if title := elements(doc, "title", ""); len(title) != 1 || !strings.Contains(textOf(title[0]), textOf(h1[0])) {
					t.Errorf("%s: <title> does not hold the article's title", target)
				}
			}
		}
		if depth[target] >= maxDepth || strings.Contains(target, "q=") {
			continue // search pages are checked, their facet links not followed
		}
		for _, l := range links {
			if strings.HasPrefix(l, "/static/") || strings.HasPrefix(l, "/docs") || l == "/about" || seen[l] || len(seen) >= maxPages {
				continue
			}
			seen[l] = true
			depth[l] = depth[target] + 1
			queue = append(queue, l)
		}
	}
	for title := range titles {
		if !shownTitles[title] {
			t.Errorf("no article page shows %q", title)
		}
	}
	t.Logf("%d cards, %d pages fetched: %v", len(cards), len(seen), counts)
}
