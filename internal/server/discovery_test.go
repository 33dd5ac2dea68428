package server

import (
	"encoding/json"
	"encoding/xml"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"cardex/internal/catalog"
	"cardex/internal/markdown"
	"cardex/internal/sqlite/sqlitetest"
	"cardex/web"
)

// testServer is the server over store, with its templates, but no routes.
func testServer(t *testing.T, store Store) *server {
	t.Helper()
	s := &server{current: func() Store { return store }, timeout: DefaultQueryTimeout, log: slog.New(slog.DiscardHandler), web: web.FS, md: markdown.New()}
	if err := s.loadStatic(); err != nil {
		t.Fatal(err)
	}
	if err := s.parseTemplates(); err != nil {
		t.Fatal(err)
	}
	return s
}

// fetch answers one GET on h, with header pairs k, v, ….
func fetch(t *testing.T, h http.Handler, target string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestRelatedTagsOnTagPages(t *testing.T) {
	h := testServer(t, sqlitetest.SeedStore(t)).routes()
	t.Run("html", func(t *testing.T) {
		body := fetch(t, h, "/tags/kafka").Body.String()
		aside := body[strings.Index(body, `<aside`):]
		for _, want := range []string{
			"<h2>Goes with Kafka</h2>",
			// Kafka is on 5 of 92 cards, Docker on 1, with Kafka: 1·92/(5·1).
			`<a href="/tags/docker?tag=kafka"`, `<span class="name">Docker</span> <span class="count">×18.4</span>`,
			`<a href="/tags/flume?tag=kafka"`,
		} {
			if !strings.Contains(aside, want) {
				t.Errorf("the Kafka page's sidebar has no %s", want)
			}
		}
	})
	t.Run("json", func(t *testing.T) {
		var got struct {
			Related []jsonRelatedTag `json:"related_tags"`
		}
		if err := json.Unmarshal(fetch(t, h, "/tags/kafka.json").Body.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		if len(got.Related) < 2 || got.Related[0] != (jsonRelatedTag{Name: "Docker", Slug: "docker", Count: 1, URL: "/tags/docker?tag=kafka", Together: 1, Lift: 18.4}) {
			t.Errorf("related_tags = %+v", got.Related)
		}
	})
	for _, tt := range []struct{ html, json string }{
		{"/", "/index.json"},
		{"/sources/21cto", "/sources/21cto.json"},
		{"/tags/kafka?tag=distributed-systems", "/tags/kafka.json?tag=distributed-systems"},
	} {
		t.Run("none at "+tt.html, func(t *testing.T) {
			if body := fetch(t, h, tt.html).Body.String(); strings.Contains(body, "Goes with") {
				t.Errorf("%s shows related tags", tt.html)
			}
			var got map[string]json.RawMessage
			if err := json.Unmarshal(fetch(t, h, tt.json).Body.Bytes(), &got); err != nil {
				t.Fatalf("%s: %v", tt.json, err)
			}
			if _, ok := got["related_tags"]; ok {
				t.Errorf("%s has related_tags", tt.json)
			}
		})
	}
}

func TestAliasRedirects(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cardex.db")
	card := func(i int, tag string) catalog.Card {
		title := "Stream card " + string(rune('A'+i))
		return catalog.Card{File: "a.txt", Line: 1 + 11*i, Source: "X", Date: time.Date(2016, 5, 1+i, 0, 0, 0, 0, time.UTC),
			Title: title, Summary: "s", Glued: tag + "Kafka", Tags: []string{tag, "Kafka"}, Raw: title + "\n"}
	}
	sqlitetest.ImportCards(t, path, []catalog.Card{card(0, "Real-time Processing"), card(1, "Realtime Processing")})
	h := testServer(t, sqlitetest.OpenReadOnly(t, path)).routes()
	tests := []struct{ from, to string }{
		{"/tags/realtime-processing", "/tags/real-time-processing"},
		{"/tags/realtime-processing.json", "/tags/real-time-processing.json"},
		{"/tags/realtime-processing.atom?source=x", "/tags/real-time-processing.atom?source=x"},
		{"/?tag=realtime-processing&source=x", "/tags/real-time-processing?source=x"},
		{"/index.csv?any=realtime-processing&any=kafka", "/index.csv?any=kafka&any=real-time-processing"},
		{"/sources/x?not=realtime-processing&sort=oldest", "/sources/x?not=real-time-processing&sort=oldest"},
		{"/tags/kafka?tag=realtime-processing&per=10", "/tags/kafka?per=10&tag=real-time-processing"},
	}
	for _, tt := range tests {
		t.Run(tt.from, func(t *testing.T) {
			rec := fetch(t, h, tt.from)
			if rec.Code != http.StatusMovedPermanently || rec.Header().Get("Location") != tt.to {
				t.Fatalf("%d -> %q, want 301 -> %q", rec.Code, rec.Header().Get("Location"), tt.to)
			}
			if to := fetch(t, h, tt.to); to.Code != http.StatusOK {
				t.Errorf("%s: %d", tt.to, to.Code)
			}
		})
	}
	body := fetch(t, h, "/tags/real-time-processing").Body.String()
	if !strings.Contains(body, "2 articles tagged Real-time Processing") {
		t.Error("the canonical tag does not list both cards")
	}
}

// sitemapDoc is a parsed sitemap or sitemap index.
type sitemapDoc struct {
	XMLName xml.Name
	URLs    []struct {
		Loc     string `xml:"loc"`
		LastMod string `xml:"lastmod"`
	} `xml:"url"`
	Sitemaps []struct {
		Loc string `xml:"loc"`
	} `xml:"sitemap"`
}

func getSitemap(t *testing.T, h http.Handler, target string) sitemapDoc {
	t.Helper()
	rec := fetch(t, h, target)
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/xml; charset=utf-8" {
		t.Fatalf("%s: %d %s", target, rec.Code, rec.Header().Get("Content-Type"))
	}
	var doc sitemapDoc
	if err := xml.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatalf("%s does not parse: %v", target, err)
	}
	if doc.XMLName.Space != sitemapNS {
		t.Errorf("%s: namespace %q", target, doc.XMLName.Space)
	}
	return doc
}

