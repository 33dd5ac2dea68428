package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"cardex/internal/catalog"
)

// A search with a tag was read along the search index's matches, each
// card probed in card_tags for the tag (searchWalk): about 2.7 µs a
// candidate at 1M cards, most of it a read of a page of card_tags, whose
// 3.9M rows a connection's cache does not hold. Counting 2,000 matches
// of a word within the biggest tag so took 3.1 ms. A read-only store
// keeps every card's tag ids by place (cardTags: about 9 MB at 1M
// cards), so that such a listing is the search index's matches, its tags
// tested in memory (filterInMemory).

// cardTags is each card's tag ids, by place (seq): the tags of place p
// are ids[i:i+count[p]], where i is first[p/cardTagsBlock] plus the
// counts of the places before p in its block. An offset per place would
// cost 4 MB more at 1M cards; summing at most 63 counts costs tens of
// nanoseconds.
type cardTags struct {
	first []uint32
	count []uint8
	ids   []uint16
}

const cardTagsBlock = 64

// of returns the tag ids of the card in place seq, in ascending order
// (none for a place past the end).
func (c *cardTags) of(seq uint32) []uint16 {
	if int(seq) >= len(c.count) {
		return nil
	}
	i := c.start(seq)
	j := i + uint32(c.count[seq])
	return c.ids[i:j:j] // capped: an append must not write over the next card's tags
}

// start is where the tag ids of place seq (below len(c.count)) start in
// c.ids.
func (c *cardTags) start(seq uint32) uint32 {
	block := seq / cardTagsBlock
	i := c.first[block]
	for p := block * cardTagsBlock; p < seq; p++ {
		i += uint32(c.count[p])
	}
	return i
}

// cardTagsChunk is how many card ids loadCardTags reads a statement.
const cardTagsChunk = 1 << 16

// loadCardTags reads card_tags into cardTags, for places 0 to places-1;
// seqByID is each card's place + 1, by id (0: no card). It returns nil,
// and no error, when they cannot be kept so: a tag id past 65,535, a card
// of more than 255 tags, or a row of a card not in seqByID. It reads
// card_tags in its own order (card id, tag id), a group_concat of 65,536
// cards at a time, and lays the tags out by place after: at 1M cards
// 3.9M rows, about 0.7 s (Preload went from 0.9 s to 1.6 s).
func loadCardTags(ctx context.Context, db *sql.DB, seqByID []uint32, places int) (*cardTags, error) {
	var maxTag sql.NullInt64
	if err := db.QueryRowContext(ctx, `SELECT max(tag_id) FROM card_tags`).Scan(&maxTag); err != nil {
		return nil, err
	}
	if maxTag.Int64 > math.MaxUint16 {
		return nil, nil
	}
	// By id first, as the rows come.
	countByID := make([]uint8, len(seqByID))
	var tags []uint16
	for lo := 0; lo < len(seqByID); lo += cardTagsChunk {
		var cardList, tagList sql.NullString
		if err := db.QueryRowContext(ctx, `SELECT group_concat(card_id), group_concat(tag_id) FROM (
			SELECT card_id, tag_id FROM card_tags WHERE card_id >= ? AND card_id < ? ORDER BY card_id, tag_id)`,
			lo, lo+cardTagsChunk).Scan(&cardList, &tagList); err != nil {
			return nil, err
		}
		cards, ok := parseKeys(cardList.String)
		if !ok {
			return nil, nil
		}
		ids, ok := parseKeys(tagList.String)
		if !ok || len(ids) != len(cards) {
			return nil, nil
		}
		for i, id := range cards {
			if int(id) >= len(seqByID) || seqByID[id] == 0 || ids[i] == 0 || ids[i] > math.MaxUint16 || countByID[id] == math.MaxUint8 {
				return nil, nil
			}
			countByID[id]++
			tags = append(tags, uint16(ids[i])) // #nosec G115 -- at most math.MaxUint16, checked above
		}
	}
	// Then by place.
	c := &cardTags{count: make([]uint8, places), first: make([]uint32, (places+cardTagsBlock-1)/cardTagsBlock), ids: make([]uint16, len(tags))}
	for id, n := range countByID {
		if n > 0 {
			if seq := int(seqByID[id]) - 1; seq < places {
				c.count[seq] = n
			} else {
				return nil, nil
			}
		}
	}
	at := uint32(0)
	for p, n := range c.count {
		if p%cardTagsBlock == 0 {
			c.first[p/cardTagsBlock] = at
		}
		at += uint32(n)
	}
	if int(at) != len(tags) {
		return nil, nil // two cards in one place
	}
	from := 0
	for id, n := range countByID {
		if n > 0 {
			copy(c.of(seqByID[id]-1), tags[from:from+int(n)])
			from += int(n)
		}
	}
	return c, nil
}

