package server

import (
	"fmt"
	"html/template"
	"io/fs"
	"maps"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"

	"cardex/internal/catalog"

	"github.com/go-chi/chi/v5"
)

// routeKind says which filter a listing route fixes.
type routeKind int

const (
	routeAll routeKind = iota
	routeTag
	routeSource
	routeCategory
	routeYear
	routeMonth
)

// parseRoute reads the fixed filter and the format from the path.
func parseRoute(kind routeKind, r *http.Request) (catalog.Route, format, error) {
	var f format
	param := func(name string) string {
		v := chi.URLParam(r, name)
		// chi routes on the escaped path when the request has one
		// (r.URL.RawPath): its parameters are then still escaped.
		if u, err := url.PathUnescape(v); err == nil {
			v = u
		}
		if v != "" && strings.HasSuffix(r.URL.Path, v) {
			v, f = splitExt(v)
		}
		return v
	}
	if kind == routeAll {
		_, f = splitExt(path.Base(r.URL.Path))
	}
	route, err := parseRouteValue(kind, r, param, func() format { return f })
	return route, f, err
}

func parseRouteValue(kind routeKind, r *http.Request, param func(string) string, ext func() format) (catalog.Route, error) {
	switch kind {
	case routeTag, routeSource, routeCategory:
		slug := param("slug")
		if want := catalog.Slugify(slug); want != slug {
			if want == "-" {
				return catalog.Route{}, errNotFound(fmt.Sprintf("%q is not a valid name in an address", slug))
			}
			// "/tags/Kafka" or "/tags/Distributed Systems": send to the
			// slug, on this site, in the same format. The target is built
			// from the route, never from the request's path.
			prefix := map[routeKind]string{routeTag: "/tags/", routeSource: "/sources/", routeCategory: "/categories/"}[kind]
			u := url.URL{Path: prefix + want + string(ext()), RawQuery: r.URL.RawQuery}
			return catalog.Route{}, &redirect{url: u.String()}
		}
		return catalog.Route{Kind: map[routeKind]string{routeTag: "tags", routeSource: "sources", routeCategory: "categories"}[kind], Value: slug}, nil
	case routeYear, routeMonth:
		year := param("year")
		if y, err := strconv.Atoi(year); err != nil || len(year) != 4 || y < 1970 {
			return catalog.Route{}, errNotFound(fmt.Sprintf("%q is not a year", year))
		}
		if kind == routeYear {
			return catalog.Route{Kind: "archive", Value: year}, nil
		}
		month := param("month")
		if m, err := strconv.Atoi(month); err != nil || len(month) != 2 || m < 1 || m > 12 {
			return catalog.Route{}, errNotFound(fmt.Sprintf("%q is not a month (01 to 12)", month))
		}
		return catalog.Route{Kind: "archive", Value: year + "/" + month}, nil
	}
	return catalog.Route{}, nil
}

// listingRequest parses a listing request into its route, format and query.
func listingRequest(kind routeKind, r *http.Request) (catalog.Route, format, catalog.Query, error) {
	route, f, err := parseRoute(kind, r)
	if err != nil {
		return route, f, catalog.Query{}, err
	}
	q, err := catalog.ParseQuery(r.URL.Query())
	if err != nil {
		return route, f, q, err
	}
	if route.Kind == "archive" && (!q.From.IsZero() || !q.To.IsZero()) {
		return route, f, q, catalog.Invalid("from", "an archive page fixes the dates; drop from and to, or use / with them")
	}
	if route.Kind == "sources" && q.Source != "" && q.Source != route.Value {
		return route, f, q, catalog.Invalid("source", "this page fixes the source (%s); drop source, or use / with it", route.Value)
	}
	if route.Kind == "categories" && q.Category != "" && q.Category != route.Value {
		return route, f, q, catalog.Invalid("category", "this page fixes the category (%s); drop category, or use / with it", route.Value)
	}
	return route, f, route.Apply(q), nil
}

type listingPage struct {
	layout
	Heading    string
	Sentence   string
	Chips      []chip
	Result     catalog.ArticlePage
	Cards      []cardView
	Facets     facetsView
	Pagination pagination
	Sorts      []link
	Pers       []link
	Duplicates []link // show all | collapse (one card per story)
	TagDoc     template.HTML
	ResetURL   string
	sidebar    string // Facets, written (the Go writer's; see sidebarsMax)
}

