// Package markdown renders the Markdown that cardex ships (docs, the about
// page, tag descriptions) with one goldmark instance. It is the only place
// where content becomes template.HTML: goldmark's default renderer omits
// raw HTML and unsafe link schemes, so its output is safe to embed.
package markdown

import (
	"bytes"
	"html/template"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
)

// Renderer turns Markdown into safe HTML.
type Renderer struct {
	md goldmark.Markdown
}

// New returns a Renderer with GitHub-flavoured tables and auto heading ids.
func New() *Renderer {
	return &Renderer{md: goldmark.New(
		goldmark.WithExtensions(extension.Table, extension.Strikethrough),
		goldmark.WithParserOptions(parser.WithAutoHeadingID()),
	)}
}

// Render converts src. Raw HTML in src is dropped, not passed through.
func (r *Renderer) Render(src []byte) (template.HTML, error) {
	var b bytes.Buffer
	if err := r.md.Convert(src, &b); err != nil {
		return "", err
	}
	return template.HTML(b.String()), nil //nolint:gosec // goldmark's safe renderer: raw HTML omitted
}

// Title returns the text of the first level-1 heading of src, or "".
func Title(src []byte) string {
	for _, line := range bytes.Split(src, []byte("\n")) {
		if t, ok := bytes.CutPrefix(line, []byte("# ")); ok {
			return string(bytes.TrimSpace(t))
		}
	}
	return ""
}
