package sqlite

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"cardex/internal/catalog"
)

// The sidebars counted in Go are row for row the ones the SQL statements
// the importer ran before counted (sqlSidebars, below), on cards with
// many ties of counts (broken by slug), related tags, and cards without
// a source, a category or a date; through the parallel finish of
// ImportFile and the sequential one of Store.Import.
func TestSidebarsAsSQLCounts(t *testing.T) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(7, 11))
	word := func() string {
		var b strings.Builder
		for range 2 + r.IntN(5) {
			b.WriteByte(byte('a' + r.IntN(26)))
		}
		return b.String()
	}
	names := func(n int, title bool) []string {
		seen := map[string]bool{}
		var out []string
		for len(out) < n {
			w := word()
			if title {
				w = strings.ToUpper(w[:1]) + w[1:]
			}
			if !seen[w] {
				seen[w] = true
				out = append(out, w)
			}
		}
		return out
	}
	tags, sources, cats := names(80, true), names(30, false), names(6, true)
	zipf := rand.NewZipf(r, 1.2, 1, uint64(len(tags)-1))
	var cards []catalog.Card
	for i := range 3000 {
		c := catalog.Card{File: "p.txt", Line: 4 + 10*i, Title: fmt.Sprintf("Card %d %s", i, word()), Summary: "A summary " + word(),
			Likes: i % 7, Minutes: 3, Raw: "raw\n"}
		if r.IntN(10) > 0 {
			c.Source = sources[r.IntN(len(sources))]
		}
		if r.IntN(10) > 0 {
			c.Category = cats[r.IntN(len(cats))]
		}
		if r.IntN(10) > 0 {
			c.Date = time.Date(2019+r.IntN(6), time.Month(1+r.IntN(12)), 1+r.IntN(28), 0, 0, 0, 0, time.UTC)
		}
		set := map[string]bool{}
		for range r.IntN(6) { // some cards have no tag
			set[tags[zipf.Uint64()]] = true
		}
		for tag := range set {
			c.Tags = append(c.Tags, tag)
		}
		slices.Sort(c.Tags)
		c.Glued = strings.Join(c.Tags, "")
		cards = append(cards, c)
	}
	// A second import moves every card of the first category to the
	// second: the first is left with no card.
	moved := slices.Clone(cards)
	for i := range moved {
		if moved[i].Category == cats[0] {
			moved[i].Category = cats[1]
		}
	}
	parallel := filepath.Join(t.TempDir(), "parallel.db")
	sequential := filepath.Join(t.TempDir(), "sequential.db")
	for round, cards := range [][]catalog.Card{cards, moved} {
		if _, err := ImportFile(ctx, parallel, nil, PageImport("p.txt", strconv.Itoa(round), cards...)); err != nil {
			t.Fatal(err)
		}
		s, err := Open(ctx, sequential)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Import(ctx, PageImport("p.txt", strconv.Itoa(round), cards...)); err != nil {
			t.Fatal(err)
		}
		s.Close()
		compareSidebarsWithSQL(t, ctx, round, parallel, sequential)
	}
	var empty int
	s, err := Open(ctx, parallel)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.db.QueryRow(`SELECT count(*) FROM categories WHERE cards = 0`).Scan(&empty); err != nil || empty != 1 {
		t.Fatalf("%d categories without cards after the second import (%v), want 1", empty, err)
	}
}

// compareSidebarsWithSQL checks that listing_facets of the databases at
// paths is what sqlSidebars counts.
func compareSidebarsWithSQL(t *testing.T, ctx context.Context, round int, paths ...string) {
	t.Helper()
	for _, path := range paths {
		s, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		got := facetRows(t, s)
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := sqlSidebars(func(q string) error { _, err := tx.ExecContext(ctx, q); return err }); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		want := facetRows(t, s)
		kinds := map[string]int{}
		for _, w := range want {
			kinds[w[:strings.Index(w, " ")]]++
		}
		t.Logf("import %d, %s: %d rows (%v)", round+1, filepath.Base(path), len(want), kinds)
		if len(want) < 1000 || kinds["5"] == 0 {
			t.Fatalf("only %d rows, %d related tags: the test's cards are too few", len(want), kinds["5"])
		}
		if !slices.Equal(got, want) {
			for i := range min(len(got), len(want)) {
				if got[i] != want[i] {
					t.Fatalf("import %d, %s: %d rows, SQL %d; first difference at row %d: %q, SQL %q", round+1, path, len(got), len(want), i, got[i], want[i])
				}
			}
			t.Fatalf("import %d, %s: %d rows, SQL %d", round+1, path, len(got), len(want))
		}
	}
}