// searchFilter is a search with other filters that a read-only store
// tests in memory: its matches are the search index's (match), each
// kept or left out by the card's source, category and tags, by place
// (filterInMemory).
type searchFilter struct {
	match            string // the search's MATCH, narrowed unless few (narrowedUnlessFew), its excluded words left out
	source, category uint16 // the ids to keep; 0 for any
	all, none, anyOf []uint16
	// first and last are the places the dates bound the matches to
	// (places run by date, newest first: dateSpan), when dated.
	first, last uint32
	dated       bool
	kept        *keptCards
	collapse    bool // one card per story (matchesUpTo)
	// words are the sets of the search's terms when they are tested in
	// memory (wordSets) rather than in match; without, of its excluded
	// terms. With no match, the matches are read from memory, not from
	// the search index: from the sets (placesOf) when there are words,
	// every place tested (scan) when not.
	words, without []bitSet
}

// leftOut reports whether the card in place seq does not pass f: out of
// its dates' places, not of its source or category, without one of the
// search's terms tested in memory (words) or with one of its excluded
// ones (without), without one of its AND tags
// (all), with one of its excluded tags (none), or with none of its
// "any" group (anyOf).
func (f searchFilter) leftOut(seq uint32) bool {
	t := f.kept
	if int(seq) >= len(t.bySeq) || (f.dated && (seq < f.first || seq > f.last)) ||
		(f.source != 0 && f.source != t.sourceBySeq[seq]) || (f.category != 0 && f.category != t.categoryBySeq[seq]) ||
		slices.ContainsFunc(f.words, func(set bitSet) bool { return !set.has(seq) }) ||
		slices.ContainsFunc(f.without, func(set bitSet) bool { return set.has(seq) }) {
		return true
	}
	return f.tagged() && !tagsPass(t.tags.of(seq), f.all, f.none, f.anyOf)
}

// tagged reports whether f tests a card's tags.
func (f searchFilter) tagged() bool { return len(f.all)+len(f.none)+len(f.anyOf) > 0 }

// filterUse is what a filter in memory is for (filterInMemory): the
// shapes of listing without a search that it takes differ, and a search
// alone is taken for a sidebar's sample only (filteredSearch).
type filterUse int

const (
	forListing filterUse = iota // a listing's matches, any page
	forCount                    // a listing's count: its first countMax matches
	forSample                   // a sidebar's sample: its newest facetSample matches
	forScan                     // every match of a listing without a search that is scannable, each place tested (scan)
	// forPage is forListing for a page newest first (pageInMemory),
	// which also takes AND tags within a category by their names: the
	// tag's feed walked, each card probed for the category, took 29–40
	// ms for page 14 of a tag of 24,438 cards in a category at 1M cards,
	// against 9–15 ms, and 50–60 ms for page 50 of the biggest tag in a
	// category, against 4.7–7.4 ms (this evening's slower machine).
	forPage
)

