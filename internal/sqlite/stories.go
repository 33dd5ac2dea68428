package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"maps"
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

// storyCard is what clustering reads of a card.
type storyCard struct {
	ID    int64
	Title string
}

// clusterStories returns the story of each card (by index): the smallest
// id among the cards of its group. summary returns a card's summary; it is
// asked only about pairs whose titles are near-equal.
//
// It never compares all pairs. Equal normalized titles meet in a map. Near
// titles are found by prefix filtering (Chaudhuri et al. 2006; Bayardo et
// al., "Scaling up all pairs similarity search", 2007): with every title's
// words ordered rarest first, two word sets whose Jaccard index is at
// least t share a word among the first n−⌈t·n⌉+1 words of each (n its
// size). So each card is compared only with the cards that share one of
// its few rarest words, and no qualifying pair is missed.
func clusterStories(cards []storyCard, summary func(id int64) (string, error)) ([]int64, error) {
	n := len(cards)
	sets := newUnionFind(n)
	words := make([][]string, n)
	df := map[string]int{} // cards whose title has the word
	first := make(map[string]int, n)
	for i, c := range cards {
		norm := normalizeText(c.Title)
		if j, ok := first[norm]; ok {
			sets.union(i, j)
		} else {
			first[norm] = i
		}
		words[i] = textWords(norm)
		for _, w := range words[i] {
			df[w]++
		}
	}
	first = nil

	// Words become ranks, rarest first; each title a sorted set of ranks.
	vocab := slices.SortedFunc(maps.Keys(df), func(a, b string) int { return cmp.Or(cmp.Compare(df[a], df[b]), strings.Compare(a, b)) })
	rank := make(map[string]int32, len(vocab))
	for r, w := range vocab {
		rank[w] = int32(r)
	}
	titles := make([][]int32, n)
	for i, ws := range words {
		t := make([]int32, len(ws))
		for k, w := range ws {
			t[k] = rank[w]
		}
		slices.Sort(t)
		titles[i] = t
	}
	words, rank, df = nil, nil, nil

	type text struct {
		norm  string
		words []string
	}
	summaries := map[int]text{}
	summaryOf := func(i int) (text, error) {
		if s, ok := summaries[i]; ok {
			return s, nil
		}
		raw, err := summary(cards[i].ID)
		if err != nil {
			return text{}, fmt.Errorf("summary of card %d: %w", cards[i].ID, err)
		}
		s := text{norm: normalizeText(raw)}
		s.words = textWords(s.norm)
		summaries[i] = s
		return s, nil
	}
	sameSummary := func(i, j int) (bool, error) {
		a, err := summaryOf(i)
		if err != nil {
			return false, err
		}
		b, err := summaryOf(j)
		if err != nil {
			return false, err
		}
		return a.norm == b.norm || jaccardAtLeast(a.words, b.words, storySummaryJaccard), nil
	}

	index := make([][]int32, len(vocab)) // rank -> cards with it in their prefix, in order
	seen := make([]int, n)               // seen[j] == i+1: j was already a candidate of i
	for i, t := range titles {
		for _, w := range t[:prefixLen(len(t), storyTitleJaccard)] {
			for _, j32 := range index[w] {
				j := int(j32)
				if seen[j] == i+1 {
					continue
				}
				seen[j] = i + 1
				if sets.find(i) == sets.find(j) || !sizesAllow(len(t), len(titles[j]), storyTitleJaccard) ||
					!jaccardAtLeast(t, titles[j], storyTitleJaccard) {
					continue
				}
				same, err := sameSummary(i, j)
				if err != nil {
					return nil, err
				}
				if same {
					sets.union(i, j)
				}
			}
			index[w] = append(index[w], int32(i))
		}
	}

	smallest := make(map[int]int64)
	for i, c := range cards {
		r := sets.find(i)
		if s, ok := smallest[r]; !ok || c.ID < s {
			smallest[r] = c.ID
		}
	}
	stories := make([]int64, n)
	for i := range cards {
		stories[i] = smallest[sets.find(i)]
	}
	return stories, nil
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

// jaccardAtLeast reports whether |a ∩ b| / |a ∪ b| ≥ t, for sets given as
// sorted slices without repeats; two empty sets are not alike. It stops as
// soon as too few elements are left to share: J ≥ t exactly when
// |a ∩ b| ≥ t·(|a|+|b|) / (1+t).
func jaccardAtLeast[T cmp.Ordered](a, b []T, t ratio) bool {
	if len(a)+len(b) == 0 {
		return false
	}
	need := (t.num*(len(a)+len(b)) + t.num + t.den - 1) / (t.num + t.den)
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
	return both*t.den >= t.num*(len(a)+len(b)-both)
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
		if err := im.tx.QueryRowContext(im.ctx, `SELECT EXISTS (SELECT 1 FROM cards WHERE story IS NULL)`).Scan(&missing); err != nil {
			return err
		}
		if !missing {
			return nil
		}
	}
	cards, stored, err := im.storyCards()
	if err != nil {
		return err
	}
	get, err := im.tx.PrepareContext(im.ctx, `SELECT summary FROM cards WHERE id = ?`)
	if err != nil {
		return err
	}
	defer get.Close()
	stories, err := clusterStories(cards, func(id int64) (string, error) {
		var s string
		err := get.QueryRowContext(im.ctx, id).Scan(&s)
		return s, err
	})
	if err != nil {
		return err
	}
	set, err := im.tx.PrepareContext(im.ctx, `UPDATE cards SET story = ? WHERE id = ?`)
	if err != nil {
		return err
	}
	defer set.Close()
	for i, c := range cards {
		if stored[i].Valid && stored[i].Int64 == stories[i] {
			continue
		}
		if _, err := set.ExecContext(im.ctx, stories[i], c.ID); err != nil {
			return err
		}
		im.changed = true
	}
	return nil
}

