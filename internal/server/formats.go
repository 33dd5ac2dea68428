package server

import (
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"cardex/internal/catalog"
)

// format is a representation of a page: the same URL with an extension.
type format string

const (
	formatHTML format = ""
	formatJSON format = ".json"
	formatAtom format = ".atom"
	formatCSV  format = ".csv"
)

// splitExt splits a known format extension off the last path segment.
func splitExt(seg string) (string, format) {
	for _, f := range []format{formatJSON, formatAtom, formatCSV} {
		if base, ok := strings.CutSuffix(seg, string(f)); ok {
			return base, f
		}
	}
	return seg, formatHTML
}

var contentType = map[format]string{
	formatHTML: "text/html; charset=utf-8",
	formatJSON: "application/json; charset=utf-8",
	formatAtom: "application/atom+xml; charset=utf-8",
	formatCSV:  "text/csv; charset=utf-8",
}

// alternates are the links to a page's other formats.
func alternates(urlFor func(format) string, f format) []link {
	var out []link
	for _, a := range []struct {
		f    format
		text string
	}{{formatHTML, "HTML"}, {formatJSON, "JSON"}, {formatAtom, "Atom feed"}, {formatCSV, "CSV"}} {
		mt, _, _ := strings.Cut(contentType[a.f], ";")
		out = append(out, link{URL: urlFor(a.f), Text: a.text, Current: a.f == f, Type: mt})
	}
	return out
}

// conditional answers a conditional GET: it sets ETag (from the dataset
// version and key, the canonical URL of what is asked), Last-Modified and
// Cache-Control, and writes a 304 when the client already has this
// version. It reports whether the response is done.
func (s *server) conditional(w http.ResponseWriter, r *http.Request, key string) (bool, error) {
	version, updated, err := s.db(r.Context()).Dataset(r.Context())
	if err != nil {
		return false, err
	}
	sum := sha256.Sum256([]byte(s.build + " " + key))
	// The import time tells apart two databases that reached the same
	// version number (one rebuilt from scratch).
	etag := `"v` + strconv.FormatInt(version, 10) + "." + strconv.FormatInt(updated.UnixNano(), 36) + "-" + hex.EncodeToString(sum[:8]) + `"`
	h := w.Header()
	h.Set("ETag", etag)
	h.Set("Cache-Control", "public, max-age=60, stale-while-revalidate=600")
	if !updated.IsZero() {
		h.Set("Last-Modified", updated.UTC().Format(http.TimeFormat))
	}
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		if etagMatch(inm, etag) {
			w.WriteHeader(http.StatusNotModified)
			return true, nil
		}
		return false, nil
	}
	if ims, err := http.ParseTime(r.Header.Get("If-Modified-Since")); err == nil && !updated.IsZero() && !updated.Truncate(time.Second).After(ims) {
		w.WriteHeader(http.StatusNotModified)
		return true, nil
	}
	return false, nil
}

// writeJSON writes v as indented JSON.
func writeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", contentType[formatJSON])
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	if r.Method != http.MethodHead {
		w.Write(append(b, '\n'))
	}
	return nil
}

