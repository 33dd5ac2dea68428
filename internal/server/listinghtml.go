package server

import (
	"strconv"
	"strings"
)

// A listing page is written here, in Go, as the cards are (cardhtml.go):
// with its cards done, the templates of the rest (the sidebar's 60 to 100
// links, the pagination bar, the controls, then layout.html's frame) were
// still half of the CPU of an uncached listing, most of it html/template
// calling its escapers through reflection. The output is byte for byte
// what layout.html and the templates in testdata/listing-spec render,
// which TestListingHTMLIsTheTemplate checks.

// writeBody writes the page's body: what layout.html's "body" block holds.
// It returns where in b the sidebar is, which every page of the listing
// shares (see markShared).
func (p listingPage) writeBody(b *strings.Builder) (sidebar span) {
	b.WriteString("\n<div class=\"with-aside\">\n<main id=\"main\" tabindex=\"-1\">\n  <h1>")
	b.WriteString(escapeText(p.Heading))
	b.WriteString("</h1>\n  <p class=\"sentence\" role=\"status\">")
	b.WriteString(escapeText(p.Sentence))
	b.WriteString("</p>")
	if len(p.Chips) > 0 {
		b.WriteString("\n  <ul class=\"chips\" aria-label=\"Active filters\">")
		for _, c := range p.Chips {
			b.WriteString("\n    <li aria-current=\"true\"><span class=\"kind\">")
			b.WriteString(escapeText(c.Kind))
			b.WriteString(":</span> ")
			b.WriteString(escapeText(c.Label))
			b.WriteString(" <a href=\"")
			writeURL(b, c.RemoveURL)
			b.WriteString("\" aria-label=\"Remove filter ")
			b.WriteString(escapeText(c.Kind))
			b.WriteString(" ")
			b.WriteString(escapeText(c.Label))
			b.WriteString("\">✕</a></li>")
		}
		if len(p.Chips) > 1 {
			b.WriteString("<li class=\"clear\"><a href=\"")
			writeURL(b, p.ResetURL)
			b.WriteString("\">Clear all</a></li>")
		}
		b.WriteString("\n  </ul>")
	}
	if p.TagDoc != "" {
		b.WriteString("\n  <div class=\"tagdoc\">")
		b.WriteString(string(p.TagDoc))
		b.WriteString("</div>")
	}
	b.WriteString("\n  <div class=\"controls\">\n    <p><span>Sort:</span>")
	writeControls(b, p.Sorts, "")
	b.WriteString("</p>\n    <p><span>Per page:</span>")
	writeControls(b, p.Pers, "")
	b.WriteString("</p>\n    <p class=\"duplicates\"><span>Duplicates:</span>")
	writeControls(b, p.Duplicates, " |")
	b.WriteString("</p>\n  </div>")
	if len(p.Cards) > 0 {
		b.WriteString("\n  <div class=\"cards\">")
		for _, c := range p.Cards {
			c.write(b)
		}
		b.WriteString("\n  </div>")
	} else {
		b.WriteString("\n  <p class=\"empty\">No article matches these filters. Remove one above, or <a href=\"/\">start over</a>.</p>")
	}
	b.WriteString("\n  ")
	p.Pagination.write(b)
	b.WriteString("\n</main>\n")
	sidebar.start = b.Len()
	b.WriteString(p.sidebar)
	sidebar.end = b.Len()
	b.WriteString("\n</div>\n")
	return sidebar
}

// writeControls writes links as " <a href=…>text</a>", with sep between
// them.
func writeControls(b *strings.Builder, links []link, sep string) {
	for i, l := range links {
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(" ")
		writeLink(b, "", l.URL, l.Text, l.Current)
	}
}

// write writes the pagination bar (nothing when there is one page), then
// a newline.
func (p pagination) write(b *strings.Builder) {
	if p.Pages > 1 || p.More {
		b.WriteString("\n<nav class=\"pagination\" aria-label=\"Pages\">\n  <p>Page ")
		b.WriteString(strconv.Itoa(p.Page))
		b.WriteString(" of ")
		b.WriteString(strconv.Itoa(p.Pages))
		if p.More {
			b.WriteString(" or more")
		}
		b.WriteString("</p>\n  <ul>\n    <li>")
		writeEdge(b, p.First, "", "« First")
		b.WriteString("</li>\n    <li>")
		writeEdge(b, p.Prev, "prev", "‹ Previous")
		b.WriteString("</li>")
		for _, it := range p.Items {
			b.WriteString("\n    <li>")
			switch {
			case it.Number == 0:
				b.WriteString("<span class=\"gap\">…</span>")
			default:
				b.WriteString("<a href=\"")
				writeURL(b, it.URL)
				b.WriteString("\"")
				if it.Current {
					b.WriteString(" aria-current=\"page\"")
				}
				b.WriteString(">")
				b.WriteString(strconv.Itoa(it.Number))
				b.WriteString("</a>")
			}
			b.WriteString("</li>")
		}
		b.WriteString("\n    <li>")
		writeEdge(b, p.Next, "next", "Next ›")
		b.WriteString("</li>\n    <li>")
		writeEdge(b, p.Last, "", "Last »")
		b.WriteString("</li>\n  </ul>\n</nav>")
	}
	b.WriteString("\n")
}

