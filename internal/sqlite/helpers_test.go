package sqlite_test

// Helpers that several test files of the package share.

import (
	"context"
	"database/sql"
	"slices"
	"testing"

	"cardex/internal/catalog"
	"cardex/internal/sqlite"
	"cardex/internal/sqlite/sqlitetest"
)

// scores returns the rows of query, each an id and its score, by id.
func scores(t *testing.T, db *sql.DB, query string, args ...any) map[int64]float64 {
	t.Helper()
	rows, err := db.Query(query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[int64]float64{}
	for rows.Next() {
		var id int64
		var k float64
		if err := rows.Scan(&id, &k); err != nil {
			t.Fatal(err)
		}
		out[id] = k
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// seedReadOnly opens the seed's database for serving, and for reading as
// plain SQL (closed with the test).
func seedReadOnly(t *testing.T) (*sqlite.Store, *sql.DB) {
	t.Helper()
	path := sqlitetest.SeedDB(t)
	s := sqlitetest.OpenReadOnly(t, path)
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return s, db
}

// ids returns the ids of arts, in order.
func ids(arts []catalog.Article) []int64 {
	var out []int64
	for _, a := range arts {
		out = append(out, a.ID)
	}
	return out
}

// bothPages returns page q of want (SQLite's, the reference) and of got.
func bothPages(t *testing.T, want, got *sqlite.Store, q catalog.Query) (catalog.ArticlePage, catalog.ArticlePage) {
	t.Helper()
	w, err := want.Articles(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	g, err := got.Articles(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	return w, g
}

// bothSidebars returns the sidebar of q on want (SQLite's, the
// reference) and on got: counted live, not read from listing_facets,
// with live.
func bothSidebars(t *testing.T, want, got *sqlite.Store, q catalog.Query, live bool) (catalog.Facets, catalog.Facets) {
	t.Helper()
	facets := (*sqlite.Store).Facets
	if live {
		facets = (*sqlite.Store).LiveFacets
	}
	w, err := facets(want, context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	g, err := facets(got, context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	return w, g
}

// filterValues returns every tag of s (in order tagOrder), every source
// and every category: the values a listing's filters take.
func filterValues(t *testing.T, s *sqlite.Store, tagOrder catalog.TagSort) ([]catalog.Ref, []catalog.SourceSummary, []catalog.Ref) {
	t.Helper()
	ctx := context.Background()
	tags, err := s.Tags(ctx, tagOrder)
	if err != nil {
		t.Fatal(err)
	}
	sources, err := s.Sources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cats, err := s.Categories(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return tags, sources, cats
}

// bothStores opens the database at path read-only (ro, the store under
// test) and for writing (rw, whose listings SQLite walks: the
// reference), and returns them with the database's tags (by count) and
// its biggest source's and category's slugs.
func bothStores(t *testing.T, path string) (ro, rw *sqlite.Store, tags []catalog.Ref, source, cat string) {
	t.Helper()
	ro = sqlitetest.OpenReadOnly(t, path)
	rw, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rw.Close() })
	tags, sources, cats := filterValues(t, ro, catalog.TagsByCount)
	return ro, rw, tags,
		slices.MaxFunc(sources, func(a, b catalog.SourceSummary) int { return a.Count - b.Count }).Slug,
		slices.MaxFunc(cats, func(a, b catalog.Ref) int { return a.Count - b.Count }).Slug
}

// samePages checks that every page of q, from the first to the first
// empty one, has on got (each as the listing's first call) the cards,
// total and "more" that want (a store opened for writing) gives, and
// returns how many pages had cards.
func samePages(t *testing.T, want, got *sqlite.Store, q catalog.Query) int {
	t.Helper()
	for p := 1; ; p++ {
		q.Page = p
		got.Forget()
		w, g := bothPages(t, want, got, q)
		if wi, gi := ids(w.Articles), ids(g.Articles); !slices.Equal(gi, wi) || g.Total != w.Total || g.More != w.More {
			t.Fatalf("%s: page %d: %v (total %d, more %v), SQLite's %v (total %d, more %v)", q.URL(""), p, gi, g.Total, g.More, wi, w.Total, w.More)
		}
		if len(w.Articles) == 0 {
			return p - 1
		}
	}
}
