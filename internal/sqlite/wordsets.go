package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"math/bits"

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
// as a bitSet of places.
type wordSets struct {
	// byTerm is keyed by the term's MATCH expression with its prefix
	// left to FTS5 (ftsTerms with leavePrefixes): as a search box's
	// word gives it (catalog.ParseSearch), a prefix from three letters.
	byTerm map[string]bitSet
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
func (w *wordSets) term(term string) (bitSet, bool) {
	if w == nil {
		return nil, false
	}
	set, ok := w.byTerm[term]
	return set, ok
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
	w := &wordSets{byTerm: map[string]bitSet{}}
	if rows == 0 {
		return w, nil
	}
	if last.Int64 < 0 || last.Int64 >= keptCardsMax {
		return nil, nil
	}
	size := last.Int64/64 + 1
	list, err := db.QueryContext(ctx, `SELECT term, doc FROM search_words WHERE doc >= ? ORDER BY doc DESC, term LIMIT ?`,
		(rows+wordSetsShare-1)/wordSetsShare, wordSetsBytes/(size*8))
	if err != nil {
		return nil, err
	}
	defer list.Close()
	var words []string
	rowsOf := map[string]int{} // each word's rows, as search_words counts them
	for list.Next() {
		var word string
		var n int
		if err := list.Scan(&word, &n); err != nil {
			return nil, err
		}
		words, rowsOf[word] = append(words, word), n
	}
	if err := list.Err(); err != nil {
		return nil, err
	}
	list.Close()
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
		set := make(bitSet, size)
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
				set.add(p)
			}
		}
		w.byTerm[key[0]] = set
		// A prefix that matches the rows of its word alone is that word
		// too, as a quoted word or an excluded one gives it ("also" in
		// "the -also"): the same set, under that term's key.
		n := 0
		for _, x := range set {
			n += bits.OnesCount64(x)
		}
		if exact := ftsPhrase(word); exact != key[0] && n == rowsOf[word] {
			w.byTerm[exact] = set
		}
	}
	return w, nil
}

// keptTerms returns the sets of every positive term of q's search (pos)
// when the store keeps them all (wordSets), ok false otherwise; and the
// sets of its excluded terms (neg) when it keeps them all, negKept false
// otherwise.
func (s *Store) keptTerms(ctx context.Context, q catalog.Query) (pos, neg []bitSet, ok, negKept bool, err error) {
	w, err := s.words.get(ctx, s, s.loadWordSets)
	if err != nil || w == nil {
		return nil, nil, false, false, err
	}
	ps, ns := ftsTerms(q.Search(), leavePrefixes)
	sets := func(terms []string) ([]bitSet, bool) {
		var out []bitSet
		for _, t := range terms {
			set, kept := w.term(t)
			if !kept {
				return nil, false
			}
			out = append(out, set)
		}
		return out, true
	}
	pos, ok = sets(ps)
	neg, negKept = sets(ns)
	return pos, neg, ok && len(pos) > 0, negKept, nil
}

// placesOf appends to keys the places p, after < p <= last, in every set
// of in and in none of out, in ascending order, up to n of them; in
// holds one set at least.
func placesOf(keys []uint32, in, out []bitSet, after, last uint32, n int) []uint32 {
	first := uint64(after) + 1
	for i := first / 64; i < uint64(len(in[0])) && i <= uint64(last)/64 && len(keys) < n; i++ {
		word := ^uint64(0)
		for _, set := range in {
			word &= set[i]
		}
		for _, set := range out {
			if i < uint64(len(set)) {
				word &^= set[i]
			}
		}
		if i == first/64 {
			word &^= 1<<(first%64) - 1 // the places up to after
		}
		if i == uint64(last)/64 && last%64 != 63 {
			word &= 1<<(last%64+1) - 1 // the places past last
		}
		for ; word != 0 && len(keys) < n; word &= word - 1 {
			keys = append(keys, uint32(i*64)+uint32(bits.TrailingZeros64(word))) // #nosec G115 -- i < len(set) <= keptCardsMax/64
		}
	}
	return keys
}
