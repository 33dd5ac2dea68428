package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"cardex/internal/catalog"
)

// Listing facets kept at import (migration 0007): the sidebar of every
// listing with a single filter, one tag, one source or one category. Those
// are the listings people visit most, and the biggest of them are the ones
// whose live count is slow. Other queries are counted live (Facets).

// listing and entry kinds of listing_facets.
const (
	facetOfTag      = 1
	facetOfSource   = 2
	facetOfCategory = 3
	facetYear       = 4
	facetRelated    = 5 // a related tag of a tag listing (RelatedTags); n is together
)

// storedRelated is how many related tags a tag keeps, ranked: RelatedTags
// reads them for any limit up to it.
const storedRelated = 20

// storedTags is how many co-tags a listing keeps: the sidebar shows
// facetTags of them after setting apart the tags on nearly every result,
// of which a listing has at most a handful (a card has at most a few tags).
const storedTags = 2 * facetTags

// facetRow is one entry of a sidebar before it is sorted and cut: its
// kind ("tag", "source", "category" or "year"), its ref and, for a tag,
// its Or count.
type facetRow struct {
	kind string
	ref  catalog.Ref
	or   int
}

// storedFacets returns the kept entries of q's listing when q has a
// single filter and the listing was counted at import; ok is false
// otherwise (then Facets counts live). total is the listing's size.
func (s *Store) storedFacets(ctx context.Context, q catalog.Query, names map[string]catalog.Ref) (rows []facetRow, total int, ok bool, err error) {
	total, single := knownTotal(q, names)
	if !single || q.IsEmpty() {
		return nil, 0, false, nil
	}
	if built, err := s.facetsBuilt(ctx); err != nil || !built {
		return nil, 0, false, err
	}
	one := singleFilter(q)
	// A single tag's "any" group is the tag itself: the articles another
	// tag would add are its own less those it shares with the listing.
	or := `0`
	if one.kind == facetOfTag {
		or = `coalesce(t.cards - f.n, 0)`
	}
	// The sidebar's entries (kinds up to facetYear), not the related tags.
	r, err := s.db.QueryContext(ctx, `SELECT f.kind, coalesce(t.name, s.name, g.name, CAST(f.ref AS TEXT)),
			coalesce(t.slug, s.slug, g.slug, CAST(f.ref AS TEXT)), f.n, `+or+`
		FROM listing_facets f
		LEFT JOIN tags t ON f.kind = 1 AND t.id = f.ref
		LEFT JOIN sources s ON f.kind = 2 AND s.id = f.ref
		LEFT JOIN categories g ON f.kind = 3 AND g.id = f.ref
		WHERE f.listing = ? AND f.id = (SELECT id FROM `+one.table()+` WHERE slug = ?) AND f.kind <= ?`, one.kind, one.slug, facetYear)
	if err != nil {
		return nil, 0, false, err
	}
	defer r.Close()
	for r.Next() {
		var kind int
		var row facetRow
		if err := r.Scan(&kind, &row.ref.Name, &row.ref.Slug, &row.ref.Count, &row.or); err != nil {
			return nil, 0, false, err
		}
		row.kind = facetKindName(kind)
		rows = append(rows, row)
	}
	return rows, total, true, r.Err()
}

// singleFilter returns the filter of q, a listing of a single filter
// (knownTotal).
func singleFilter(q catalog.Query) keptFilter {
	switch {
	case len(q.Tags) == 1:
		return keptFilter{facetOfTag, q.Tags[0]}
	case q.Source != "":
		return keptFilter{facetOfSource, q.Source}
	}
	return keptFilter{facetOfCategory, q.Category}
}

// collapsedKept returns the size of q, a listing of one card per story
// with at most one filter (a tag, a source or a category), from the
// counts kept at import: the listing's cards less those it hides, one
// card listed for each story among them (listing_hidden, migration
// 0013). ok is false for any other listing.
func (s *Store) collapsedKept(ctx context.Context, q catalog.Query, names map[string]catalog.Ref) (n int, ok bool, err error) {
	if !q.Collapse {
		return 0, false, nil
	}
	plain := q
	plain.Collapse = false
	var one keptFilter // every card
	if plain.IsEmpty() {
		if n, err = s.allCards(ctx); err != nil {
			return 0, false, err
		}
	} else if n, ok = knownTotal(plain, names); !ok {
		return 0, false, nil
	} else {
		one = singleFilter(plain)
	}
	hidden, err := s.hidden(ctx, one)
	return n - hidden, err == nil, err
}

