package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/maphash"
	"iter"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"cardex/internal/catalog"
)

// Stories. The aggregator carries the same article republished by several
// sources, each as its own card. Two cards are the same story when
//
//   - their titles are equal once normalized (see normalizeText), or
//   - the word sets of their titles have a Jaccard index of at least 0.7
//     and their summaries are equal once normalized or their word sets
//     have a Jaccard index of at least 0.3;
//
// and a story is a connected group of such pairs. A card's story is the
// smallest card id of its group (its own id when it is alone), stored in
// cards.story by every import that changes anything.
var (
	storyTitleJaccard   = ratio{7, 10}
	storySummaryJaccard = ratio{3, 10}
)

// ratio is a threshold num/den, compared in integers so that 7 shared
// words of 10 is exactly 0.7.
type ratio struct{ num, den int }

// storyCommonWord is the number of titles a word may be in and still
// propose candidates to clusterStories: more, and it is too common to
// point at a story.
const storyCommonWord = 1000

// storySummaryCache is how many normalized summaries clusterStories keeps
// at most.
const storySummaryCache = 1024

// storySize is what clusterStories is told in advance, to allocate once:
// the number of cards and the bytes of their titles (0 if not known).
type storySize struct{ cards, titleBytes int }

// storyCard is what clustering reads of a card.
type storyCard struct {
	ID    int64
	Title string
}

