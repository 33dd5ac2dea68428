package server

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"cardex/internal/catalog"
)

// layout is what every page's frame needs.
type layout struct {
	Title      string
	Canonical  string // path and query of the canonical URL
	Nav        string // which top-level section is current: "", "tags", "sources", "categories", "archive", "about"
	Prev, Next string // rel=prev / rel=next URLs
	Alternates []link // other formats of the same page
	RequestID  string
	Search     searchBox
	css        string
}

// searchBox is the GET form on every page. On a listing it searches
// within the current filters, which it carries as hidden fields.
type searchBox struct {
	Action string
	Q      string
	// The hidden fields whose names sort before "q", and those after: a
	// browser sends a form's fields in the page's order, so the search
	// box's URL is then in canonical order (and its page goes to the
	// response cache's main segments, where a page asked for again is
	// protected, not to the small segment of non-canonical URLs).
	Before, After []hiddenField
}

type hiddenField struct{ Name, Value string }

// CSS returns the URL of the fingerprinted stylesheet.
func (l layout) CSS() string { return l.css }

// link is an anchor: a URL and its text.
type link struct {
	URL, Text string
	Current   bool
	Type      string // media type, for rel=alternate
}

func (s *server) newLayout(r *http.Request, title string) layout {
	return layout{Title: title, css: s.staticURL["style.css"], Canonical: r.URL.Path, Search: searchBox{Action: "/"}}
}

// render executes a page template into a buffer, then writes status and
// body: a template error becomes a clean 500, never half a page.
func (s *server) render(w http.ResponseWriter, r *http.Request, status int, page string, data any) {
	t, ok := s.pages[page]
	if !ok {
		s.log.Error("no such template", "page", page)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, "layout", data); err != nil {
		s.log.Error("render", "page", page, "id", requestID(r.Context()), "err", err)
		if page != "error" {
			s.serveError(w, r, fmt.Errorf("render %s: %w", page, err))
			return
		}
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	writeHTML(w, r, status, b.Bytes())
}

// writeHTML writes a rendered page with its status and headers. A page
// built as a string is written as one (io.WriteString): the writers
// between the handler and the connection (statusWriter, captureWriter)
// pass it on without a copy of the page.
func writeHTML[P string | []byte](w http.ResponseWriter, r *http.Request, status int, page P) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(page)))
	if h.Get("Cache-Control") == "" {
		h.Set("Cache-Control", "public, max-age=60")
	}
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return
	}
	switch p := any(page).(type) {
	case string:
		io.WriteString(w, p)
	case []byte:
		w.Write(p)
	}
}

// funcs is the templates' small, pure FuncMap.
func (s *server) funcs() template.FuncMap {
	return template.FuncMap{
		"date":    formatDate,
		"isoDate": func(t time.Time) string { return t.Format(time.DateOnly) },
		"plural":  plural,
		"number":  formatNumber,
		"articleURL": func(a catalog.Article) string {
			return articleURL(a)
		},
		"marked": marked,
	}
}

// marked returns text as HTML with search matches in <mark>: withMarks is
// text with catalog.MarkStart/MarkEnd around matches ("" for none). Every
// character of the text is escaped; the only markup is the app's own
// <mark> pairs, and stray or unbalanced markers are dropped.
func marked(text, withMarks string) template.HTML {
	if withMarks == "" {
		return template.HTML(template.HTMLEscapeString(text)) //nolint:gosec // escaped just here
	}
	var b strings.Builder
	open := false
	for rest := withMarks; rest != ""; {
		i := strings.IndexAny(rest, catalog.MarkStart+catalog.MarkEnd)
		if i < 0 {
			b.WriteString(template.HTMLEscapeString(rest))
			break
		}
		b.WriteString(template.HTMLEscapeString(rest[:i]))
		switch isStart := rest[i:i+1] == catalog.MarkStart; {
		case isStart && !open:
			b.WriteString("<mark>")
			open = true
		case !isStart && open:
			b.WriteString("</mark>")
			open = false
		}
		rest = rest[i+1:]
	}
	if open {
		b.WriteString("</mark>")
	}
	return template.HTML(b.String()) //nolint:gosec // escaped text and the app's own <mark> tags only
}

func articleURL(a catalog.Article) string {
	return "/articles/" + strconv.FormatInt(a.ID, 10) + "/" + a.Slug()
}

func formatDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("Jan 2, 2006")
}

// plural returns "1 article" or "3 articles".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	if strings.HasSuffix(word, "y") && !strings.HasSuffix(word, "ey") {
		word = word[:len(word)-1] + "ie"
	}
	return formatNumber(n) + " " + word + "s"
}

// formatNumber writes n with thousands separators: 1234567 -> "1,234,567".
func formatNumber(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
