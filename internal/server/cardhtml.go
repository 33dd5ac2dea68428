package server

import (
	"html/template"
	"strconv"
	"strings"
)

// Cards are rendered here, in Go, not by html/template: a listing shows up
// to 100 of them, and walking their template cost about half of the CPU
// of an uncached listing (reflection for every field and function). The
// output is byte for byte what the template in cardTemplateSpec
// (cardhtml_test.go) renders: text escaped as html/template escapes it,
// URLs normalized as html/template does in an href and then escaped, and
// the title and summary through marked, as the template calls it.

// HTML is the card as it appears in a list of cards.
func (c cardView) HTML() template.HTML {
	var b strings.Builder
	b.Grow(1024)
	c.write(&b)
	return template.HTML(b.String()) //nolint:gosec // every value escaped, see write
}

// write writes the card as HTML returns it.
func (c cardView) write(b *strings.Builder) {
	b.WriteString("\n<article class=\"card\">\n  <h2><a href=\"")
	writeURL(b, c.URL)
	b.WriteString("\">")
	b.WriteString(string(marked(c.Title, c.MarkedTitle)))
	b.WriteString("</a></h2>")
	c.writeBody(b)
	b.WriteString("\n</article>\n")
}

// BodyHTML is the card without its title: source, date, category,
// summary, other sources, tags and stats.
func (c cardView) BodyHTML() template.HTML {
	var b strings.Builder
	b.Grow(1024)
	c.writeBody(&b)
	return template.HTML(b.String()) //nolint:gosec // every value escaped, see writeBody
}

func (c cardView) writeBody(b *strings.Builder) {
	b.WriteString("\n  <p class=\"meta\">")
	if c.Source != nil {
		writeLink(b, "source", c.SourceURL, c.Source.Name, false)
	} else {
		b.WriteString("<span class=\"source none\">No source</span>")
	}
	if !c.Date.IsZero() {
		b.WriteString(" · <time datetime=\"")
		b.WriteString(c.Date.Format("2006-01-02"))
		b.WriteString("\">")
		b.WriteString(escapeText(formatDate(c.Date)))
		b.WriteString("</time>")
	}
	if c.Category != nil {
		b.WriteString(" · ")
		writeLink(b, "category", c.CategoryURL, c.Category.Name, false)
	}
	b.WriteString("\n  </p>\n  <p class=\"summary\">")
	b.WriteString(string(marked(c.Summary, c.MarkedSummary)))
	b.WriteString("</p>")
	if len(c.AlsoBy) > 0 {
		b.WriteString("\n  <p class=\"also\">Also published by ")
		for i, l := range c.AlsoBy {
			if i > 0 {
				b.WriteString(", ")
			}
			writeLink(b, "", l.URL, l.Text, false)
		}
		b.WriteString("</p>")
	}
	if len(c.Tags) > 0 {
		b.WriteString("\n  <ul class=\"tags\" aria-label=\"Tags\">")
		for _, t := range c.Tags {
			b.WriteString("\n    <li>")
			writeLink(b, "", t.URL, t.Name, t.Active)
			b.WriteString("</li>")
		}
		b.WriteString("\n  </ul>")
	}
	b.WriteString("\n  <p class=\"stats\"><span>")
	b.WriteString(escapeText(plural(c.Likes, "like")))
	b.WriteString("</span> · <span>")
	b.WriteString(strconv.Itoa(c.ReadMinutes))
	b.WriteString(" min read</span></p>\n")
}

// writeLink writes a link to url with text: of class class (if any),
// marked aria-current when current.
func writeLink(b *strings.Builder, class, url, text string, current bool) {
	b.WriteString("<a")
	if class != "" {
		b.WriteString(` class="` + class + `"`)
	}
	b.WriteString(` href="`)
	writeURL(b, url)
	b.WriteString(`"`)
	if current {
		b.WriteString(` aria-current="true"`)
	}
	b.WriteString(">")
	b.WriteString(escapeText(text))
	b.WriteString("</a>")
}

// writeURL writes u as html/template writes a URL into a quoted href: a
// URL with a scheme other than http, https or mailto becomes "#ZgotmplZ";
// bytes other than letters, digits, "-._~", the reserved characters
// "!#$&*+,/:;=?@[]" and a % that starts an escape are percent-encoded
// (lower-case hex); then & and + are escaped for the attribute.
func writeURL(b *strings.Builder, u string) {
	if i := strings.IndexByte(u, ':'); i >= 0 && !strings.Contains(u[:i], "/") {
		if scheme := u[:i]; !strings.EqualFold(scheme, "http") && !strings.EqualFold(scheme, "https") && !strings.EqualFold(scheme, "mailto") {
			b.WriteString("#ZgotmplZ")
			return
		}
	}
	const hex = "0123456789abcdef"
	isHex := func(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }
	for i := 0; i < len(u); i++ {
		switch c := u[i]; {
		case c == '&':
			b.WriteString("&amp;")
		case c == '+':
			b.WriteString("&#43;")
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			strings.IndexByte("-._~!#$*,/:;=?@[]", c) >= 0,
			c == '%' && i+2 < len(u) && isHex(u[i+1]) && isHex(u[i+2]):
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
}

// escapeText escapes s as html/template escapes text: NUL becomes U+FFFD,
// and " & ' + < > become entities.
func escapeText(s string) string {
	if !strings.ContainsAny(s, "\x00\"&'+<>") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case 0:
			b.WriteString("\uFFFD")
		case '"':
			b.WriteString("&#34;")
		case '&':
			b.WriteString("&amp;")
		case '\'':
			b.WriteString("&#39;")
		case '+':
			b.WriteString("&#43;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
