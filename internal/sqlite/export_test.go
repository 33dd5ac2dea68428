package sqlite

import (
	"context"
	"database/sql"

	"cardex/internal/catalog"
)

// LiveFacets is Facets counted over the cards, never read from
// listing_facets: the reference the stored sidebars are checked against.
func (s *Store) LiveFacets(ctx context.Context, q catalog.Query) (catalog.Facets, error) {
	return s.facets(ctx, q, false)
}

// PrefixWordsMax is the default of SetPrefixMax.
const PrefixWordsMax = prefixWordsMax

// Forget empties the store's memos (totals and sidebars of listings, the
// words of search prefixes), so that a benchmark times the queries, not a
// map lookup.
func (s *Store) Forget() {
	s.totals.Clear()
	s.ends.Clear()
	s.facetMemo.Clear()
	s.prefixes.Clear()
	s.relatedMemo.Clear()
	s.anchorMemo.Clear()
	s.rankMemo.Clear()
	s.matchMemo.Clear()
}

// SetAnchorRows sets the most page anchors s keeps for a listing, so that
// a test can make a small listing's anchors sparse.
func SetAnchorRows(s *Store, n int) {
	s.anchorRows = n
	s.anchorMemo.Clear()
}

// FacetSample is how many of its newest results a live sidebar counts.
const FacetSample = facetSample

// LiveCountMax is the default of SetCountMax.
const LiveCountMax = liveCountMax

// NarrowFrom is the default of SetNarrowFrom.
const NarrowFrom = narrowFromMatches

// SetCountMax sets the most matches s counts live for a listing that no
// count kept at import answers, so that a test on a small corpus can
// reach the bound.
func SetCountMax(s *Store, n int) {
	s.countMax = n
	s.totals.Clear()
	s.ends.Clear()
	s.matchMemo.Clear()
}

// SetNarrowFrom sets the fewest matches of a search filtered in memory
// that s narrows by its filters' names (0: every search).
func SetNarrowFrom(s *Store, n int) {
	s.narrowFrom = n
	s.matchMemo.Clear()
}

// SetPrefixMax sets the most words s expands a search prefix into, so
// that a test on the small seed can leave a prefix to FTS5.
func SetPrefixMax(s *Store, n int) {
	s.prefixMax = n
	s.prefixes.Clear()
}

// AnchoredListings returns how many listings s keeps page anchors for.
func AnchoredListings(s *Store) int {
	n := 0
	for _, a := range s.anchorMemo.Values() {
		if a.rows != nil {
			n++
		}
	}
	return n
}

// PrefixWords returns the words prefix was expanded into, nil when it was
// left to FTS5 or not looked up.
func PrefixWords(s *Store, prefix string) []string {
	w, _ := s.prefixWords(prefix)
	return w
}

// SetSearchRun makes a big import read its search index's rows in runs
// of n cards (readSearchRows).
func SetSearchRun(im *Import, n int) { im.searchRun = n }

// ImportFileInOrder is ImportFile without its parallel finish.
func ImportFileInOrder(ctx context.Context, path string, prepare func(*Store) error, fn func(*Import) error) (catalog.ImportStats, error) {
	return importFile(ctx, path, prepare, fn, false)
}

// ExecForTest runs a statement on s.
func ExecForTest(s *Store, query string) error {
	_, err := s.db.ExecContext(context.Background(), query)
	return err
}

// QueryRowForTest scans the one row of query into dest.
func QueryRowForTest(s *Store, query string, dest ...any) error {
	return s.db.QueryRowContext(context.Background(), query).Scan(dest...)
}

// SearchIndexEntries lists what the search index holds: every word's
// every place (word, card, column, offset) and every card's sizes.
func SearchIndexEntries(s *Store) ([]string, error) {
	ctx := context.Background()
	var out []string
	for _, q := range []string{
		`SELECT term || ' ' || doc || ' ' || col || ' ' || offset FROM cards_fts_instance`,
		`SELECT 'size ' || id || ' ' || hex(sz) FROM cards_fts_docsize ORDER BY id`,
	} {
		lines, err := column[string](s.db.QueryContext(ctx, q))
		if err != nil {
			return nil, err
		}
		out = append(out, lines...)
	}
	return out, nil
}

// RebuildSearchIndex builds the search index again with FTS5's own
// 'rebuild', the reference for the import's build.
func RebuildSearchIndex(s *Store) error {
	_, err := s.db.ExecContext(context.Background(), `INSERT INTO cards_fts (cards_fts) VALUES ('rebuild')`)
	return err
}

