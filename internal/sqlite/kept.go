package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"strconv"

	"cardex/internal/catalog"
)

// A page of a listing by read time (longest or shortest first) was
// SQLite's sort of every match by the cards' read_minutes, a read of
// each card's row: at 1M cards every card longest first took 339 ms, the
// biggest tag 305 ms, a word of 486,901 matches 496 ms, for any page. A
// deep page with one card per story walked the listing to it, testing
// the story rule on every card it skipped (page 25,000 of every card:
// 337 ms). A read-only store keeps what those listings need of every
// card in memory (keptCards: about 20 MB at 1M cards with their tags and
// years, read by Preload or by the first listing that needs it), so that a listing's matches are
// listed newest first without their rows (memoryListing), one card per
// story is kept in memory, and an order by read time is a counting
// sort, which keeps the newest-first order among the cards of the same
// read time: the order's ties (catalog.SortLongest).

// keptCards is what a read-only store keeps of every card for its
// listings in memory: its read time by place (seq) and by id, its
// source, category, year and tags by place, and the cards that share a
// story with others (a few in a hundred), by place and by id, for one
// card per story.
type keptCards struct {
	bySeq, byID []uint8
	// sourceBySeq and categoryBySeq are each card's source and category
	// ids by place (0 for none); nil when an id is past 65,535.
	sourceBySeq, categoryBySeq []uint16
	// yearBySeq is each card's year by place (0 for no date), for a
	// sidebar counted in memory; nil when a date does not start with a
	// year of four digits, 0001 to 9999.
	yearBySeq               []uint16
	storiedSeq, storiedByID map[uint32]storiedCard // nil when a story's card could not be read (its date)
	storySeqs               map[int64][]uint32     // each story's cards' places, with storiedSeq
	// hiddenAll are the places of the cards that one card per story
	// leaves out of a listing of every card.
	hiddenAll bitSet
	// tags are each card's tag ids by place; nil when they cannot be
	// kept so (see loadCardTags): the listings that test tags are then
	// SQLite's.
	tags *cardTags
}

// storiedCard is a card that shares a story with others.
type storiedCard struct {
	id, story int64
	day       int32 // its date as YYYYMMDD; 0 when it has none
}

// before reports whether c comes before d in their story, where one card
// per story keeps the first (collapseStories): newer (undated counts as
// oldest), or of the same day with a smaller id.
func (c storiedCard) before(d storiedCard) bool {
	if c.day != d.day {
		return c.day > d.day
	}
	return c.id < d.id
}

// hidden returns the keys (places, or ids: bySeq) of the cards that one
// card per story leaves out of a listing of keys (nil: of every card),
// as collapseStories does: those that another card of their story among
// keys comes before. It reads the cards that share a story (a few in a
// hundred) against a bitmap of the listing, rather than looking every
// key up: 3 ms for every card at 1M cards, against 25 ms.
func (t *keptCards) hidden(keys []uint32, bySeq bool) bitSet {
	of, keyMax := t.storiedByID, len(t.byID)
	if bySeq {
		of, keyMax = t.storiedSeq, len(t.bySeq)
	}
	listed := make(bitSet, (keyMax+63)/64)
	if keys == nil {
		for i := range listed {
			listed[i] = ^uint64(0)
		}
	}
	for _, k := range keys {
		listed.add(k)
	}
	first := map[int64]storiedCard{}
	for k, c := range of {
		if listed.has(k) {
			if f, seen := first[c.story]; !seen || c.before(f) {
				first[c.story] = c
			}
		}
	}
	hidden := make(bitSet, len(listed))
	for k, c := range of {
		if listed.has(k) && first[c.story].id != c.id {
			hidden.add(k)
		}
	}
	return hidden
}

// bitSet is a set of keys, a bit each; a key past its end is in no set.
type bitSet []uint64

func (b bitSet) add(k uint32) {
	if int(k/64) < len(b) {
		b[k/64] |= 1 << (k % 64)
	}
}

