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
	"sync"
	"sync/atomic"

	"cardex/internal/catalog"
)

// A ranked search (see ranking) is scored in Go when it can be, with
// FTS5's own bm25 formula and inputs, so that the order and the scores
// are FTS5's to the bit: TestRankingByLengthsIsBM25 compares them. FTS5's
// bm25 reads each match's size in tokens from cards_fts_docsize, a random
// read of a 12 MB table per match that the connection's page cache
// (cache_size, 3 MiB) seldom holds: at 1M cards a word of 1,997 matches
// took 2.5 ms to score, 1.9 ms of it those reads. A read-only store keeps
// every row's size in memory (docLengths, 2 bytes a card, read by its
// first ranked search), and a word's places come from cards_fts_instance
// (migration 0014), 0.5 ms for the same word. Where the arithmetic is
// concerned, "to the bit" is checked on this machine (amd64); FTS5's C
// code could be compiled to fuse operations elsewhere.

// docLengths is what bm25 reads of the search index besides the matches:
// every row's size in tokens, all columns together (bm25's D), by rowid
// (a card's seq), and the index's totals.
type docLengths struct {
	size    []uint16
	rows    int64              // rows of the index (bm25's N)
	tokens  int64              // their tokens, all columns (avgdl is tokens/rows)
	weights map[string]float64 // bm25Weights by column name
}

// lazy is what a read-only store reads of its database when it first
// needs it (or when it is preloaded, Store.Preload), and keeps:
// docLengths for its ranked searches, keptCards for its listings in
// memory (0.3 s and 0.6 s at 1M cards, which a store opened for anything
// else, a command's look at a database or a snapshot's check, never
// pays).
type lazy[T any] struct {
	mu     sync.Mutex
	loaded atomic.Bool // kept is read: get needs no lock
	kept   *T          // nil when load found the database cannot be kept so
}