// filteredSearch returns the MATCH expressions of the search index's
// rows that q's matches are among, when q has a shape that
// filterInMemory filters in memory: filters that are tags, a source, a
// category and dates alone, with one card per story or not, and either
// a search with a positive term (ftsMatch; a search alone has a way of
// its own, searchOnly) or AND tags, an "any" group or a source whose
// names the index's columns hold (namesMatch), with one card per story,
// for a sidebar's sample, for the count of a listing with an "any"
// group, or for a newest-first page of AND tags within a category
// (forPage). (Otherwise the feeds of tags and sources list the others'
// pages, whose deep ones they seek to. An "any" group has no feed, and a
// walk probes it on each card: at 1M cards, with a category, SQLite
// walked the category's cards, 37 ms to count none; with a tag and a
// category, the tag's feed, 34 ms to count 80, 8.4 ms by the names.)
func (s *Store) filteredSearch(q catalog.Query, names map[string]catalog.Ref, use filterUse) (pos, neg string, ok bool) {
	rest := q
	rest.Q, rest.Source, rest.Category, rest.Tags, rest.Any, rest.Not, rest.Collapse = "", "", "", nil, nil, nil, false
	rest.From, rest.To = catalog.DateBound{}, catalog.DateBound{}
	anyGroup := len(q.Any) > 0
	switch {
	case !rest.IsEmpty():
		return "", "", false
	case q.Q == "" && use == forScan:
		return "", "", scannable(q, names, s.scanFrom) // (no match: every place is tested)
	case q.Q == "" && (q.Collapse || use == forSample || (use == forCount && anyGroup) ||
		(use == forPage && len(q.Tags) > 0 && q.Category != "")):
		pos, ok = namesMatch(q, names)
		return pos, "", ok
	case q.Q == "" && use == forCount:
		// Counted as memoryListing would list it (scan): at 1M cards two
		// tags less a third took 24 ms along a feed that probes card_tags
		// for each card.
		return "", "", scannable(q, names, s.scanFrom)
	case q.Q == "":
		return "", "", false
	}
	pos, neg = s.ftsMatch(q.Search())
	// A search alone lists its pages its own way (searchOnly), but its
	// sidebar's sample is counted here like any other's once the kept
	// cards are read (a preloaded store; a search alone never waits on
	// that read): the newest facetSample matches read from the index,
	// their tags, sources, categories and years from the kept cards,
	// where reading each result's row and tags took 4.2–5.0 ms for a
	// word of 1,997 matches at 1M cards, against 0.27–0.28 ms.
	_, only := s.searchOnly(q)
	return pos, neg, pos != "" && (!only || (use == forSample && s.cards.loaded.Load()))
}

// namesMatch is the MATCH expression of the index's rows that hold the
// names of q's AND tags, of one of its "any" group and of its source, as
// phrases of their columns (as narrowedMatch narrows a search by them:
// looser than the filters, which are then tested); ok is false when q
// has none of them, or one whose name the index may not hold as a
// phrase (no ASCII letter or digit).
func namesMatch(q catalog.Query, names map[string]catalog.Ref) (string, bool) {
	// phrases returns the phrases of the names of the keys (kind:slug) in
	// column, ok false for a name with no ASCII letter or digit.
	phrases := func(column, kind string, slugs ...string) ([]string, bool) {
		var out []string
		for _, slug := range slugs {
			name := names[kind+":"+slug].Name
			if !slices.ContainsFunc([]byte(name), isASCIIAlnum) {
				return nil, false
			}
			out = append(out, column+` : `+ftsPhrase(name))
		}
		return out, true
	}
	all, ok := phrases("tags", "tag", q.Tags...)
	alternatives, anyOK := phrases("tags", "tag", q.Any...)
	source, sourceOK := phrases("source", "source", slices.DeleteFunc([]string{q.Source}, func(s string) bool { return s == "" })...)
	if !ok || !anyOK || !sourceOK {
		return "", false
	}
	parts := slices.Concat(all, source)
	if len(alternatives) > 0 {
		parts = append(parts, `(`+strings.Join(alternatives, " OR ")+`)`)
	}
	return strings.Join(parts, " AND "), len(parts) > 0
}