// PageImport returns an import that stores cards, each with the tags it
// carries (a certain split), as one page read from file, whose content
// hash is sha.
func PageImport(file, sha string, cards ...catalog.Card) func(*Import) error {
	return func(im *Import) error {
		if err := im.BeginPage(file); err != nil {
			return err
		}
		for _, c := range cards {
			if err := im.AddCard(c, catalog.SplitResult{Tags: c.Tags, Certain: true}); err != nil {
				return err
			}
		}
		return im.EndPage(catalog.PageHeader{Total: len(cards), Number: 1, Of: 1, Raw: "Tagged articles\n"}, sha)
	}
}

// KeptTotal is s.keptTotal: q's total from the counts kept at import, ok
// false when they do not give it.
func KeptTotal(s *Store, q catalog.Query) (int, bool, error) {
	names, err := s.names(context.Background(), q)
	if err != nil {
		return 0, false, err
	}
	return s.keptTotal(context.Background(), q, names)
}

// BM25Weights are the weights of the search index's columns in bm25.
const BM25Weights = bm25Weights

// Column reads the one column of rows (query's result, or its error).
func Column[T any](rows *sql.Rows, err error) ([]T, error) { return column[T](rows, err) }

// RankingTwice returns q's ranking (q a ranked search) as worked out in
// Go, with each place's score (ok false when it cannot be), and as FTS5's
// bm25 works it out.
func RankingTwice(ctx context.Context, s *Store, q catalog.Query) (byLengths []int64, scores map[int64]float64, ok bool, byFTS5 []int64, err error) {
	names, err := s.resolved(ctx, q)
	if err == nil {
		err = s.expandPrefixes(ctx, q) // as Articles does: FTS5 ranks a prefix of one word as that word
	}
	if err != nil {
		return nil, nil, false, nil, err
	}
	if byLengths, ok, err = s.rankingByLengths(ctx, q, names); err != nil {
		return nil, nil, false, nil, err
	}
	if ok {
		scored, _, err := s.scoreByLengths(ctx, q, names)
		if err != nil {
			return nil, nil, false, nil, err
		}
		scores = map[int64]float64{}
		for _, m := range scored {
			scores[m.seq] = m.score
		}
	}
	byFTS5, err = s.rankingByFTS5(ctx, q, names)
	return byLengths, scores, ok, byFTS5, err
}

// TimeSorted reports whether s lists page q by read time in memory
// (timeSortedPage).
func TimeSorted(ctx context.Context, s *Store, q catalog.Query) (bool, error) {
	names, err := s.resolved(ctx, q)
	if err != nil {
		return false, err
	}
	_, _, ok, err := s.timeSortedPage(ctx, q, names, q.EffectivePer())
	return ok, err
}

// SetCollapsedFrom sets the first row of a page newest first with one
// card per story that s reads from memory, so that a test on a small
// corpus reaches it.
func SetCollapsedFrom(s *Store, row int) { s.collapsedFrom = row }

// CollapsedFromMemory reports whether s reads a deep page of q (one card
// per story, newest first) from memory: a listing it lists without
// testing a filter on each card (memoryListing).
func CollapsedFromMemory(ctx context.Context, s *Store, q catalog.Query) (bool, error) {
	names, err := s.resolved(ctx, q)
	if err != nil {
		return false, err
	}
	l, ok, err := s.memoryListing(ctx, q, names)
	return ok && l.cheap, err
}

// FilteredInMemory reports whether s lists q's matches as its search's,
// its other filters tested in memory (filterInMemory), and counts its
// sidebar there (sampleInMemory).
func FilteredInMemory(ctx context.Context, s *Store, q catalog.Query) (bool, error) {
	names, err := s.resolved(ctx, q)
	if err != nil {
		return false, err
	}
	_, ok, err := s.filterInMemory(ctx, q, names, forListing)
	if !ok || err != nil {
		return false, err
	}
	_, ok, err = s.sampleInMemory(ctx, q, names)
	return ok, err
}