// chip is an active filter that can be removed.
type chip struct {
	Kind, Label, RemoveURL string
}

type cardView struct {
	catalog.Article
	URL         string
	SourceURL   string
	CategoryURL string
	Tags        []cardTag
	AlsoBy      []link // the other sources of the same story, each to its listing
}

type cardTag struct {
	Name, URL string
	Active    bool
}

func (s *server) listing(kind routeKind) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		route, f, q, err := listingRequest(kind, r)
		if err != nil {
			return err
		}
		if f == formatAtom {
			// A feed is the first page, newest first.
			q = q.Refine(func(q *catalog.Query) { q.Sort = catalog.SortNewest })
		}
		canonical := q.URL("")
		self := canonical // this format's canonical URL
		if f != formatHTML {
			self = q.URL(string(f))
		}
		if r.URL.RequestURI() != self {
			markNonCanonical(w)
		}
		if done, err := s.conditional(w, r, string(f)+" "+canonical); done || err != nil {
			return err
		}
		if f == formatCSV {
			return s.writeListingCSV(w, r, q)
		}
		res, err := s.db(r.Context()).Articles(r.Context(), q)
		if err != nil {
			return err
		}
		pages, more := knownPages(q, res)
		if q.EffectivePage() > pages {
			if res.More {
				return errNotFound(fmt.Sprintf("page %d is past the end of this listing", q.EffectivePage()),
					link{URL: q.WithPage(1).URL(string(f)), Text: "Go to the first page"})
			}
			return errNotFound(fmt.Sprintf("page %d is past the end: this listing has %s", q.EffectivePage(), plural(pages, "page")),
				link{URL: q.WithPage(pages).URL(string(f)), Text: fmt.Sprintf("Go to the last page (%d)", pages)})
		}
		if f == formatAtom {
			var entries []atomEntry
			for _, a := range res.Articles {
				entries = append(entries, articleEntry(a))
			}
			title, _ := heading(route, res)
			return s.writeAtom(w, r, "cardex: "+title+" — "+sentence(q, res), self, canonical, entries)
		}
		// The sidebar is the same on every page of a listing (of a
		// dataset, under one route): the Go writer keeps it rendered (see
		// sidebarsMax).
		var sidebarKey, sidebar string
		kept := false
		if f == formatHTML && !s.templateListings {
			dataset, err := s.datasetKey(r.Context())
			if err != nil {
				return err
			}
			sidebarKey = dataset + " " + route.Kind + " " + q.WithPage(1).URL("")
			sidebar, kept = s.sidebars.Get(sidebarKey)
		}
		var facets catalog.Facets
		var related *relatedTags
		if !kept {
			if facets, err = s.db(r.Context()).Facets(r.Context(), q); err != nil {
				return err
			}
			if related, err = s.relatedTags(r.Context(), route, q, res); err != nil {
				return err
			}
		}
		if f == formatJSON {
			return s.writeListingJSON(w, r, q, res, facets, related)
		}
		p := listingPage{layout: s.newLayout(r, ""), Result: res}
		p.Search = newSearchBox(q)
		p.Canonical = canonical
		p.Alternates = alternates(func(f format) string { return q.URL(string(f)) }, formatHTML)
		p.Nav = route.Kind
		p.Heading, p.Title = heading(route, res)
		p.Sentence = sentence(q, res)
		p.Chips = chips(q, res)
		p.ResetURL = "/"
		for _, a := range res.Articles {
			p.Cards = append(p.Cards, newCardView(q, a))
		}
		if !kept {
			p.Facets = newFacetsView(q, facets)
			p.Facets.Related = newRelatedView(q, related)
			if sidebarKey != "" {
				var b strings.Builder
				p.Facets.write(&b)
				sidebar = b.String()
				s.sidebars.Put(sidebarKey, sidebar)
			}
		}
		p.sidebar = sidebar
		p.Pagination = paginate(q.EffectivePage(), pages, more, func(n int) string { return q.WithPage(n).URL("") })
		p.Prev, p.Next = p.Pagination.Prev, p.Pagination.Next
		sorts := catalog.Sorts()
		if q.Q != "" {
			sorts = append([]catalog.Sort{catalog.SortRelevance}, sorts...)
		}
		for _, so := range sorts {
			u := q.Refine(func(q *catalog.Query) { q.Sort = so })
			p.Sorts = append(p.Sorts, link{URL: u.URL(""), Text: string(so), Current: q.EffectiveSort() == so})
		}
		for _, n := range []int{10, 20, 50, 100} {
			u := q.Refine(func(q *catalog.Query) { q.Per = n })
			p.Pers = append(p.Pers, link{URL: u.URL(""), Text: strconv.Itoa(n), Current: q.EffectivePer() == n})
		}
		for _, d := range []struct {
			text     string
			collapse bool
		}{{"show all", false}, {"collapse", true}} {
			u := q.Refine(func(q *catalog.Query) { q.Collapse = d.collapse })
			p.Duplicates = append(p.Duplicates, link{URL: u.URL(""), Text: d.text, Current: q.Collapse == d.collapse})
		}
		if route.Kind == "tags" && len(q.Tags) == 1 && q.EffectivePage() == 1 {
			p.TagDoc = s.tagDoc(route.Value)
		}
		if q.EffectivePage() > 1 {
			p.Title += fmt.Sprintf(" · page %d", q.EffectivePage())
		}
		if s.templateListings {
			s.render(w, r, http.StatusOK, "listing", p)
			return nil
		}
		page, side := p.document()
		if sidebarKey != "" {
			markShared(w, sidebarKey, side)
		}
		writeHTML(w, r, http.StatusOK, page)
		return nil
	}
}