func TestSitemap(t *testing.T) {
	h := testServer(t, sqlitetest.SeedStore(t)).routes()
	doc := getSitemap(t, h, "/sitemap.xml")
	if doc.XMLName.Local != "urlset" {
		t.Fatalf("root %s, want urlset", doc.XMLName.Local)
	}
	locs := map[string]string{}
	var articleSlugs []string
	for _, u := range doc.URLs {
		p := strings.TrimPrefix(u.Loc, "http://example.com")
		if _, dup := locs[p]; dup || p == u.Loc {
			t.Errorf("%s: listed twice, or not absolute", u.Loc)
		}
		locs[p] = u.LastMod
		if rest, ok := strings.CutPrefix(p, "/articles/"); ok {
			_, slug, _ := strings.Cut(rest, "/")
			slug, _ = url.PathUnescape(slug)
			articleSlugs = append(articleSlugs, slug+" "+u.LastMod)
		}
	}
	var want []string
	for _, g := range sqlitetest.Golden(t) {
		date := ""
		if g.Date != nil {
			date = *g.Date
		}
		want = append(want, catalog.Slugify(g.Title)+" "+date)
	}
	slices.Sort(articleSlugs)
	slices.Sort(want)
	if len(want) != 92 || !slices.Equal(articleSlugs, want) {
		t.Errorf("%d article URLs, want the 92 seed cards with their dates", len(articleSlugs))
	}
	for _, p := range []string{"/", "/tags", "/sources", "/categories", "/archive", "/about",
		"/tags/kafka", "/tags/distributed-systems", "/sources/21cto", "/categories/big-data", "/archive/2016", "/archive/2016/05"} {
		if _, ok := locs[p]; !ok {
			t.Errorf("no %s in the sitemap", p)
		}
	}
	if locs["/archive/2016/05"] != "2016-05-22" {
		t.Errorf("/archive/2016/05 lastmod %q, want its newest article's date, 2016-05-22", locs["/archive/2016/05"])
	}
	rec := fetch(t, h, "/sitemap.xml")
	if again := fetch(t, h, "/sitemap.xml", "If-None-Match", rec.Header().Get("ETag")); again.Code != http.StatusNotModified {
		t.Errorf("conditional GET: %d, want 304", again.Code)
	}
	for _, target := range []string{"/sitemap-1.xml", "/sitemap.xml?page=2"} {
		if rec := fetch(t, h, target); rec.Code == http.StatusOK {
			t.Errorf("%s: %d, want an error", target, rec.Code)
		}
	}
}

// A site with more URLs than a sitemap may hold gets a sitemap index
// whose parts list every URL exactly once.
func TestSitemapChunks(t *testing.T) {
	s := testServer(t, sqlitetest.SeedStore(t))
	whole := getSitemap(t, s.routes(), "/sitemap.xml")
	for _, chunk := range []int{1, 5, 40, len(whole.URLs) - 1} {
		r := chi.NewRouter()
		s.sitemapRoutes(r, chunk)
		index := getSitemap(t, r, "/sitemap.xml")
		parts := (len(whole.URLs) + chunk - 1) / chunk
		if index.XMLName.Local != "sitemapindex" || len(index.Sitemaps) != parts {
			t.Fatalf("chunk %d: %s of %d sitemaps, want a sitemapindex of %d", chunk, index.XMLName.Local, len(index.Sitemaps), parts)
		}
		var all []string
		for i, sm := range index.Sitemaps {
			p := strings.TrimPrefix(sm.Loc, "http://example.com")
			part := getSitemap(t, r, p)
			if n := len(part.URLs); n > chunk || (i < parts-1 && n != chunk) {
				t.Errorf("chunk %d: %s has %d URLs", chunk, p, n)
			}
			for _, u := range part.URLs {
				all = append(all, u.Loc)
			}
		}
		var want []string
		for _, u := range whole.URLs {
			want = append(want, u.Loc)
		}
		if !slices.Equal(all, want) {
			t.Errorf("chunk %d: the parts list %d URLs, not the %d of the whole sitemap in order", chunk, len(all), len(want))
		}
		for _, target := range []string{"/sitemap-0.xml", "/sitemap-01.xml", "/sitemap-" + strconv.Itoa(parts+1) + ".xml"} {
			if rec := fetch(t, r, target); rec.Code != http.StatusNotFound {
				t.Errorf("chunk %d: %s: %d, want 404", chunk, target, rec.Code)
			}
		}
	}
}