// writeEdge writes a link of the pagination bar's ends, or its text
// marked disabled when url is "".
func writeEdge(b *strings.Builder, url, rel, text string) {
	if url == "" {
		b.WriteString("<span aria-disabled=\"true\">")
		b.WriteString(text)
		b.WriteString("</span>")
		return
	}
	b.WriteString("<a href=\"")
	writeURL(b, url)
	b.WriteString("\"")
	if rel != "" {
		b.WriteString(" rel=\"" + rel + "\"")
	}
	b.WriteString(">")
	b.WriteString(text)
	b.WriteString("</a>")
}

// write writes the sidebar.
func (v facetsView) write(b *strings.Builder) {
	b.WriteString("\n<aside class=\"facets\" aria-label=\"Refine\">")
	if v.Sample != 0 {
		b.WriteString("\n  <p class=\"sample\">Counts over the newest ")
		b.WriteString(formatNumber(v.Sample))
		b.WriteString(" results.</p>")
	}
	section := func(class, heading string, links []facetLink, tags bool) {
		if len(links) == 0 {
			return
		}
		b.WriteString("\n  <section" + class + ">\n    <h2>" + heading + "</h2>\n    ")
		if tags {
			writeTagFacets(b, links)
		} else {
			writeFacetList(b, links)
		}
		b.WriteString("\n  </section>")
	}
	section("", "Tags", v.Tags, true)
	section(` class="common"`, "On nearly every article", v.Common, true)
	if v.Related != nil {
		v.Related.write(b)
	}
	section("", "Sources", v.Sources, false)
	section("", "Categories", v.Categories, false)
	section("", "Years", v.Years, false)
	b.WriteString("\n</aside>\n")
}

// writeFacetOpen writes a facet entry's main link.
func writeFacetOpen(b *strings.Builder, l facetLink) {
	b.WriteString("\n  <li><a href=\"")
	writeURL(b, l.URL)
	b.WriteString("\"")
	if l.Active {
		b.WriteString(" aria-current=\"true\" title=\"Remove this filter\"")
	}
	b.WriteString("><span class=\"name\">")
	b.WriteString(escapeText(l.Name))
	b.WriteString("</span> <span class=\"count\">")
	b.WriteString(formatNumber(l.Count))
	b.WriteString("</span></a>")
}

func writeFacetList(b *strings.Builder, links []facetLink) {
	b.WriteString("\n<ul class=\"facet\">")
	for _, l := range links {
		writeFacetOpen(b, l)
		b.WriteString("</li>")
	}
	b.WriteString("\n</ul>\n")
}

func writeTagFacets(b *strings.Builder, links []facetLink) {
	b.WriteString("\n<ul class=\"facet tagfacet\">")
	for _, l := range links {
		writeFacetOpen(b, l)
		if l.OrURL != "" || l.NotURL != "" {
			name := escapeText(l.Name)
			b.WriteString("<span class=\"ops\">")
			if l.OrURL != "" {
				or := strconv.Itoa(l.Or)
				writeOp(b, "or", l.OrURL, "Also show the "+or+" articles tagged "+name+" (OR)", "Or "+name+": "+or+" more", "+"+formatNumber(l.Or))
			}
			if l.NotURL != "" {
				not := strconv.Itoa(l.Not)
				writeOp(b, "not", l.NotURL, "Hide the "+not+" articles tagged "+name+" (NOT)", "Not "+name+": "+not+" fewer", "−"+formatNumber(l.Not))
			}
			b.WriteString("\n    </span>")
		}
		b.WriteString("</li>")
	}
	b.WriteString("\n</ul>\n")
}

// writeOp writes one of a tag facet's OR and NOT links; title and label
// are escaped already.
func writeOp(b *strings.Builder, class, url, title, label, text string) {
	b.WriteString("<a class=\"" + class + "\" href=\"")
	writeURL(b, url)
	b.WriteString("\" title=\"" + title + "\" aria-label=\"" + label + "\">" + text + "</a>")
}

// write writes the "Goes with" section.
func (v *relatedView) write(b *strings.Builder) {
	b.WriteString("\n  <section class=\"related\">\n    <h2>Goes with ")
	b.WriteString(escapeText(v.Tag))
	b.WriteString("</h2>\n    <ul class=\"facet\">")
	for _, t := range v.Tags {
		label := escapeText(t.Label)
		b.WriteString("\n      <li><a href=\"")
		writeURL(b, t.URL)
		b.WriteString("\" title=\"" + label + "\" aria-label=\"" + label + "\"><span class=\"name\">")
		b.WriteString(escapeText(t.Name))
		b.WriteString("</span> <span class=\"count\">×")
		b.WriteString(escapeText(t.Lift))
		b.WriteString("</span></a></li>")
	}
	b.WriteString("\n    </ul>\n  </section>\n")
}

