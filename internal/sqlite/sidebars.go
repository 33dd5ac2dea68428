package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// countSidebars recounts listing_facets (see facets.go) from the cards
// that db reads: one pass over the cards and their tags into compact
// arrays, then each tag's, source's and category's entries counted in
// dense arrays and written in key order. Each kept entry is the top of
// its listing by count, ties by slug (byte order), as Facets sorts.
//
// It replaced a dozen grouped SQL statements (GROUP BY over joins of
// card_tags and cards, and window functions to keep each listing's
// top), which took 30 s of a 1M-card import; TestSidebarsAsSQLCounts
// checks it against them, kept as the tests' reference. Its memory is
// about 40 bytes a card and its tags.
//
// db's unqualified names must find the cards, tags, sources, categories
// and meta tables, and a listing_facets table to write, which it
// empties first. With one connection (sidebarsInto), every row is read
// before the first is written. A card that names a tag, source or
// category with no row (which the foreign keys rule out) fails the
// count, where the SQL dropped such an entry from a top and kept it in
// a full list.
func countSidebars(ctx context.Context, db sidebarDB) error {
	tags, err := loadFacetRefs(ctx, db, "tags")
	if err != nil {
		return err
	}
	sources, err := loadFacetRefs(ctx, db, "sources")
	if err != nil {
		return err
	}
	categories, err := loadFacetRefs(ctx, db, "categories")
	if err != nil {
		return err
	}
	var total int64
	if err := db.QueryRowContext(ctx, `SELECT coalesce((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'cards'), 0)`).Scan(&total); err != nil {
		return err
	}
	cs, err := readSidebarCards(ctx, db, tags, sources, categories)
	if err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, `DELETE FROM listing_facets`); err != nil {
		return err
	}
	w := facetWriter{ctx: ctx, db: db}
	defer w.close()
	var (
		byTag    = csr(len(tags.ids), cs.tagFrom, cs.tags)
		bySource = csr(len(sources.ids), nil, cs.src)
		byCat    = csr(len(categories.ids), nil, cs.cat)
		coTags   = newFacetCounter(len(tags.ids))
		srcs     = newFacetCounter(len(sources.ids))
		cats     = newFacetCounter(len(categories.ids))
		years    = newFacetCounter(cs.maxYear - cs.minYear + 1)
		entries  []facetEntry
	)
	// Each listing's entries: its co-tags (and a tag's related tags), its
	// sources and categories (a source's or category's own count, for
	// its own kind), and its years.
	for _, l := range []struct {
		listing int
		refs    facetRefs
		cards   cardsBy
	}{{facetOfTag, tags, byTag}, {facetOfSource, sources, bySource}, {facetOfCategory, categories, byCat}} {
		for i, id := range l.refs.ids {
			for _, k := range l.cards.of(i) {
				for _, t := range cs.tags[cs.tagFrom[k]:cs.tagFrom[k+1]] {
					coTags.add(t)
				}
				if s := cs.src[k]; s >= 0 {
					srcs.add(s)
				}
				if c := cs.cat[k]; c >= 0 {
					cats.add(c)
				}
				if y := cs.year[k]; y != noYear {
					years.add(y - int32(cs.minYear))
				}
			}
			entries = coTags.top(entries[:0], facetOfTag, tags, storedTags)
			if l.listing == facetOfTag {
				entries = relatedEntries(entries, int32(i), coTags, tags, total)
			}
			// A source's or category's own entry is its count of cards,
			// if any.
			if n := l.refs.cards[i]; n > 0 && l.listing != facetOfTag {
				entries = append(entries, facetEntry{l.listing, id, n})
			}
			if l.listing != facetOfSource {
				entries = srcs.top(entries, facetOfSource, sources, facetSources)
			}
			if l.listing != facetOfCategory {
				entries = cats.all(entries, facetOfCategory, categories)
			}
			for _, y := range years.touched {
				entries = append(entries, facetEntry{facetYear, int64(y) + int64(cs.minYear), years.n[y]})
			}
			if err := w.write(l.listing, id, entries); err != nil {
				return err
			}
			coTags.reset()
			srcs.reset()
			cats.reset()
			years.reset()
		}
	}
	return w.flush()
}

// sidebarDB is what countSidebars needs of a connection or transaction:
// what the stories read with, and writing.
type sidebarDB interface {
	storyReader
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// facetRefs is one table of things a sidebar lists (tags, sources or
// categories), by dense index in id order.
type facetRefs struct {
	ids   []int64
	cards []int64 // the table's count of cards
	rank  []int32 // place in slug order
	index map[int64]int32
}

func loadFacetRefs(ctx context.Context, db sidebarDB, table string) (facetRefs, error) {
	rows, err := db.QueryContext(ctx, `SELECT id, slug, cards FROM `+table+` ORDER BY id`)
	if err != nil {
		return facetRefs{}, err
	}
	defer rows.Close()
	r := facetRefs{index: map[int64]int32{}}
	var slugs []string
	for rows.Next() {
		var (
			id, cards int64
			slug      string
		)
		if err := rows.Scan(&id, &slug, &cards); err != nil {
			return facetRefs{}, err
		}
		r.index[id] = int32(len(r.ids))
		r.ids, r.cards, slugs = append(r.ids, id), append(r.cards, cards), append(slugs, slug)
	}
	if err := rows.Err(); err != nil {
		return facetRefs{}, err
	}
	order := make([]int32, len(slugs))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return strings.Compare(slugs[a], slugs[b]) })
	r.rank = make([]int32, len(slugs))
	for k, i := range order {
		r.rank[i] = int32(k)
	}
	return r, nil
}

