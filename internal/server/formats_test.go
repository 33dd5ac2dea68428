package server_test

import (
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"

	"cardex/internal/sqlite/sqlitetest"
)

func getJSON(t *testing.T, h http.Handler, target string, v any) {
	t.Helper()
	p := get(t, h, target)
	if p.status != 200 || !strings.HasPrefix(p.header.Get("Content-Type"), "application/json") {
		t.Fatalf("%s: %d %s", target, p.status, p.header.Get("Content-Type"))
	}
	if err := json.Unmarshal([]byte(p.body), v); err != nil {
		t.Fatalf("%s: %v", target, err)
	}
}

func htmlIDs(t *testing.T, h http.Handler, target string) []string {
	t.Helper()
	p := get(t, h, target)
	var ids []string
	for _, a := range find(p.doc, "article", "", "") {
		href := attr(find(a, "a", "", "")[0], "href")
		ids = append(ids, strings.Split(href, "/")[2])
	}
	return ids
}

func jsonIDs(t *testing.T, h http.Handler, target string) []string {
	t.Helper()
	var res struct {
		Articles []struct {
			ID int64 `json:"id"`
		} `json:"articles"`
	}
	getJSON(t, h, target, &res)
	var ids []string
	for _, a := range res.Articles {
		ids = append(ids, strconv.FormatInt(a.ID, 10))
	}
	return ids
}

