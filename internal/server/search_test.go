package server_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"cardex/internal/sqlite/sqlitetest"
)

// searchCount returns the total a search reports, from the JSON twin.
func searchCount(t *testing.T, h http.Handler, q string) (int, []string) {
	t.Helper()
	var res struct {
		Total    int `json:"total"`
		Articles []struct {
			Title string `json:"title"`
		} `json:"articles"`
	}
	getJSON(t, h, "/index.json?per=100&q="+url.QueryEscape(q), &res)
	var titles []string
	for _, a := range res.Articles {
		titles = append(titles, a.Title)
	}
	return res.Total, titles
}

// Counts are checked against the golden cards, searched independently
// with plain string matching.
func TestSearch(t *testing.T) {
	h := newServer(t)
	cards := sqlitetest.Golden(t)
	// has counts the cards whose searchable text matches every pattern
	// (case-insensitive regular expressions; dashes of every kind are
	// made ASCII first).
	norm := strings.NewReplacer("\u2011", "-", "\u2010", "-", "\u2013", "-", "\u2014", " ")
	has := func(patterns ...string) int {
		n := 0
		for _, c := range cards {
			text := norm.Replace(c.Title + " " + c.Summary + " " + strings.Join(c.Tags, " ") + " " + deref(c.Source))
			ok := true
			for _, p := range patterns {
				ok = ok && regexp.MustCompile(`(?i)`+p).MatchString(text)
			}
			if ok {
				n++
			}
		}
		return n
	}
	tests := []struct {
		name, q string
		want    int
	}{
		{"U+2011 in the text, ASCII hyphen typed", "multi-layer", has(`\bmulti\W+layer`)},
		{"U+2011 typed", "multi\u2011layer", has(`\bmulti\W+layer`)},
		{"prefix", "kafk", has(`\bkafk`)},
		{"case folded", "KAFKA", has(`\bkafka`)},
		{"phrase", `"message queue"`, has(`\bmessage\W+queue\b`)},
		{"phrase absent as such", `"queue message"`, 0},
		{"two words, both required", "kafka flume", has(`\bkafka`, `\bflume`)},
		{"exclusion", "kafka -flume", has(`\bkafka`) - has(`\bkafka`, `\bflume\b`)},
		{"only an exclusion", "-kafka", 92 - has(`\bkafka\b`)},
		{"a tag", "zookeeper", has(`\bzookeeper`)},
		{"a source", "21cto", has(`\b21cto`)},
		{"CJK", "秒杀", has(`秒杀`)},
		{"CJK prefix of one character", "秒", has(`秒`)},
		{"a word of two letters is whole", "mi", has(`\bmi\b`)},
		{"miss", "xyzzyq", 0},
		{"diacritics folded", "kafká", has(`\bkafka`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.want == 0 && tt.name != "miss" && tt.name != "phrase absent as such" {
				t.Fatalf("bad test: the golden cards have no match for %q", tt.q)
			}
			got, _ := searchCount(t, h, tt.q)
			if got != tt.want {
				t.Errorf("q=%q: %d results, want %d", tt.q, got, tt.want)
			}
		})
	}
}

// Relevance: a title match outranks a summary-only match.
func TestSearchRanksTitlesFirst(t *testing.T) {
	h := newServer(t)
	_, titles := searchCount(t, h, "kafka")
	if len(titles) < 6 || !strings.Contains(strings.ToLower(titles[0]), "kafka") {
		t.Fatalf("first result %q has no Kafka in its title", titles)
	}
	seenSummaryOnly := false
	for _, ti := range titles {
		inTitle := strings.Contains(strings.ToLower(ti), "kafka")
		if !inTitle {
			seenSummaryOnly = true
		} else if seenSummaryOnly {
			t.Errorf("title match %q ranks below a summary-only match", ti)
		}
	}
}