func (b bitSet) has(k uint32) bool { return int(k/64) < len(b) && b[k/64]&(1<<(k%64)) != 0 }

// keptCardsMax bounds the places and ids kept (about 100 MB at most):
// past it, the listings are SQLite's.
const keptCardsMax = 1 << 24

// loadKeptCards reads what keptCards keeps of every card: nil, and no
// error, when a place or id is past keptCardsMax, a card has no place,
// or a read time is past 255 minutes (those listings are SQLite's); no
// sources and categories when an id is past 65,535 (a search filtered
// by one is walked in SQLite); no stories when a card of one has a date
// that is not YYYY-MM-DD (one card per story is SQLite's).
func loadKeptCards(ctx context.Context, db *sql.DB) (*keptCards, error) {
	var maxID, maxSeq sql.NullInt64
	if err := db.QueryRowContext(ctx, `SELECT max(id), max(seq) FROM cards`).Scan(&maxID, &maxSeq); err != nil {
		return nil, err
	}
	if maxID.Int64 < 0 || maxID.Int64 >= keptCardsMax || maxSeq.Int64 < 0 || maxSeq.Int64 >= keptCardsMax {
		return nil, nil
	}
	t := &keptCards{bySeq: make([]uint8, maxSeq.Int64+1), byID: make([]uint8, maxID.Int64+1),
		sourceBySeq: make([]uint16, maxSeq.Int64+1), categoryBySeq: make([]uint16, maxSeq.Int64+1), yearBySeq: make([]uint16, maxSeq.Int64+1)}
	seqByID := make([]uint32, maxID.Int64+1) // each card's place + 1; 0 for no card
	rows, err := db.QueryContext(ctx, `SELECT id, seq, read_minutes, coalesce(source_id, 0), coalesce(category_id, 0),
		CASE WHEN published IS NULL THEN 0 WHEN published GLOB '[0-9][0-9][0-9][0-9]*' AND published NOT GLOB '0000*' THEN CAST(substr(published, 1, 4) AS INTEGER) ELSE -1 END
		FROM cards`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, minutes, source, category, year int64
		var seq sql.NullInt64
		if err := rows.Scan(&id, &seq, &minutes, &source, &category, &year); err != nil {
			return nil, err
		}
		if !seq.Valid || minutes < 0 || minutes > math.MaxUint8 || id < 0 || id > maxID.Int64 || seq.Int64 < 0 || seq.Int64 > maxSeq.Int64 {
			return nil, rows.Close()
		}
		t.bySeq[seq.Int64] = uint8(minutes) // #nosec G115 -- minutes is at most math.MaxUint8, checked above
		t.byID[id] = uint8(minutes)         // #nosec G115 -- the same
		seqByID[id] = uint32(seq.Int64) + 1 // #nosec G115 -- seq < keptCardsMax, checked above
		if t.sourceBySeq != nil && (source < 0 || source > math.MaxUint16 || category < 0 || category > math.MaxUint16) {
			t.sourceBySeq, t.categoryBySeq = nil, nil // those listings are walked in SQLite
		}
		if t.yearBySeq != nil && (year < 0 || year > math.MaxUint16) {
			t.yearBySeq = nil // those sidebars are counted in SQLite
		}
		if t.yearBySeq != nil {
			t.yearBySeq[seq.Int64] = uint16(year) // #nosec G115 -- at most math.MaxUint16, checked above
		}
		if t.sourceBySeq != nil {
			t.sourceBySeq[seq.Int64], t.categoryBySeq[seq.Int64] = uint16(source), uint16(category) // #nosec G115 -- both at most math.MaxUint16, checked above
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	if t.tags, err = loadCardTags(ctx, db, seqByID, len(t.bySeq)); err != nil {
		return nil, err
	}
	// The cards that share a story (cards_story holds only those).
	if rows, err = db.QueryContext(ctx, `SELECT id, seq, story, coalesce(published, '') FROM cards WHERE story IS NOT NULL`); err != nil {
		return nil, err
	}
	defer rows.Close()
	t.storiedSeq, t.storiedByID = map[uint32]storiedCard{}, map[uint32]storiedCard{}
	for rows.Next() {
		var c storiedCard
		var seq int64
		var published string
		if err := rows.Scan(&c.id, &seq, &c.story, &published); err != nil {
			return nil, err
		}
		day, ok := dayNumber(published)
		if !ok || c.id < 0 || c.id > maxID.Int64 || seq < 0 || seq > maxSeq.Int64 {
			// The read times stand; one card per story is left to SQLite.
			t.storiedSeq, t.storiedByID = nil, nil
			return t, rows.Close()
		}
		c.day = day
		t.storiedSeq[uint32(seq)], t.storiedByID[uint32(c.id)] = c, c // #nosec G115 -- both under keptCardsMax, checked above
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	t.storySeqs = map[int64][]uint32{}
	for seq, c := range t.storiedSeq {
		t.storySeqs[c.story] = append(t.storySeqs[c.story], seq)
	}
	t.hiddenAll = t.hidden(nil, true)
	return t, nil
}

// dayNumber is a YYYY-MM-DD date as YYYYMMDD, which orders as the text
// does; 0 for "" (no date). ok is false for any other text.
func dayNumber(date string) (int32, bool) {
	if date == "" {
		return 0, true
	}
	if len(date) != 10 || date[4] != '-' || date[7] != '-' {
		return 0, false
	}
	n, err := strconv.ParseInt(date[:4]+date[5:7]+date[8:], 10, 32)
	return int32(n), err == nil && n > 0 // #nosec G115 -- ParseInt's bit size is 32
}

// timeSortedPage returns the SELECT of the ids of page q (with its
// arguments) when q is in an order by read time and the store keeps the
// read times: its matches (memoryListing), sorted in memory. limit is
// the rows the page asks for. ok is false otherwise.
func (s *Store) timeSortedPage(ctx context.Context, q catalog.Query, names map[string]catalog.Ref, limit int) (string, []any, bool, error) {
	sort := q.EffectiveSort()
	if sort != catalog.SortLongest && sort != catalog.SortShortest {
		return "", nil, false, nil
	}
	l, ok, err := s.memoryListing(ctx, q, names)
	if !ok || err != nil {
		return "", nil, false, err
	}
	page, ok := byReadTime(l, sort == catalog.SortLongest, q.Offset(), limit)
	if !ok {
		return "", nil, false, nil // a card read after the read times were: SQLite sorts
	}
	query, args := l.idsOf(page)
	return query, args, true, nil
}

// collapsedFromRow is the first row from which a page newest first with
// one card per story is read from memory (collapsedPage, Store's
// collapsedFrom): before it, the page's walk tests the story rule on
// fewer cards than a listing of all the matches reads (a page near the
// front of every card takes 0.55 ms at 1M cards; page 25,000 took 337
// ms).
const collapsedFromRow = 1_000

// collapsedPage returns the SELECT of the ids of page q (with its
// arguments) when q lists one card per story newest first (newest), from
// row collapsedFrom on to as many rows before the end of its size rows
// (the last pages are read from the end), and the store keeps its
// matches' stories: its matches (memoryListing), from the page's first.
// limit is the rows the page asks for. ok is false otherwise.
func (s *Store) collapsedPage(ctx context.Context, q catalog.Query, names map[string]catalog.Ref, size, limit int, newest bool) (string, []any, bool, error) {
	if !newest || !q.Collapse || q.Offset() < s.collapsedFrom || (size != unknownTotal && size-q.Offset() < s.collapsedFrom) {
		return "", nil, false, nil
	}
	l, ok, err := s.memoryListing(ctx, q, names)
	if !ok || !l.cheap || err != nil {
		// A listing walked with a filter tested on each card: the page's
		// walk tests it on fewer (a common word in a category, one card
		// per story, page 51: every match against 7,000).
		return "", nil, false, err
	}
	query, args := l.idsOf(l.window(q.Offset(), limit))
	return query, args, true, nil
}

// memoryList is a listing's matches newest first, as memoryListing
// lists them: places or ids (bySeq), and their read times.
type memoryList struct {
	keys    []uint32
	every   bool    // keys is every place, 1 to len(minutes)-1, not listed
	skip    bitSet  // keys left out (one card per story)
	minutes []uint8 // by key
	bySeq   bool
	cheap   bool // listed without testing a filter on each card
}

// inOrder yields l's keys in order.
func (l memoryList) inOrder(yield func(uint32) bool) {
	if l.every {
		for seq := 1; seq < len(l.minutes); seq++ {
			if k := uint32(seq); !l.skip.has(k) && !yield(k) { // #nosec G115 -- seq < keptCardsMax
				return
			}
		}
		return
	}
	for _, k := range l.keys {
		if !l.skip.has(k) && !yield(k) {
			return
		}
	}
}

// window returns l's keys from offset, up to limit of them.
func (l memoryList) window(offset, limit int) []uint32 {
	var page []uint32
	i := 0
	for k := range l.inOrder {
		if i >= offset+limit {
			break
		}
		if i >= offset {
			page = append(page, k)
		}
		i++
	}
	return page
}

// idsOf returns the SELECT of the ids of keys, a page of l, with its
// argument.
func (l memoryList) idsOf(keys []uint32) (string, []any) {
	list := []byte{'['} // "[]", not "null", for a page past the end
	for i, k := range keys {
		if i > 0 {
			list = append(list, ',')
		}
		list = strconv.AppendUint(list, uint64(k), 10)
	}
	list = append(list, ']')
	if l.bySeq {
		return `SELECT c.id AS id FROM json_each(?) p JOIN cards c ON c.seq = p.value`, []any{string(list)}
	}
	return `SELECT value AS id FROM json_each(?)`, []any{string(list)}
}

// memoryListing lists q's matches newest first without their rows, on a
// store that keeps its cards (keptCards): for a search with a source, a
// category, tags or dates, the search index's matches filtered in memory
// (filterInMemory); else along the listing's walk (the search index's
// places, a tag's feed), every place for a listing of every card, or an
// index of the cards for a source, a category or dates; with one card
// per story kept in memory (hidden) when q asks for it. ok is false for
// any other listing, or a store that keeps no cards.
func (s *Store) memoryListing(ctx context.Context, q catalog.Query, names map[string]catalog.Ref) (memoryList, bool, error) {
	kept, err := s.cards.get(ctx, s, loadKeptCards)
	if err != nil || kept == nil || (q.Collapse && kept.storiedSeq == nil) {
		return memoryList{}, false, err // (one card per story is SQLite's when no story was kept)
	}
	// Every match, one card per story worked out after.
	uncollapsed := q
	uncollapsed.Collapse = false
	l, listed := memoryList{minutes: kept.byID}, true
	filter, filtered, err := s.filterInMemory(ctx, uncollapsed, names, forListing)
	if err != nil {
		return memoryList{}, false, err
	}
	var scan searchFilter
	scanned := false
	if !filtered {
		if scan, scanned, err = s.filterInMemory(ctx, uncollapsed, names, forScan); err != nil {
			return memoryList{}, false, err
		}
	}
	if scanned {
		// Tags with other filters, an "any" group or excluded tags, and
		// no search: every place tested in memory (scan), rather than a
		// walk that probes card_tags for each card, or SQLite's sort of
		// every card (at 1M cards every card less a tag's by read time:
		// 320 ms).
		l.minutes, l.bySeq, l.cheap = kept.bySeq, true, true
		// A listing whose count listed every match (at most countMax:
		// matchesInMemory, remembered, by its names or by a scan that
		// stopped at the bound) needs no scan of its own: at 1M cards an
		// "any" group of 26 cards took 15 ms by the scan.
		few, more, counted, err := s.matchesInMemory(ctx, uncollapsed, names, s.countMax, forCount)
		switch {
		case err != nil:
			return memoryList{}, false, err
		case counted && !more:
			l.keys = few
		default:
			l.keys = scan.scan()
		}
	} else if filtered {
		// A search with a source, a category, tags or dates: the search
		// index's matches alone, the filters tested in memory (the walk tests
		// them on each card's row: a common word in a category, 430-600
		// ms).
		l.minutes, l.bySeq, l.cheap = kept.bySeq, true, true
		l.keys, _, listed, err = s.matchesUpTo(ctx, filter, keptCardsMax) // every match (of the uncollapsed filter)
	} else {
		w, walked, werr := s.walkOf(uncollapsed, names, false)
		switch {
		case werr != nil:
			return memoryList{}, false, werr
		case walked && w.search:
			l.minutes, l.bySeq = kept.bySeq, true
			_, alone := s.searchOnly(uncollapsed)
			pos, neg, posKept, negKept, kerr := s.keptTerms(ctx, uncollapsed)
			if kerr != nil {
				return memoryList{}, false, kerr
			}
			if alone && posKept && negKept {
				// A search alone of words the store keeps the places of
				// (wordSets): at 1M cards "lessons" (486,901 matches) by
				// read time took 33 ms, most of it listing the index's rows.
				l.keys = placesOf(nil, pos, neg, 0, keptCardsMax-1, keptCardsMax)
				break
			}
			l.keys, listed, err = listKeys(ctx, s.db, `SELECT f.rowid AS k `+w.from+` ORDER BY f.rowid`, w.args)
		case walked:
			l.keys, listed, err = listKeys(ctx, s.db, `SELECT ft.card_id AS k `+w.from+` ORDER BY `+feedOrder, w.args)
		case uncollapsed.IsEmpty():
			// Every card: the places 1 to the number of cards (migration 0008).
			l.minutes, l.bySeq, l.every = kept.bySeq, true, true
		case len(q.Tags) == 0 && len(q.Any) == 0 && len(q.Not) == 0 && q.Q == "":
			// A source, a category or dates: an index of the cards in date
			// order answers the condition without their rows (cards_source,
			// cards_category, cards_published). Any other condition reads
			// each card to test it, in the index's date order: 0.7 s for
			// every card with one card per story, against 0.14 s for SQLite's
			// own sort, which it is left to.
			cond, args, cerr := s.where(uncollapsed)
			if cerr != nil {
				return memoryList{}, false, cerr
			}
			l.keys, listed, err = listKeys(ctx, s.db, `SELECT c.id AS k FROM cards c WHERE `+cond+` ORDER BY c.published DESC NULLS LAST, c.id DESC`, args)
		default:
			return memoryList{}, false, nil
		}
		// Listed without a filter tested on each card: every card, a
		// search alone, a tag alone, or an index of the cards.
		_, alone := s.searchOnly(uncollapsed)
		tagAlone := uncollapsed
		tagAlone.Tags = nil
		l.cheap = !walked || alone || (len(uncollapsed.Tags) == 1 && tagAlone.IsEmpty())
	}
	if err != nil || !listed {
		return memoryList{}, false, err
	}
	switch {
	case !q.Collapse:
	case l.every:
		l.skip = kept.hiddenAll
	default:
		l.skip = kept.hidden(l.keys, l.bySeq)
	}
	return l, true, nil
}

// scanFromCards is the fewest cards of a listing's smallest AND tag,
// source or category for which memoryListing tests every place rather
// than walk that (scannable): at 1M cards a scan takes about 10 ms, a
// walk about 2.7 µs a card it probes.
const scanFromCards = 4_000

// scannable reports whether memoryListing lists q, a listing without a
// search, by a scan of every place: one with an "any" group or excluded
// tags, or AND tags with other filters, whose smallest AND tag, source
// or category has from cards or more (the store's scanFrom,
// scanFromCards).
func scannable(q catalog.Query, names map[string]catalog.Ref, from int) bool {
	if q.Q != "" || (len(q.Any) == 0 && len(q.Not) == 0 && (len(q.Tags) == 0 || (len(q.Tags) == 1 && q.Source == "" && q.Category == ""))) {
		return false
	}
	smallest := math.MaxInt
	for _, key := range append(prefixed("tag:", q.Tags), "source:"+q.Source, "category:"+q.Category) {
		if r, ok := names[key]; ok {
			smallest = min(smallest, r.Count)
		}
	}
	return smallest >= from
}

// prefixed returns each of xs after prefix.
func prefixed(prefix string, xs []string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = prefix + x
	}
	return out
}

// listKeys returns the keys (column k) of the rows of query, in its
// order, read as one row (a group_concat): a row per key through
// database/sql cost 72 ms for 486,901 keys, one string of them 21 ms.
// ok is false for a key past keptCardsMax (or anything but a list of
// keys): that listing is then SQLite's.
func listKeys(ctx context.Context, db *sql.DB, query string, args []any) (keys []uint32, ok bool, err error) {
	var list sql.NullString
	if err := db.QueryRowContext(ctx, `SELECT group_concat(k) FROM (`+query+`)`, args...).Scan(&list); err != nil {
		return nil, false, err
	}
	keys, ok = parseKeys(list.String)
	return keys, ok, nil
}

// parseKeys returns the numbers of text, a group_concat of them; ok is
// false for a number past keptCardsMax, or anything but such a list.
func parseKeys(text string) (keys []uint32, ok bool) {
	for i := 0; i < len(text); i++ {
		var v uint64
		j := i
		for ; j < len(text) && text[j] >= '0' && text[j] <= '9'; j++ {
			if v = v*10 + uint64(text[j]-'0'); v >= keptCardsMax {
				return nil, false
			}
		}
		if j == i || (j < len(text) && text[j] != ',') {
			return nil, false
		}
		keys = append(keys, uint32(v)) // #nosec G115 -- v < keptCardsMax
		i = j
	}
	return keys, true
}

// byReadTime returns the keys of the page of l that starts at offset and
// holds up to limit, by read time (each key's minutes, longest or
// shortest first), ties in l's order (newest first). ok is false when a
// key has no read time kept.
func byReadTime(l memoryList, longest bool, offset, limit int) (page []uint32, ok bool) {
	var count [256]int
	n := 0
	for k := range l.inOrder {
		if int(k) >= len(l.minutes) {
			return nil, false
		}
		count[l.minutes[k]]++
		n++
	}
	// Where each read time's cards start in the order asked.
	var start [256]int
	at := 0
	for i := range 256 {
		m := i
		if longest {
			m = 255 - i
		}
		start[m], at = at, at+count[m]
	}
	end := min(offset+limit, n)
	if offset >= end {
		return nil, true
	}
	page = make([]uint32, end-offset)
	for k := range l.inOrder {
		m := l.minutes[k]
		if p := start[m]; p >= offset && p < end {
			page[p-offset] = k
		}
		start[m]++
	}
	return page, true
}

// Preload reads, on a read-only store, what it keeps in memory to serve
// some listings: the search index's row sizes (ranking) and its cards
// (keptCards: orders by read time, deep pages of one card per story,
// searches filtered in memory) and the rows of its commonest words
// (wordSets), these beside the others, on a connection of their own.
// Each is otherwise read by the first request that needs it: together
// 1.6 s at 1M cards (0.9 s before the cards' tags were kept), the words
// about 1.3 s beside them. cardex serve preloads a store before it
// serves from it.
func (s *Store) Preload(ctx context.Context) error {
	words := make(chan error, 1)
	go func() {
		_, err := s.words.get(ctx, s, s.loadWordSets)
		words <- err
	}()
	_, err := s.lengths.get(ctx, s, loadDocLengths)
	if err == nil {
		_, err = s.cards.get(ctx, s, loadKeptCards)
	}
	return errors.Join(err, <-words)
}
