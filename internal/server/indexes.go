package server

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

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

// refEntries lists refs with the URL of the listing each one names.
func refEntries(refs []catalog.Ref, query func(slug string) catalog.Query) []indexEntryJSON {
	out := make([]indexEntryJSON, 0, len(refs))
	for _, r := range refs {
		out = append(out, indexEntryJSON{Name: r.Name, Slug: r.Slug, URL: query(r.Slug).URL(""), Count: r.Count})
	}
	return out
}

// indexAlternates links an index page to its other formats.
func indexAlternates(name, rawQuery string) []link {
	return alternates(func(f format) string {
		u := "/" + name + string(f)
		if rawQuery != "" {
			u += "?" + rawQuery
		}
		return u
	}, formatHTML)
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

// indexFormat reads the format of an index route ("/tags.json").
func indexFormat(r *http.Request) format {
	_, f := splitExt(path.Base(r.URL.Path))
	return f
}

// indexEntryJSON is a row of /tags.json, /categories.json and friends.
type indexEntryJSON struct {
	Name  string `json:"name"`
	Slug  string `json:"slug"`
	URL   string `json:"url"`
	Count int    `json:"count"`
}

// writeIndex answers an index in a data format: JSON as {key: entries},
// CSV with a header row, Atom with an entry per row.
func (s *server) writeIndex(w http.ResponseWriter, r *http.Request, f format, key, title string, entries []indexEntryJSON) error {
	switch f {
	case formatJSON:
		if entries == nil {
			entries = []indexEntryJSON{}
		}
		return writeJSON(w, r, map[string][]indexEntryJSON{key: entries})
	case formatCSV:
		w.Header().Set("Content-Type", contentType[formatCSV])
		cw := csv.NewWriter(w)
		cw.Write([]string{"name", "slug", "url", "count"})
		for _, e := range entries {
			cw.Write([]string{csvCell(e.Name), e.Slug, e.URL, strconv.Itoa(e.Count)})
		}
		cw.Flush()
		return cw.Error()
	case formatAtom:
		var es []atomEntry
		for _, e := range entries {
			es = append(es, atomEntry{ID: e.URL, Title: e.Name, Summary: plural(e.Count, "article"),
				Links: []atomLink{{Rel: "alternate", Type: "text/html", Href: e.URL}}})
		}
		return s.writeAtom(w, r, "cardex: "+title, "/"+key+string(f), "/"+key, es)
	}
	return errNotFound("no such format")
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
		if len(v) > 40 {
			v = strings.ToValidUTF8(v[:40], "") + "…"
		}
		return catalog.Invalid("sort", "%q is not an order for tags; use count or name", v)
	}
	f := indexFormat(r)
	if done, err := s.conditional(w, r, string(f)+" /tags?sort="+string(by)); done || err != nil {
		return err
	}
	tags, err := s.db(r.Context()).Tags(r.Context(), by)
	if err != nil {
		return err
	}
	if f != formatHTML {
		return s.writeIndex(w, r, f, "tags", "tags", refEntries(tags, func(slug string) catalog.Query { return catalog.Query{Tags: []string{slug}} }))
	}
	p := tagIndexPage{layout: s.newLayout(r, "Tags")}
	p.Alternates = indexAlternates("tags", r.URL.RawQuery)
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
	f := indexFormat(r)
	if done, err := s.conditional(w, r, string(f)+" /sources"); done || err != nil {
		return err
	}
	sources, err := s.db(r.Context()).Sources(r.Context())
	if err != nil {
		return err
	}
	if f == formatJSON {
		type sourceJSON struct {
			indexEntryJSON
			First   *string          `json:"first"`
			Last    *string          `json:"last"`
			TopTags []indexEntryJSON `json:"top_tags"`
		}
		out := []sourceJSON{}
		for _, src := range sources {
			e := sourceJSON{indexEntryJSON: indexEntryJSON{src.Name, src.Slug, catalog.Query{Source: src.Slug}.URL(""), src.Count}, TopTags: []indexEntryJSON{}}
			if !src.First.IsZero() {
				e.First, e.Last = optional(src.First.Format(time.DateOnly)), optional(src.Last.Format(time.DateOnly))
			}
			for _, t := range src.TopTags {
				e.TopTags = append(e.TopTags, indexEntryJSON{t.Name, t.Slug, catalog.Query{Source: src.Slug, Tags: []string{t.Slug}}.URL(""), t.Count})
			}
			out = append(out, e)
		}
		return writeJSON(w, r, map[string][]sourceJSON{"sources": out})
	}
	if f != formatHTML {
		refs := make([]catalog.Ref, len(sources))
		for i, src := range sources {
			refs[i] = src.Ref
		}
		return s.writeIndex(w, r, f, "sources", "sources", refEntries(refs, func(slug string) catalog.Query { return catalog.Query{Source: slug} }))
	}
	p := sourceIndexPage{layout: s.newLayout(r, "Sources")}
	p.Alternates = indexAlternates("sources", "")
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
	f := indexFormat(r)
	if done, err := s.conditional(w, r, string(f)+" /categories"); done || err != nil {
		return err
	}
	cats, err := s.db(r.Context()).Categories(r.Context())
	if err != nil {
		return err
	}
	if f != formatHTML {
		return s.writeIndex(w, r, f, "categories", "categories", refEntries(cats, func(slug string) catalog.Query { return catalog.Query{Category: slug} }))
	}
	p := categoryIndexPage{layout: s.newLayout(r, "Categories")}
	p.Alternates = indexAlternates("categories", "")
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
	f := indexFormat(r)
	if done, err := s.conditional(w, r, string(f)+" /archive"); done || err != nil {
		return err
	}
	months, err := s.db(r.Context()).Archive(r.Context())
	if err != nil {
		return err
	}
	if f != formatHTML {
		var es []indexEntryJSON
		for _, m := range months {
			slug := fmt.Sprintf("%04d-%02d", m.Year, int(m.Month))
			es = append(es, indexEntryJSON{Name: fmt.Sprintf("%s %d", m.Month, m.Year), Slug: slug, URL: fmt.Sprintf("/archive/%04d/%02d", m.Year, int(m.Month)), Count: m.Count})
		}
		return s.writeIndex(w, r, f, "archive", "archive", es)
	}
	p := archivePage{layout: s.newLayout(r, "Archive")}
	p.Alternates = indexAlternates("archive", "")
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