// Characters that are FTS5 syntax are text: never an error, never a 500.
func TestSearchHostileInput(t *testing.T) {
	h := newServer(t)
	for _, q := range []string{`"`, `*`, `NEAR(`, `NEAR(a b)`, `^`, `:`, `-`, `--`, `a:b`, `title:kafka`, `(`, `)`, `kafka OR`, `AND`, `"unbalanced`, `'; DROP TABLE cards; --`, `+`, `{a}`, `[x]`, `\`, `*kafka*`, `-"`, `%`, "\u202e"} {
		for _, u := range []string{"/?q=" + url.QueryEscape(q), "/index.json?q=" + url.QueryEscape(q), "/index.csv?q=" + url.QueryEscape(q), "/index.atom?q=" + url.QueryEscape(q)} {
			p := get(t, h, u)
			if p.status >= 500 {
				t.Errorf("%s: %d", u, p.status)
			}
			if q == "\u202e" {
				if p.status != 400 {
					t.Errorf("%s: %d, want 400 for a control character", u, p.status)
				}
			} else if p.status != 200 {
				t.Errorf("%s: %d", u, p.status)
			}
		}
	}
	// Empty or whitespace-only: no search at all.
	for _, q := range []string{"", "   ", "\t"} {
		if n, _ := searchCount(t, h, q); n != 92 {
			t.Errorf("q=%q gives %d results, want all 92", q, n)
		}
	}
}

// Matches are marked with <mark>; everything else stays escaped.
func TestSearchHighlights(t *testing.T) {
	p := get(t, newServer(t), "/?q=vipshop")
	if !strings.Contains(p.body, "<mark>Vipshop</mark>") {
		t.Error("no <mark>Vipshop</mark> in the results")
	}
	if strings.Count(p.body, "<mark>") != strings.Count(p.body, "</mark>") {
		t.Error("unbalanced <mark> tags")
	}
	// The search box shows the query, and the search is a removable chip.
	if !strings.Contains(p.body, `value="vipshop"`) || !strings.Contains(p.body, `Search:</span> “vipshop”`) {
		t.Error("search box or chip missing")
	}
}

// The search form is on every page, as a plain GET form.
func TestSearchBoxEverywhere(t *testing.T) {
	h := newServer(t)
	for _, u := range []string{"/", "/tags", "/sources", "/archive", "/about", "/tags/kafka", "/no-such-page"} {
		p := get(t, h, u)
		forms := find(p.doc, "form", "role", "search")
		if len(forms) != 1 || attr(forms[0], "method") != "get" || len(find(forms[0], "input", "name", "q")) != 1 {
			t.Errorf("%s: no GET search form", u)
		}
	}
	// On a listing it searches within the current filters.
	p := get(t, h, "/tags/kafka?source=architect")
	f := find(p.doc, "form", "role", "search")[0]
	if attr(f, "action") != "/tags/kafka" || len(find(f, "input", "value", "architect")) != 1 {
		t.Errorf("search form on a filtered listing: action %q", attr(f, "action"))
	}
	o := get(t, h, "/opensearch.xml")
	if o.status != 200 || !strings.Contains(o.body, "{searchTerms}") || !strings.HasPrefix(o.header.Get("Content-Type"), "application/opensearchdescription+xml") {
		t.Errorf("opensearch: %d %s", o.status, o.body)
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// A search from the box of a filtered listing goes to the search's
// canonical URL: the browser sends the fields in the page's order, and
// the response cache keeps non-canonical URLs in a small segment of their
// own, never protected.
func TestSearchBoxSubmitsTheCanonicalURL(t *testing.T) {
	h := newServer(t)
	for _, u := range []string{
		"/tags/distributed-systems?any=kafka&any=rabbitmq&category=big-data&collapse=1&from=2016&not=microservices&per=50&source=architect&tag=kafka&to=2017",
		"/tags/kafka?per=10", "/sources/architect?tag=kafka", "/?from=2016-05", "/",
	} {
		p := get(t, h, u)
		if p.status != 200 {
			t.Fatalf("%s: %d %s", u, p.status, p.body[max(0, len(p.body)-900):])
		}
		f := find(p.doc, "form", "role", "search")[0]
		var fields []string
		for _, in := range find(f, "input", "", "") {
			v := attr(in, "value")
			if attr(in, "name") == "q" {
				v = "kafka streams"
			}
			fields = append(fields, url.QueryEscape(attr(in, "name"))+"="+url.QueryEscape(v))
		}
		target := attr(f, "action") + "?" + strings.Join(fields, "&")
		s := get(t, h, target)
		links := find(s.doc, "link", "rel", "canonical")
		if s.status != 200 || len(links) != 1 || attr(links[0], "href") != target {
			t.Errorf("search from %s: %s, %d, canonical %v", u, target, s.status, links)
		}
	}
}