// filterInMemory returns the filter of q when q has the shape of
// filteredSearch (for use) and the store keeps what its filters test
// (keptCards, read only for a listing of that shape); ok is false
// otherwise.
func (s *Store) filterInMemory(ctx context.Context, q catalog.Query, names map[string]catalog.Ref, use filterUse) (_ searchFilter, ok bool, err error) {
	pos, neg, ok := s.filteredSearch(q, names, use)
	if !ok {
		return searchFilter{}, false, nil // (the kept cards are not read for a listing of another shape)
	}
	t, err := s.cards.get(ctx, s, loadKeptCards)
	tagged := len(q.Tags)+len(q.Any)+len(q.Not) > 0
	if err != nil || t == nil || t.sourceBySeq == nil || (tagged && t.tags == nil) || (q.Collapse && t.storySeqs == nil) {
		return searchFilter{}, false, err
	}
	f := searchFilter{match: pos, kept: t, collapse: q.Collapse} // (without a search, pos is the names' match already)
	if q.Q != "" {
		if f, err = s.searchMatch(ctx, f, q, names); err != nil {
			return searchFilter{}, false, err
		}
		if f.match != "" {
			f.match = withoutExcluded(f.match, neg)
		}
	}
	if f.first, f.last, f.dated, ok, err = s.dateSpan(ctx, q); !ok || err != nil {
		return searchFilter{}, false, err
	}
	// The ids of q's tags, source and category, in one statement, as
	// names reads their names.
	slugs := slices.Concat(q.Tags, q.Any, q.Not)
	rows, err := s.db.QueryContext(ctx, `SELECT 'tag', slug, id FROM tags WHERE slug IN (`+placeholders(len(slugs))+`)
		UNION ALL SELECT 'source', slug, id FROM sources WHERE slug = ?
		UNION ALL SELECT 'category', slug, id FROM categories WHERE slug = ?`, append(appendStrings(nil, slugs), q.Source, q.Category)...)
	if err != nil {
		return searchFilter{}, false, err
	}
	defer rows.Close()
	ids := map[string]int64{}
	for rows.Next() {
		var kind, slug string
		var id int64
		if err := rows.Scan(&kind, &slug, &id); err != nil {
			return searchFilter{}, false, err
		}
		ids[kind+":"+slug] = id
	}
	if err := rows.Err(); err != nil {
		return searchFilter{}, false, err
	}
	// id16 is the id of kind:slug, ok false when it is not a 2-byte id
	// above 0 (a name renamed since names read it, or past what the kept
	// arrays hold: SQLite's).
	id16 := func(kind, slug string) (uint16, bool) {
		id, found := ids[kind+":"+slug]
		return uint16(id), found && id > 0 && id <= math.MaxUint16 // #nosec G115 -- checked in the same expression
	}
	if q.Source != "" {
		if f.source, ok = id16("source", q.Source); !ok {
			return searchFilter{}, false, nil
		}
	}
	if q.Category != "" {
		if f.category, ok = id16("category", q.Category); !ok {
			return searchFilter{}, false, nil
		}
	}
	for _, l := range []struct {
		slugs []string
		to    *[]uint16
	}{{q.Tags, &f.all}, {q.Any, &f.anyOf}, {q.Not, &f.none}} {
		for _, slug := range l.slugs {
			id, ok := id16("tag", slug)
			if !ok {
				return searchFilter{}, false, nil
			}
			*l.to = append(*l.to, id)
		}
	}
	return f, true, nil
}

// scan returns the places of every card that f, a filter without a
// search (forScan), keeps, newest first: every place within its dates
// tested as leftOut tests it, the cards' tags read in place order
// rather than looked up for each (cardTags.of). (One function of the
// two, called for each place, cost the scan 10-15% more at 1M cards.)
func (f searchFilter) scan() []uint32 { return f.scanBetween(0, keptCardsMax, math.MaxInt) }

