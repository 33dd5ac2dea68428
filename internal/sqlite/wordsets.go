package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"cardex/internal/catalog"
)

// A common word within a rare tag was the slowest listing that combines
// filters: FTS5 intersects the tag's phrase with the word by seeking the
// word's postings to each of the tag's rows. At 1M generated cards,
// counting "balancing" (318,923 rows, its prefix 62 words) within the
// tag DQBase (2,328 cards) cost 1.45 ms of its page's 2.2 ms. A
// read-only store keeps the rows of each of the index's commonest words
// as a set of places (wordSets), so that such a listing reads the tag's
// rows alone and tests the word in memory (filterInMemory).

// wordSets is, for each of the search index's commonest words, the
// places (seqs, the index's rowids) of the rows its search term matches,
// as a bit set: bit p of a set is set when the row of place p matches.
type wordSets struct {
	// byTerm is keyed by the term's MATCH expression with its prefix
	// left to FTS5 (ftsTerms with leavePrefixes): as a search box's
	// word gives it (catalog.ParseSearch), a prefix from three letters.
	byTerm map[string][]uint64
}

const (
	// wordSetsShare: a word is kept when at least 1/wordSetsShare of
	// the index's rows hold it. Below that its postings are short enough
	// for FTS5 to intersect, and the sets would cost more than they save.
	wordSetsShare = 5
	// wordSetsBytes bounds the sets' memory: at 1M cards a set is 122
	// KiB, and 29 words are kept (3.5 MiB).
	wordSetsBytes = 4 << 20
	// wordSetsChunk is how many places loadWordSets reads a statement.
	wordSetsChunk = 1 << 16
)

// term returns the set of places that term (a MATCH expression from
// ftsTerms with leavePrefixes) matches, ok false when it is not kept.
func (w *wordSets) term(term string) ([]uint64, bool) {
	if w == nil {
		return nil, false
	}
	set, ok := w.byTerm[term]
	return set, ok
}

// hasPlace reports whether bit seq of set is set.
func hasPlace(set []uint64, seq uint32) bool {
	i := seq / 64
	return int(i) < len(set) && set[i]&(1<<(seq%64)) != 0
}

// loadWordSets reads the sets of the search index's commonest words
// (search_words, migration 0012): those in at least 1/wordSetsShare of
// its rows, most rows first, up to wordSetsBytes. Each is read as the
// search of the word alone reads it, its prefix expanded as ftsMatch
// expands it (lookUpPrefix): at 1M cards 29 words, about 1.3 s. It
// returns nil, and no error, when a row is past keptCardsMax.
func (s *Store) loadWordSets(ctx context.Context, db *sql.DB) (*wordSets, error) {
	var rows int64
	var last sql.NullInt64
	if err := db.QueryRowContext(ctx, `SELECT count(*), max(id) FROM cards_fts_docsize`).Scan(&rows, &last); err != nil {
		return nil, err
	}
	w := &wordSets{byTerm: map[string][]uint64{}}
	if rows == 0 {
		return w, nil
	}
	if last.Int64 < 0 || last.Int64 >= keptCardsMax {
		return nil, nil
	}
	size := last.Int64/64 + 1
	words, err := column[string](db.QueryContext(ctx, `SELECT term FROM search_words WHERE doc >= ? ORDER BY doc DESC, term LIMIT ?`,
		(rows+wordSetsShare-1)/wordSetsShare, wordSetsBytes/(size*8)))
	if err != nil {
		return nil, err
	}
	for _, word := range words {
		search := catalog.ParseSearch(word)
		if len(search.Terms) != 1 || !isASCIIWord(word) {
			continue // a word the search box would not give as one term
		}
		key, _ := ftsTerms(search, leavePrefixes)
		var lookErr error
		expr, _ := ftsTerms(search, func(prefix string) ([]string, bool) {
			whole, err := s.lookUpPrefix(ctx, prefix)
			lookErr = err
			return whole, err == nil && len(whole) > 0
		})
		if lookErr != nil {
			return nil, lookErr
		}
		if len(key) != 1 || len(expr) != 1 {
			continue
		}
		set := make([]uint64, size)
		// A range of places a statement: the list of a word of every row
		// would be 7 MB of text at 1M cards, on top of the server's
		// memory as it preloads.
		for lo := int64(0); lo <= last.Int64; lo += wordSetsChunk {
			places, ok, err := listKeys(ctx, db, `SELECT rowid AS k FROM cards_fts WHERE cards_fts MATCH ? AND rowid >= ? AND rowid < ?`,
				[]any{expr[0], lo, lo + wordSetsChunk})
			if err != nil {
				return nil, fmt.Errorf("the rows of %q: %w", word, err)
			}
			if !ok {
				return nil, nil
			}
			for _, p := range places {
				set[p/64] |= 1 << (p % 64)
			}
		}
		w.byTerm[key[0]] = set
	}
	return w, nil
}

// keptTerms returns the sets of every positive term of q's search when
// the store keeps them all (wordSets), ok false otherwise.
func (s *Store) keptTerms(ctx context.Context, q catalog.Query) (sets [][]uint64, ok bool, err error) {
	w, err := s.words.get(ctx, s, s.loadWordSets)
	if err != nil || w == nil {
		return nil, false, err
	}
	terms, _ := ftsTerms(q.Search(), leavePrefixes)
	for _, t := range terms {
		set, kept := w.term(t)
		if !kept {
			return nil, false, nil
		}
		sets = append(sets, set)
	}
	return sets, len(sets) > 0, nil
}