// newSearchBox searches within q's filters: the form goes to q's route
// and carries q's other parameters (not the page, nor the order) as
// hidden fields.
func newSearchBox(q catalog.Query) searchBox {
	route, rest := q.Refine(func(q *catalog.Query) { q.Q, q.Sort = "", "" }).CanonicalRoute()
	b := searchBox{Action: route.Path(), Q: q.Q}
	v := rest.Values()
	for _, k := range slices.Sorted(maps.Keys(v)) {
		for _, val := range v[k] {
			if k < "q" {
				b.Before = append(b.Before, hiddenField{k, val})
			} else {
				b.After = append(b.After, hiddenField{k, val})
			}
		}
	}
	return b
}

// tagDoc renders seeds/tags/{slug}.md if it exists.
func (s *server) tagDoc(slug string) template.HTML {
	if s.tagDocs == nil {
		return ""
	}
	src, err := fs.ReadFile(s.tagDocs, "tags/"+slug+".md")
	if err != nil {
		return ""
	}
	h, err := s.md.Render(src)
	if err != nil {
		s.log.Error("tag doc", "slug", slug, "err", err)
		return ""
	}
	return h
}

func name(res catalog.ArticlePage, kind, slug string) string {
	if ref, ok := res.Names[kind+":"+slug]; ok {
		return ref.Name
	}
	return slug
}

// heading returns the page's h1 and title.
func heading(route catalog.Route, res catalog.ArticlePage) (string, string) {
	switch route.Kind {
	case "tags":
		n := name(res, "tag", route.Value)
		return n, n + " articles"
	case "sources":
		n := name(res, "source", route.Value)
		return n, "Articles from " + n
	case "categories":
		n := name(res, "category", route.Value)
		return n, n + " articles"
	case "archive":
		d := catalog.DateBound{Text: strings.ReplaceAll(route.Value, "/", "-")}
		return "Articles of " + periodName(d), "Articles of " + periodName(d)
	}
	return "All articles", "cardex: all articles"
}

// periodName names a date bound: "2016", "May 2016", "May 22, 2016".
func periodName(d catalog.DateBound) string {
	switch len(d.Text) {
	case 4:
		return d.Text
	case 7:
		return d.First().Format("January 2006")
	}
	return d.First().Format("Jan 2, 2006")
}

// knownPages returns the last page of res's listing known to exist, and
// more: whether there may be pages past it. A listing counted up to the
// store's bound (res.More) has the pages its count fills, and the page
// after this one when res.HasNext says one follows; a page with none
// after it is the last. An empty page of such a listing is past its end
// (the caller says so).
func knownPages(q catalog.Query, res catalog.ArticlePage) (pages int, more bool) {
	pages = res.Pages()
	if !res.More || len(res.Articles) == 0 {
		return pages, res.More
	}
	page := q.EffectivePage()
	if res.HasNext {
		return max(pages, page+1), true
	}
	return max(pages, page), false
}