func csvIDs(t *testing.T, h http.Handler, target string) []string {
	t.Helper()
	p := get(t, h, target)
	if p.status != 200 || !strings.HasPrefix(p.header.Get("Content-Type"), "text/csv") {
		t.Fatalf("%s: %d", target, p.status)
	}
	recs, err := csv.NewReader(strings.NewReader(p.body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) == 0 || strings.Join(recs[0], ",") != "id,url,title,summary,source,date,category,tags,likes,read_minutes" {
		t.Fatalf("%s: header %v", target, recs)
	}
	var ids []string
	for _, r := range recs[1:] {
		ids = append(ids, r[0])
	}
	return ids
}

// The same query gives the same rows in the same order in every format:
// each HTML and JSON page is a slice of the CSV's full result.
func TestFormatsAgree(t *testing.T) {
	h := newServer(t)
	for _, path := range []string{"/", "/tags/distributed-systems", "/sources/21cto", "/archive/2016"} {
		for _, qs := range []string{"", "sort=oldest", "sort=longest", "q=architecture", "not=kafka&per=10", "any=kafka&any=caching"} {
			sep := "?"
			base, ext := path, ""
			if path == "/" {
				base = "/index"
			}
			all := csvIDs(t, h, base+".csv"+sep+qs)
			per := 20
			if strings.Contains(qs, "per=10") {
				per = 10
			}
			for page := 1; (page-1)*per < len(all) || page == 1; page++ {
				pq := qs
				if page > 1 {
					pq += "&page=" + strconv.Itoa(page)
				}
				want := all[(page-1)*per : min(len(all), page*per)]
				gotHTML := htmlIDs(t, h, path+ext+sep+pq)
				gotJSON := jsonIDs(t, h, base+".json"+sep+pq)
				if !slices.Equal(gotHTML, want) || !slices.Equal(gotJSON, want) {
					t.Errorf("%s?%s page %d:\n html %v\n json %v\n csv  %v", path, qs, page, gotHTML, gotJSON, want)
				}
			}
		}
	}
}

func TestJSONShape(t *testing.T) {
	h := newServer(t)
	var res struct {
		Query struct {
			Tag  []string `json:"tag"`
			Sort string   `json:"sort"`
			Page int      `json:"page"`
		} `json:"query"`
		Total, Page, Pages, Per int
		Links                   struct {
			Next *string `json:"next"`
			Prev *string `json:"prev"`
		} `json:"links"`
		Articles []map[string]any `json:"articles"`
		Facets   struct {
			Tags []struct {
				Name  string `json:"name"`
				Count int    `json:"count"`
				Or    *int   `json:"or"`
				Not   *int   `json:"not"`
			} `json:"tags"`
		} `json:"facets"`
	}
	getJSON(t, h, "/sources/21cto.json?page=2", &res)
	if res.Total != 41 || res.Page != 2 || res.Pages != 3 || res.Per != 20 || len(res.Articles) != 20 {
		t.Errorf("total %d page %d/%d per %d, %d articles", res.Total, res.Page, res.Pages, res.Per, len(res.Articles))
	}
	if res.Links.Prev == nil || *res.Links.Prev != "/sources/21cto.json" || res.Links.Next == nil || *res.Links.Next != "/sources/21cto.json?page=3" {
		t.Errorf("links %v %v", res.Links.Prev, res.Links.Next)
	}
	for _, k := range []string{"id", "url", "title", "summary", "source", "date", "category", "tags", "likes", "read_minutes"} {
		if _, ok := res.Articles[0][k]; !ok {
			t.Errorf("article has no %q", k)
		}
	}
	if len(res.Facets.Tags) == 0 || res.Facets.Tags[0].Or == nil || res.Facets.Tags[0].Not == nil {
		t.Error("tag facets lack or/not counts")
	}
	var tags struct {
		Tags []struct {
			Name, Slug, URL string
			Count           int
		} `json:"tags"`
	}
	getJSON(t, h, "/tags.json", &tags)
	if len(tags.Tags) == 0 || tags.Tags[0].Name != "Distributed Systems" || tags.Tags[0].Count != 91 || tags.Tags[0].URL != "/tags/distributed-systems" {
		t.Errorf("/tags.json first = %+v", tags.Tags[0])
	}
	for _, u := range []string{"/sources.json", "/categories.json", "/archive.json", "/tags.csv", "/sources.csv", "/tags.atom"} {
		if p := get(t, h, u); p.status != 200 {
			t.Errorf("%s: %d", u, p.status)
		}
	}
	// Errors in a JSON URL come back as JSON.
	p := get(t, h, "/index.json?page=0")
	if p.status != 400 || !strings.Contains(p.body, `"field":"page"`) {
		t.Errorf("JSON error: %d %s", p.status, p.body)
	}
}

// The Atom feed parses and has the first page's entries, newest first.
func TestAtom(t *testing.T) {
	h := newServer(t)
	p := get(t, h, "/tags/kafka.atom?sort=oldest")
	if p.status != 200 || !strings.HasPrefix(p.header.Get("Content-Type"), "application/atom+xml") {
		t.Fatalf("%d %s", p.status, p.header.Get("Content-Type"))
	}
	var feed struct {
		XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
		ID      string   `xml:"id"`
		Updated string   `xml:"updated"`
		Entries []struct {
			ID        string `xml:"id"`
			Title     string `xml:"title"`
			Published string `xml:"published"`
			Link      struct {
				Href string `xml:"href,attr"`
			} `xml:"link"`
		} `xml:"entry"`
	}
	if err := xml.Unmarshal([]byte(p.body), &feed); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, c := range sqlitetest.Golden(t) {
		if slices.Contains(c.Tags, "Kafka") {
			want = append(want, c.Title)
		}
	}
	if len(feed.Entries) != len(want) || feed.ID == "" || feed.Updated == "" {
		t.Fatalf("%d entries, want %d", len(feed.Entries), len(want))
	}
	for i, e := range feed.Entries {
		if !slices.Contains(want, e.Title) || !strings.HasPrefix(e.Link.Href, "http://example.com/articles/") {
			t.Errorf("entry %q %q", e.Title, e.Link.Href)
		}
		if i > 0 && e.Published > feed.Entries[i-1].Published {
			t.Errorf("entries not newest first: %s after %s", e.Published, feed.Entries[i-1].Published)
		}
	}
}

// An ETag followed by If-None-Match gives a 304 with no body, in every
// format.
func TestConditionalGET(t *testing.T) {
	h := newServer(t)
	for _, u := range []string{"/", "/tags/kafka?page=1", "/tags/kafka.json", "/tags/kafka.atom", "/tags/kafka.csv", "/tags", "/tags.json"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", u, nil))
		etag := rec.Header().Get("ETag")
		if rec.Code != 200 || etag == "" || rec.Header().Get("Last-Modified") == "" || !strings.Contains(rec.Header().Get("Cache-Control"), "public") {
			t.Fatalf("%s: %d etag %q headers %v", u, rec.Code, etag, rec.Header())
		}
		req := httptest.NewRequest("GET", u, nil)
		req.Header.Set("If-None-Match", etag)
		rec = httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusNotModified || rec.Body.Len() != 0 {
			t.Errorf("%s with If-None-Match: %d, %d bytes", u, rec.Code, rec.Body.Len())
		}
		req = httptest.NewRequest("GET", u, nil)
		req.Header.Set("If-None-Match", `"v0-stale"`)
		rec = httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			t.Errorf("%s with a stale ETag: %d", u, rec.Code)
		}
	}
	// Different queries and formats have different ETags.
	etag := func(u string) string {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", u, nil))
		return rec.Header().Get("ETag")
	}
	if etag("/tags/kafka") == etag("/tags/kafka.json") || etag("/tags/kafka") == etag("/tags/flume") {
		t.Error("ETags collide across formats or queries")
	}
	if etag("/tags/kafka?page=1") != etag("/tags/kafka") {
		t.Error("the same canonical query has two ETags")
	}
}