// JSON shapes (documented in web/docs/api.md).
type (
	jsonArticle struct {
		ID          int64    `json:"id"`
		URL         string   `json:"url"`
		Title       string   `json:"title"`
		Summary     string   `json:"summary"`
		Source      *string  `json:"source"`
		Date        *string  `json:"date"`
		Category    *string  `json:"category"`
		Tags        []string `json:"tags"`
		Likes       int      `json:"likes"`
		ReadMinutes int      `json:"read_minutes"`
		// The sources of the same story's other cards, by name.
		AlsoPublishedBy []string `json:"also_published_by"`
	}
	jsonQuery struct {
		Tag      []string `json:"tag"`
		Any      []string `json:"any"`
		Not      []string `json:"not"`
		Source   *string  `json:"source"`
		Category *string  `json:"category"`
		From     *string  `json:"from"`
		To       *string  `json:"to"`
		Q        *string  `json:"q"`
		Sort     string   `json:"sort"`
		Page     int      `json:"page"`
		Per      int      `json:"per"`
		Collapse bool     `json:"collapse"`
	}
	jsonFacet struct {
		Name  string `json:"name"`
		Slug  string `json:"slug"`
		Count int    `json:"count"`
		URL   string `json:"url"`
		// Tags only: how many articles adding the tag to "any" would add,
		// and how many excluding it would remove.
		Or  *int `json:"or,omitempty"`
		Not *int `json:"not,omitempty"`
	}
	jsonFacets struct {
		Tags       []jsonFacet `json:"tags"`
		Common     []jsonFacet `json:"common"`
		Sources    []jsonFacet `json:"sources"`
		Categories []jsonFacet `json:"categories"`
		Years      []jsonFacet `json:"years"`
		// Sample is set when the counts are over the newest Sample results
		// only (a very large result set).
		Sample *int `json:"sample,omitempty"`
	}
	jsonLinks struct {
		Self  string  `json:"self"`
		HTML  string  `json:"html"`
		First string  `json:"first"`
		Last  *string `json:"last"` // null when the listing has more (see jsonListing.More)
		Prev  *string `json:"prev"`
		Next  *string `json:"next"`
	}
	jsonListing struct {
		Query jsonQuery `json:"query"`
		Total int       `json:"total"`
		// More: more than total articles match. A listing that no count
		// kept at import answers is counted up to a bound; pages is then
		// the last page known to exist, and links.last is null but on
		// the listing's last page.
		More  bool `json:"more"`
		Page  int  `json:"page"`
		Pages int  `json:"pages"`
		Per   int  `json:"per"`
		// A search with too many matches to rank by relevance lists them
		// newest first, and says so.
		Unranked bool          `json:"unranked,omitempty"`
		Links    jsonLinks     `json:"links"`
		Articles []jsonArticle `json:"articles"`
		Facets   jsonFacets    `json:"facets"`
		// Tag listings only: the tags that go with the tag.
		RelatedTags *[]jsonRelatedTag `json:"related_tags,omitempty"`
	}
)

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func newJSONArticle(a catalog.Article) jsonArticle {
	j := jsonArticle{ID: a.ID, URL: articleURL(a), Title: a.Title, Summary: a.Summary, Tags: []string{}, Likes: a.Likes, ReadMinutes: a.ReadMinutes}
	if a.Source != nil {
		j.Source = &a.Source.Name
	}
	if a.Category != nil {
		j.Category = &a.Category.Name
	}
	if !a.Date.IsZero() {
		j.Date = optional(a.Date.Format(time.DateOnly))
	}
	for _, t := range a.Tags {
		j.Tags = append(j.Tags, t.Name)
	}
	j.AlsoPublishedBy = []string{}
	for _, o := range a.OtherSources {
		j.AlsoPublishedBy = append(j.AlsoPublishedBy, o.Name)
	}
	return j
}

func newJSONQuery(q catalog.Query) jsonQuery {
	return jsonQuery{
		Tag: nonNil(q.Tags), Any: nonNil(q.Any), Not: nonNil(q.Not),
		Source: optional(q.Source), Category: optional(q.Category),
		From: optional(q.From.Text), To: optional(q.To.Text), Q: optional(q.Q),
		Sort: string(q.EffectiveSort()), Page: q.EffectivePage(), Per: q.EffectivePer(),
		Collapse: q.Collapse,
	}
}

func (s *server) writeListingJSON(w http.ResponseWriter, r *http.Request, q catalog.Query, res catalog.ArticlePage, f catalog.Facets, rel *relatedTags) error {
	pages, more := knownPages(q, res)
	out := jsonListing{
		Query: newJSONQuery(q), Total: res.Total, More: res.More, Page: q.EffectivePage(), Pages: pages, Per: q.EffectivePer(),
		Unranked: res.Unranked, Articles: []jsonArticle{},
		Links: jsonLinks{
			Self: q.URL(string(formatJSON)), HTML: q.URL(""),
			First: q.WithPage(1).URL(string(formatJSON)),
		},
	}
	if !more {
		out.Links.Last = optional(q.WithPage(pages).URL(string(formatJSON)))
	}
	if p := q.EffectivePage(); p > 1 {
		out.Links.Prev = optional(q.WithPage(p - 1).URL(string(formatJSON)))
	}
	if p := q.EffectivePage(); p < pages {
		out.Links.Next = optional(q.WithPage(p + 1).URL(string(formatJSON)))
	}
	for _, a := range res.Articles {
		out.Articles = append(out.Articles, newJSONArticle(a))
	}
	v := newFacetsView(q, f)
	conv := func(ls []facetLink) []jsonFacet {
		out := []jsonFacet{}
		for _, l := range ls {
			jf := jsonFacet{Name: l.Name, Slug: l.Slug, Count: l.Count, URL: l.URL}
			if l.isTag {
				or, not := l.Or, l.Not
				jf.Or, jf.Not = &or, &not
			}
			out = append(out, jf)
		}
		return out
	}
	out.Facets = jsonFacets{Tags: conv(v.Tags), Common: conv(v.Common), Sources: conv(v.Sources), Categories: conv(v.Categories), Years: conv(v.Years)}
	if f.Sample > 0 {
		out.Facets.Sample = &f.Sample
	}
	out.RelatedTags = newJSONRelated(q, rel)
	return writeJSON(w, r, out)
}