// scanBetween is scan of the places p, after < p <= last, stopped at its
// first n.
func (f searchFilter) scanBetween(after, last uint32, n int) []uint32 {
	t := f.kept
	lo, hi, tagged := f.scanBounds(after, last)
	var keys []uint32
	if lo <= hi {
		keys = make([]uint32, 0, min(int(hi-lo+1), n)) // (most listings of this shape keep most places)
	}
	var at uint32 // where the tags of place seq start in t.tags.ids
	if tagged && lo <= hi {
		at = t.tags.start(lo)
	}
	for seq := lo; seq <= hi && int(seq) < len(t.bySeq) && len(keys) < n; seq++ {
		if (f.source != 0 && f.source != t.sourceBySeq[seq]) || (f.category != 0 && f.category != t.categoryBySeq[seq]) {
			if tagged {
				at += uint32(t.tags.count[seq])
			}
			continue
		}
		if tagged {
			next := at + uint32(t.tags.count[seq])
			tags := t.tags.ids[at:next:next]
			at = next
			if !tagsPass(tags, f.all, f.none, f.anyOf) {
				continue
			}
		}
		keys = append(keys, seq)
	}
	return keys
}

// scanBounds returns the first and last places, after < p <= last, that
// a scan of f tests (none when lo > hi), and whether it tests tags.
func (f searchFilter) scanBounds(after, last uint32) (lo, hi uint32, tagged bool) {
	t := f.kept
	lo, hi = after+1, min(last, uint32(len(t.bySeq)-1)) // #nosec G115 -- len(bySeq) <= keptCardsMax
	if f.dated {
		lo, hi = max(lo, f.first), min(hi, f.last)
	}
	if tagged = f.tagged(); tagged {
		hi = min(hi, uint32(len(t.tags.count)-1)) // #nosec G115 -- as above
	}
	return lo, hi, tagged
}

// scanBack is scanBetween backwards: the places p, after < p <= last,
// from last down, stopped at its first n, with the words of a filter
// read from the word sets (no match) tested too. Its own loop, as
// scan's: leftOut, the same test, finds each place's tags from the
// start of its block, where the loop steps back from the last's.
func (f searchFilter) scanBack(after, last uint32, n int) []uint32 {
	t := f.kept
	lo, hi, tagged := f.scanBounds(after, last)
	if lo > hi || n <= 0 {
		return nil
	}
	keys := make([]uint32, 0, min(int(hi-lo+1), n))
	var at uint32 // where the tags of place seq end in t.tags.ids
	if tagged {
		at = t.tags.start(hi) + uint32(t.tags.count[hi])
	}
	for seq := hi; len(keys) < n; seq-- {
		pass := (f.source == 0 || f.source == t.sourceBySeq[seq]) && (f.category == 0 || f.category == t.categoryBySeq[seq])
		if tagged {
			end := at
			at -= uint32(t.tags.count[seq])
			pass = pass && tagsPass(t.tags.ids[at:end:end], f.all, f.none, f.anyOf)
		}
		for _, set := range f.words { // (a filter read from the word sets: no match)
			pass = pass && set.has(seq)
		}
		for _, set := range f.without {
			pass = pass && !set.has(seq)
		}
		if pass {
			keys = append(keys, seq)
		}
		if seq == lo { // lo >= 1: seq never wraps
			break
		}
	}
	return keys
}

// tagsPass reports whether a card of tags has every tag of all, none of
// none, and one of anyOf when it has any: a card's few tags, looked
// through, cost less than a binary search each.
func tagsPass(tags, all, none, anyOf []uint16) bool {
	for _, id := range all {
		if !slices.Contains(tags, id) {
			return false
		}
	}
	for _, id := range none {
		if slices.Contains(tags, id) {
			return false
		}
	}
	if len(anyOf) == 0 {
		return true
	}
	for _, id := range anyOf {
		if slices.Contains(tags, id) {
			return true
		}
	}
	return false
}