// Twins are linked from the page: <link rel=alternate> and visible links.
func TestAlternateLinks(t *testing.T) {
	p := get(t, newServer(t), "/tags/kafka?source=architect")
	var got []string
	for _, l := range find(p.doc, "link", "rel", "alternate") {
		got = append(got, attr(l, "type")+" "+attr(l, "href"))
	}
	want := []string{"application/json /tags/kafka.json?source=architect", "application/atom+xml /tags/kafka.atom?source=architect", "text/csv /tags/kafka.csv?source=architect"}
	if !slices.Equal(got, want) {
		t.Errorf("alternates = %q", got)
	}
	if len(find(p.doc, "a", "href", "/tags/kafka.csv?source=architect")) != 1 {
		t.Error("no visible CSV link")
	}
}

// The OR and NOT counts next to each tag, checked against counts computed
// here from the golden cards.
func TestOrNotCounts(t *testing.T) {
	h := newServer(t)
	cards := sqlitetest.Golden(t)
	count := func(pred func(tags []string) bool) int {
		n := 0
		for _, c := range cards {
			if pred(c.Tags) {
				n++
			}
		}
		return n
	}
	p := get(t, h, "/tags/kafka")
	kafka := count(func(ts []string) bool { return slices.Contains(ts, "Kafka") })
	checked := 0
	for _, li := range find(find(p.doc, "ul", "class", "facet tagfacet")[0], "li", "", "") {
		name := text(find(li, "span", "class", "name")[0])
		if name == "Kafka" {
			continue
		}
		and := count(func(ts []string) bool { return slices.Contains(ts, "Kafka") && slices.Contains(ts, name) })
		or := count(func(ts []string) bool { return slices.Contains(ts, "Kafka") || slices.Contains(ts, name) }) - kafka
		if or > 0 {
			a := find(li, "a", "class", "or")
			if len(a) != 1 || text(a[0]) != "+"+strconv.Itoa(or) || !strings.Contains(attr(a[0], "href"), "any=kafka") {
				t.Errorf("%s: +N link %q, want +%d", name, textOf(a), or)
			}
		}
		n := find(li, "a", "class", "not")
		if len(n) != 1 || text(n[0]) != "−"+strconv.Itoa(and) || !strings.Contains(attr(n[0], "href"), "not=") {
			t.Errorf("%s: −N link %q, want −%d", name, textOf(n), and)
		}
		// Following the +N link gives exactly N more articles.
		if or > 0 {
			href := attr(find(li, "a", "class", "or")[0], "href")
			s := find(get(t, h, href).doc, "p", "class", "sentence")
			if !strings.HasPrefix(text(s[0]), strconv.Itoa(kafka+or)+" article") {
				t.Errorf("%s: %s says %q, want %d", name, href, text(s[0]), kafka+or)
			}
		}
		checked++
	}
	if checked < 5 {
		t.Errorf("only %d tag facets checked", checked)
	}
}
