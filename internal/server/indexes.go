package server

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"cardex/internal/catalog"
)

// noParams rejects query parameters on pages that take none but those
// named, so that typos are reported instead of ignored.
func noParams(r *http.Request, allowed ...string) error {
	for k := range r.URL.Query() {
		ok := false
		for _, a := range allowed {
			ok = ok || k == a
		}
		if !ok {
			return catalog.Invalid(k, "this page takes no such parameter")
		}
	}
	return nil
}

type tagIndexPage struct {
	layout
	Tags  []indexEntry
	Sorts []link
}

type indexEntry struct {
	Name  string
	URL   string
	Count int
}

func (s *server) tagIndex(w http.ResponseWriter, r *http.Request) error {
	if err := noParams(r, "sort"); err != nil {
		return err
	}
	by := catalog.TagsByCount
	switch v := r.URL.Query().Get("sort"); v {
	case "", "count":
	case "name":
		by = catalog.TagsByName
	default:
		return catalog.Invalid("sort", "%q is not an order for tags; use count or name", v)
	}
	tags, err := s.store.Tags(r.Context(), by)
	if err != nil {
		return err
	}
	p := tagIndexPage{layout: s.newLayout(r, "Tags")}
	p.Nav = "tags"
	p.Canonical = "/tags"
	if by == catalog.TagsByName {
		p.Canonical = "/tags?sort=name"
	}
	p.Sorts = []link{{URL: "/tags", Text: "by count", Current: by == catalog.TagsByCount}, {URL: "/tags?sort=name", Text: "A–Z", Current: by == catalog.TagsByName}}
	for _, t := range tags {
		p.Tags = append(p.Tags, indexEntry{Name: t.Name, URL: catalog.Query{Tags: []string{t.Slug}}.URL(""), Count: t.Count})
	}
	s.render(w, r, http.StatusOK, "tags", p)
	return nil
}

type sourceIndexPage struct {
	layout
	Sources []sourceEntry
}

type sourceEntry struct {
	catalog.SourceSummary
	URL  string
	Tags []indexEntry
}

func (s *server) sourceIndex(w http.ResponseWriter, r *http.Request) error {
	if err := noParams(r); err != nil {
		return err
	}
	sources, err := s.store.Sources(r.Context())
	if err != nil {
		return err
	}
	p := sourceIndexPage{layout: s.newLayout(r, "Sources")}
	p.Nav = "sources"
	for _, src := range sources {
		e := sourceEntry{SourceSummary: src, URL: catalog.Query{Source: src.Slug}.URL("")}
		for _, t := range src.TopTags {
			e.Tags = append(e.Tags, indexEntry{Name: t.Name, Count: t.Count, URL: catalog.Query{Source: src.Slug, Tags: []string{t.Slug}}.URL("")})
		}
		p.Sources = append(p.Sources, e)
	}
	s.render(w, r, http.StatusOK, "sources", p)
	return nil
}

type categoryIndexPage struct {
	layout
	Categories []indexEntry
}

func (s *server) categoryIndex(w http.ResponseWriter, r *http.Request) error {
	if err := noParams(r); err != nil {
		return err
	}
	cats, err := s.store.Categories(r.Context())
	if err != nil {
		return err
	}
	p := categoryIndexPage{layout: s.newLayout(r, "Categories")}
	p.Nav = "categories"
	for _, c := range cats {
		p.Categories = append(p.Categories, indexEntry{Name: c.Name, URL: catalog.Query{Category: c.Slug}.URL(""), Count: c.Count})
	}
	s.render(w, r, http.StatusOK, "categories", p)
	return nil
}

type archivePage struct {
	layout
	Years []archiveYear
	Max   int // the largest monthly count, for the bars' scale
	Total int
}

type archiveYear struct {
	Year   int
	URL    string
	Count  int
	Months []archiveBar
}

// archiveBar is one month of the server-side bar chart: an SVG rect whose
// height is its share of the busiest month.
type archiveBar struct {
	Label  string
	URL    string
	Count  int
	X      int
	Height int
	Y      int
}

const chartHeight = 60

func (s *server) archiveIndex(w http.ResponseWriter, r *http.Request) error {
	if err := noParams(r); err != nil {
		return err
	}
	months, err := s.store.Archive(r.Context())
	if err != nil {
		return err
	}
	p := archivePage{layout: s.newLayout(r, "Archive")}
	p.Nav = "archive"
	for _, m := range months {
		p.Max = max(p.Max, m.Count)
	}
	for _, m := range months {
		if len(p.Years) == 0 || p.Years[len(p.Years)-1].Year != m.Year {
			y := strconv.Itoa(m.Year)
			p.Years = append(p.Years, archiveYear{Year: m.Year, URL: "/archive/" + url.PathEscape(y)})
		}
		y := &p.Years[len(p.Years)-1]
		y.Count += m.Count
		p.Total += m.Count
		h := max(2, m.Count*chartHeight/max(p.Max, 1))
		y.Months = append(y.Months, archiveBar{
			Label:  fmt.Sprintf("%s %d: %s", m.Month, m.Year, plural(m.Count, "article")),
			URL:    fmt.Sprintf("/archive/%04d/%02d", m.Year, int(m.Month)),
			Count:  m.Count,
			X:      (int(m.Month) - 1) * 20,
			Height: h,
			Y:      chartHeight - h,
		})
	}
	s.render(w, r, http.StatusOK, "archive", p)
	return nil
}