// matchesUpTo returns the first n matches of f, newest first (places),
// more set when there are more: the search index's matches read a
// batch at a time (from the last one read on), each tested in memory.
// With f.collapse, one card per story: a card that shares a story is
// left out when another card of its story that comes before it
// (storiedCard.before: a newer one, or one of the same day with a
// smaller id) matches, as collapseStories leaves it out. A newer one
// is read before it, as places run newest first; one of the same day
// with a smaller id comes after it (places run by id down within a
// day), and is looked up in the index (sameDayBefore). ok is false when
// a place is past what the store keeps (listKeys).
func (s *Store) matchesUpTo(ctx context.Context, f searchFilter, n int) (seqs []uint32, more, ok bool, err error) {
	after, last, batch := uint32(0), uint32(keptCardsMax), max(n+n/4, 256)
	if f.dated {
		after, last = f.first-1, f.last
	}
	newest := map[int64]int32{} // a story's first matching card's day
	var keys []uint32
	for {
		var listed bool
		var err error
		switch {
		case f.match != "":
			keys, listed, err = listKeys(ctx, s.db, `SELECT rowid AS k FROM cards_fts WHERE cards_fts MATCH ? AND rowid > ? AND rowid <= ? ORDER BY rowid LIMIT ?`,
				[]any{f.match, after, last, batch})
		case len(f.words) > 0:
			keys, listed = placesOf(keys[:0], f.words, f.without, after, last, batch), true
		default:
			keys, listed = f.scanBetween(after, last, batch), true
		}
		if err != nil || !listed {
			return nil, false, false, err
		}
		for _, k := range keys {
			if f.leftOut(k) {
				continue
			}
			if c, storied := f.kept.storiedSeq[k]; f.collapse && storied {
				day, seen := newest[c.story]
				if !seen {
					newest[c.story] = c.day
				}
				if seen && day > c.day {
					continue
				}
				before, ok, err := s.sameDayBefore(ctx, f, c)
				if err != nil || !ok {
					return nil, false, ok, err
				}
				if before {
					continue
				}
			}
			if len(seqs) == n {
				return seqs, true, true, nil
			}
			seqs = append(seqs, k)
		}
		if len(keys) < batch {
			return seqs, false, true, nil
		}
		after, batch = keys[len(keys)-1], batch*2
	}
}

// sameDayBefore reports whether a card of c's story of the same day
// and a smaller id (which comes before c in its story, and after it in
// places) matches f. ok is false when a place is past what the store
// keeps (listKeys).
func (s *Store) sameDayBefore(ctx context.Context, f searchFilter, c storiedCard) (before, ok bool, err error) {
	var lo, hi uint32
	var others []uint32
	for _, seq := range f.kept.storySeqs[c.story] {
		if d := f.kept.storiedSeq[seq]; d.day == c.day && d.id < c.id && !f.leftOut(seq) {
			if len(others) == 0 || seq < lo {
				lo = seq
			}
			others = append(others, seq)
			hi = max(hi, seq)
		}
	}
	if len(others) == 0 || f.match == "" {
		return len(others) > 0, true, nil // (read from memory, a place that passes f matches)
	}
	keys, ok, err := listKeys(ctx, s.db, `SELECT rowid AS k FROM cards_fts WHERE cards_fts MATCH ? AND rowid >= ? AND rowid <= ? ORDER BY rowid`,
		[]any{f.match, lo, hi})
	if err != nil || !ok {
		return false, false, err
	}
	return slices.ContainsFunc(others, func(seq uint32) bool { _, found := slices.BinarySearch(keys, seq); return found }), true, nil
}

// listedMatches is the first matches of a listing filtered in memory,
// newest first (places), and whether more follow them.
type listedMatches struct {
	seqs []uint32
	more bool
}

// matchesInMemory returns the first n matches of q, newest first
// (places), and whether there are more, when the store tests q's filters
// in memory (filterInMemory, for use); ok is false otherwise. A listing's count
// (n = countMax) is remembered, on a read-only store, for its pages and
// sidebar: a word within a rare tag took 1.5 ms to count at 1M cards,
// and its first page 1 ms more when it walked the matches again.
func (s *Store) matchesInMemory(ctx context.Context, q catalog.Query, names map[string]catalog.Ref, n int, use filterUse) (seqs []uint32, more, ok bool, err error) {
	key := filtersKey(q)
	if l, found := s.matchMemo.Get(key); found && (n <= len(l.seqs) || !l.more) {
		k := min(n, len(l.seqs))
		return l.seqs[:k:k], l.more || n < len(l.seqs), true, nil // capped: shared by every caller
	}
	f, ok, err := s.filterInMemory(ctx, q, names, use)
	if !ok || err != nil {
		return nil, false, false, err
	}
	seqs, more, ok, err = s.matchesUpTo(ctx, f, n)
	seqs = slices.Clip(seqs)
	if ok && err == nil && s.readOnly && n == s.countMax {
		s.matchMemo.Put(key, listedMatches{seqs, more})
	}
	return seqs, more, ok, err
}

