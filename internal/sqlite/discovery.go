package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/maphash"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"cardex/internal/catalog"
)

// Related tags.

// Support a related tag needs: relatedSupport articles carrying both
// tags. When fewer than relatedFallback tags have that much (small or
// sparse data would show next to nothing), tags sharing one article fill
// the list, after them.
const (
	relatedSupport  = 2
	relatedFallback = 3
)

// RelatedTags returns up to limit tags that go with the tag slug (all of
// them when limit ≤ 0). Lift is P(A∧B)/(P(A)·P(B)) over all articles; a
// tag whose lift is 1 or less (no more often together than by chance) is
// left out, and so is a tag on at least 90% of all articles, which goes
// with everything. The tags sharing at least two articles with slug come
// first, most lift first, then most articles together, then by slug; if
// fewer than three tags do, the tags sharing one article follow in the
// same order, so that a one-off pairing of two rare tags, whose lift is
// high by construction, never comes before a pairing seen twice.
// RelatedTags returns an error wrapping catalog.ErrNotFound if no tag has
// that slug, and a *catalog.MovedError if slug is an alias.
func (s *Store) RelatedTags(ctx context.Context, slug string, limit int) (_ []catalog.TagLift, err error) {
	// Every page of a tag shows the same related tags.
	return remember(s, &s.relatedMemo, slug+"\x00"+strconv.Itoa(limit), func() ([]catalog.TagLift, error) {
		lifts, err := s.relatedTags(ctx, slug, limit)
		return slices.Clone(lifts), err // not the whole array it was cut from
	})
}

// relatedTags is RelatedTags, asked of the database.
func (s *Store) relatedTags(ctx context.Context, slug string, limit int) (_ []catalog.TagLift, err error) {
	defer timeout(ctx, &err)
	var (
		id, total, count int
		canonical        sql.NullString
	)
	err = s.db.QueryRowContext(ctx, `SELECT t.id, t.cards, coalesce((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'cards'), 0),
		(SELECT c.slug FROM tag_aliases a JOIN tags c ON c.id = a.tag_id WHERE a.slug = t.slug)
		FROM tags t WHERE t.slug = ?`, slug).Scan(&id, &count, &total, &canonical)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, fmt.Errorf("%w: no tag %q", catalog.ErrNotFound, slug)
	case err != nil:
		return nil, err
	case canonical.Valid:
		return nil, &catalog.MovedError{Kind: "tag", From: slug, To: canonical.String}
	}
	// The related tags ranked at import (listing_facets), when limit
	// wants no more than were kept; else co-occurrence is counted over the
	// tag's newest relatedSample cards (all of them, for most tags): a
	// bounded amount of work per page.
	var stored bool
	if limit > 0 && limit <= storedRelated {
		if stored, err = s.facetsBuilt(ctx); err != nil {
			return nil, err
		}
	}
	sample := min(count, relatedSample)
	query := `SELECT t.name, t.slug, t.cards, count(*)
		FROM (SELECT card_id FROM card_tags WHERE tag_id = ? ORDER BY published DESC, card_id DESC LIMIT ?) a
		JOIN card_tags b ON b.card_id = a.card_id AND b.tag_id <> ? JOIN tags t ON t.id = b.tag_id
		GROUP BY t.id`
	args := []any{id, sample, id}
	if stored {
		sample = count
		query = `SELECT t.name, t.slug, t.cards, f.n FROM listing_facets f JOIN tags t ON t.id = f.ref
			WHERE f.listing = ? AND f.kind = ? AND f.id = ?`
		args = []any{facetOfTag, facetRelated, id}
	}
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var all []catalog.TagLift
	for rows.Next() {
		var l catalog.TagLift
		if err := rows.Scan(&l.Name, &l.Slug, &l.Count, &l.Together); err != nil {
			return nil, err
		}
		// Integers compare exactly: lift > 1 iff together·N > count(A)·count(B),
		// with count(A) the cards looked at.
		if l.Together*total > sample*l.Count && l.Count*100 < total*commonPercent {
			l.Lift = float64(l.Together*total) / float64(sample*l.Count)
			all = append(all, l)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return rankLifts(all, limit), nil
}

// rankLifts orders the tags and keeps those with enough support (see
// RelatedTags).
func rankLifts(all []catalog.TagLift, limit int) []catalog.TagLift {
	weak := func(l catalog.TagLift) bool { return l.Together < relatedSupport }
	slices.SortFunc(all, func(a, b catalog.TagLift) int {
		return cmp.Or(compareBool(weak(a), weak(b)), cmp.Compare(b.Lift, a.Lift), cmp.Compare(b.Together, a.Together),
			strings.Compare(a.Slug, b.Slug))
	})
	if strong := slices.IndexFunc(all, weak); strong >= relatedFallback {
		all = all[:strong]
	}
	if limit > 0 && len(all) > limit {
		all = all[:limit]
	}
	return all
}

// compareBool orders false before true.
func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// Tag aliases.

// aliasTag is a tag as the alias pass sees it.
type aliasTag struct {
	id         int64
	name, slug string
	cards      int
}

// loadAliases makes the import file a card tagged with an alias spelling
// under the canonical tag straight away.
func (im *Import) loadAliases() error {
	aliases, err := im.storedAliases()
	maps.Copy(im.tags, aliases)
	return err
}

// mergeAliases makes the tags whose names share a catalog.AliasKey one
// tag: the one with the most cards (of equals, the oldest) is canonical;
// the others' cards move to it and their slugs are recorded in
// tag_aliases. It then rebuilds alias_proposals, the pairs of tags that
// look alike but are not merged. An import that changes no alias changes
// nothing here but the proposals.
func (im *Import) mergeAliases() error {
	tags, err := im.aliasTags()
	if err != nil {
		return err
	}
	groups := map[string][]aliasTag{}
	var keys []string
	for _, t := range tags {
		k := catalog.AliasKey(t.name)
		if k == "" {
			continue
		}
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], t)
	}
	aliases := map[string]int64{} // alias slug -> canonical tag id
	var canonical []aliasTag
	for _, k := range keys {
		g := groups[k]
		// tags come by id, and the sort is stable: of equals, the oldest wins.
		slices.SortStableFunc(g, func(a, b aliasTag) int { return cmp.Compare(b.cards, a.cards) })
		canon := g[0]
		for _, a := range g[1:] {
			aliases[a.slug] = canon.id
			if a.cards == 0 {
				continue
			}
			if err := im.moveCardTags(a.id, canon.id); err != nil {
				return err
			}
			canon.cards += a.cards // an upper bound: a card may have had both
			im.changed = true
		}
		canonical = append(canonical, canon)
	}
	old, err := im.storedAliases()
	if err != nil {
		return err
	}
	if !maps.Equal(old, aliases) {
		if err := im.storeAliases(aliases); err != nil {
			return err
		}
		im.changed = true
	}
	im.stats.Aliases = len(aliases)
	canonical = slices.DeleteFunc(canonical, func(t aliasTag) bool { return t.cards == 0 })
	props := proposeAliases(canonical)
	im.stats.AliasProposals = len(props)
	return im.storeProposals(props)
}