// noYear is sidebarCards.year of a card without a date.
const noYear = math.MinInt32

// sidebarCards are the cards as the sidebars count them: by dense index,
// their source and category (dense, -1 for none), year, and tags
// (tags[tagFrom[k]:tagFrom[k+1]], dense).
type sidebarCards struct {
	src, cat, year   []int32
	tagFrom          []int32
	tags             []int32
	minYear, maxYear int
}

func readSidebarCards(ctx context.Context, db sidebarDB, tags, sources, categories facetRefs) (sidebarCards, error) {
	cs := sidebarCards{tagFrom: []int32{0}, minYear: math.MaxInt32, maxYear: math.MinInt32}
	rows, err := db.QueryContext(ctx, `SELECT c.source_id, c.category_id, CAST(substr(c.published, 1, 4) AS INTEGER),
		(SELECT group_concat(t.tag_id) FROM card_tags t WHERE t.card_id = c.id) FROM cards c`)
	if err != nil {
		return cs, err
	}
	defer rows.Close()
	dense := func(refs facetRefs, what string, v sql.NullInt64) (int32, error) {
		if !v.Valid {
			return -1, nil
		}
		i, ok := refs.index[v.Int64]
		if !ok {
			return 0, fmt.Errorf("sidebars: a card names %s %d, which is not stored", what, v.Int64)
		}
		return i, nil
	}
	for rows.Next() {
		var (
			src, cat, year sql.NullInt64
			list           sql.RawBytes
		)
		if err := rows.Scan(&src, &cat, &year, &list); err != nil {
			return cs, err
		}
		s, err := dense(sources, "source", src)
		if err != nil {
			return cs, err
		}
		c, err := dense(categories, "category", cat)
		if err != nil {
			return cs, err
		}
		y := int32(noYear)
		if year.Valid {
			if year.Int64 <= noYear || year.Int64 > math.MaxInt32 {
				return cs, fmt.Errorf("sidebars: a card's year %d", year.Int64)
			}
			y = int32(year.Int64)
			cs.minYear, cs.maxYear = min(cs.minYear, int(y)), max(cs.maxYear, int(y))
		}
		if err := eachListedID("sidebars", list, func(id int64) error {
			t, err := dense(tags, "tag", sql.NullInt64{Int64: id, Valid: true})
			if err != nil {
				return err
			}
			cs.tags = append(cs.tags, t)
			return nil
		}); err != nil {
			return cs, err
		}
		cs.src, cs.cat, cs.year = append(cs.src, s), append(cs.cat, c), append(cs.year, y)
		cs.tagFrom = append(cs.tagFrom, int32(len(cs.tags)))
	}
	if cs.minYear > cs.maxYear {
		cs.minYear, cs.maxYear = 0, 0
	}
	return cs, rows.Err()
}

// cardsBy lists the cards of each of n things: those of thing i are
// cards[from[i]:from[i+1]].
type cardsBy struct{ from, cards []int32 }

func (b cardsBy) of(i int) []int32 { return b.cards[b.from[i]:b.from[i+1]] }

// csr groups the cards by thing: a card's things are of[ofFrom[k]:
// ofFrom[k+1]], or of[k] alone (none if negative) when ofFrom is nil.
func csr(n int, ofFrom, of []int32) cardsBy {
	things := func(k int) []int32 {
		if ofFrom == nil {
			return of[k : k+1]
		}
		return of[ofFrom[k]:ofFrom[k+1]]
	}
	cards := len(of)
	if ofFrom != nil {
		cards = len(ofFrom) - 1
	}
	b := cardsBy{from: make([]int32, n+1)}
	for k := range cards {
		for _, i := range things(k) {
			if i >= 0 {
				b.from[i+1]++
			}
		}
	}
	for i := range n {
		b.from[i+1] += b.from[i]
	}
	b.cards = make([]int32, b.from[n])
	next := slices.Clone(b.from[:n])
	for k := range cards {
		for _, i := range things(k) {
			if i >= 0 {
				b.cards[next[i]] = int32(k)
				next[i]++
			}
		}
	}
	return b
}

// facetCounter counts the things of one kind over a listing's cards.
type facetCounter struct {
	n       []int64 // by dense index
	touched []int32 // the indexes counted, in the order first seen
}

func newFacetCounter(n int) *facetCounter { return &facetCounter{n: make([]int64, max(n, 0))} }