// clusterStories returns the id and story of each card that cards
// yields, in its order: the story is the smallest id among the cards of
// its group; and compared, the number of pairs of cards whose titles it
// compared word by word beyond equal titles, which is most of its work.
// cards yields each card once; titleOf and summary return a card's title
// again and its summary, asked only about cards whose title words are
// equal or near-equal. No title or summary is kept for every card: at
// 190,000 cards that was 20 MB of an importer that streams in 64 MB.
//
// It never compares all pairs. Cards with the same title words meet by
// sorting on a hash of those words, and equal normalized titles are joined
// there. Near titles are found by prefix filtering (Chaudhuri et al. 2006;
// Bayardo et al., "Scaling up all pairs similarity search", 2007): with
// every title's words ordered rarest first, two word sets whose Jaccard
// index is at least t share a word among the first n−⌈t·n⌉+1 words of
// each (n its size, so about a third of a title). So each card is compared
// only with the cards that share one of its few rarest words.
//
// But a word in more than storyCommonWord titles proposes no candidates.
// Without that cap the work grows with the square of the cards wherever
// the vocabulary is small: in the generated corpus even a title's rarest
// words are in thousands of titles, and at 1M cards the pairs compared
// reached 10^10. With it a card is compared with at most storyCommonWord
// cards per word of its prefix, so the work is linear in the cards. The
// price is recall, never precision (every candidate is checked against
// the rule): a near pair whose prefixes share only words of more than
// storyCommonWord titles is not joined, unless through other cards of its
// story; "Why Sapa Moved from Async Service to Systems" and "Why Jobequa
// Moved from Systems to Async Service" share only "moved", "why" and the
// like. That is acceptable: the cards of one story nearly always share
// their title or a rare word (a product, a company, a figure), and titles
// made only of common words are more often unrelated articles cast in the
// same mould. Titles with the same words, all common (in another order,
// or with other punctuation), are the exception, being the likeliest of
// such pairs to be one story: they are compared pair by pair when at most
// storyCommonWord titles have those words. The caps count titles, not
// cards seen so far, so the stories do not depend on the order of the
// cards.
func clusterStories(size storySize, cards iter.Seq[storyCard], titleOf, summary func(id int64) (string, error)) (ids, stories []int64, compared int, err error) {
	// Each title's words become word ids, card i's in flat[at[i]:at[i+1]]:
	// no title or word slice is kept for every card.
	words := map[string]int32{}
	var (
		vocab []string                              // by id
		df    []int32                               // titles with the word, by id
		flat  = make([]int32, 0, size.titleBytes/6) // a word and its space are about six bytes
		at    = make([]int32, 1, size.cards+1)
	)
	ids = make([]int64, 0, size.cards)
	for c := range cards {
		for _, w := range textWords(normalizeText(c.Title)) {
			id, ok := words[w]
			if !ok {
				w = strings.Clone(w) // not to keep the title
				id = int32(len(vocab))
				words[w] = id
				vocab, df = append(vocab, w), append(df, 0)
			}
			df[id]++
			flat = append(flat, id)
		}
		at = append(at, int32(len(flat)))
		ids = append(ids, c.ID)
	}
	words = nil
	n := len(ids)
	sets := newUnionFind(n)

	// A hash of each title's words, in order (by id: one id is one word).
	// It is made after the word map is gone, so that the two are never
	// live at once.
	bySet := make([]hashedCard, n)
	var h maphash.Hash
	var buf [4]byte
	for i := range n {
		h.Reset()
		for _, id := range flat[at[i]:at[i+1]] {
			binary.LittleEndian.PutUint32(buf[:], uint32(id))
			h.Write(buf[:])
		}
		bySet[i] = hashedCard{h.Sum64(), int32(i)}
	}

	// Word ids become ranks, rarest first, and each title a sorted set of
	// ranks. The ranks below rare are of the words that propose candidates.
	order := make([]int32, len(vocab))
	for id := range order {
		order[id] = int32(id)
	}
	slices.SortFunc(order, func(a, b int32) int { return cmp.Or(cmp.Compare(df[a], df[b]), strings.Compare(vocab[a], vocab[b])) })
	rank := make([]int32, len(vocab))
	rare := 0
	for r, id := range order {
		rank[id] = int32(r)
		if df[id] <= storyCommonWord {
			rare = r + 1
		}
	}
	order, vocab, df = nil, nil, nil
	for k, id := range flat {
		flat[k] = rank[id]
	}
	rank = nil
	title := func(i int) []int32 { return flat[at[i]:at[i+1]] }
	// A title's mask has wordBit(w) set for each of its words w: a word
	// of one title whose bit the other's mask lacks is not in the other.
	// Most candidate pairs share too few words, and the masks say so
	// from 4 bytes per card, where comparing the titles read both from
	// all over flat: at 1M cards that merge was 12 s of the stories'
	// 25 s of CPU, most of it waiting on memory. The mask, the size and
	// whether the card was already a candidate sit side by side
	// (titleInfo): the candidates of a card are all over memory, and
	// each is then one read of it, where three arrays were three, and
	// the sizes and masks are tested before seen (the stories of the
	// 1M-card bench database, storiesOf alone, three pairs alternated:
	// 8.6–9.5 s of CPU against 9.3–9.9 s, the same stories).
	info := make([]titleInfo, n)
	for i := range n {
		t := title(i)
		slices.Sort(t)
		for _, w := range t {
			info[i].mask |= wordBit(w)
		}
		info[i].words = int32(len(t))
	}

	type text struct {
		norm  string
		words []string
	}
	// The summaries of the cards last compared: a card near others is
	// compared with them one after the other.
	summaries := map[int]text{}
	summaryOf := func(i int) (text, error) {
		if s, ok := summaries[i]; ok {
			return s, nil
		}
		raw, err := summary(ids[i])
		if err != nil {
			return text{}, fmt.Errorf("summary of card %d: %w", ids[i], err)
		}
		s := text{norm: normalizeText(raw)}
		s.words = textWords(s.norm)
		if len(summaries) >= storySummaryCache {
			clear(summaries)
		}
		summaries[i] = s
		return s, nil
	}
	// near reports whether title t may be near card j's by their sizes
	// and words' bits, which info[j] holds: most pairs are not.
	near := func(t []int32, j int) bool {
		u := &info[j]
		return sizesAllow(len(t), int(u.words), storyTitleJaccard) && mayShare(t, u.mask, int(u.words), storyTitleJaccard)
	}
	// compare joins cards i and j, which near let through, if the rule
	// says they are one story.
	compare := func(i, j int) error {
		compared++
		if sets.find(i) == sets.find(j) || !jaccardAtLeast(title(i), title(j), storyTitleJaccard) {
			return nil
		}
		a, err := summaryOf(i)
		if err != nil {
			return err
		}
		b, err := summaryOf(j)
		if err != nil {
			return err
		}
		if a.norm == b.norm || jaccardAtLeast(a.words, b.words, storySummaryJaccard) {
			sets.union(i, j)
		}
		return nil
	}

	// Cards whose titles have the same words (going by a hash of them, so
	// each title is normalized again to be compared in full) are joined
	// when their normalized titles are equal, and when their words are all
	// common compared pair by pair, if there are not too many.
	for run := range hashRuns(bySet) {
		first := make(map[string]int32, len(run)) // normalized title -> first card with it
		for _, c := range run {
			t, err := titleOf(ids[c.card])
			if err != nil {
				return nil, nil, compared, fmt.Errorf("title of card %d: %w", ids[c.card], err)
			}
			norm := normalizeText(t)
			if j, ok := first[norm]; ok {
				sets.union(int(c.card), int(j))
			} else {
				first[norm] = c.card
			}
		}
		if t := title(int(run[0].card)); len(t) == 0 || int(t[0]) < rare || len(run) > storyCommonWord {
			continue // no words, or prefix filtering finds them, or too many pairs
		}
		for a := 1; a < len(run); a++ {
			for b := range a {
				i, j := int(run[a].card), int(run[b].card)
				if !near(title(i), j) {
					continue
				}
				if err := compare(i, j); err != nil {
					return nil, nil, compared, err
				}
			}
		}
	}
	bySet = nil

	index := make([][]int32, rare) // rare rank -> cards with it in their prefix, in order
	for i := range n {
		t := title(i)
		for _, w := range t[:prefixLen(len(t), storyTitleJaccard)] {
			if int(w) >= rare {
				break // and so are the words after it
			}
			for _, j := range index[w] {
				// near first: a pair it turns away is turned away again
				// through another word, at no cost but a read of info[j],
				// which the check of seen would read anyway.
				if !near(t, int(j)) || info[j].seen == int32(i+1) {
					continue
				}
				info[j].seen = int32(i + 1)
				if err := compare(i, int(j)); err != nil {
					return nil, nil, compared, err
				}
			}
			index[w] = append(index[w], int32(i))
		}
	}
	index, info, flat, at, summaries = nil, nil, nil, nil, nil

	// A group's root is one of its cards: it gathers the smallest id, which
	// every card then reads.
	stories = slices.Clone(ids)
	for i, id := range ids {
		r := sets.find(i)
		stories[r] = min(stories[r], id)
	}
	for i := range ids {
		stories[i] = stories[sets.find(i)]
	}
	return ids, stories, compared, nil
}