// Atom (RFC 4287).
type (
	atomFeed struct {
		XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
		ID      string      `xml:"id"`
		Title   string      `xml:"title"`
		Updated string      `xml:"updated"`
		Links   []atomLink  `xml:"link"`
		Author  atomPerson  `xml:"author"`
		Entries []atomEntry `xml:"entry"`
	}
	atomLink struct {
		Rel  string `xml:"rel,attr,omitempty"`
		Type string `xml:"type,attr,omitempty"`
		Href string `xml:"href,attr"`
	}
	atomPerson struct {
		Name string `xml:"name"`
	}
	atomCategory struct {
		Term  string `xml:"term,attr"`
		Label string `xml:"label,attr,omitempty"`
	}
	atomEntry struct {
		ID         string         `xml:"id"`
		Title      string         `xml:"title"`
		Updated    string         `xml:"updated"`
		Published  string         `xml:"published,omitempty"`
		Links      []atomLink     `xml:"link"`
		Author     *atomPerson    `xml:"author,omitempty"`
		Summary    string         `xml:"summary"`
		Categories []atomCategory `xml:"category"`
	}
)

func (s *server) writeAtom(w http.ResponseWriter, r *http.Request, title, selfURL, htmlURL string, entries []atomEntry) error {
	_, updated, err := s.db(r.Context()).Dataset(r.Context())
	if err != nil {
		return err
	}
	if updated.IsZero() {
		updated = time.Unix(0, 0)
	}
	base := baseURL(r)
	feed := atomFeed{
		ID: base + selfURL, Title: title, Updated: updated.UTC().Format(time.RFC3339),
		Links:  []atomLink{{Rel: "self", Type: contentType[formatAtom], Href: base + selfURL}, {Rel: "alternate", Type: "text/html", Href: base + htmlURL}},
		Author: atomPerson{Name: "cardex"}, Entries: entries,
	}
	for i := range feed.Entries {
		e := &feed.Entries[i]
		e.ID = base + e.ID
		for j := range e.Links {
			e.Links[j].Href = base + e.Links[j].Href
		}
		if e.Updated == "" {
			e.Updated = feed.Updated
		}
	}
	b, err := xml.MarshalIndent(feed, "", "  ")
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", contentType[formatAtom])
	if r.Method != http.MethodHead {
		w.Write([]byte(xml.Header))
		w.Write(b)
		w.Write([]byte("\n"))
	}
	return nil
}

func articleEntry(a catalog.Article) atomEntry {
	u := articleURL(a)
	e := atomEntry{ID: u, Title: a.Title, Summary: a.Summary, Links: []atomLink{{Rel: "alternate", Type: "text/html", Href: u}}}
	if !a.Date.IsZero() {
		e.Published = a.Date.UTC().Format(time.RFC3339)
		e.Updated = e.Published
	}
	if a.Source != nil {
		e.Author = &atomPerson{Name: a.Source.Name}
	}
	for _, t := range a.Tags {
		e.Categories = append(e.Categories, atomCategory{Term: t.Slug, Label: t.Name})
	}
	return e
}

// csvCell defuses spreadsheet formulas: a cell that starts with = + - @
// or a control character gets a leading apostrophe (OWASP's advice).
func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// writeListingCSV streams every article of q (all pages) with a header row.
func (s *server) writeListingCSV(w http.ResponseWriter, r *http.Request, q catalog.Query) error {
	h := w.Header()
	h.Set("Content-Type", contentType[formatCSV])
	h.Set("Content-Disposition", `inline; filename="cardex.csv"`)
	cw := csv.NewWriter(w)
	started := false
	start := func() error {
		// The header row goes out with the first row (or at the end), so
		// that an unknown slug can still be a clean 404.
		if started {
			return nil
		}
		started = true
		return cw.Write([]string{"id", "url", "title", "summary", "source", "date", "category", "tags", "likes", "read_minutes"})
	}
	n := 0
	err := s.db(r.Context()).EachArticle(r.Context(), q.WithPage(1), func(a catalog.Article) error {
		if err := start(); err != nil {
			return err
		}
		j := newJSONArticle(a)
		tags := strings.Join(j.Tags, " | ")
		rec := []string{strconv.FormatInt(j.ID, 10), j.URL, csvCell(j.Title), csvCell(j.Summary), csvCell(deref(j.Source)), deref(j.Date),
			csvCell(deref(j.Category)), csvCell(tags), strconv.Itoa(j.Likes), strconv.Itoa(j.ReadMinutes)}
		if err := cw.Write(rec); err != nil {
			return err
		}
		if n++; n%500 == 0 {
			cw.Flush()
		}
		return cw.Error()
	})
	if err != nil && !started {
		return err
	}
	if err != nil {
		cw.Flush()
		// Rows are out: the best that can be done is to stop.
		return fmt.Errorf("%w (after %d CSV rows)", errAborted{err}, n)
	}
	if err := start(); err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// errAborted is an error after a response had started: it is logged, not
// rendered.
type errAborted struct{ err error }

func (e errAborted) Error() string { return "response aborted: " + e.err.Error() }
func (e errAborted) Unwrap() error { return e.err }
