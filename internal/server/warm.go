package server

import (
	"cmp"
	"context"
	"net/http"
	"slices"
	"time"

	"cardex/internal/catalog"
)

// Warming: when a store is first served (at start, and after an import
// publishes a new database) the most visited pages are rendered into the
// response cache in the background, one at a time, so that the first
// visitors of the popular listings get cache hits instead of each paying
// for a render. Which pages are popular is read from the data: the home
// page's first pages, then page 1 of the biggest tags and sources, then
// their page 2.

// warmKey marks a warming request: the access log leaves it out.
type warmKey struct{}

// warmedStore boxes the store last warmed, for an atomic compare.
type warmedStore struct{ st Store }

// maybeWarm starts warming st unless it is warmed or being warmed.
func (s *server) maybeWarm(st Store) {
	if s.warmPages <= 0 || s.cache == nil {
		return
	}
	old := s.warmed.Load()
	if old != nil && old.st == st {
		return
	}
	if !s.warmed.CompareAndSwap(old, &warmedStore{st}) {
		return
	}
	go s.warm(st)
}

// warm renders the popular pages of st into the response cache. It stops
// when another store is published.
func (s *server) warm(st Store) {
	start := time.Now()
	ctx := context.WithValue(context.Background(), warmKey{}, true)
	urls, err := warmURLs(ctx, st, s.warmPages)
	if err != nil {
		s.log.Warn("warming the response cache", "err", err)
		return
	}
	done := 0
	for _, u := range urls {
		if s.current() != st {
			break
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			continue
		}
		// As a browser or a proxy asks: the page is kept gzipped, as
		// they get it.
		req.Header.Set("Accept-Encoding", "gzip")
		s.handler.ServeHTTP(&discardWriter{h: http.Header{}}, req)
		done++
	}
	s.log.Info("warmed the response cache", "pages", done, "of", len(urls), "ms", time.Since(start).Milliseconds())
}

// warmURLs lists up to n popular pages of st, most visited first.
func warmURLs(ctx context.Context, st Store, n int) ([]string, error) {
	tags, err := st.Tags(ctx, catalog.TagsByCount)
	if err != nil {
		return nil, err
	}
	sources, err := st.Sources(ctx)
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(sources, func(a, b catalog.SourceSummary) int { return cmp.Compare(b.Count, a.Count) })
	per := catalog.Query{}.EffectivePer()
	var urls []string
	add := func(q catalog.Query, total int) {
		if q.EffectivePage() == 1 || (q.EffectivePage()-1)*per < total {
			urls = append(urls, q.URL(""))
		}
	}
	var all catalog.Query
	for p := 1; p <= 3; p++ {
		urls = append(urls, all.WithPage(p).URL(""))
	}
	for page := 1; page <= 2; page++ {
		for i := range max(len(tags), len(sources)) {
			if i < len(tags) {
				add(catalog.Query{Tags: []string{tags[i].Slug}}.WithPage(page), tags[i].Count)
			}
			if i < len(sources) && i%3 == 0 {
				// A third as many sources as tags: tags are visited more.
				j := i / 3
				add(catalog.Query{Source: sources[j].Slug}.WithPage(page), sources[j].Count)
			}
			if len(urls) >= n*page/2 {
				break
			}
		}
	}
	return urls[:min(len(urls), n)], nil
}

// discardWriter is the ResponseWriter of a warming request: the response
// cache keeps what it needs on the way.
type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(int)             {}