// titleInfo is what clusterStories reads of a candidate card before it
// compares their titles.
type titleInfo struct {
	seen  int32  // i+1: the card was already a candidate of card i
	mask  uint32 // wordBit of each word of its title
	words int32  // the words of its title
}

// hashedCard is a card (by index) under a hash of its title's words.
type hashedCard struct {
	hash uint64
	card int32
}

// hashRuns sorts cards by hash, then by card, and yields every run of two
// or more with the same hash.
func hashRuns(cards []hashedCard) iter.Seq[[]hashedCard] {
	slices.SortFunc(cards, func(a, b hashedCard) int { return cmp.Or(cmp.Compare(a.hash, b.hash), cmp.Compare(a.card, b.card)) })
	return func(yield func([]hashedCard) bool) {
		for rest := cards; len(rest) > 0; {
			k := 1
			for k < len(rest) && rest[k].hash == rest[0].hash {
				k++
			}
			if k > 1 && !yield(rest[:k]) {
				return
			}
			rest = rest[k:]
		}
	}
}

// prefixLen is how many of a set's n first elements must hold a shared one
// if another set is to reach Jaccard t with it: n − ⌈t·n⌉ + 1, and 0 for
// an empty set, which is like nothing.
func prefixLen(n int, t ratio) int {
	if n == 0 {
		return 0
	}
	return n - (t.num*n+t.den-1)/t.den + 1
}

