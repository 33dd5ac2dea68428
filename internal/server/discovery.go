package server

import (
	"bufio"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"cardex/internal/catalog"

	"github.com/go-chi/chi/v5"
)

// Related tags ("Goes with Kafka") on a tag's listing.

// relatedMax is how many related tags a tag page shows.
const relatedMax = 10

// relatedTags is what a tag page shows of the tags that go with its tag.
type relatedTags struct {
	Tag  catalog.Ref
	Tags []catalog.TagLift
}

// relatedTags returns the tags that go with the page's tag on a tag
// listing (one tag, given by the route), and nil on any other listing.
func (s *server) relatedTags(ctx context.Context, route catalog.Route, q catalog.Query, res catalog.ArticlePage) (*relatedTags, error) {
	if route.Kind != "tags" || len(q.Tags) != 1 {
		return nil, nil
	}
	lifts, err := s.db(ctx).RelatedTags(ctx, route.Value, relatedMax)
	if err != nil {
		return nil, err
	}
	return &relatedTags{Tag: res.Names["tag:"+route.Value], Tags: lifts}, nil
}

// addTag returns q with slug among its AND tags (and no longer excluded).
func addTag(q catalog.Query, slug string) catalog.Query {
	return q.Refine(func(q *catalog.Query) {
		q.Tags = append(q.Tags, slug)
		q.Not = catalog.Without(q.Not, slug)
	})
}

// relatedView is the "Goes with" section of a tag page's sidebar.
type relatedView struct {
	Tag  string
	Tags []relatedLink
}

type relatedLink struct {
	Name  string
	URL   string // the listing with the tag added
	Lift  string // "4.6"
	Label string // what the figure means, for title and screen readers
}

func newRelatedView(q catalog.Query, rel *relatedTags) *relatedView {
	if rel == nil || len(rel.Tags) == 0 {
		return nil
	}
	v := &relatedView{Tag: rel.Tag.Name}
	for _, t := range rel.Tags {
		v.Tags = append(v.Tags, relatedLink{
			Name: t.Name,
			URL:  addTag(q, t.Slug).URL(""),
			Lift: formatLift(t.Lift),
			Label: fmt.Sprintf("%s: together with %s on %s, %s times as often as chance would have it",
				t.Name, rel.Tag.Name, plural(t.Together, "article"), formatLift(t.Lift)),
		})
	}
	return v
}

// formatLift writes a lift with one decimal: 4.6, 18.4, 46.0.
func formatLift(l float64) string { return strconv.FormatFloat(l, 'f', 1, 64) }

// jsonRelatedTag is an entry of a tag listing's "related_tags".
type jsonRelatedTag struct {
	Name     string  `json:"name"`
	Slug     string  `json:"slug"`
	Count    int     `json:"count"`
	URL      string  `json:"url"`
	Together int     `json:"together"`
	Lift     float64 `json:"lift"` // rounded to 2 decimals
}

// newJSONRelated returns the "related_tags" of a tag listing's JSON, and
// nil (no such key) on other listings.
func newJSONRelated(q catalog.Query, rel *relatedTags) *[]jsonRelatedTag {
	if rel == nil {
		return nil
	}
	out := []jsonRelatedTag{}
	for _, t := range rel.Tags {
		out = append(out, jsonRelatedTag{Name: t.Name, Slug: t.Slug, Count: t.Count, URL: addTag(q, t.Slug).URL(""),
			Together: t.Together, Lift: math.Round(t.Lift*100) / 100})
	}
	return &out
}

// Tag aliases.

// movedURL is where a listing request that named a tag alias belongs
// (err is or wraps a *catalog.MovedError): the same query with the alias
// replaced by its canonical tag, at the canonical URL, in the same
// format. ok is false when err is no such error or the request is not a
// listing.
func movedURL(r *http.Request, err error) (string, bool) {
	var mv *catalog.MovedError
	if !errors.As(err, &mv) || mv.Kind != "tag" {
		return "", false
	}
	kind, ok := listingKind(r.URL.Path)
	if !ok {
		return "", false
	}
	_, f, q, err := listingRequest(kind, r)
	if err != nil {
		return "", false
	}
	swap := func(slugs []string) []string {
		out := slices.Clone(slugs)
		for i, s := range out {
			if s == mv.From {
				out[i] = mv.To
			}
		}
		return out
	}
	q.Tags, q.Any, q.Not = swap(q.Tags), swap(q.Any), swap(q.Not)
	return q.URL(string(f)), true
}

// listingKind tells which listing route a path is, by its shape.
func listingKind(p string) (routeKind, bool) {
	seg := strings.Split(strings.TrimPrefix(p, "/"), "/")
	switch {
	case len(seg) == 1 && (seg[0] == "" || strings.HasPrefix(seg[0], "index.")):
		return routeAll, true
	case len(seg) == 2 && seg[0] == "tags":
		return routeTag, true
	case len(seg) == 2 && seg[0] == "sources":
		return routeSource, true
	case len(seg) == 2 && seg[0] == "categories":
		return routeCategory, true
	case len(seg) == 2 && seg[0] == "archive":
		return routeYear, true
	case len(seg) == 3 && seg[0] == "archive":
		return routeMonth, true
	}
	return 0, false
}

// Sitemap (sitemaps.org protocol 0.9).

// sitemapChunk is the most URLs one sitemap file may list.
const sitemapChunk = 50_000