// hidden returns how many cards the listing of one filter hides with one
// card per story (listing_hidden); of every card for the zero keptFilter.
func (s *Store) hidden(ctx context.Context, one keptFilter) (int, error) {
	id, args := `0`, []any{one.kind}
	if one.kind != 0 {
		id, args = `(SELECT id FROM `+one.table()+` WHERE slug = ?)`, append(args, one.slug)
	}
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT coalesce((SELECT n FROM listing_hidden WHERE listing = ? AND id = `+id+`), 0)`, args...).Scan(&n)
	return n, err
}

// facetKindName names a listing_facets entry kind as facetRow does.
func facetKindName(kind int) string {
	switch kind {
	case facetOfTag:
		return "tag"
	case facetOfSource:
		return "source"
	case facetOfCategory:
		return "category"
	case facetYear:
		return "year"
	}
	return ""
}

// facetsBuilt reports whether listing_facets holds the sidebars, that is
// whether an import has run since migration 0007 (until then sidebars,
// related tags and pair totals are counted live). A read-only store, whose
// data cannot change, asks once.
func (s *Store) facetsBuilt(ctx context.Context) (bool, error) {
	if b := s.builtFacets.Load(); b != nil {
		return *b, nil
	}
	var built bool
	if err := s.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM listing_facets)`).Scan(&built); err != nil {
		return false, err
	}
	if s.readOnly {
		s.builtFacets.Store(&built)
	}
	return built, nil
}

// keptTotal returns the total of a listing whose size follows from the
// counts kept at import (the listings' sizes in names, and listing_facets'
// entries): two filters among AND tags, a source and a category, when one
// is among the other's kept sidebar entries (two tags, a tag and a
// source, a source and a category…: the pairs people reach from a
// sidebar); one such filter less a NOT tag kept among its entries, the
// sidebar's "−N"; and an "any" group of two tags, one kept among the
// other's co-tags, the sidebar's "+N". ok is false otherwise (then the
// listing is counted live, up to a bound: countUpTo).
func (s *Store) keptTotal(ctx context.Context, q catalog.Query, names map[string]catalog.Ref) (n int, ok bool, err error) {
	if q.Collapse {
		return 0, false, nil
	}
	var fs []keptFilter
	for _, t := range q.Tags {
		fs = append(fs, keptFilter{facetOfTag, t})
	}
	if q.Source != "" {
		fs = append(fs, keptFilter{facetOfSource, q.Source})
	}
	if q.Category != "" {
		fs = append(fs, keptFilter{facetOfCategory, q.Category})
	}
	rest := q
	rest.Tags, rest.Source, rest.Category, rest.Any, rest.Not = nil, "", "", nil, nil
	if !rest.IsEmpty() {
		return 0, false, nil
	}
	switch {
	case len(fs) == 2 && len(q.Any)+len(q.Not) == 0:
		return s.keptPair(ctx, fs[0], fs[1])
	case len(fs) == 1 && len(q.Not) == 1 && len(q.Any) == 0:
		// The cards of the filter less those that also carry the tag.
		both, ok, err := s.keptPair(ctx, fs[0], keptFilter{facetOfTag, q.Not[0]})
		return names[fs[0].key()].Count - both, ok, err
	case len(fs) == 0 && len(q.Any) == 2 && len(q.Not) == 0:
		// The cards of either tag, those of both counted once.
		a, b := keptFilter{facetOfTag, q.Any[0]}, keptFilter{facetOfTag, q.Any[1]}
		both, ok, err := s.keptPair(ctx, a, b)
		return names[a.key()].Count + names[b.key()].Count - both, ok, err
	}
	return 0, false, nil
}

// keptFilter is one filter of a listing whose counts are kept at
// import: its kind (facetOfTag, facetOfSource or facetOfCategory, which
// is also its kind of listing and of sidebar entry) and its slug.
type keptFilter struct {
	kind int
	slug string
}

// table is the table of f's slug.
func (f keptFilter) table() string {
	switch f.kind {
	case facetOfSource:
		return `sources`
	case facetOfCategory:
		return `categories`
	}
	return `tags`
}

// key is f's key in the names of a query (see names): "tag:" + slug…
func (f keptFilter) key() string { return facetKindName(f.kind) + ":" + f.slug }

// keptPair returns how many cards have both filters, when one is among
// the other's kept sidebar entries (either way round); ok is false when
// neither is.
func (s *Store) keptPair(ctx context.Context, a, b keptFilter) (n int, ok bool, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT n FROM (
			SELECT f.n FROM listing_facets f WHERE f.listing = ? AND f.id = (SELECT id FROM `+a.table()+` WHERE slug = ?)
				AND f.kind = ? AND f.ref = (SELECT id FROM `+b.table()+` WHERE slug = ?)
			UNION ALL
			SELECT f.n FROM listing_facets f WHERE f.listing = ? AND f.id = (SELECT id FROM `+b.table()+` WHERE slug = ?)
				AND f.kind = ? AND f.ref = (SELECT id FROM `+a.table()+` WHERE slug = ?))
		LIMIT 1`, a.kind, a.slug, b.kind, b.slug, b.kind, b.slug, a.kind, a.slug).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	return n, err == nil, err
}