// document writes the whole page: layout.html's frame around writeBody,
// and says where its sidebar is.
func (p listingPage) document() (page string, sidebar span) {
	var b strings.Builder
	b.Grow(16384 + 2048*len(p.Cards))
	l := p.layout
	b.WriteString("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n" +
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>")
	b.WriteString(escapeText(l.Title))
	b.WriteString("</title>\n<link rel=\"stylesheet\" href=\"")
	writeURL(&b, l.CSS())
	b.WriteString("\">\n<link rel=\"icon\" href=\"data:,\">\n<link rel=\"canonical\" href=\"")
	writeURL(&b, l.Canonical)
	b.WriteString("\">")
	for _, rel := range []struct{ rel, url string }{{"prev", l.Prev}, {"next", l.Next}} {
		if rel.url != "" {
			b.WriteString("\n<link rel=\"" + rel.rel + "\" href=\"")
			writeURL(&b, rel.url)
			b.WriteString("\">")
		}
	}
	for _, a := range l.Alternates {
		if !a.Current {
			b.WriteString("\n<link rel=\"alternate\" type=\"")
			b.WriteString(escapeText(a.Type))
			b.WriteString("\" href=\"")
			writeURL(&b, a.URL)
			b.WriteString("\" title=\"")
			b.WriteString(escapeText(a.Text))
			b.WriteString("\">")
		}
	}
	b.WriteString("\n<meta name=\"color-scheme\" content=\"light dark\">\n" +
		"<link rel=\"search\" type=\"application/opensearchdescription+xml\" href=\"/opensearch.xml\" title=\"cardex\">\n" +
		"</head>\n<body>\n<a class=\"skip\" href=\"#main\">Skip to content</a>\n<header class=\"site\">\n" +
		"  <a class=\"brand\" href=\"/\">card<span>ex</span></a>\n  <nav aria-label=\"Sections\">\n    <ul>")
	for _, n := range []struct{ nav, url, text string }{
		{"", "/", "Articles"}, {"tags", "/tags", "Tags"}, {"sources", "/sources", "Sources"},
		{"categories", "/categories", "Categories"}, {"archive", "/archive", "Archive"}, {"about", "/about", "About"},
	} {
		b.WriteString("\n      <li><a href=\"" + n.url + "\"")
		if l.Nav == n.nav {
			b.WriteString(" aria-current=\"page\"")
		}
		b.WriteString(">" + n.text + "</a></li>")
	}
	b.WriteString("\n    </ul>\n  </nav>\n  <form class=\"search\" role=\"search\" method=\"get\" action=\"")
	writeURL(&b, l.Search.Action)
	b.WriteString("\">\n    <label for=\"q\" class=\"visually-hidden\">Search articles</label>")
	hidden := func(fields []hiddenField) {
		for _, f := range fields {
			b.WriteString("\n    <input type=\"hidden\" name=\"")
			b.WriteString(escapeText(f.Name))
			b.WriteString("\" value=\"")
			b.WriteString(escapeText(f.Value))
			b.WriteString("\">")
		}
	}
	hidden(l.Search.Before)
	b.WriteString("\n    <input type=\"search\" id=\"q\" name=\"q\" value=\"")
	b.WriteString(escapeText(l.Search.Q))
	b.WriteString("\" placeholder=\"Search articles\" maxlength=\"500\">")
	hidden(l.Search.After)
	b.WriteString("\n    <button type=\"submit\">Search</button>\n  </form>\n</header>\n")
	sidebar = p.writeBody(&b)
	b.WriteString("\n<footer class=\"site\">")
	if len(l.Alternates) > 0 {
		b.WriteString("\n  <p class=\"formats\">This page as:")
		for _, a := range l.Alternates {
			b.WriteString(" ")
			if a.Current {
				b.WriteString("<span aria-current=\"page\">")
				b.WriteString(escapeText(a.Text))
				b.WriteString("</span>")
			} else {
				b.WriteString("<a href=\"")
				writeURL(&b, a.URL)
				b.WriteString("\" rel=\"alternate\">")
				b.WriteString(escapeText(a.Text))
				b.WriteString("</a>")
			}
		}
		b.WriteString("</p>")
	}
	b.WriteString("\n  <p>cardex: an index of article cards. <a href=\"/docs\">Documentation</a>")
	if l.RequestID != "" {
		b.WriteString(" · request ")
		b.WriteString(escapeText(l.RequestID))
	}
	b.WriteString("</p>\n</footer>\n</body>\n</html>\n")
	return b.String(), sidebar
}
