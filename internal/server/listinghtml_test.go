package server_test

import (
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"cardex/internal/catalog"
	"cardex/internal/server"
	"cardex/internal/sqlite/sqlitetest"
	"cardex/seeds"
	"cardex/web"
)

// specWeb is web.FS with the listing's body as templates again: those of
// testdata/listing-spec, which the Go writer (listinghtml.go) replaced.
func specWeb(t *testing.T) fs.FS {
	t.Helper()
	m := fstest.MapFS{}
	err := fs.WalkDir(web.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(web.FS, p)
		m[p] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	specs, err := filepath.Glob("testdata/listing-spec/*.html")
	if err != nil || len(specs) != 4 {
		t.Fatalf("listing-spec: %v %v", specs, err)
	}
	for _, p := range specs {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		dest := "templates/partials/" + filepath.Base(p)
		if filepath.Base(p) == "listing.html" {
			dest = "templates/pages/listing.html"
		}
		m[dest] = &fstest.MapFile{Data: b}
	}
	return m
}

var requestID = regexp.MustCompile(`request [0-9a-f]{12}`)

// listingParts are a part of each branch of the listing's templates.
var listingParts = []string{`class="chips"`, `class="clear"`, `class="tagdoc"`, `class="ops"`, `class="or"`, `class="not"`,
	`class="related"`, `class="common"`, `class="sample"`, `class="pagination"`, `class="gap"`, `rel="prev"`,
	`aria-current="page"`, `class="empty"`, `<mark>`, "&lt;script&gt;", "Categories", "Years", "Sources"}

// hostileCards are cards whose every name and text is hostile markup or
// awkward text, 1,200 of them so that the sidebar counts a sample.
func hostileCards() []catalog.Card {
	names := []string{`<script>alert(1)</script>`, `"quoted" & 'single' + plus`, "秒杀 — “curly” ‑ nb", `</title><img src=x onerror=alert(1)>`,
		"C++", "a/b?c=d&e", "Distributed Systems", "javascript:alert(1)"}
	var cards []catalog.Card
	for i := range 1200 {
		tags := []string{"Distributed Systems", names[i%len(names)], names[(i/3)%len(names)], fmt.Sprintf("Tag %d", i%37)}
		slices.Sort(tags)
		tags = slices.Compact(tags)
		c := catalog.Card{File: "hostile.txt", Line: 1 + 8*i, Title: fmt.Sprintf("%s #%d", names[i%len(names)], i),
			Summary: names[(i+1)%len(names)] + " about Kafka", Tags: tags, Likes: i * 7, Minutes: 1 + i%9}
		if i%11 > 0 {
			c.Source = names[(i/2)%len(names)]
			c.Category = names[(i/5)%len(names)]
			c.Date = time.Date(2014+i%9, time.Month(1+i%12), 1+i%28, 0, 0, 0, 0, time.UTC)
		}
		c.Glued = strings.Join(tags, "")
		c.Raw = c.Title + "\n"
		cards = append(cards, c)
	}
	return cards
}

// The Go listing writer writes what the templates write, byte for byte:
// the whole page of every listing below, on the seed and on a database of
// hostile names, through the real handler, once with the Go writer and
// once with layout.html and the spec templates.
func TestListingHTMLIsTheTemplate(t *testing.T) {
	hostileDB := filepath.Join(t.TempDir(), "hostile.db")
	sqlitetest.ImportCards(t, hostileDB, hostileCards())
	seen := map[string]int{}
	for name, st := range map[string]server.Store{"seed": sqlitetest.SeedStore(t), "hostile": sqlitetest.OpenReadOnly(t, hostileDB)} {
		real, err := server.New(st, server.Config{Web: web.FS, TagDocs: seeds.FS, CacheBytes: -1})
		if err != nil {
			t.Fatal(err)
		}
		spec, err := server.New(st, server.Config{Web: specWeb(t), TagDocs: seeds.FS, CacheBytes: -1, TemplateListings: true})
		if err != nil {
			t.Fatal(err)
		}
		urls := []string{"/", "/?page=2", "/?per=10&page=3", "/?per=10&page=5", "/?per=100", "/?sort=oldest&collapse=1",
			"/?tag=kafka", "/tags/distributed-systems", "/tags/kafka", "/tags/kafka?page=2&per=10", "/tags/kafka?tag=microservices", "/tags/kafka?any=rabbitmq&any=redis",
			"/?q=kafka", "/?q=kafk&sort=relevance", "/?q=nothing-matches-this", "/?not=distributed-systems",
			"/?from=2016&to=2016", "/?from=2015-03&to=2017", "/?to=2016", "/?from=2016-05-22",
			"/sources/21cto", "/categories/big-data", "/archive/2016", "/archive/2016/05",
			"/tags/distributed-systems?source=21cto&category=big-data&q=data&not=kafka",
			// Markup in the search: in the title, the search box and the chips.
			"/?q=%22%3E%3C%2Ftitle%3E%3Cscript%3E%27%2B%26", "/tags/kafka?per=10&q=%22%3E%3C%2Ftitle%3E%27%2B%26&source=architect",
		}
		if name == "hostile" {
			urls = append(urls, "/tags/c", "/tags/script-alert-1-script", "/tags/javascript-alert-1?page=2&per=10",
				"/?q=alert", "/tags/tag-3?any=tag-4&not=c", "/?per=10&page=60", "/?per=10&page=119")
		}
		for _, u := range urls {
			got, want := get(t, real, u), get(t, spec, u)
			if got.status != want.status {
				t.Fatalf("%s %s: status %d, spec %d", name, u, got.status, want.status)
			}
			// Error pages name their request, which differs.
			if g, w := requestID.ReplaceAllString(got.body, "request ID"), requestID.ReplaceAllString(want.body, "request ID"); g != w {
				i := 0
				for i < len(g) && i < len(w) && g[i] == w[i] {
					i++
				}
				t.Fatalf("%s %s: differs at byte %d:\ngot  %q\nspec %q", name, u, i, g[max(0, i-80):min(len(g), i+80)], w[max(0, i-80):min(len(w), i+80)])
			}
			if got.status == http.StatusOK {
				for _, part := range listingParts {
					if strings.Contains(got.body, part) {
						seen[part]++
					}
				}
			}
		}
	}
	// The pages compared have every part of the template.
	for _, part := range listingParts {
		if seen[part] == 0 {
			t.Errorf("no page compared has %s", part)
		}
	}
}
