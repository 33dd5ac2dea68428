package server

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
)

// routes is the whole URL space of cardex.
func (s *server) routes() http.Handler {
	r := chi.NewRouter()
	r.Use(s.recoverer, s.securityHeaders, s.accessLog, middleware.GetHead, s.pinStore, s.cacheResponses, s.admit, s.deadline)
	r.NotFound(s.handle(func(w http.ResponseWriter, r *http.Request) error { return errNotFound("no page at this address") }))
	r.MethodNotAllowed(s.handle(func(w http.ResponseWriter, r *http.Request) error { return errMethod }))

	// Listings: one query model, with one filter fixed by the route.
	r.Get("/", s.handle(s.listing(routeAll)))
	r.Get("/index.{ext:json|atom|csv}", s.handle(s.listing(routeAll)))
	r.Get("/tags/{slug}", s.handle(s.listing(routeTag)))
	r.Get("/sources/{slug}", s.handle(s.listing(routeSource)))
	r.Get("/categories/{slug}", s.handle(s.listing(routeCategory)))
	r.Get("/archive/{year}", s.handle(s.listing(routeYear)))
	r.Get("/archive/{year}/{month}", s.handle(s.listing(routeMonth)))

	// Indexes.
	// Indexes, each also as .json, .atom and .csv.
	r.Get("/tags", s.handle(s.tagIndex))
	r.Get("/tags.{ext:json|atom|csv}", s.handle(s.tagIndex))
	r.Get("/sources", s.handle(s.sourceIndex))
	r.Get("/sources.{ext:json|atom|csv}", s.handle(s.sourceIndex))
	r.Get("/categories", s.handle(s.categoryIndex))
	r.Get("/categories.{ext:json|atom|csv}", s.handle(s.categoryIndex))
	r.Get("/archive", s.handle(s.archiveIndex))
	r.Get("/archive.{ext:json|atom|csv}", s.handle(s.archiveIndex))

	r.Get("/articles/{id}", s.handle(s.article))
	r.Get("/articles/{id}/{slug}", s.handle(s.article))

	r.Get("/about", s.handle(s.doc("about")))
	r.Get("/docs", s.handle(s.docIndex))
	r.Get("/docs/{name}", s.handle(s.docPage))

	r.Get("/opensearch.xml", s.handle(s.openSearch))
	s.sitemapRoutes(r, sitemapChunk)
	r.Get("/static/{name}", s.serveStatic)
	r.Get("/healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	})
	return r
}