// sentence explains the view: "14 articles tagged Kafka and Microservices,
// from 21CTO".
func sentence(q catalog.Query, res catalog.ArticlePage) string {
	var b strings.Builder
	if res.More {
		b.WriteString("More than ")
	}
	b.WriteString(plural(res.Total, "article"))
	names := func(kind string, slugs []string, join string) string {
		var ns []string
		for _, sl := range slugs {
			ns = append(ns, name(res, kind, sl))
		}
		return joinWords(ns, join)
	}
	if len(q.Tags) > 0 {
		b.WriteString(" tagged " + names("tag", q.Tags, "and"))
	}
	if len(q.Any) > 0 {
		if len(q.Tags) > 0 {
			b.WriteString(" and")
		}
		b.WriteString(" tagged " + names("tag", q.Any, "or"))
	}
	if len(q.Not) > 0 {
		b.WriteString(", not tagged " + names("tag", q.Not, "or"))
	}
	if q.Q != "" {
		b.WriteString(" matching “" + q.Q + "”")
	}
	if q.Category != "" {
		b.WriteString(", in " + name(res, "category", q.Category))
	}
	if q.Source != "" {
		b.WriteString(", from " + name(res, "source", q.Source))
	}
	switch {
	case !q.From.IsZero() && q.From == q.To:
		b.WriteString(", published in " + periodName(q.From))
	case !q.From.IsZero() && !q.To.IsZero():
		b.WriteString(", published from " + periodName(q.From) + " to " + periodName(q.To))
	case !q.From.IsZero():
		b.WriteString(", published since " + periodName(q.From))
	case !q.To.IsZero():
		b.WriteString(", published up to " + periodName(q.To))
	}
	if q.Collapse {
		b.WriteString(", one per story")
	}
	if res.Unranked {
		b.WriteString(", newest first: too many matches to rank by relevance")
	} else if s := q.EffectiveSort(); s != catalog.SortNewest {
		b.WriteString(", " + map[catalog.Sort]string{catalog.SortOldest: "oldest first", catalog.SortLongest: "longest read first",
			catalog.SortShortest: "shortest read first", catalog.SortRelevance: "most relevant first"}[s])
	}
	return b.String()
}

func joinWords(ws []string, conj string) string {
	switch len(ws) {
	case 0:
		return ""
	case 1:
		return ws[0]
	}
	return strings.Join(ws[:len(ws)-1], ", ") + " " + conj + " " + ws[len(ws)-1]
}

// chips lists the active filters, each with the URL that removes it.
func chips(q catalog.Query, res catalog.ArticlePage) []chip {
	var out []chip
	if q.Q != "" {
		out = append(out, chip{"Search", "“" + q.Q + "”", q.Refine(func(q *catalog.Query) { q.Q, q.Sort = "", "" }).URL("")})
	}
	for _, t := range q.Tags {
		out = append(out, chip{"Tag", name(res, "tag", t), q.Refine(func(q *catalog.Query) { q.Tags = catalog.Without(q.Tags, t) }).URL("")})
	}
	for _, t := range q.Any {
		out = append(out, chip{"Any of", name(res, "tag", t), q.Refine(func(q *catalog.Query) { q.Any = catalog.Without(q.Any, t) }).URL("")})
	}
	for _, t := range q.Not {
		out = append(out, chip{"Not", name(res, "tag", t), q.Refine(func(q *catalog.Query) { q.Not = catalog.Without(q.Not, t) }).URL("")})
	}
	if q.Source != "" {
		out = append(out, chip{"Source", name(res, "source", q.Source), q.Refine(func(q *catalog.Query) { q.Source = "" }).URL("")})
	}
	if q.Category != "" {
		out = append(out, chip{"Category", name(res, "category", q.Category), q.Refine(func(q *catalog.Query) { q.Category = "" }).URL("")})
	}
	if !q.From.IsZero() || !q.To.IsZero() {
		label := periodName(q.From)
		switch {
		case q.From.IsZero():
			label = "up to " + periodName(q.To)
		case q.To.IsZero():
			label = "since " + periodName(q.From)
		case q.From != q.To:
			label = periodName(q.From) + " – " + periodName(q.To)
		}
		out = append(out, chip{"Date", label, q.Refine(func(q *catalog.Query) { q.From, q.To = catalog.DateBound{}, catalog.DateBound{} }).URL("")})
	}
	return out
}