// get returns what load reads, read on the first call (again after a
// failed read: a request's deadline may cut one short); nil for a store
// opened for writing, whose data changes.
func (l *lazy[T]) get(ctx context.Context, s *Store, load func(context.Context, *sql.DB) (*T, error)) (*T, error) {
	if !s.readOnly {
		return nil, nil
	}
	if l.loaded.Load() {
		return l.kept, nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.loaded.Load() {
		kept, err := load(ctx, s.db)
		if err != nil {
			return nil, err
		}
		l.kept = kept
		l.loaded.Store(true)
	}
	return l.kept, nil
}

// docLengthsMaxRowid bounds the rowids whose sizes are kept: 32 MB at
// most. An index with a larger rowid is ranked by FTS5 alone.
const docLengthsMaxRowid = 1 << 24

// loadDocLengths reads the size of every row of the search index
// (cards_fts_docsize: one varint a column): 0.3 s at 1M cards. It returns
// nil, and no error, for an index it cannot keep so (a rowid past
// docLengthsMaxRowid, a row of more than 65,535 tokens): FTS5 then ranks.
func loadDocLengths(ctx context.Context, db *sql.DB) (*docLengths, error) {
	var maxID sql.NullInt64
	if err := db.QueryRowContext(ctx, `SELECT max(id) FROM cards_fts_docsize`).Scan(&maxID); err != nil {
		return nil, err
	}
	if maxID.Int64 < 0 || maxID.Int64 >= docLengthsMaxRowid {
		return nil, nil
	}
	weights, err := bm25ColumnWeights()
	if err != nil {
		return nil, err
	}
	l := &docLengths{size: make([]uint16, maxID.Int64+1), weights: weights}
	rows, err := db.QueryContext(ctx, `SELECT id, sz FROM cards_fts_docsize`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var sz sql.RawBytes
		if err := rows.Scan(&id, &sz); err != nil {
			return nil, err
		}
		n, ok := sumVarints(sz)
		if !ok || id < 0 || id > maxID.Int64 || n > math.MaxUint16 {
			return nil, rows.Close()
		}
		l.size[id] = uint16(n) // #nosec G115 -- n is at most math.MaxUint16, checked above
		l.rows++
		l.tokens += n
	}
	return l, rows.Err()
}

// sumVarints is the sum of the SQLite varints (big-endian, 7 bits a byte,
// the high bit set on every byte but the last) that b holds, for values
// under 2^28; ok is false for anything else.
func sumVarints(b []byte) (sum int64, ok bool) {
	var v int64
	n := 0
	for _, c := range b {
		v = v<<7 | int64(c&0x7f)
		if n++; c&0x80 != 0 {
			if n == 4 {
				return 0, false
			}
			continue
		}
		sum, v, n = sum+v, 0, 0
	}
	return sum, n == 0
}

// scoredSeq is a match of a search (its place, seq) and its bm25 score
// (lower ranks first, as FTS5's).
type scoredSeq struct {
	seq   int64
	score float64
}

// rankingByLengths is ranking worked out in Go (scoreByLengths), or ok
// false when it cannot be.
func (s *Store) rankingByLengths(ctx context.Context, q catalog.Query, names map[string]catalog.Ref) ([]int64, bool, error) {
	scored, ok, err := s.scoreByLengths(ctx, q, names)
	if !ok || err != nil {
		return nil, ok, err
	}
	slices.SortFunc(scored, func(a, b scoredSeq) int { return cmp.Or(cmp.Compare(a.score, b.score), cmp.Compare(a.seq, b.seq)) })
	seqs := make([]int64, len(scored))
	for i, m := range scored {
		seqs[i] = m.seq
	}
	return seqs, true, nil
}

// rankPlacesMax bounds the places of a word read to rank a search: more,
// and FTS5 ranks it (a search of a rare word and a common one has few
// matches, but reading the common word's places would cost more than
// FTS5's bm25 of its few matches).
const rankPlacesMax = 8_000

// scoreByLengths scores the listing of q, a ranked search (see ranking),
// as FTS5's bm25(cards_fts, bm25Weights) scores its search's matches: for
// each search word its weighted count in the card (each place counts its
// column's weight), the card's size in tokens, and the word's cards in
// the index, all read as FTS5 reads them, with the same arithmetic in
// the same order (C's log for the idf, cLog). Excluded words add nothing to a
// match's score, as in FTS5. The matches are the listing's (its walk) or,
// without other filters, the cards that hold every word. ok is false
// when the store keeps no sizes (a store opened for writing), when a
// term is a phrase of words or has a character that is not an ASCII
// letter or digit (FTS5's tokenizer folds those), or when a word has
// more than rankPlacesMax places.
func (s *Store) scoreByLengths(ctx context.Context, q catalog.Query, names map[string]catalog.Ref) ([]scoredSeq, bool, error) {
	l, err := s.lengths.get(ctx, s, loadDocLengths)
	if err != nil || l == nil || l.rows == 0 {
		return nil, false, err
	}
	var words []catalog.Term
	for _, t := range q.Search().Terms {
		switch {
		case t.Exclude:
		case len(t.Words) != 1 || !isASCIIWord(t.Words[0]):
			return nil, false, nil
		default:
			words = append(words, t)
		}
	}
	if len(words) == 0 {
		return nil, false, nil
	}
	freqs := make([]map[int64]float64, len(words))
	for i, t := range words {
		f, ok, err := s.wordFrequencies(ctx, t, l.weights)
		if !ok || err != nil {
			return nil, ok, err
		}
		freqs[i] = f
	}
	// The matches: the listing's, its filters tested in memory or along
	// its walk, which leaves out excluded words (a search with one has a
	// walk), or the cards of every word.
	var seqs []int64
	// (A ranked search has at most countMax matches: see ranked.)
	kept, more, inMemory, err := s.matchesInMemory(ctx, q, names, s.countMax, forListing)
	if err != nil {
		return nil, false, err
	}
	if inMemory && !more {
		for _, seq := range kept {
			seqs = append(seqs, int64(seq))
		}
	} else if walk, walked, err := s.searchWalk(q, names); err != nil { // (worked out only when needed)
		return nil, false, err
	} else if walked {
		if seqs, err = column[int64](s.db.QueryContext(ctx, `SELECT f.rowid `+walk.from, walk.args...)); err != nil {
			return nil, false, err
		}
	} else {
		for seq := range freqs[0] {
			if !slices.ContainsFunc(freqs[1:], func(f map[int64]float64) bool { _, ok := f[seq]; return !ok }) {
				seqs = append(seqs, seq)
			}
		}
	}
	// fts5Bm25Function and fts5Bm25GetData (SQLite's fts5_aux.c), step
	// for step: k1 and b are variables, not constants, so that k1+1.0 is
	// rounded as C rounds it, and each product that an addition follows
	// is converted, which keeps Go from fusing the two (the spec lets it,
	// on arm64 or amd64 v3) where the C code rounds twice.
	k1, b := 1.2, 0.75
	avgdl := float64(l.tokens) / float64(l.rows)
	idf := make([]float64, len(words))
	for i, f := range freqs {
		hits := int64(len(f))
		idf[i] = cLog((float64(l.rows-hits) + 0.5) / (float64(hits) + 0.5))
		if idf[i] <= 0 {
			idf[i] = 1e-6
		}
	}
	out := make([]scoredSeq, 0, len(seqs))
	for _, seq := range seqs {
		if seq < 0 || seq >= int64(len(l.size)) {
			return nil, false, nil // not in the index as loadDocLengths read it: FTS5 ranks
		}
		D := float64(l.size[seq])
		score := 0.0
		for i, f := range freqs {
			freq := f[seq]
			score += float64(idf[i] * ((freq * (k1 + 1.0)) / (freq + float64(k1*(1-b+b*D/avgdl)))))
		}
		out = append(out, scoredSeq{seq, -1.0 * score})
	}
	return out, true, nil
}

// wordFrequencies returns, for every card whose index row holds the word
// t (a prefix: any word it starts), the word's weighted count there: the
// sum of its places' column weights. ok is false past rankPlacesMax
// places (or cards, by search_words).
func (s *Store) wordFrequencies(ctx context.Context, t catalog.Term, weights map[string]float64) (map[int64]float64, bool, error) {
	word := t.Words[0]
	cond, args := `term = ?`, []any{word}
	if t.Prefix {
		cond, args = `term >= ? AND term < ?`, []any{word, word + "\xff"} // as lookUpPrefix
	}
	var cards int64
	if err := s.db.QueryRowContext(ctx, `SELECT coalesce(sum(doc), 0) FROM search_words WHERE `+cond, args...).Scan(&cards); err != nil || cards > rankPlacesMax {
		return nil, false, err
	}
	// The places come as one string, "doc col doc col …", built by
	// SQLite: read a row each through database/sql, a word of 1,997
	// matches took about 1 ms more of a ranked page's first 1.8–2.4 ms
	// at 1M cards. The weights are whole numbers, so the sums are exact
	// in any order.
	var (
		places int
		list   sql.NullString
	)
	if err := s.db.QueryRowContext(ctx, `SELECT count(*), group_concat(doc || ' ' || col, ' ')
		FROM (SELECT doc, col FROM cards_fts_instance WHERE `+cond+` LIMIT ?)`, append(args, rankPlacesMax+1)...).Scan(&places, &list); err != nil || places > rankPlacesMax {
		return nil, false, err
	}
	f := make(map[int64]float64, cards)
	for rest := list.String; rest != ""; {
		var docText, col string
		docText, rest, _ = strings.Cut(rest, " ")
		col, rest, _ = strings.Cut(rest, " ")
		doc, err := strconv.ParseInt(docText, 10, 64)
		if err != nil {
			return nil, false, fmt.Errorf("ranking %q: a place in card %q: %w", word, docText, err)
		}
		w, ok := weights[col]
		if !ok {
			return nil, false, nil // a column bm25 has no weight for: FTS5 ranks
		}
		f[doc] += w
	}
	return f, true, nil
}

// ftsColumns are cards_fts's columns, in order (migration 0011).
const ftsColumns = `title, summary, tags, source`

// bm25ColumnWeights returns bm25Weights by column name.
func bm25ColumnWeights() (map[string]float64, error) {
	names, ws := strings.Split(ftsColumns, ", "), strings.Split(bm25Weights, ", ")
	if len(names) != len(ws) {
		return nil, fmt.Errorf("bm25: %d weights for %d columns", len(ws), len(names))
	}
	out := make(map[string]float64, len(names))
	for i, name := range names {
		w, err := strconv.ParseFloat(ws[i], 64)
		if err != nil {
			return nil, fmt.Errorf("bm25 weight of %s: %w", name, err)
		}
		out[name] = w
	}
	return out, nil
}