// storyCards reads every card's id, title and stored story.
func (im *Import) storyCards() ([]storyCard, []sql.NullInt64, error) {
	rows, err := im.tx.QueryContext(im.ctx, `SELECT id, title, story FROM cards ORDER BY id`)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var (
		cards  []storyCard
		stored []sql.NullInt64
	)
	for rows.Next() {
		var c storyCard
		var s sql.NullInt64
		if err := rows.Scan(&c.ID, &c.Title, &s); err != nil {
			return nil, nil, err
		}
		cards, stored = append(cards, c), append(stored, s)
	}
	return cards, stored, rows.Err()
}

// collapseStories narrows cond, a condition on "cards c" from where, to
// one card per story: a card that matches cond is kept unless another card
// of its story that matches cond comes first, being newer (undated counts
// as oldest) or of the same day with a smaller id. A card alone in its
// story costs one probe of the story index. The set of cards matching
// cond is built once per statement, not per row: its subquery has a
// "cards c" of its own, which hides the outer one, so cond applies inside
// unchanged and its arguments are given twice. A card whose story is not
// computed yet is a story of its own.
func collapseStories(cond string, args []any) (string, []any) {
	matching := ``
	if cond != "1" {
		matching = ` AND d.id IN (SELECT c.id FROM cards c WHERE ` + cond + `)`
		args = slices.Concat(args, args)
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
	return scanArticles(rows)
}

// collapsedTagEffects sets each tag facet's Or and Not when q collapses
// stories, where they are counted in stories, not cards: Or is how many
// stories with no card among q's matches have a card that the widened
// "any" group would add (see Query.OrGroup) carrying the tag; Not is how
// many of q's stories have the tag on every card that matches q, the
// stories that excluding the tag would remove.
func (s *Store) collapsedTagEffects(ctx context.Context, q catalog.Query, tags []catalog.TagFacet) error {
	plain := q
	plain.Collapse = false
	cond, args, err := where(plain)
	if err != nil {
		return err
	}
	query := `WITH f AS MATERIALIZED (SELECT c.id, coalesce(c.story, c.id) AS st FROM cards c WHERE ` + cond + `),
		fs AS MATERIALIZED (SELECT st, count(*) AS k FROM f GROUP BY st),
		nt AS (SELECT x.tag_id, count(*) AS n
			FROM (SELECT f.st, ct.tag_id, count(*) AS k FROM f JOIN card_tags ct ON ct.card_id = f.id GROUP BY f.st, ct.tag_id) x
			JOIN fs ON fs.st = x.st AND fs.k = x.k GROUP BY x.tag_id)
		SELECT 'not', t.slug, nt.n FROM nt JOIN tags t ON t.id = nt.tag_id`
	if og, ok := q.OrGroup(); ok {
		widen := og
		widen.Not = slices.Concat(og.Not, og.Any)
		widen.Any, widen.Collapse = nil, false
		wcond, wargs, err := where(widen)
		if err != nil {
			return err
		}
		query += `
		UNION ALL
		SELECT 'or', t.slug, ot.n
		FROM (SELECT ct.tag_id, count(DISTINCT coalesce(c.story, c.id)) AS n FROM cards c JOIN card_tags ct ON ct.card_id = c.id
			WHERE ` + wcond + ` AND coalesce(c.story, c.id) NOT IN (SELECT st FROM fs) GROUP BY ct.tag_id) ot
		JOIN tags t ON t.id = ot.tag_id`
		args = slices.Concat(args, wargs)
	}
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	or, not := map[string]int{}, map[string]int{}
	for rows.Next() {
		var kind, slug string
		var n int
		if err := rows.Scan(&kind, &slug, &n); err != nil {
			return err
		}
		if kind == "or" {
			or[slug] = n
		} else {
			not[slug] = n
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for i := range tags {
		tags[i].Or, tags[i].Not = or[tags[i].Slug], not[tags[i].Slug]
	}
	return nil
}