// aliasTags lists every tag, oldest first, with how many cards carry it now.
func (im *Import) aliasTags() ([]aliasTag, error) {
	rows, err := im.tx.QueryContext(im.ctx, `SELECT id, name, slug, (SELECT count(*) FROM card_tags WHERE tag_id = tags.id) FROM tags ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []aliasTag
	for rows.Next() {
		var t aliasTag
		if err := rows.Scan(&t.id, &t.name, &t.slug, &t.cards); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// moveCardTags moves the cards of tag from to tag to; a card that has
// both keeps one.
func (im *Import) moveCardTags(from, to int64) error {
	if _, err := im.tx.ExecContext(im.ctx, `INSERT OR IGNORE INTO card_tags (card_id, tag_id, position, published)
		SELECT card_id, ?, position, published FROM card_tags WHERE tag_id = ?`, to, from); err != nil {
		return err
	}
	_, err := im.tx.ExecContext(im.ctx, `DELETE FROM card_tags WHERE tag_id = ?`, from)
	return err
}

func (im *Import) storedAliases() (map[string]int64, error) {
	rows, err := im.tx.QueryContext(im.ctx, `SELECT slug, tag_id FROM tag_aliases`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var slug string
		var id int64
		if err := rows.Scan(&slug, &id); err != nil {
			return nil, err
		}
		out[slug] = id
	}
	return out, rows.Err()
}

func (im *Import) storeAliases(aliases map[string]int64) error {
	if _, err := im.tx.ExecContext(im.ctx, `DELETE FROM tag_aliases`); err != nil {
		return err
	}
	for _, slug := range slices.Sorted(maps.Keys(aliases)) {
		if _, err := im.tx.ExecContext(im.ctx, `INSERT INTO tag_aliases (slug, tag_id) VALUES (?, ?)`, slug, aliases[slug]); err != nil {
			return err
		}
	}
	return nil
}

func (im *Import) storeProposals(props []aliasProposal) error {
	if _, err := im.tx.ExecContext(im.ctx, `DELETE FROM alias_proposals`); err != nil {
		return err
	}
	for _, p := range props {
		if _, err := im.tx.ExecContext(im.ctx, `INSERT INTO alias_proposals (slug_a, slug_b, reason) VALUES (?, ?, ?)`,
			p.a.slug, p.b.slug, p.reason); err != nil {
			return err
		}
	}
	return nil
}

// Why two tags were proposed as aliases.
const (
	reasonPlural    = "plural"
	reasonOneLetter = "one letter apart"
)

// proposeMinLen is the shortest alias key that a one-letter difference
// makes suspect: shorter names differ by a letter and mean different
// things ("Redis", "Redux").
const proposeMinLen = 6

type aliasProposal struct {
	a, b   aliasTag // a has more cards (of equals, the older)
	reason string
}

// proposeAliases finds the pairs of tags (of distinct alias keys) that
// look like one tag: one key is the other plus a trailing "s", or both
// keys have at least proposeMinLen letters and differ by one letter
// (added, dropped or changed) that is not a digit, since "Python2" and
// "Python3" are different things. It looks each key's one-letter
// deletions up in a map instead of comparing every pair, so it stays
// linear in the tags. Pairs come sorted by slug.
func proposeAliases(tags []aliasTag) []aliasProposal {
	akeys := make([]string, len(tags)) // by tag
	keys := make(map[string]int, len(tags))
	for i, t := range tags {
		akeys[i] = catalog.AliasKey(t.name)
		keys[akeys[i]] = i
	}
	seen := map[[2]int]bool{}
	var out []aliasProposal
	add := func(i, j int, reason string) {
		a, b := tags[i], tags[j]
		if b.cards > a.cards || (b.cards == a.cards && b.id < a.id) {
			a, b = b, a
		}
		if pair := [2]int{min(i, j), max(i, j)}; !seen[pair] {
			seen[pair] = true
			out = append(out, aliasProposal{a: a, b: b, reason: reason})
		}
	}
	// Keys are grouped by one position blanked: two keys of equal length
	// in one group differ in that position only. A group is a run of
	// equal hashes of (position, key without it) once sorted, the pair
	// checked in full: a map of those strings was 17 MB at 19,000 tags.
	type blanked struct {
		hash     uint64
		tag, pos int32
	}
	var (
		blanks []blanked
		h      maphash.Hash
	)
	for i, k := range akeys {
		r := []rune(k)
		if j, ok := keys[k+"s"]; ok && len(r) >= 3 {
			add(i, j, reasonPlural)
		}
		if len(r) < proposeMinLen {
			continue
		}
		for p := range r {
			if unicode.IsDigit(r[p]) {
				continue
			}
			shorter := string(r[:p]) + string(r[p+1:])
			if j, ok := keys[shorter]; ok && len(r)-1 >= proposeMinLen && shorter+"s" != k {
				add(i, j, reasonOneLetter)
			}
			h.Reset()
			h.WriteString(strconv.Itoa(p) + ":" + shorter)
			blanks = append(blanks, blanked{h.Sum64(), int32(i), int32(p)})
		}
	}
	slices.SortFunc(blanks, func(a, b blanked) int { return cmp.Or(cmp.Compare(a.hash, b.hash), cmp.Compare(a.tag, b.tag)) })
	blankedKey := func(b blanked) string {
		r := []rune(akeys[b.tag])
		return string(r[:b.pos]) + string(r[b.pos+1:])
	}
	for rest := blanks; len(rest) > 0; {
		n := 1
		for n < len(rest) && rest[n].hash == rest[0].hash {
			n++
		}
		group := rest[:n]
		for x := range group {
			for _, y := range group[x+1:] {
				if group[x].pos == y.pos && blankedKey(group[x]) == blankedKey(y) {
					add(int(group[x].tag), int(y.tag), reasonOneLetter)
				}
			}
		}
		rest = rest[n:]
	}
	slices.SortFunc(out, func(x, y aliasProposal) int {
		return cmp.Or(strings.Compare(x.a.slug, y.a.slug), strings.Compare(x.b.slug, y.b.slug))
	})
	return out
}

// TagAlias is a spelling of a tag merged into another one.
type TagAlias struct {
	Alias     catalog.Ref // the alias's own spelling and slug
	Canonical catalog.Ref // the tag it is merged into, with its count
}

// Aliases lists the merged aliases by canonical slug, then alias slug.
func (s *Store) Aliases(ctx context.Context) ([]TagAlias, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT a.name, a.slug, c.name, c.slug, c.cards
		FROM tag_aliases x JOIN tags a ON a.slug = x.slug JOIN tags c ON c.id = x.tag_id
		ORDER BY c.slug, a.slug`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []TagAlias
	for rows.Next() {
		var a TagAlias
		if err := rows.Scan(&a.Alias.Name, &a.Alias.Slug, &a.Canonical.Name, &a.Canonical.Slug, &a.Canonical.Count); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// AliasProposal is a pair of tags that look like one tag but were not
// merged: a person should check them.
type AliasProposal struct {
	A, B   catalog.Ref // A has more articles
	Reason string      // "plural" or "one letter apart"
}

// AliasProposals lists the pairs the last import proposed, by slug.
func (s *Store) AliasProposals(ctx context.Context) ([]AliasProposal, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT a.name, a.slug, a.cards, b.name, b.slug, b.cards, p.reason
		FROM alias_proposals p JOIN tags a ON a.slug = p.slug_a JOIN tags b ON b.slug = p.slug_b
		ORDER BY p.slug_a, p.slug_b`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AliasProposal
	for rows.Next() {
		var p AliasProposal
		if err := rows.Scan(&p.A.Name, &p.A.Slug, &p.A.Count, &p.B.Name, &p.B.Slug, &p.B.Count, &p.Reason); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// Sitemap.

// sitemapSections are the sitemap's parts, in order: each selects (id,
// text, date) rows (an article's id, title and date, or 0, a listing's
// route value and its newest article's date), by a key that keeps pages
// stable. The count of each is in sitemapCounts, in the same order.
var sitemapSections = []struct {
	kind string // catalog.Route Kind; "" for articles
	list string
}{
	{"tags", `SELECT 0, t.slug, (SELECT max(c.published) FROM card_tags ct JOIN cards c ON c.id = ct.card_id WHERE ct.tag_id = t.id)
		FROM tags t WHERE t.cards > 0 ORDER BY t.slug LIMIT ? OFFSET ?`},
	{"sources", `SELECT 0, s.slug, (SELECT max(published) FROM cards WHERE source_id = s.id)
		FROM sources s WHERE s.cards > 0 ORDER BY s.slug LIMIT ? OFFSET ?`},
	{"categories", `SELECT 0, g.slug, (SELECT max(published) FROM cards WHERE category_id = g.id)
		FROM categories g WHERE g.cards > 0 ORDER BY g.slug LIMIT ? OFFSET ?`},
	{"archive", `SELECT 0, substr(published, 1, 4), max(published)
		FROM cards WHERE published IS NOT NULL GROUP BY 2 ORDER BY 2 LIMIT ? OFFSET ?`},
	{"archive", `SELECT 0, replace(substr(published, 1, 7), '-', '/'), max(published)
		FROM cards WHERE published IS NOT NULL GROUP BY 2 ORDER BY 2 LIMIT ? OFFSET ?`},
	{"", `SELECT id, title, published FROM cards ORDER BY id LIMIT ? OFFSET ?`},
}

// sitemapCounts returns how many rows each of sitemapSections has.
func (s *Store) sitemapCounts(ctx context.Context) ([]int, error) {
	counts := make([]int, len(sitemapSections))
	err := s.db.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM tags WHERE cards > 0),
		(SELECT count(*) FROM sources WHERE cards > 0),
		(SELECT count(*) FROM categories WHERE cards > 0),
		(SELECT count(DISTINCT substr(published, 1, 4)) FROM cards WHERE published IS NOT NULL),
		(SELECT count(DISTINCT substr(published, 1, 7)) FROM cards WHERE published IS NOT NULL),
		(SELECT count(*) FROM cards)`).Scan(&counts[0], &counts[1], &counts[2], &counts[3], &counts[4], &counts[5])
	return counts, err
}

// SitemapSize returns how many entries Sitemap has in all.
func (s *Store) SitemapSize(ctx context.Context) (_ int, err error) {
	defer timeout(ctx, &err)
	counts, err := s.sitemapCounts(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, c := range counts {
		n += c
	}
	return n, nil
}

// Sitemap calls fn with entries offset to offset+limit of the sitemap:
// every tag, source and category listing that has articles (by slug),
// every archive year and month (oldest first), then every article (by
// id). Rows stream from the database, so memory stays bounded whatever
// the size. It stops at fn's first error.
func (s *Store) Sitemap(ctx context.Context, offset, limit int, fn func(catalog.SitemapEntry) error) (err error) {
	defer timeout(ctx, &err)
	counts, err := s.sitemapCounts(ctx)
	if err != nil {
		return err
	}
	for i, sec := range sitemapSections {
		if limit <= 0 {
			break
		}
		if offset >= counts[i] {
			offset -= counts[i]
			continue
		}
		take := min(limit, counts[i]-offset)
		if err := s.sitemapSection(ctx, sec.kind, sec.list, offset, take, fn); err != nil {
			return err
		}
		offset, limit = 0, limit-take
	}
	return nil
}

func (s *Store) sitemapSection(ctx context.Context, kind, query string, offset, limit int, fn func(catalog.SitemapEntry) error) error {
	rows, err := s.db.QueryContext(ctx, query, limit, offset)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			e    catalog.SitemapEntry
			text string
			date sql.NullString
		)
		if err := rows.Scan(&e.Article, &text, &date); err != nil {
			return err
		}
		if e.LastMod, err = parseDate(date); err != nil {
			return err
		}
		if kind == "" {
			e.Title = text
		} else {
			e.Route = catalog.Route{Kind: kind, Value: text}
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return rows.Err()
}