// pageInMemory returns the places of page q, limit rows at most, when it
// is newest first (newest) and the store tests q's filters in memory
// (filterInMemory): its matches up to the page's last. ok is false
// otherwise.
func (s *Store) pageInMemory(ctx context.Context, q catalog.Query, names map[string]catalog.Ref, newest bool, limit int) ([]uint32, bool, error) {
	if !newest {
		return nil, false, nil
	}
	seqs, _, ok, err := s.matchesInMemory(ctx, q, names, q.Offset()+limit, forPage)
	return seqs[min(q.Offset(), len(seqs)):], ok, err
}

// sampleInMemory counts the sample of a live sidebar of q (its newest
// facetSample results) in memory, when the store tests q's filters
// there (filterInMemory) and keeps the cards' tags and years: their
// tags, sources, categories and years by place, rather than a read of
// each result's row and tags (about 2 ms for a word within a tag at 1M
// cards, most of it reads of pages of card_tags). ok is false otherwise.
func (s *Store) sampleInMemory(ctx context.Context, q catalog.Query, names map[string]catalog.Ref) (sampleCounts, bool, error) {
	f, ok, err := s.filterInMemory(ctx, q, names, forSample)
	if !ok || err != nil || f.kept.tags == nil || f.kept.yearBySeq == nil {
		return sampleCounts{}, false, err
	}
	kept := f.kept
	seqs, _, ok, err := s.matchesUpTo(ctx, f, facetSample)
	if !ok || err != nil {
		return sampleCounts{}, false, err
	}
	c := sampleCounts{n: len(seqs), tags: map[int64]int{}, sources: map[int64]int{}, categories: map[int64]int{}, years: map[string]int{}}
	for _, seq := range seqs {
		if card, storied := kept.storiedSeq[seq]; storied {
			c.storied = append(c.storied, card.id)
		}
		for _, id := range kept.tags.of(seq) {
			c.tags[int64(id)]++
		}
		if id := kept.sourceBySeq[seq]; id != 0 {
			c.sources[int64(id)]++
		}
		if id := kept.categoryBySeq[seq]; id != 0 {
			c.categories[int64(id)]++
		}
		if y := kept.yearBySeq[seq]; y != 0 {
			c.years[fmt.Sprintf("%04d", y)]++
		}
	}
	return c, true, nil
}

// narrowFromMatches is the fewest matches of a search for which they are
// narrowed by the names of its AND tags and source (narrowedMatch) when
// its filters are tested in memory. Narrowed, FTS5 intersects the
// postings, seeking along one for each row of the other; not narrowed,
// it reads the search's postings alone, which is cheaper when they are
// short. At 1M cards a word of 1,997 matches within the biggest tag
// (268,992 cards) took 1.6 ms narrowed and 0.1 ms not; the first 2,000
// matches of a word of 161,000 in that tag 1.25 ms narrowed, 1.7 ms not;
// a word of 318,923 within a tag of 2,328 cards 1.5 ms narrowed, where
// not narrowed it would read 318,923 places.
const narrowFromMatches = 8_000