// facetRows lists listing_facets as "kind listing id ref n", in key order.
func facetRows(t *testing.T, s *Store) []string {
	t.Helper()
	rows, err := s.db.Query(`SELECT kind, listing, id, ref, n FROM listing_facets ORDER BY kind, listing, id, ref`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var k, l, id, ref, n int64
		if err := rows.Scan(&k, &l, &id, &ref, &n); err != nil {
			t.Fatal(err)
		}
		out = append(out, strings.Join([]string{strconv.FormatInt(k, 10), strconv.FormatInt(l, 10), strconv.FormatInt(id, 10), strconv.FormatInt(ref, 10), strconv.FormatInt(n, 10)}, " "))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// sqlSidebars recounts listing_facets in SQL, as the importer did until
// countSidebars: a dozen grouped passes over card_tags and cards, and
// window functions to keep each listing's top. The tests' reference.
func sqlSidebars(exec func(query string) error) error {
	// top keeps the first n entries per listing of a grouped count
	// (listing, ref, n), ranked by n and then the slug of its table.
	top := func(listing, kind int, grouped, table string, n int) string {
		return `INSERT INTO listing_facets (listing, id, kind, ref, n)
			SELECT ` + strconv.Itoa(listing) + `, id, ` + strconv.Itoa(kind) + `, ref, n FROM (
				SELECT g.id, g.ref, g.n, row_number() OVER (PARTITION BY g.id ORDER BY g.n DESC, x.slug) AS rk
				FROM (` + grouped + `) g JOIN ` + table + ` x ON x.id = g.ref)
			WHERE rk <= ` + strconv.Itoa(n)
	}
	all := func(listing, kind int, grouped string) string {
		return `INSERT INTO listing_facets (listing, id, kind, ref, n) SELECT ` + strconv.Itoa(listing) + `, id, ` + strconv.Itoa(kind) + `, ref, n FROM (` + grouped + `)`
	}
	const (
		tagCards = `card_tags a JOIN cards c ON c.id = a.card_id`
		years    = `CAST(substr(c.published, 1, 4) AS INTEGER)`
		dated    = ` AND c.published IS NOT NULL`
		withSrc  = ` WHERE c.source_id IS NOT NULL`
		withCat  = ` WHERE c.category_id IS NOT NULL`
		// A pair's count is the same both ways round: each is counted
		// once, with the smaller id first, and copied the other way;
		// a tag with itself is its count of cards. The grouping sorts
		// a third of the rows it sorted when it counted every ordered
		// pair of every card.
		byTagTag  = `SELECT a.tag_id AS id, b.tag_id AS ref, count(*) AS n FROM card_tags a JOIN card_tags b ON b.card_id = a.card_id AND b.tag_id > a.tag_id GROUP BY 1, 2`
		tagSelves = `SELECT tag_id AS id, tag_id AS ref, count(*) AS n FROM card_tags GROUP BY 1`
		byTagSrc  = `SELECT a.tag_id AS id, c.source_id AS ref, count(*) AS n FROM ` + tagCards + withSrc + ` GROUP BY 1, 2`
		byTagCat  = `SELECT a.tag_id AS id, c.category_id AS ref, count(*) AS n FROM ` + tagCards + withCat + ` GROUP BY 1, 2`
		// card_tags carries its card's date (migration 0006): a tag's
		// years are counted from its index alone, without reading each
		// card (1.1 s at 1M cards, against 4.7 s through cards).
		byTagYear = `SELECT tag_id AS id, CAST(substr(published, 1, 4) AS INTEGER) AS ref, count(*) AS n FROM card_tags WHERE published IS NOT NULL GROUP BY 1, 2`
		bySrcCat  = `SELECT c.source_id AS id, c.category_id AS ref, count(*) AS n FROM cards c` + withSrc + ` AND c.category_id IS NOT NULL GROUP BY 1, 2`
		bySrcYear = `SELECT c.source_id AS id, ` + years + ` AS ref, count(*) AS n FROM cards c` + withSrc + dated + ` GROUP BY 1, 2`
		byCatSrc  = `SELECT c.category_id AS id, c.source_id AS ref, count(*) AS n FROM cards c` + withCat + ` AND c.source_id IS NOT NULL GROUP BY 1, 2`
		byCatYear = `SELECT c.category_id AS id, ` + years + ` AS ref, count(*) AS n FROM cards c` + withCat + dated + ` GROUP BY 1, 2`
	)
	for _, q := range []string{
		`DELETE FROM listing_facets`,
		// Every pair of tags seen together, counted once for the co-tags
		// and the related tags.
		`DROP TABLE IF EXISTS temp.tag_pairs`,
		`CREATE TEMP TABLE tag_pairs AS ` + byTagTag,
		`INSERT INTO temp.tag_pairs (id, ref, n) SELECT ref, id, n FROM temp.tag_pairs`,
		`INSERT INTO temp.tag_pairs (id, ref, n) ` + tagSelves,
		top(facetOfTag, facetOfTag, `SELECT id, ref, n FROM temp.tag_pairs`, `tags`, storedTags),
		// Related tags (see RelatedTags): lift above 1, not a tag on
		// nearly every article, pairs seen at least relatedSupport times
		// first, then by lift, together and slug; the first storedRelated.
		`INSERT INTO listing_facets (listing, id, kind, ref, n)
			SELECT 1, id, ` + strconv.Itoa(facetRelated) + `, ref, n FROM (
				SELECT g.id, g.ref, g.n, row_number() OVER (PARTITION BY g.id
					ORDER BY g.n < ` + strconv.Itoa(relatedSupport) + `, CAST(g.n * tot.n AS REAL) / (a.cards * x.cards) DESC, g.n DESC, x.slug) AS rk
				FROM temp.tag_pairs g JOIN tags a ON a.id = g.id JOIN tags x ON x.id = g.ref,
					(SELECT coalesce((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'cards'), 0) AS n) tot
				WHERE g.ref <> g.id AND g.n * tot.n > a.cards * x.cards AND x.cards * 100 < tot.n * ` + strconv.Itoa(commonPercent) + `)
			WHERE rk <= ` + strconv.Itoa(storedRelated),
		`DROP TABLE temp.tag_pairs`,
		// A tag's sources and a source's tags are one count, (tag,
		// source), read both ways; so are a tag's categories and a
		// category's tags: each is counted once over card_tags and
		// cards (about 0.85 and 0.6 s of 8 at 100k cards), not twice.
		`DROP TABLE IF EXISTS temp.tag_sources`,
		`CREATE TEMP TABLE tag_sources AS ` + byTagSrc,
		`DROP TABLE IF EXISTS temp.tag_categories`,
		`CREATE TEMP TABLE tag_categories AS ` + byTagCat,
		top(facetOfTag, facetOfSource, `SELECT id, ref, n FROM temp.tag_sources`, `sources`, facetSources),
		all(facetOfTag, facetOfCategory, `SELECT id, ref, n FROM temp.tag_categories`),
		all(facetOfTag, facetYear, byTagYear),
		top(facetOfSource, facetOfTag, `SELECT ref AS id, id AS ref, n FROM temp.tag_sources`, `tags`, storedTags),
		`INSERT INTO listing_facets (listing, id, kind, ref, n) SELECT 2, id, 2, id, cards FROM sources WHERE cards > 0`,
		all(facetOfSource, facetOfCategory, bySrcCat),
		all(facetOfSource, facetYear, bySrcYear),
		top(facetOfCategory, facetOfTag, `SELECT ref AS id, id AS ref, n FROM temp.tag_categories`, `tags`, storedTags),
		`DROP TABLE temp.tag_sources`,
		`DROP TABLE temp.tag_categories`,
		top(facetOfCategory, facetOfSource, byCatSrc, `sources`, facetSources),
		`INSERT INTO listing_facets (listing, id, kind, ref, n) SELECT 3, id, 3, id, cards FROM categories WHERE cards > 0`,
		all(facetOfCategory, facetYear, byCatYear),
	} {
		if err := exec(q); err != nil {
			return err
		}
	}
	return nil
}
