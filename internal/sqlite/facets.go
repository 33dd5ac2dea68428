package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strconv"

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

// rebuildListingFacets recounts listing_facets from the cards, in a few
// grouped passes over card_tags, with each tag's related tags. Each kept
// entry is the top of its listing by count, ties by slug (byte order), the
// same order as Facets sorts in, so the stored sidebar is the live one.
func (im *Import) rebuildListingFacets() error { return rebuildListingFacets(im.execLong) }

// rebuildListingFacets runs the statements of the recount through exec:
// the import's transaction, or a connection whose main database holds a
// listing_facets table of its own and which reads the cards from another
// (see Import.finishInParallel).
func rebuildListingFacets(exec func(query string) error) error {
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
	listing, table, slug := facetOfTag, `tags`, ""
	switch {
	case len(q.Tags) == 1:
		slug = q.Tags[0]
	case q.Source != "":
		listing, table, slug = facetOfSource, `sources`, q.Source
	default:
		listing, table, slug = facetOfCategory, `categories`, q.Category
	}
	// A single tag's "any" group is the tag itself: the articles another
	// tag would add are its own less those it shares with the listing.
	or := `0`
	if listing == facetOfTag {
		or = `coalesce(t.cards - f.n, 0)`
	}
	// The sidebar's entries (kinds up to facetYear), not the related tags.
	r, err := s.db.QueryContext(ctx, `SELECT f.kind, coalesce(t.name, s.name, g.name, CAST(f.ref AS TEXT)),
			coalesce(t.slug, s.slug, g.slug, CAST(f.ref AS TEXT)), f.n, `+or+`
		FROM listing_facets f
		LEFT JOIN tags t ON f.kind = 1 AND t.id = f.ref
		LEFT JOIN sources s ON f.kind = 2 AND s.id = f.ref
		LEFT JOIN categories g ON f.kind = 3 AND g.id = f.ref
		WHERE f.listing = ? AND f.id = (SELECT id FROM `+table+` WHERE slug = ?) AND f.kind <= ?`, listing, slug, facetYear)
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

// pairCount returns the total of a listing of exactly two AND tags and
// nothing else when one tag is among the other's kept co-tags: the pairs
// people reach from a tag's sidebar, counted at import. ok is false
// otherwise.
func (s *Store) pairCount(ctx context.Context, q catalog.Query) (n int, ok bool, err error) {
	two := q
	two.Tags = nil
	if len(q.Tags) != 2 || !two.IsEmpty() || q.Collapse {
		return 0, false, nil
	}
	err = s.db.QueryRowContext(ctx, `SELECT f.n FROM listing_facets f, tags a, tags b
		WHERE a.slug = ? AND b.slug = ? AND f.listing = 1 AND f.kind = 1
			AND ((f.id = a.id AND f.ref = b.id) OR (f.id = b.id AND f.ref = a.id))
		LIMIT 1`, q.Tags[0], q.Tags[1]).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	return n, err == nil, err
}
