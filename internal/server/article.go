package server

import (
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"

	"cardex/internal/catalog"
	"cardex/internal/markdown"

	"github.com/go-chi/chi/v5"
)

type articlePage struct {
	layout
	Card      cardView
	Related   []cardView
	SameStory []cardView
}

func (s *server) article(w http.ResponseWriter, r *http.Request) error {
	if err := noParams(r); err != nil {
		return err
	}
	raw := chi.URLParam(r, "id")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id < 1 || strconv.FormatInt(id, 10) != raw {
		return errNotFound(fmt.Sprintf("%q is not an article number", raw))
	}
	d, err := s.db(r.Context()).Article(r.Context(), id)
	if err != nil {
		return err
	}
	canonical := articleURL(d.Article)
	if r.URL.Path != canonical {
		http.Redirect(w, r, canonical, http.StatusMovedPermanently)
		return nil
	}
	if done, err := s.conditional(w, r, "article "+canonical); done || err != nil {
		return err
	}
	p := articlePage{layout: s.newLayout(r, d.Title)}
	p.Canonical = canonical
	p.Card = newCardView(catalog.Query{}, d.Article)
	for _, a := range d.Related {
		p.Related = append(p.Related, newCardView(catalog.Query{}, a))
	}
	for _, a := range d.SameStory {
		p.SameStory = append(p.SameStory, newCardView(catalog.Query{}, a))
	}
	s.render(w, r, http.StatusOK, "article", p)
	return nil
}

type docPage struct {
	layout
	Body template.HTML
	Docs []link
}

// doc serves web/docs/{name}.md.
func (s *server) doc(name string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := noParams(r); err != nil {
			return err
		}
		src, err := fs.ReadFile(s.web, "docs/"+name+".md")
		if err != nil {
			return errNotFound(fmt.Sprintf("no document called %q", name), link{URL: "/docs", Text: "All documents"})
		}
		if done, err := s.conditional(w, r, "doc "+name); done || err != nil {
			return err
		}
		body, err := s.md.Render(src)
		if err != nil {
			return err
		}
		p := docPage{layout: s.newLayout(r, markdown.Title(src)), Body: body}
		if name == "about" {
			p.Nav = "about"
		}
		s.render(w, r, http.StatusOK, "doc", p)
		return nil
	}
}

func (s *server) docPage(w http.ResponseWriter, r *http.Request) error {
	name := strings.TrimSuffix(chi.URLParam(r, "name"), ".md")
	if name == "" || strings.ContainsAny(name, "/\\.") {
		return errNotFound("no such document", link{URL: "/docs", Text: "All documents"})
	}
	return s.doc(name)(w, r)
}

func (s *server) docIndex(w http.ResponseWriter, r *http.Request) error {
	if err := noParams(r); err != nil {
		return err
	}
	names, err := fs.Glob(s.web, "docs/*.md")
	if err != nil {
		return err
	}
	p := docPage{layout: s.newLayout(r, "Documentation")}
	p.Nav = "about"
	for _, n := range names {
		src, err := fs.ReadFile(s.web, n)
		if err != nil {
			return err
		}
		base := strings.TrimSuffix(path.Base(n), ".md")
		title := markdown.Title(src)
		if title == "" {
			title = base
		}
		p.Docs = append(p.Docs, link{URL: "/docs/" + base, Text: title})
	}
	s.render(w, r, http.StatusOK, "doc", p)
	return nil
}

// serveStatic serves fingerprinted assets, cacheable for a year.
func (s *server) serveStatic(w http.ResponseWriter, r *http.Request) {
	f, ok := s.static[chi.URLParam(r, "name")]
	if !ok {
		s.serveError(w, r, errNotFound("no such file"))
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.contentType)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("Content-Length", strconv.Itoa(len(f.body)))
	if r.Method != http.MethodHead {
		w.Write(f.body)
	}
}