// sizesAllow reports whether sets of sizes a and b can reach Jaccard t:
// the index is at most min/max.
func sizesAllow(a, b int, t ratio) bool {
	return min(a, b)*t.den >= t.num*max(a, b)
}

// wordBit is the bit of word w (a rank) in a title's mask.
func wordBit(w int32) uint32 { return 1 << (uint32(w) * 0x9E3779B1 >> 27) }

// mayShare reports whether a, a sorted set, may share enough elements
// with a set of size nb whose mask is mb to reach Jaccard t (see
// jaccardAtLeast): an element of a whose bit mb lacks is not in it. It
// never says no to a pair that reaches t.
func mayShare(a []int32, mb uint32, nb int, t ratio) bool {
	can := 0
	for _, w := range a {
		if mb&wordBit(w) != 0 {
			can++
		}
	}
	return can >= t.shared(len(a), nb)
}

// shared is the fewest elements two sets of sizes na and nb must share
// for their Jaccard index to reach t: J ≥ t exactly when |a ∩ b| ≥
// t·(na+nb) / (1+t). Two empty sets are not alike: 1, more than they
// share.
func (t ratio) shared(na, nb int) int {
	if na+nb == 0 {
		return 1
	}
	return (t.num*(na+nb) + t.num + t.den - 1) / (t.num + t.den)
}

// jaccardAtLeast reports whether |a ∩ b| / |a ∪ b| ≥ t, for sets given as
// sorted slices without repeats; two empty sets are not alike. It stops as
// soon as too few elements are left to share (ratio.shared).
func jaccardAtLeast[T cmp.Ordered](a, b []T, t ratio) bool {
	need := t.shared(len(a), len(b))
	both := 0
	for i, j := 0, 0; i < len(a) && j < len(b); {
		if both+min(len(a)-i, len(b)-j) < need {
			return false
		}
		switch {
		case a[i] < b[j]:
			i++
		case a[i] > b[j]:
			j++
		default:
			both++
			i++
			j++
		}
	}
	return both >= need
}

// normalizeText evens out the spellings of a title or summary: case folded,
// dashes and hyphens as '-', curly quotes as straight ones, and every run
// of spaces (U+202F, U+00A0 and the like included) as one space, none at
// the ends.
func normalizeText(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch r {
		case '\u2010', '\u2011', '\u2012', '\u2013', '\u2014', '\u2015', '\u2212':
			r = '-'
		case '\u2018', '\u2019', '\u201a', '\u201b', '\u2032':
			r = '\''
		case '\u201c', '\u201d', '\u201e', '\u201f', '\u2033':
			r = '"'
		}
		if unicode.IsSpace(r) {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// textWords returns the distinct words of a normalized text, sorted: its
// runs of letters and digits ("three-tier" is "three" and "tier", and
// "smoothly." is "smoothly").
func textWords(norm string) []string {
	w := strings.FieldsFunc(norm, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) })
	slices.Sort(w)
	return slices.Compact(w)
}

// unionFind is a disjoint-set forest over 0..n-1.
type unionFind []int32

func newUnionFind(n int) unionFind {
	u := make(unionFind, n)
	for i := range u {
		u[i] = int32(i)
	}
	return u
}

func (u unionFind) find(i int) int {
	for int(u[i]) != i {
		u[i] = u[u[i]] // path halving
		i = int(u[i])
	}
	return i
}

func (u unionFind) union(i, j int) {
	if a, b := u.find(i), u.find(j); a != b {
		u[max(a, b)] = int32(min(a, b))
	}
}