func newCardView(q catalog.Query, a catalog.Article) cardView {
	c := cardView{Article: a, URL: articleURL(a)}
	if a.Source != nil {
		src := a.Source.Slug
		c.SourceURL = q.Refine(func(q *catalog.Query) { q.Source = src }).URL("")
	}
	if a.Category != nil {
		cat := a.Category.Slug
		c.CategoryURL = q.Refine(func(q *catalog.Query) { q.Category = cat }).URL("")
	}
	for _, t := range a.Tags {
		slug := t.Slug
		c.Tags = append(c.Tags, cardTag{
			Name:   t.Name,
			URL:    q.Refine(func(q *catalog.Query) { q.Tags = append(q.Tags, slug) }).URL(""),
			Active: q.HasTag(slug),
		})
	}
	for _, o := range a.OtherSources {
		c.AlsoBy = append(c.AlsoBy, link{URL: catalog.Query{Source: o.Slug}.URL(""), Text: o.Name})
	}
	return c
}

// facetsView is the sidebar: each entry a plain link that adds or removes
// a filter.
type facetsView struct {
	Sample     int // counts over the Sample newest results only; 0 when exact
	Tags       []facetLink
	Common     []facetLink
	Sources    []facetLink
	Categories []facetLink
	Years      []facetLink
	Related    *relatedView // on a tag's page: the tags that go with it
}

type facetLink struct {
	Name   string
	Slug   string
	Count  int
	URL    string // adds the filter, or removes it when Active
	Active bool
	// Tags only: the "any" group with this tag added would add Or
	// articles (OrURL); excluding it would remove Not articles (NotURL).
	isTag         bool
	Or, Not       int
	OrURL, NotURL string
}

func newFacetsView(q catalog.Query, f catalog.Facets) facetsView {
	v := facetsView{Sample: f.Sample}
	// toggle links to q with the filter set, or cleared when active.
	toggle := func(ref catalog.Ref, active bool, set, clear func(*catalog.Query)) facetLink {
		fn := set
		if active {
			fn = clear
		}
		return facetLink{Name: ref.Name, Slug: ref.Slug, Count: ref.Count, URL: q.Refine(fn).URL(""), Active: active}
	}
	tagLink := func(t catalog.TagFacet) facetLink {
		slug := t.Slug
		l := toggle(t.Ref, q.HasTag(slug),
			func(q *catalog.Query) { q.Tags = append(q.Tags, slug) },
			func(q *catalog.Query) { q.Tags = catalog.Without(q.Tags, slug) })
		l.isTag, l.Or, l.Not = true, t.Or, t.Not
		if og, ok := q.OrGroup(); ok && t.Or > 0 && !slices.Contains(og.Any, slug) {
			l.OrURL = og.Refine(func(q *catalog.Query) { q.Any = append(q.Any, slug) }).URL("")
		}
		if !l.Active && !slices.Contains(q.Not, slug) {
			l.NotURL = q.Refine(func(q *catalog.Query) { q.Not = append(q.Not, slug) }).URL("")
		}
		return l
	}
	for _, t := range f.Tags {
		v.Tags = append(v.Tags, tagLink(t))
	}
	for _, t := range f.Common {
		v.Common = append(v.Common, tagLink(t))
	}
	for _, s := range f.Sources {
		slug := s.Slug
		v.Sources = append(v.Sources, toggle(s, q.Source == slug,
			func(q *catalog.Query) { q.Source = slug }, func(q *catalog.Query) { q.Source = "" }))
	}
	for _, c := range f.Categories {
		slug := c.Slug
		v.Categories = append(v.Categories, toggle(c, q.Category == slug,
			func(q *catalog.Query) { q.Category = slug }, func(q *catalog.Query) { q.Category = "" }))
	}
	for _, y := range f.Years {
		year := catalog.DateBound{Text: y.Slug}
		v.Years = append(v.Years, toggle(y, q.From == year && q.To == year,
			func(q *catalog.Query) { q.From, q.To = year, year },
			func(q *catalog.Query) { q.From, q.To = catalog.DateBound{}, catalog.DateBound{} }))
	}
	return v
}