func (c *facetCounter) add(i int32) {
	if c.n[i] == 0 {
		c.touched = append(c.touched, i)
	}
	c.n[i]++
}

func (c *facetCounter) reset() {
	for _, i := range c.touched {
		c.n[i] = 0
	}
	c.touched = c.touched[:0]
}

// top appends the first k things by count, then slug, as entries of kind.
func (c *facetCounter) top(out []facetEntry, kind int, refs facetRefs, k int) []facetEntry {
	slices.SortFunc(c.touched, func(a, b int32) int {
		if c.n[a] != c.n[b] {
			return cmp.Compare(c.n[b], c.n[a])
		}
		return cmp.Compare(refs.rank[a], refs.rank[b])
	})
	for _, i := range c.touched[:min(k, len(c.touched))] {
		out = append(out, facetEntry{kind, refs.ids[i], c.n[i]})
	}
	return out
}

// all appends every thing counted as entries of kind.
func (c *facetCounter) all(out []facetEntry, kind int, refs facetRefs) []facetEntry {
	for _, i := range c.touched {
		out = append(out, facetEntry{kind, refs.ids[i], c.n[i]})
	}
	return out
}

// relatedEntries appends tag t's related tags (see RelatedTags) from its
// co-tags' counts: lift above 1, not a tag on nearly every article,
// pairs seen at least relatedSupport times first, then by lift, count
// and slug; the first storedRelated.
func relatedEntries(out []facetEntry, t int32, co *facetCounter, tags facetRefs, total int64) []facetEntry {
	type rel struct {
		i    int32
		n    int64
		lift float64
	}
	var rs []rel
	ac := tags.cards[t]
	for _, i := range co.touched {
		n, xc := co.n[i], tags.cards[i]
		if i == t || n*total <= ac*xc || xc*100 >= total*commonPercent {
			continue
		}
		lift := math.Inf(-1) // SQL's division by 0 is NULL, last in DESC order
		if ac*xc != 0 {
			lift = float64(n*total) / float64(ac*xc)
		}
		rs = append(rs, rel{i, n, lift})
	}
	slices.SortFunc(rs, func(a, b rel) int {
		if aw, bw := a.n < relatedSupport, b.n < relatedSupport; aw != bw {
			if aw {
				return 1
			}
			return -1
		}
		if a.lift != b.lift {
			return cmp.Compare(b.lift, a.lift)
		}
		if a.n != b.n {
			return cmp.Compare(b.n, a.n)
		}
		return cmp.Compare(tags.rank[a.i], tags.rank[b.i])
	})
	for _, r := range rs[:min(len(rs), storedRelated)] {
		out = append(out, facetEntry{facetRelated, tags.ids[r.i], r.n})
	}
	return out
}

// facetEntry is one row of a listing's sidebar.
type facetEntry struct {
	kind int
	ref  int64
	n    int64
}

// facetWriter writes listing_facets rows in batches of facetBatch, in
// key order when given them so (an append to the b-tree).
type facetWriter struct {
	ctx  context.Context
	db   sidebarDB
	stmt *sql.Stmt
	args []any
}

const facetBatch = 128

func facetInsert(rows int) string {
	return `INSERT INTO listing_facets (listing, id, kind, ref, n) VALUES ` + valueRows(rows, 5)
}

// write adds one listing's entries, sorted by kind and ref.
func (w *facetWriter) write(listing int, id int64, entries []facetEntry) error {
	slices.SortFunc(entries, func(a, b facetEntry) int {
		return cmp.Or(cmp.Compare(a.kind, b.kind), cmp.Compare(a.ref, b.ref))
	})
	for _, e := range entries {
		w.args = append(w.args, listing, id, e.kind, e.ref, e.n)
		if len(w.args) == 5*facetBatch {
			if w.stmt == nil {
				st, err := w.db.PrepareContext(w.ctx, facetInsert(facetBatch))
				if err != nil {
					return err
				}
				w.stmt = st
			}
			if _, err := w.stmt.ExecContext(w.ctx, w.args...); err != nil {
				return err
			}
			w.args = w.args[:0]
		}
	}
	return nil
}

// flush writes the rows of the last, partial batch.
func (w *facetWriter) flush() error {
	if len(w.args) == 0 {
		return nil
	}
	_, err := w.db.ExecContext(w.ctx, facetInsert(len(w.args)/5), w.args...)
	w.args = w.args[:0]
	return err
}

func (w *facetWriter) close() {
	if w.stmt != nil {
		w.stmt.Close()
	}
}

// eachListedID calls fn with each id of list, a card's group_concat of
// tag ids ("12,7,30"; empty for none), in its order, and stops at fn's
// first error. what begins the message of an id that is not one.
func eachListedID(what string, list []byte, fn func(int64) error) error {
	for f := range strings.SplitSeq(string(list), ",") {
		if f == "" {
			continue
		}
		id, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return fmt.Errorf("%s: a card's tag ids %q: %w", what, list, err)
		}
		if err := fn(id); err != nil {
			return err
		}
	}
	return nil
}
