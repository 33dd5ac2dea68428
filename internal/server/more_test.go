package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cardex/internal/catalog"
	"cardex/internal/server"
	"cardex/internal/sqlite/sqlitetest"
	"cardex/seeds"
	"cardex/web"
)

// A listing that no count kept at import answers (here a tag with a
// date) is counted up to the store's bound of 2,000 articles: past it,
// every format says there are more, without a last page, and its pages
// past the count are still there, up to the real end.
func TestListingCountedUpToTheBound(t *testing.T) {
	const n = 2050
	cards := make([]catalog.Card, n)
	for i := range cards {
		cards[i] = catalog.Card{
			File: "many.txt", Line: 1 + 8*i,
			Title: fmt.Sprintf("Article %d", i), Summary: fmt.Sprintf("About article %d.", i),
			Source: "Source Zero", Category: "News", Date: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i),
			Tags: []string{"Tag Big"}, Glued: "Tag Big", Likes: i % 7, Minutes: 1 + i%9,
		}
		cards[i].Raw = cards[i].Title + "\n"
	}
	path := filepath.Join(t.TempDir(), "many.db")
	sqlitetest.ImportCards(t, path, cards)
	h, err := server.New(sqlitetest.OpenReadOnly(t, path), server.Config{Web: web.FS, TagDocs: seeds.FS})
	if err != nil {
		t.Fatal(err)
	}

	p := get(t, h, "/tags/tag-big?from=2020-01-01")
	if p.status != http.StatusOK {
		t.Fatalf("page 1: status %d", p.status)
	}
	for _, want := range []string{"More than 2,000 articles tagged Tag Big", "Page 1 of 100 or more", `<span aria-disabled="true">Last »</span>`} {
		if !strings.Contains(p.body, want) {
			t.Errorf("page 1 lacks %q", want)
		}
	}
	// The source alone is counted at import: exact.
	if p := get(t, h, "/sources/source-zero"); !strings.Contains(p.body, "2,050 articles") || strings.Contains(p.body, "ore than 2") {
		t.Errorf("the source's own listing is not counted exactly")
	}

	type listing struct {
		Total, Page, Pages int
		More               bool
		Links              struct{ Last, Next *string }
		Articles           []struct{ Title string }
	}
	read := func(target string) listing {
		t.Helper()
		p := get(t, h, target)
		if p.status != http.StatusOK {
			t.Fatalf("%s: status %d", target, p.status)
		}
		var l listing
		if err := json.Unmarshal([]byte(p.body), &l); err != nil {
			t.Fatalf("%s: %v", target, err)
		}
		return l
	}
	first := read("/tags/tag-big.json?from=2020-01-01&per=100")
	if first.Total != 2000 || !first.More || first.Pages != 20 || first.Links.Last != nil || first.Links.Next == nil {
		t.Errorf("JSON page 1: total %d, more %v, pages %d, last %v, next %v; want 2000, true, 20, null, page 2",
			first.Total, first.More, first.Pages, first.Links.Last, first.Links.Next)
	}
	// Page 20 is full: the next one is known to exist, and is the last,
	// with the 50 oldest articles.
	if l := read("/tags/tag-big.json?from=2020-01-01&per=100&page=20"); l.Pages != 21 || l.Links.Next == nil {
		t.Errorf("JSON page 20: pages %d, next %v; want 21 and a next page", l.Pages, l.Links.Next)
	}
	last := read("/tags/tag-big.json?from=2020-01-01&per=100&page=21")
	if len(last.Articles) != 50 || last.Articles[49].Title != "Article 0" || last.Links.Next != nil || !last.More {
		t.Errorf("JSON page 21: %d articles, next %v, more %v; want the 50 oldest, no next page, more", len(last.Articles), last.Links.Next, last.More)
	}
	if p := get(t, h, "/tags/tag-big?from=2020-01-01&per=100&page=22"); p.status != http.StatusNotFound || !strings.Contains(p.body, "page 22 is past the end of this listing") {
		t.Errorf("page 22: status %d, want 404 saying it is past the end", p.status)
	}
	// 2,050 is a multiple of 50: page 41 is full and the last. It says
	// so (a last page, no next one), though its total is still a bound.
	if l := read("/tags/tag-big.json?from=2020-01-01&per=50&page=41"); len(l.Articles) != 50 || l.Pages != 41 || l.Links.Next != nil || l.Links.Last == nil || !l.More {
		t.Errorf("JSON page 41 of 50: %d articles, pages %d, next %v, last %v, more %v; want 50, 41, no next, a last, more",
			len(l.Articles), l.Pages, l.Links.Next, l.Links.Last, l.More)
	}
	if p := get(t, h, "/tags/tag-big?from=2020-01-01&per=50&page=41"); !strings.Contains(p.body, "Page 41 of 41</p>") || strings.Contains(p.body, `rel="next"`) {
		t.Errorf("page 41 of 50: the bar does not end there")
	}
	for _, page := range []string{"42", "1000000"} { // just past the end, and far past what the tag holds
		if p := get(t, h, "/tags/tag-big?from=2020-01-01&per=50&page="+page); p.status != http.StatusNotFound {
			t.Errorf("page %s of 50: status %d, want 404", page, p.status)
		}
	}
}