const sitemapNS = "http://www.sitemaps.org/schemas/sitemap/0.9"

// sitemapIndexPages are the site's index pages, listed first. Those that
// show the data change with each import; the others have no known date.
var sitemapIndexPages = []struct {
	path string
	data bool
}{{"/", true}, {"/tags", true}, {"/sources", true}, {"/categories", true}, {"/archive", true}, {"/about", false}}

// sitemapRoutes serves /sitemap.xml: every page worth crawling, with
// chunk URLs at most a file. A larger site gets a sitemap index there,
// pointing to /sitemap-1.xml, /sitemap-2.xml, …
func (s *server) sitemapRoutes(r chi.Router, chunk int) {
	r.Get("/sitemap.xml", s.handle(s.sitemap(chunk)))
	r.Get("/sitemap-{n:[0-9]+}.xml", s.handle(s.sitemap(chunk)))
}

func (s *server) sitemap(chunk int) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := noParams(r); err != nil {
			return err
		}
		size, err := s.db(r.Context()).SitemapSize(r.Context())
		if err != nil {
			return err
		}
		total := len(sitemapIndexPages) + size
		parts := (total + chunk - 1) / chunk
		part := 0 // the index, or the one sitemap
		if p := chi.URLParam(r, "n"); p != "" {
			part, err = strconv.Atoi(p)
			if err != nil || part < 1 || part > parts || parts == 1 || p != strconv.Itoa(part) {
				return errNotFound("no such sitemap", link{URL: "/sitemap.xml", Text: "The sitemap"})
			}
		}
		if done, err := s.conditional(w, r, fmt.Sprintf("sitemap %d of %d", part, chunk)); done || err != nil {
			return err
		}
		_, updated, err := s.db(r.Context()).Dataset(r.Context())
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", "application/xml; charset=utf-8")
		switch {
		case part == 0 && parts > 1:
			return writeSitemapIndex(w, r, parts, updated)
		case part == 0:
			return s.writeSitemap(w, r, 0, total, updated)
		}
		return s.writeSitemap(w, r, (part-1)*chunk, chunk, updated)
	}
}

func writeSitemapIndex(w http.ResponseWriter, r *http.Request, parts int, updated time.Time) error {
	type entry struct {
		Loc     string `xml:"loc"`
		LastMod string `xml:"lastmod,omitempty"`
	}
	doc := struct {
		XMLName  xml.Name `xml:"sitemapindex"`
		NS       string   `xml:"xmlns,attr"`
		Sitemaps []entry  `xml:"sitemap"`
	}{NS: sitemapNS}
	for n := 1; n <= parts; n++ {
		doc.Sitemaps = append(doc.Sitemaps, entry{Loc: baseURL(r) + "/sitemap-" + strconv.Itoa(n) + ".xml", LastMod: w3cDate(updated)})
	}
	b, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	if r.Method != http.MethodHead {
		w.Write([]byte(xml.Header))
		w.Write(b)
		w.Write([]byte("\n"))
	}
	return nil
}

// writeSitemap streams entries offset to offset+limit of the sitemap: the
// index pages (last modified at the last import), then what the store
// lists. Nothing is written before the first entry, so that an early
// failure is still a clean error page.
func (s *server) writeSitemap(w http.ResponseWriter, r *http.Request, offset, limit int, updated time.Time) error {
	if r.Method == http.MethodHead {
		return nil
	}
	type entry struct {
		XMLName xml.Name `xml:"url"`
		Loc     string   `xml:"loc"`
		LastMod string   `xml:"lastmod,omitempty"`
	}
	base := baseURL(r)
	bw := bufio.NewWriter(w)
	enc := xml.NewEncoder(bw)
	started, n := false, 0
	emit := func(path string, lastMod time.Time) error {
		if !started {
			started = true
			bw.WriteString(xml.Header + `<urlset xmlns="` + sitemapNS + `">` + "\n")
		}
		bw.WriteString("  ")
		if err := enc.Encode(entry{Loc: base + path, LastMod: w3cDate(lastMod)}); err != nil {
			return err
		}
		n++
		return bw.WriteByte('\n')
	}
	nIndex := len(sitemapIndexPages)
	index := sitemapIndexPages[min(offset, nIndex):min(offset+limit, nIndex)]
	for _, p := range index {
		var lastMod time.Time
		if p.data {
			lastMod = updated
		}
		if err := emit(p.path, lastMod); err != nil {
			return errAborted{err}
		}
	}
	err := s.db(r.Context()).Sitemap(r.Context(), max(0, offset-nIndex), limit-len(index), func(e catalog.SitemapEntry) error {
		if e.Article != 0 {
			return emit("/articles/"+strconv.FormatInt(e.Article, 10)+"/"+url.PathEscape(catalog.Slugify(e.Title)), e.LastMod)
		}
		return emit(e.Route.Path(), e.LastMod)
	})
	switch {
	case err != nil && !started:
		return err
	case err != nil:
		bw.Flush()
		return fmt.Errorf("%w (after %d sitemap URLs)", errAborted{err}, n)
	}
	if !started {
		bw.WriteString(xml.Header + `<urlset xmlns="` + sitemapNS + `">` + "\n")
	}
	bw.WriteString("</urlset>\n")
	return bw.Flush()
}

// w3cDate writes a date as the sitemap protocol wants it; "" for none.
func w3cDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.DateOnly)
}