// updateStories recomputes every card's story when the import changed
// anything, or when some card has none yet (a database just migrated),
// and writes back only the stories that changed. Writing any marks the
// import as a change.
func (im *Import) updateStories() error {
	if !im.changed {
		var missing bool
		if err := im.tx.QueryRowContext(im.ctx, `SELECT NOT EXISTS (SELECT 1 FROM meta WHERE key = 'stories')`).Scan(&missing); err != nil {
			return err
		}
		if !missing {
			return nil
		}
	}
	cs, err := computeStories(im.ctx, im.tx, im.store.codec)
	if err != nil {
		return err
	}
	return im.writeStories(cs)
}

// storyReader is what computeStories reads the cards through: the
// import's transaction, or a connection to a copy of it.
type storyReader interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

// computedStories are the stories of every card, by id, and the story
// each has stored (0: none).
type computedStories struct{ ids, stories, stored []int64 }

// computeStories reads the cards through db and clusters them.
func computeStories(ctx context.Context, db storyReader, codec *textCodec) (computedStories, error) {
	// Each card's id, title and stored story, read once: the titles
	// are not kept (clusterStories asks again for the few it needs).
	var size storySize
	if err := db.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(length(CAST(title AS BLOB))), 0) FROM cards`).Scan(&size.cards, &size.titleBytes); err != nil {
		return computedStories{}, err
	}
	stored := make([]int64, 0, size.cards) // 0: none (alone, or not computed yet)
	var readErr error
	cards := func(yield func(storyCard) bool) {
		rows, err := db.QueryContext(ctx, `SELECT id, title, story FROM cards ORDER BY id`)
		if err != nil {
			readErr = err
			return
		}
		defer rows.Close()
		for rows.Next() {
			var c storyCard
			var s sql.NullInt64
			if err := rows.Scan(&c.ID, &c.Title, &s); err != nil {
				readErr = err
				return
			}
			stored = append(stored, s.Int64)
			if !yield(c) {
				return
			}
		}
		readErr = rows.Err()
	}
	title, err := db.PrepareContext(ctx, `SELECT title FROM cards WHERE id = ?`)
	if err != nil {
		return computedStories{}, err
	}
	defer title.Close()
	get, err := db.PrepareContext(ctx, `SELECT summary FROM cards WHERE id = ?`)
	if err != nil {
		return computedStories{}, err
	}
	defer get.Close()
	column := func(stmt *sql.Stmt) func(int64) (string, error) {
		return func(id int64) (string, error) {
			var s string
			err := stmt.QueryRowContext(ctx, id).Scan(codec.into(&s)) // a title is TEXT, a summary packed
			return s, err
		}
	}
	ids, stories, _, err := clusterStories(size, cards, column(title), column(get))
	if err == nil {
		err = readErr
	}
	if err != nil {
		return computedStories{}, err
	}
	return computedStories{ids, stories, stored}, nil
}

// writeStories stores the stories cs computed that differ from the ones
// stored. Writing any marks the import as a change.
func (im *Import) writeStories(cs computedStories) error {
	ids, stories, stored := cs.ids, cs.stories, cs.stored
	// The clustering's arrays (about 40 bytes a card) are garbage now:
	// return them to the system before the statements over every card
	// that follow, which allocate in C, where the Go heap's limit does not
	// reach.
	releaseMemory()
	// A card alone in its story is stored with none (NULL, migration
	// 0011). A story is its smallest card id, so a card is alone when its
	// story is itself and no other card's story is it.
	shared := make([]bool, len(ids))
	for i, id := range ids {
		if stories[i] != id {
			if k, ok := slices.BinarySearch(ids, stories[i]); ok {
				shared[k] = true
			}
		}
	}
	for i, id := range ids {
		story := stories[i]
		if story == id && !shared[i] {
			story = 0
		}
		if stored[i] == story {
			continue
		}
		if _, err := im.exec(`UPDATE cards SET story = ? WHERE id = ?`, sql.NullInt64{Int64: story, Valid: story != 0}, id); err != nil {
			return err
		}
		im.changed = true
	}
	if _, err := im.exec(`INSERT OR IGNORE INTO meta (key, value) VALUES ('stories', 'computed')`); err != nil {
		return err
	}
	return writeListingHidden(im.ctx, im.tx)
}

// writeListingHidden writes how many cards each listing of one filter
// hides with one card per story (listing_hidden, migration 0013, read by
// Store.collapsedKept, Store.collapsedOver): the cards of a story past
// its first in the listing. At 1M cards the 19,458 cards that share a
// story are grouped in about 70 ms.
func writeListingHidden(ctx context.Context, tx *sql.Tx) error {
	// meta 'storied' (the cards that share a story) was kept for
	// Store.collapsedOver until listing_hidden's row of every card gave a
	// closer bound.
	if _, err := tx.ExecContext(ctx, `DELETE FROM listing_hidden; DELETE FROM meta WHERE key = 'storied'`); err != nil {
		return err
	}
	// The cards that share a story are read first (the story index's),
	// and the tags joined to them (CROSS JOIN keeps that order): grouped
	// by tag, SQLite chose to walk every card_tags row in tag order and
	// look each card up, 6.8 s in a 1M-card import.
	_, err := tx.ExecContext(ctx, `WITH s AS MATERIALIZED (SELECT id, story, source_id, category_id FROM cards WHERE story IS NOT NULL)
		INSERT INTO listing_hidden (listing, id, n)
		SELECT 0, 0, count(*) - count(DISTINCT story) FROM s
			HAVING count(*) > count(DISTINCT story)
		UNION ALL
		SELECT 1, ct.tag_id, count(*) - count(DISTINCT s.story) FROM s CROSS JOIN card_tags ct ON ct.card_id = s.id
			GROUP BY ct.tag_id HAVING count(*) > count(DISTINCT s.story)
		UNION ALL
		SELECT 2, source_id, count(*) - count(DISTINCT story) FROM s
			WHERE source_id IS NOT NULL GROUP BY source_id HAVING count(*) > count(DISTINCT story)
		UNION ALL
		SELECT 3, category_id, count(*) - count(DISTINCT story) FROM s
			WHERE category_id IS NOT NULL GROUP BY category_id HAVING count(*) > count(DISTINCT story)`)
	return err
}

// collapseStories narrows cond, a condition on "cards c" from where, to
// one card per story: a card that matches cond is kept unless another card
// of its story that matches cond comes first, being newer (undated counts
// as oldest) or of the same day with a smaller id. A card alone in its
// story costs one probe of the story index. The other cards of a story
// are tested with inner, the same condition with probes (whereSearch's
// searchProbe), on a "cards c" of their own that hides the outer one: a
// list of every match, built for each statement, cost a search of 358k
// matches at 1M cards a second a page. A card whose story is not
// computed yet is a story of its own.
func collapseStories(cond string, args []any, inner string, innerArgs []any) (string, []any) {
	matching := ``
	if inner != "1" {
		matching = ` AND EXISTS (SELECT 1 FROM cards c WHERE c.id = d.id AND ` + inner + `)`
		args = slices.Concat(args, innerArgs)
	}
	return cond + ` AND NOT EXISTS (SELECT 1 FROM cards d WHERE d.story = c.story AND d.id <> c.id
		AND (d.published > c.published OR (c.published IS NULL AND d.published IS NOT NULL)
			OR (d.published IS c.published AND d.id < c.id))` + matching + `)`, args
}

// otherSourcesColumns select, for the article row of "cards c", its
// DuplicateOf (the story when the story has other cards, else 0) and its
// other sources (name, slug and count joined by char(31), sources by
// char(30), by name): the per-row twin of attachStories, for streaming.
const otherSourcesColumns = `CASE WHEN EXISTS (SELECT 1 FROM cards d WHERE d.story = c.story AND d.id <> c.id) THEN c.story ELSE 0 END,
	(SELECT group_concat(o.name || char(31) || o.slug || char(31) || o.cards, char(30) ORDER BY o.name COLLATE NOCASE, o.slug)
	 FROM sources o WHERE o.id IN (SELECT d.source_id FROM cards d WHERE d.story = c.story AND d.id <> c.id) AND o.id IS NOT c.source_id)`

// parseOtherSources reads the second of otherSourcesColumns.
func parseOtherSources(s string) []catalog.Ref {
	var out []catalog.Ref
	for _, src := range strings.Split(s, "\x1e") {
		f := strings.Split(src, "\x1f")
		if len(f) != 3 {
			continue
		}
		n, _ := strconv.Atoi(f[2])
		out = append(out, catalog.Ref{Name: f[0], Slug: f[1], Count: n})
	}
	return out
}

// attachStories sets each article's DuplicateOf (its story when the story
// has other cards, else 0) and OtherSources (the sources of the story's
// other cards, without the article's own, each once, by name), in one
// query.
func (s *Store) attachStories(ctx context.Context, arts []catalog.Article) error {
	if len(arts) == 0 {
		return nil
	}
	ids := make([]any, len(arts))
	at := make(map[int64][]int, len(arts)) // an article may be listed twice
	for i, a := range arts {
		ids[i] = a.ID
		at[a.ID] = append(at[a.ID], i)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT c.id, c.story, o.name, o.slug, o.cards
		FROM cards c JOIN cards d ON d.story = c.story AND d.id <> c.id
			LEFT JOIN sources o ON o.id = d.source_id AND d.source_id IS NOT c.source_id
		WHERE c.id IN (`+placeholders(len(ids))+`)
		ORDER BY c.id, o.name COLLATE NOCASE, o.slug`, ids...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id, story  int64
			name, slug sql.NullString
			count      sql.NullInt64
		)
		if err := rows.Scan(&id, &story, &name, &slug, &count); err != nil {
			return err
		}
		for _, i := range at[id] {
			a := &arts[i]
			a.DuplicateOf = story
			if name.Valid && (len(a.OtherSources) == 0 || a.OtherSources[len(a.OtherSources)-1].Slug != slug.String) {
				a.OtherSources = append(a.OtherSources, catalog.Ref{Name: name.String, Slug: slug.String, Count: int(count.Int64)})
			}
		}
	}
	return rows.Err()
}