// KeptTagsOfEveryCard returns the tag ids s keeps of each card (by
// place), and card_tags' own (tag ids in ascending order, by place); ok
// is false when s keeps none.
func KeptTagsOfEveryCard(ctx context.Context, s *Store) (kept, stored map[int64][]int64, ok bool, err error) {
	t, err := s.cards.get(ctx, s, loadKeptCards)
	if err != nil || t == nil || t.tags == nil {
		return nil, nil, false, err
	}
	kept, stored = map[int64][]int64{}, map[int64][]int64{}
	for seq := range t.tags.count {
		for _, id := range t.tags.of(uint32(seq)) {
			kept[int64(seq)] = append(kept[int64(seq)], int64(id))
		}
	}
	rows, err := s.db.QueryContext(ctx, `SELECT c.seq, ct.tag_id FROM card_tags ct JOIN cards c ON c.id = ct.card_id ORDER BY c.seq, ct.tag_id`)
	if err != nil {
		return nil, nil, false, err
	}
	defer rows.Close()
	for rows.Next() {
		var seq, id int64
		if err := rows.Scan(&seq, &id); err != nil {
			return nil, nil, false, err
		}
		stored[seq] = append(stored[seq], id)
	}
	return kept, stored, true, rows.Err()
}

// KeptCardsRead reports whether s has read what it keeps of every card
// (keptCards).
func KeptCardsRead(s *Store) bool { return s.cards.loaded.Load() }

// SampledInMemory reports whether s counts the sample of q's live
// sidebar in memory (sampleInMemory).
func SampledInMemory(ctx context.Context, s *Store, q catalog.Query) (bool, error) {
	names, err := s.resolved(ctx, q)
	if err != nil {
		return false, err
	}
	_, ok, err := s.sampleInMemory(ctx, q, names)
	return ok, err
}

// KeptWords returns the places of each search term whose rows s keeps
// (wordSets), ascending, keyed by the term's MATCH expression.
func KeptWords(ctx context.Context, s *Store) (map[string][]uint32, error) {
	w, err := s.words.get(ctx, s, s.loadWordSets)
	if err != nil || w == nil {
		return nil, err
	}
	out := map[string][]uint32{}
	for term, set := range w.byTerm {
		places := []uint32{}
		for seq := range uint32(len(set) * 64) {
			if set.has(seq) {
				places = append(places, seq)
			}
		}
		out[term] = places
	}
	return out, nil
}

// WordsTestedInMemory returns how many terms of q's search a filter in
// memory of q tests by the sets s keeps (wordSets), rather than in the
// search index; ok is false when q is not filtered in memory.
func WordsTestedInMemory(ctx context.Context, s *Store, q catalog.Query) (n int, ok bool, err error) {
	names, err := s.resolved(ctx, q)
	if err != nil {
		return 0, false, err
	}
	f, ok, err := s.filterInMemory(ctx, q, names, forListing)
	return len(f.words) + len(f.without), ok, err
}

// CountedInMemory reports whether s counts q's first matches in memory
// (filterInMemory, for a count).
func CountedInMemory(ctx context.Context, s *Store, q catalog.Query) (bool, error) {
	return filteredInMemory(ctx, s, q, forCount)
}

// filteredInMemory reports whether s filters q in memory for use.
func filteredInMemory(ctx context.Context, s *Store, q catalog.Query, use filterUse) (bool, error) {
	names, err := s.resolved(ctx, q)
	if err != nil {
		return false, err
	}
	_, ok, err := s.filterInMemory(ctx, q, names, use)
	return ok, err
}

// PagedInMemory reports whether s lists the newest-first pages of q
// from its filters tested in memory (pageInMemory).
func PagedInMemory(ctx context.Context, s *Store, q catalog.Query) (bool, error) {
	return filteredInMemory(ctx, s, q, forPage)
}

// SetSmallWalk sets the most cards of a source or category whose walk
// pages a short listing rather than its tag's feed (0: none), so that a
// test on a small corpus can keep a listing on its feed.
func SetSmallWalk(s *Store, n int) {
	s.smallWalk = n
}

// RankingsKept returns how many listings' rankings s remembers
// (ranking).
func RankingsKept(s *Store) int { return len(s.rankMemo.Values()) }

// SetScanFrom sets the fewest cards of a listing's smallest AND tag,
// source or category for which s lists it by a scan of every place (0:
// any), so that a test on a small corpus can reach the scan.
func SetScanFrom(s *Store, n int) {
	s.scanFrom = n
}

// Scanned reports whether s lists q by a scan of every place in memory
// (memoryListing, scannable).
func Scanned(ctx context.Context, s *Store, q catalog.Query) (bool, error) {
	q.Collapse = false
	return filteredInMemory(ctx, s, q, forScan)
}