// searchMatch returns f, whose match is pos (the MATCH expression of
// q's search), with the rows that a filter in memory of q reads: when
// the store keeps a set of every positive term of the search
// (keptTerms), and q's filters have names the index holds (namesMatch),
// the rows of those names, each term tested in memory; without such
// names, when it keeps a set of each excluded term too, the places of
// the sets (no match), which read no row of the index (at 1M cards "the
// -also" in a category, every match listed to sort them by read time:
// 802k rows of the index). Otherwise pos, narrowed unless few
// (narrowedUnlessFew).
func (s *Store) searchMatch(ctx context.Context, f searchFilter, q catalog.Query, names map[string]catalog.Ref) (searchFilter, error) {
	words, without, kept, negKept, err := s.keptTerms(ctx, q)
	if err != nil {
		return f, err
	}
	byNames, named := namesMatch(q, names)
	switch {
	case kept && named:
		f.match, f.words = byNames, words
	case kept && negKept:
		f.match, f.words, f.without = "", words, without
	default:
		f.match, err = s.narrowedUnlessFew(ctx, q, f.match, names)
	}
	return f, err
}

// narrowedUnlessFew returns pos, the MATCH expression of q's search,
// narrowed by the names of q's AND tags and source (narrowedMatch)
// unless the search has fewer than the store's narrowFrom matches
// (ownTotal): a word's are known without a walk (oneWord), a ranked
// search's are counted first anyway; any other search is narrowed.
func (s *Store) narrowedUnlessFew(ctx context.Context, q catalog.Query, pos string, names map[string]catalog.Ref) (string, error) {
	if len(q.Tags) == 0 && len(q.Any) == 0 && q.Source == "" {
		return pos, nil // nothing to narrow by
	}
	// Counted without a walk when it is a word (oneWord), or when it is
	// ranked, which counts it first anyway: ownTotal, remembered.
	if _, _, word := s.oneWord(ownSearch(q)); !word && q.EffectiveSort() != catalog.SortRelevance {
		return narrowedMatch(pos, q, names), nil
	}
	t, err := s.ownTotal(ctx, q, pos)
	if err != nil {
		return "", err
	}
	matches, known := t.n, !t.more
	if known && matches < s.narrowFrom {
		return pos, nil
	}
	return narrowedMatch(pos, q, names), nil
}

// dateSpan returns the places that q's dates bound a listing to, first
// to last (bounded false when q has none): places run by date, newest
// first, the undated cards last (migration 0008), so the cards of a date
// range, which compares dates as whereStories does, are a range of
// places, the dated cards' alone. An empty range is first 1, last 0. ok
// is false for a bound that does not parse (where reports it).
func (s *Store) dateSpan(ctx context.Context, q catalog.Query) (first, last uint32, bounded, ok bool, err error) {
	var conds []string
	var args []any
	for _, b := range []struct {
		cmp   string
		bound catalog.DateBound
		day   func(catalog.DateBound) time.Time
	}{{">=", q.From, catalog.DateBound.First}, {"<=", q.To, catalog.DateBound.Last}} {
		if b.bound.IsZero() {
			continue
		}
		if _, err := catalog.ParseDateBound(b.bound.Text); err != nil {
			return 0, 0, false, false, nil
		}
		conds = append(conds, `published `+b.cmp+` ?`)
		args = append(args, b.day(b.bound).Format(time.DateOnly))
	}
	if len(conds) == 0 {
		return 0, 0, false, true, nil
	}
	// The newest card of the range has its first place, the oldest its
	// last (within a day, places run by id down).
	cond := strings.Join(conds, " AND ")
	var lo, hi sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT
		(SELECT seq FROM cards WHERE `+cond+` ORDER BY published DESC, id DESC LIMIT 1),
		(SELECT seq FROM cards WHERE `+cond+` ORDER BY published, id LIMIT 1)`,
		slices.Concat(args, args)...).Scan(&lo, &hi); err != nil {
		return 0, 0, false, false, err
	}
	switch {
	case !lo.Valid || !hi.Valid:
		return 1, 0, true, true, nil // no card in the range
	case lo.Int64 < 1 || hi.Int64 < lo.Int64 || hi.Int64 >= keptCardsMax:
		return 0, 0, false, false, nil
	}
	return uint32(lo.Int64), uint32(hi.Int64), true, true, nil // #nosec G115 -- both under keptCardsMax, checked above
}