// sameStory returns the other articles of a's story, newest first, at most
// sameStoryMax, without their tags.
func (s *Store) sameStory(ctx context.Context, a catalog.Article) ([]catalog.Article, error) {
	order, _ := orderBy(catalog.SortNewest)
	rows, err := s.db.QueryContext(ctx, `SELECT `+articleColumns+` FROM `+articleFrom+`
		WHERE c.story = (SELECT story FROM cards WHERE id = ?) AND c.id <> ? ORDER BY `+order+` LIMIT ?`, a.ID, a.ID, sameStoryMax)
	if err != nil {
		return nil, err
	}
	return s.scanArticles(rows)
}

// collapsedTagEffects sets each tag facet's Or and Not when q collapses
// stories, where they are counted in stories, not cards: Or is how many
// stories with no card among q's matches have a card that the widened
// "any" group would add (see Query.OrGroup) carrying the tag; Not is how
// many of q's stories have the tag on every card that matches q, the
// stories that excluding the tag would remove. Like the rest of a sidebar
// counted live (liveFacets), they are counted over a sample: Not over
// the stories of the results the sidebar counted (q's newest
// facetSample), each with every card of it that matches q; Or over the
// newest facetSample cards of the widened group, each story tested for a
// card that matches q. Over every match, a common search took 1.9 s at
// 1M cards; the story's cards are few, and tested with probes.
//
// A result alone in its story is a story whose one card carries its
// tags: its share of Not is its share of the tag's count (the facet's
// Count). Only the results that share their story (storied: 2% of the
// cards at 1M) are read again, with their stories' other cards: reading
// every result's story again cost 1.5–2 ms a sidebar at 1M cards.
func (s *Store) collapsedTagEffects(ctx context.Context, q catalog.Query, names map[string]catalog.Ref, storied []int64, tags []catalog.TagFacet) error {
	plain := q
	plain.Collapse = false
	matches, margs, err := s.whereSearch(plain, searchProbe)
	if err != nil {
		return err
	}
	var arms []string
	var args []any
	if len(storied) > 0 {
		idList, err := json.Marshal(storied)
		if err != nil {
			return err
		}
		// The cards that match q of each story of a storied result
		// (story is the story's smallest card id), each tested ('not':
		// the stories with the tag on each of them), and the tags of the
		// storied results themselves ('shown'), which the facets'
		// counts include as if each were alone in its story.
		arms = append(arms, `SELECT * FROM (WITH st AS MATERIALIZED (SELECT DISTINCT c.story AS st FROM json_each(?) j JOIN cards c ON c.id = j.value),
			f AS MATERIALIZED (SELECT c.id, c.story AS st FROM st JOIN cards c ON c.story = st.st WHERE `+matches+`),
			fs AS MATERIALIZED (SELECT st, count(*) AS k FROM f GROUP BY st)
			SELECT 'not', t.slug, count(*) AS n
			FROM (SELECT f.st, ct.tag_id, count(*) AS k FROM f JOIN card_tags ct ON ct.card_id = f.id GROUP BY f.st, ct.tag_id) x
			JOIN fs ON fs.st = x.st AND fs.k = x.k JOIN tags t ON t.id = x.tag_id GROUP BY x.tag_id)`,
			`SELECT 'shown', t.slug, count(*) FROM json_each(?) j JOIN card_tags ct ON ct.card_id = j.value JOIN tags t ON t.id = ct.tag_id GROUP BY ct.tag_id`)
		args = slices.Concat([]any{string(idList)}, margs, []any{string(idList)})
	}
	if og, ok := q.OrGroup(); ok {
		wider, wargs, err := s.widenedNewest(ctx, og, names, `c.id, coalesce(c.story, c.id) AS st`)
		if err != nil {
			return err
		}
		// Only the tags the sidebar shows are counted: a sample's cards
		// carry about 500 tags, and grouping the widened group's by all of
		// them cost 0.5 ms at 1M cards, 0.26 ms by the 30 shown.
		slugs := make([]string, len(tags))
		for i, t := range tags {
			slugs[i] = t.Slug
		}
		shownList, err := json.Marshal(slugs)
		if err != nil {
			return err
		}
		const onShown = `ct.tag_id IN (SELECT id FROM tags WHERE slug IN (SELECT value FROM json_each(?)))`
		// A card the group would add is in none of q's stories unless
		// another card of its story matches q (a card alone in its story
		// has no other; the widened group's cards match all but q's group).
		arms = append(arms, `SELECT 'or', t.slug, ot.n
		FROM (SELECT ct.tag_id, count(DISTINCT w.st) AS n FROM (`+wider+`) w JOIN card_tags ct ON ct.card_id = w.id
			WHERE `+onShown+` AND NOT EXISTS (SELECT 1 FROM cards c WHERE c.story = w.st AND `+matches+`) GROUP BY ct.tag_id) ot
		JOIN tags t ON t.id = ot.tag_id`)
		args = slices.Concat(args, wargs, []any{string(shownList)}, margs)
	}
	or, not, shown := map[string]int{}, map[string]int{}, map[string]int{}
	if len(arms) > 0 {
		rows, err := s.db.QueryContext(ctx, strings.Join(arms, "\nUNION ALL\n"), args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var kind, slug string
			var n int
			if err := rows.Scan(&kind, &slug, &n); err != nil {
				return err
			}
			switch kind {
			case "or":
				or[slug] = n
			case "not":
				not[slug] = n
			default:
				shown[slug] = n
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
	}
	for i := range tags {
		slug := tags[i].Slug
		tags[i].Or, tags[i].Not = or[slug], tags[i].Count-shown[slug]+not[slug]
	}
	return nil
}
