package sqlite

import (
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"cardex/internal/catalog"
)

// Facet and index limits.
const (
	// facetSample bounds the work of one sidebar counted live (a
	// search's, two tags', any listing not counted at import): past it,
	// facets count the newest facetSample results only (Facets.Sample
	// says so). At 1M cards a sidebar of 1,000 results took 4 ms (6 ms
	// before liveFacets read only the entries shown), of 300 about
	// 1.2 ms: within the 2 ms a listing query may take. A sidebar of a
	// tag with other filters also reads the newest of the widened "any"
	// group (for its "+N" links): with 300 of each they took 1.7–2.8 ms,
	// with 200 0.7–1.8 ms.
	facetSample = 200
	// relatedSample bounds the cards whose tags rank a tag's related
	// tags when they are counted live (RelatedTags).
	relatedSample = 1_000
	// liveCountMax bounds a live count: a listing that no count kept at
	// import answers (a tag with a search, a source or a date, an "any"
	// group, several words…) is counted up to liveCountMax matches, and
	// past that has "more" (ArticlePage.More). At 1M cards an exact count
	// of such a listing took 23 ms to 1.2 s. It also bounds relevance
	// ranking (Store.ranked): bm25 costs about 1.3 µs a match, so a
	// search of more matches than this lists them newest first
	// (ArticlePage.Unranked) instead of ranking them all.
	liveCountMax = 2_000
	// sortListMax bounds a listing in an order of its own (by read time)
	// that is listed whole along its walk and sorted (sortedPage), about
	// 1 µs a match at 1M cards: a tag of 2,328 cards longest first took
	// 4 ms so, and 267 ms with the cards walked in that order and the tag
	// probed, as SQLite chose (a tag of 27,156: 264 ms). Past about
	// 250,000 matches the walk costs more than SQLite's plan.
	sortListMax = 100_000
	// searchProbeMax bounds the cards a newest-first search page may
	// probe one by one (about 26 µs each) before it is cheaper to list
	// every match and sort them.
	searchProbeMax = 2_000
	facetTags      = 30 // tags in Facets.Tags
	facetSources   = 15 // sources in Facets.Sources
	relatedMax     = 5  // ArticleDetail.Related
	sameStoryMax   = 20 // ArticleDetail.SameStory
	sourceTopTags  = 3  // SourceSummary.TopTags
	// A tag on at least commonPercent% of a set of articles (of at least
	// commonMin articles) says nothing about them: it is set apart.
	commonPercent = 90
	commonMin     = 10
)

// articleColumns and articleFrom select an article row; scanArticle reads it.
const (
	articleColumns = `c.id, c.title, c.summary, s.name, s.slug, s.cards, g.name, g.slug, g.cards, c.published, c.likes, c.read_minutes`
	articleRefs    = `LEFT JOIN sources s ON s.id = c.source_id LEFT JOIN categories g ON g.id = c.category_id`
	articleFrom    = `cards c ` + articleRefs
)

// Articles returns page q.EffectivePage() of the articles matching q, in
// q's order, with the total number of matches and the names of the slugs q
// uses. Each article comes with its tags, its DuplicateOf and its
// OtherSources; with q.Collapse only one article of each story is listed
// (see collapseStories) and the total counts stories. A slug that names
// no tag, source or category gives an error wrapping catalog.ErrNotFound
// that says which; an invalid sort or date gives a catalog.InvalidError.
func (s *Store) Articles(ctx context.Context, q catalog.Query) (_ catalog.ArticlePage, err error) {
	defer timeout(ctx, &err)
	names, err := s.resolved(ctx, q)
	if err != nil {
		return catalog.ArticlePage{}, err
	}
	order, err := orderBy(q.EffectiveSort())
	if err != nil {
		return catalog.ArticlePage{}, err
	}
	cond, args, err := s.where(q)
	if err != nil {
		return catalog.ArticlePage{}, err
	}
	fd, fed := s.feedOf(q, names)
	total, more, err := s.total(ctx, q, names, cond, args)
	if err != nil {
		return catalog.ArticlePage{}, err
	}
	search := q.Search()
	pos, _ := s.ftsMatch(search)
	rank, unranked, err := s.ranked(ctx, q, pos, total, more)
	if err != nil {
		return catalog.ArticlePage{}, err
	}
	page := catalog.ArticlePage{Query: q, Total: total, More: more, Names: names, Unranked: unranked}
	if q.Offset() >= total && !more {
		return page, nil
	}
	// The paging helpers take the listing's size, or unknownTotal: the
	// size of a listing with more is known only once a page has found
	// its end (s.ends), and a page past what the listing's filters could
	// hold at most is empty without a walk to it.
	size, endKey := total, ""
	if more {
		size, endKey = unknownTotal, filtersKey(q)
		end, ok := s.ends.Get(endKey)
		bound, err := s.sizeBound(ctx, q, names)
		if err != nil {
			return catalog.ArticlePage{}, err
		}
		switch {
		case q.Offset() >= bound || (ok && q.Offset() >= end.n):
			return page, nil
		case ok && end.exact:
			size = end.n
		}
	}
	match, only := s.searchOnly(q)
	newest := unranked || q.EffectiveSort() == catalog.SortNewest // an unranked search is newest first
	var query string
	var qargs []any
	// pageOf is the page's articles of the SELECT of their ids.
	pageOf := func(ids string, idArgs []any) {
		query = `SELECT ` + articleColumns + ` FROM (` + ids + `) p
			JOIN cards c ON c.id = p.id ` + articleRefs + ` ORDER BY ` + order
		qargs = idArgs
	}
	if rank {
		if page.Articles, err = s.rankedPage(ctx, q, names); err != nil {
			return catalog.ArticlePage{}, err
		}
	} else if only && newest {
		// A search alone, newest first: the index's own order, with the
		// highlights from the same statement (each statement with a prefix
		// term expands it again, ~20 ms for a common one).
		if page.Articles, err = s.searchPage(ctx, match, q, size); err != nil {
			return catalog.ArticlePage{}, err
		}
		pos = "" // highlighted already
	} else if q.IsEmpty() && !q.Collapse && q.EffectiveSort() == catalog.SortNewest {
		// Every card, newest first: a card's seq is its place in that
		// order, 1 to the number of cards, kept by every import (migration
		// 0008), so any page is a range of cards_seq. Skipping rows of an
		// index instead cost 9 ms for the middle page at 1M cards.
		query = `SELECT ` + articleColumns + ` FROM ` + articleFrom + ` WHERE c.seq > ? AND c.seq <= ? ORDER BY c.seq`
		qargs = []any{q.Offset(), q.Offset() + q.EffectivePer()}
	} else if ids, idArgs, ok, err := s.collapsedPage(ctx, q, names, size, pageLimit(q, size), newest); err != nil {
		return catalog.ArticlePage{}, err
	} else if ok {
		// A deep page of one card per story, newest first: the matches
		// listed and collapsed in memory.
		pageOf(ids, idArgs)
	} else if seqs, ok, err := s.pageInMemory(ctx, q, names, newest, pageLimit(q, size)); err != nil {
		return catalog.ArticlePage{}, err
	} else if ok {
		// A search with filters tested in memory, newest first.
		pageOf(memoryList{bySeq: true}.idsOf(seqs))
	} else if walk, ok, err := s.searchWalk(q, names); err != nil {
		return catalog.ArticlePage{}, err
	} else if ok && newest {
		// A search with other filters, newest first: the index's matches
		// in its own order, each tested against the filters.
		pageOf(`SELECT c.id `+walk.from+` ORDER BY f.rowid LIMIT ? OFFSET ?`, append(slices.Clone(walk.args), pageLimit(q, size), q.Offset()))
	} else if fed && q.EffectiveSort() == catalog.SortNewest && !s.pagedAlongSmaller(fd, q, names, total, more) {
		// A tag's feed is already in newest-first order: the page is an
		// index range of the rarest tag, filtered by the rest of q.
		ids, idArgs, err := s.feedPage(ctx, fd, q, size)
		if err != nil {
			return catalog.ArticlePage{}, err
		}
		pageOf(ids, idArgs)
	} else if ids, idArgs, ok, err := s.sortedPage(ctx, q, names, size); err != nil {
		return catalog.ArticlePage{}, err
	} else if ok {
		pageOf(ids, idArgs)
	} else {
		// A deferred join: the page's ids first, from the index alone,
		// then the rows and their names for those 20 ids only, so that a
		// deep page does not join every row it skips.
		if pos != "" && !fed && !only && !slices.ContainsFunc(search.Terms, func(t catalog.Term) bool { return t.Prefix }) {
			// A page of a search with filters in an order of its own
			// (oldest first, by read time; newest first walks the index,
			// searchWalk): walking the cards in that order and probing
			// the index for each is cheaper than listing every match, as
			// long as the page is near the front. Not for a prefix term
			// (a bare word of three letters or more): each probe of one
			// costs about 10 ms, as FTS5 expands the prefix again.
			all, err := s.allCards(ctx)
			if err != nil {
				return catalog.ArticlePage{}, err
			}
			if int64(q.Offset()+q.EffectivePer())*int64(all) <= int64(searchProbeMax)*int64(total) {
				if cond, args, err = s.whereSearch(q, searchProbe); err != nil {
					return catalog.ArticlePage{}, err
				}
			}
		}
		limit, offset, inner := q.EffectivePer(), q.Offset(), order
		if size == unknownTotal || q.EffectiveSort() == catalog.SortNewest || q.EffectiveSort() == catalog.SortRelevance {
			var fromEnd bool
			if limit, offset, fromEnd = window(q, size); fromEnd {
				inner = `c.published ASC NULLS FIRST, c.id ASC`
			}
		}
		pageOf(`SELECT c.id FROM cards c WHERE `+cond+` ORDER BY `+inner+` LIMIT ? OFFSET ?`, append(slices.Clone(args), limit, offset))
	}
	if query != "" {
		rows, err := s.db.QueryContext(ctx, query, qargs...)
		if err != nil {
			return catalog.ArticlePage{}, err
		}
		if page.Articles, err = s.scanArticles(rows); err != nil {
			return catalog.ArticlePage{}, err
		}
	}
	if more { // never ranked (see ranked)
		s.pagedPast(&page, endKey, size)
	}
	if err := s.attachTags(ctx, page.Articles); err != nil {
		return catalog.ArticlePage{}, err
	}
	if err := s.attachStories(ctx, page.Articles); err != nil {
		return catalog.ArticlePage{}, err
	}
	if pos != "" {
		if err := s.highlight(ctx, search, pos, page.Articles); err != nil {
			return catalog.ArticlePage{}, err
		}
	}
	return page, nil
}

// pageLimit is the rows a page of q asks for, of a listing of size rows:
// a row more when the size is not known (unknownTotal), which says
// whether a page follows (see window and pagedPast).
func pageLimit(q catalog.Query, size int) int {
	if size == unknownTotal {
		return q.EffectivePer() + 1
	}
	return q.EffectivePer()
}

// listingWalk is how a listing's matches are read newest first, along
// what drives it: the search index (f, its rowid the card's place) or a
// tag's feed (ft). from is the FROM clause and its WHERE, order the
// walk's order, id the card's id in it (with "cards c" joined).
type listingWalk struct {
	from, order, id string
	args            []any
	search          bool // along the search index, f.rowid
	size            int  // the rows walked to list every match, when known (a feed's tag's cards)
}

// walkOf returns the walk of q's matches that its pages, its live count
// and its sidebar's sample all take: the search index for a search alone,
// its matches for a search with filters (searchWalk), the rarest AND
// tag's feed unless a source or category is smaller (feedOf, smaller);
// ok is false for any other listing (the cards, in date order, with
// where's condition). With cards, "cards c" is joined whatever the
// condition reads.
func (s *Store) walkOf(q catalog.Query, names map[string]catalog.Ref, cards bool) (listingWalk, bool, error) {
	if match, only := s.searchOnly(q); only {
		from := `FROM cards_fts f WHERE cards_fts MATCH ?`
		if cards {
			from = `FROM cards_fts f JOIN cards c ON c.seq = f.rowid WHERE cards_fts MATCH ?`
		}
		return listingWalk{from: from, order: `f.rowid`, id: `c.id`, args: []any{match}, search: true}, true, nil
	}
	walk, ok, err := s.searchWalk(q, names)
	if err != nil || ok {
		return listingWalk{from: walk.from, order: `f.rowid`, id: `c.id`, args: walk.args, search: true}, ok, err
	}
	if fd, fed := s.feedOf(q, names); fed && !fd.smaller(q, names) {
		from, args := fd.walk(cards)
		return listingWalk{from: from, order: feedOrder, id: `ft.card_id`, args: args, size: names["tag:"+fd.slug].Count}, true, nil
	}
	return listingWalk{}, false, nil
}

// sortedPage returns the SELECT of the ids of page q (with its
// arguments), a listing in an order other than newest first (or
// relevance) of size rows (or unknownTotal), when its walk gives it
// cheaply; ok is false otherwise. Oldest first is the newest-first walk
// backwards: along the search index, the dated cards' places (seq 1 to
// the number of dated cards) from the last, then the undated ones' from
// the last (undated cards come last in both orders, by id); along a
// tag's feed the same, by date. By read time, a read-only store sorts
// the listing's matches in memory (timeSortedPage). Any order of a
// listing of at most sortListMax matches lists them along the walk and
// sorts them. Left to SQLite, which walked the cards in the order asked
// and probed each, a tag of 13 cards oldest first took 609 ms at 1M
// cards, a common word 0.3–0.5 s.
func (s *Store) sortedPage(ctx context.Context, q catalog.Query, names map[string]catalog.Ref, size int) (string, []any, bool, error) {
	sort := q.EffectiveSort()
	if sort == catalog.SortNewest || sort == catalog.SortRelevance {
		return "", nil, false, nil
	}
	limit := pageLimit(q, size)
	if query, args, ok, err := s.timeSortedPage(ctx, q, names, limit); ok || err != nil {
		return query, args, ok, err
	}
	if query, args, ok, err := s.oldestInMemory(ctx, q, names, limit); ok || err != nil {
		return query, args, ok, err
	}
	w, ok, err := s.walkOf(q, names, true)
	if err != nil || !ok {
		return "", nil, false, err
	}
	n := q.Offset() + limit
	switch {
	case sort == catalog.SortOldest && w.search:
		dated, err := s.lastDatedPlace(ctx)
		if err != nil {
			return "", nil, false, err
		}
		return `SELECT id FROM (
				SELECT * FROM (SELECT ` + w.id + ` AS id, f.rowid AS seq ` + w.from + ` AND f.rowid <= ? ORDER BY f.rowid DESC LIMIT ?)
				UNION ALL
				SELECT * FROM (SELECT ` + w.id + ` AS id, f.rowid AS seq ` + w.from + ` AND f.rowid > ? ORDER BY f.rowid DESC LIMIT ?))
			ORDER BY seq > ?, seq DESC LIMIT ? OFFSET ?`,
			slices.Concat(w.args, []any{dated, n}, w.args, []any{dated, n, dated, limit, q.Offset()}), true, nil
	case sort == catalog.SortOldest:
		return `SELECT id FROM (
				SELECT * FROM (SELECT ` + w.id + ` AS id, ft.published AS published ` + w.from + ` AND ft.published IS NOT NULL ORDER BY ft.published ASC, ft.card_id ASC LIMIT ?)
				UNION ALL
				SELECT * FROM (SELECT ` + w.id + ` AS id, NULL AS published ` + w.from + ` AND ft.published IS NULL ORDER BY ft.card_id ASC LIMIT ?))
			ORDER BY published IS NULL, published, id LIMIT ? OFFSET ?`,
			slices.Concat(w.args, []any{n}, w.args, []any{n, limit, q.Offset()}), true, nil
	case size != unknownTotal && size <= sortListMax && w.size <= sortListMax:
		// (A tag of more cards than that, with filters that keep few, is
		// left to SQLite: listing them would read every card of the tag.)
		order, err := orderBy(sort)
		if err != nil {
			return "", nil, false, err
		}
		return `WITH m AS MATERIALIZED (SELECT ` + w.id + ` AS id ` + w.from + `)
			SELECT c.id FROM m JOIN cards c ON c.id = m.id ORDER BY ` + order + ` LIMIT ? OFFSET ?`,
			append(slices.Clone(w.args), limit, q.Offset()), true, nil
	}
	return "", nil, false, nil
}

// lastDatedPlace is the place of the oldest dated card: places 1 to it
// are the dated cards, newest first, the undated ones after it (0 when
// no card has a date).
func (s *Store) lastDatedPlace(ctx context.Context) (int64, error) {
	var dated int64
	err := s.db.QueryRowContext(ctx, `SELECT coalesce((SELECT seq FROM cards WHERE published IS NOT NULL ORDER BY published, id LIMIT 1), 0)`).Scan(&dated)
	return dated, err
}

// oldestInMemory returns the SELECT of the ids of page q, oldest first,
// limit rows at most, when memoryListing lists q by a scan of every place
// (scannable): the places of its matches backwards, the dated ones
// first (as the walk of a search oldest first orders them, by place
// down, the undated ones after). An "any" group oldest first was
// SQLite's sort of all its cards: 385 ms at 1M cards. ok is false
// otherwise.
func (s *Store) oldestInMemory(ctx context.Context, q catalog.Query, names map[string]catalog.Ref, limit int) (string, []any, bool, error) {
	if q.EffectiveSort() != catalog.SortOldest {
		return "", nil, false, nil
	}
	plain := q
	plain.Collapse = false
	if _, _, scanned := s.filteredSearch(plain, names, forScan); !scanned {
		return "", nil, false, nil
	}
	dated, err := s.lastDatedPlace(ctx)
	if err != nil {
		return "", nil, false, err
	}
	// A page among the dated matches, each card on its own: the scan
	// backwards from the last dated place, stopped at the page's end,
	// rather than a list of every match (at 1M cards every card less a
	// tag, oldest first: 24–68 ms for its first page).
	if want := q.Offset() + limit; !q.Collapse && dated > 0 {
		f, ok, err := s.filterInMemory(ctx, plain, names, forScan)
		if err != nil {
			return "", nil, false, err
		}
		// A search's filter with a match to read is memoryListing's; one
		// read from the word sets is tested place by place (at 1M cards
		// "a" less a tag, oldest first: 124 ms).
		if ok && f.match == "" && (q.Q == "" || len(f.words) > 0) {
			if keys := f.scanBack(0, uint32(min(dated, keptCardsMax)), want); len(keys) == want { // #nosec G115 -- bounded
				query, args := memoryList{bySeq: true}.idsOf(keys[q.Offset():])
				return query, args, true, nil
			}
		}
	}
	l, ok, err := s.memoryListing(ctx, q, names)
	if !ok || err != nil || !l.bySeq {
		return "", nil, false, err
	}
	var keys []uint32
	for k := range l.inOrder {
		keys = append(keys, k)
	}
	// keys is this call's own: reversed in place, the dated ones first.
	split, _ := slices.BinarySearch(keys, uint32(min(max(dated, 0), keptCardsMax))+1) // keys[:split] are dated; #nosec G115 -- bounded
	slices.Reverse(keys[:split])
	slices.Reverse(keys[split:])
	page := keys[min(q.Offset(), len(keys)):min(q.Offset()+limit, len(keys))]
	query, args := l.idsOf(page)
	return query, args, true, nil
}

// rankedPage returns page q of a listing in bm25 order (see ranked): a
// page of its ranking, its cards by seq.
func (s *Store) rankedPage(ctx context.Context, q catalog.Query, names map[string]catalog.Ref) ([]catalog.Article, error) {
	seqs, err := s.ranking(ctx, q, names)
	if err != nil {
		return nil, err
	}
	seqs = seqs[min(q.Offset(), len(seqs)):min(q.Offset()+q.EffectivePer(), len(seqs))]
	if len(seqs) == 0 {
		return nil, nil
	}
	query, list, err := rankedSQL(seqs)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, query, list)
	if err != nil {
		return nil, err
	}
	return s.scanArticles(rows)
}

// rankedSQL returns the SELECT of the article rows of seqs (cards' places,
// a ranking), in that order, with its argument.
func rankedSQL(seqs []int64) (string, string, error) {
	list, err := json.Marshal(seqs) // json_each numbers them
	return `SELECT ` + articleColumns + ` FROM json_each(?) p JOIN cards c ON c.seq = p.value ` + articleRefs + ` ORDER BY p.key`, string(list), err
}

// ranking returns the places (seq) of q's matches in bm25 order, ties
// newest first (seq is that order, migration 0008). bm25 is worked out in
// Go where it can be (rankingByLengths: the same scores, without FTS5's
// read of each match's size), else by the search index alone
// (rankingByFTS5), over every match of q's search (at most the
// store's countMax: ranked), its excluded words left out as FTS5 walks
// (an excluded phrase adds nothing to a match's score, as the match
// does not hold it), materialized before anything else is read;
// other filters keep the matches that the listing's newest-first walk
// finds (searchWalk), or that they keep in memory (matchesInMemory).
// Before, the filters drove the statement and each card they kept
// probed the index with the whole search: a rare tag with a common word
// ("service", its prefix left to FTS5 for bm25) took more than 20 s at
// 1M cards. Places, not ids: the index's rows are places,
// and looking up the id of each of 1,938 matches doubled the 2.7 ms of
// scoring them. The ranking is worked out once for every page of the
// listing: on a read-only store it is remembered (at most countMax
// places). Ranked, the prefix stays a prefix for bm25: an OR of the words
// it expands to would score a card with two of them higher.
func (s *Store) ranking(ctx context.Context, q catalog.Query, names map[string]catalog.Ref) ([]int64, error) {
	return remember(s, &s.rankMemo, filtersKey(q), func() ([]int64, error) {
		if seqs, ok, err := s.rankingByLengths(ctx, q, names); ok || err != nil {
			return seqs, err
		}
		return s.rankingByFTS5(ctx, q, names)
	})
}

// rankingByFTS5 is ranking worked out by FTS5's bm25.
func (s *Store) rankingByFTS5(ctx context.Context, q catalog.Query, names map[string]catalog.Ref) ([]int64, error) {
	query := `WITH r AS MATERIALIZED (SELECT rowid AS seq, bm25(cards_fts, ` + bm25Weights + `) AS k FROM cards_fts WHERE cards_fts MATCH ?)
			SELECT r.seq FROM r`
	// A prefix that starts no word but its own is that word (the same
	// places, so the same bm25), which FTS5 reads without merging
	// postings: at 1M cards "quefaba also" in an "any" group took 28 ms,
	// most of it the prefix "also" (416k rows) merged for bm25.
	exact := func(prefix string) ([]string, bool) {
		words, ok := s.prefixWords(prefix)
		return words, ok && len(words) == 1 && words[0] == prefix
	}
	args := []any{withoutExcluded(ftsMatchWith(q.Search(), exact))}
	walk, ok, err := s.searchWalk(q, names)
	if err != nil {
		return nil, err
	}
	if ok {
		query += ` WHERE r.seq IN (SELECT f.rowid ` + walk.from + `)`
		args = append(args, walk.args...)
	}
	seqs, err := column[int64](s.db.QueryContext(ctx, query+` ORDER BY r.k, r.seq`, args...))
	return slices.Clip(seqs), err
}

// listingKey names a query (with its arguments) in a memo: a hash, as
// the expanded MATCH text of a long search can be tens of kilobytes.
func listingKey(query string, args []any) string {
	key := []byte(query)
	for _, a := range args {
		key = fmt.Appendf(key, "\x00%T:%#v", a, a) // typed and quoted: no two argument lists alike
	}
	return fmt.Sprintf("%x", sha256.Sum256(key))
}

// EachArticle calls fn with every article matching q, in q's order,
// whatever q's page: the rows stream from one query, so memory stays
// bounded. Tags come with each article (Name and Slug only), and so do
// DuplicateOf and OtherSources, as in Articles. It fails
// like Articles on a slug that names nothing, and stops at fn's first
// error.
func (s *Store) EachArticle(ctx context.Context, q catalog.Query, fn func(catalog.Article) error) (err error) {
	defer timeout(ctx, &err)
	names, err := s.resolved(ctx, q)
	if err != nil {
		return err
	}
	order, err := orderBy(q.EffectiveSort())
	if err != nil {
		return err
	}
	cond, args, err := s.where(q)
	if err != nil {
		return err
	}
	// The same order as Articles: a search with too many matches to rank
	// is newest first.
	rank := false
	if pos, _ := s.ftsMatch(q.Search()); pos != "" && q.EffectiveSort() == catalog.SortRelevance {
		total, more, err := s.total(ctx, q, names, cond, args)
		if err != nil {
			return err
		}
		if rank, _, err = s.ranked(ctx, q, pos, total, more); err != nil {
			return err
		}
	}
	// Every match in q's order, or a ranked listing's in its ranking's.
	query, qargs := `SELECT `+articleColumns+` FROM `+articleFrom+` WHERE `+cond+` ORDER BY `+order, args
	if rank {
		seqs, err := s.ranking(ctx, q, names)
		if err != nil {
			return err
		}
		rq, list, err := rankedSQL(seqs)
		if err != nil {
			return err
		}
		query, qargs = rq, []any{list}
	}
	query = strings.Replace(query, `SELECT `+articleColumns, `SELECT `+articleColumns+`,
		(SELECT group_concat(t.name || char(31) || t.slug, char(30) ORDER BY ct.position)
		 FROM card_tags ct JOIN tags t ON t.id = ct.tag_id WHERE ct.card_id = c.id), `+otherSourcesColumns, 1)
	rows, err := s.db.QueryContext(ctx, query, qargs...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var tags, others sql.NullString
		var dup int64
		a, err := s.scanArticle(rows, &tags, &dup, &others)
		if err != nil {
			return err
		}
		a.DuplicateOf, a.OtherSources = dup, parseOtherSources(others.String)
		for _, t := range strings.Split(tags.String, "\x1e") {
			if name, slug, ok := strings.Cut(t, "\x1f"); ok {
				a.Tags = append(a.Tags, catalog.Ref{Name: name, Slug: slug})
			}
		}
		if err := fn(a); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Dataset returns the dataset version, which every import that changes
// anything increments, and when that import ran.
func (s *Store) Dataset(ctx context.Context) (version int64, updated time.Time, err error) {
	if d := s.dataset.Load(); d != nil {
		return d.version, d.updated, nil
	}
	var at sql.NullString
	err = s.db.QueryRowContext(ctx, `SELECT (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'version'),
		(SELECT value FROM meta WHERE key = 'updated_at')`).Scan(&version, &at)
	if err != nil {
		return 0, time.Time{}, err
	}
	if at.Valid {
		updated, _ = time.Parse(time.RFC3339Nano, at.String)
	}
	if s.readOnly {
		s.dataset.Store(&datasetInfo{version, updated})
	}
	return version, updated, nil
}

// highlight marks where the search matched in each article's title and
// summary (catalog.MarkStart and MarkEnd around each match): in Go where
// markMatches can, with FTS5's highlight() for the others. match is the
// search's positive MATCH expression (ftsMatch).
func (s *Store) highlight(ctx context.Context, search catalog.Search, match string, arts []catalog.Article) error {
	idx := make(map[int64]int, len(arts))
	args := []any{match}
	for i := range arts {
		a := &arts[i]
		title, ok := markMatches(a.Title, search)
		summary, ok2 := markMatches(a.Summary, search)
		if ok && ok2 {
			a.MarkedTitle, a.MarkedSummary = title, summary
			continue
		}
		idx[a.ID] = i
		args = append(args, a.ID)
	}
	return s.highlightFTS5(ctx, args, idx, arts)
}

// highlightFTS5 marks the articles of idx (by id) with FTS5's
// highlight(); args are the MATCH expression and the ids.
func (s *Store) highlightFTS5(ctx context.Context, args []any, idx map[int64]int, arts []catalog.Article) error {
	if len(idx) == 0 {
		return nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT (SELECT id FROM cards WHERE seq = cards_fts.rowid),
			highlight(cards_fts, 0, char(1), char(2)), highlight(cards_fts, 1, char(1), char(2))
		FROM cards_fts WHERE cards_fts MATCH ? AND rowid IN (SELECT seq FROM cards WHERE id IN (`+placeholders(len(idx))+`))`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var title, summary string
		if err := rows.Scan(&id, &title, &summary); err != nil {
			return err
		}
		if i, ok := idx[id]; ok {
			arts[i].MarkedTitle, arts[i].MarkedSummary = title, summary
		}
	}
	return rows.Err()
}

// knownTotal returns the total of a query with a single filter from the
// counts kept at import (names has them), so that the big listings never
// count live. ok is false for any other query.
func knownTotal(q catalog.Query, names map[string]catalog.Ref) (int, bool) {
	if q.Q != "" || q.Collapse || len(q.Any)+len(q.Not) > 0 || !q.From.IsZero() || !q.To.IsZero() {
		return 0, false
	}
	switch {
	case len(q.Tags) == 1 && q.Source == "" && q.Category == "":
		return names["tag:"+q.Tags[0]].Count, true
	case len(q.Tags) == 0 && q.Source != "" && q.Category == "":
		return names["source:"+q.Source].Count, true
	case len(q.Tags) == 0 && q.Source == "" && q.Category != "":
		return names["category:"+q.Category].Count, true
	}
	return 0, false
}

// feed is a listing driven along its rarest AND tag's feed (card_tags in
// date order): the tag's slug, and the condition (with its arguments) on
// "card_tags ft" for the rest of the listing's filters; when onCards is
// set the condition also reads "cards c", which must be joined.
type feed struct {
	slug    string
	cond    string
	args    []any
	onCards bool
}

// feedOrder is a feed's order, newest first: card_tags_feed's.
const feedOrder = `ft.published DESC, ft.card_id DESC`

// walk returns the FROM clause and WHERE that walk f's feed, with their
// arguments: "cards c" is joined when the condition reads it, or when
// cards is set (the caller reads it).
func (f feed) walk(cards bool) (string, []any) {
	from := `card_tags ft`
	if f.onCards || cards {
		from = `card_tags ft JOIN cards c ON c.id = ft.card_id`
	}
	return `FROM ` + from + ` WHERE ft.tag_id = (SELECT id FROM tags WHERE slug = ?) AND ` + f.cond, append([]any{f.slug}, f.args...)
}

// feedOf picks the AND tag with the fewest cards to drive a listing along
// its feed. ok is false when q has no AND tag, or a search (which has its
// own order).
func (s *Store) feedOf(q catalog.Query, names map[string]catalog.Ref) (f feed, ok bool) {
	if len(q.Tags) == 0 || q.Q != "" {
		return feed{}, false
	}
	f.slug = q.Tags[0]
	for _, t := range q.Tags[1:] {
		if names["tag:"+t].Count < names["tag:"+f.slug].Count {
			f.slug = t
		}
	}
	// The feed holds each card's date: a date bound is a range of it
	// (dateRange), where the feed's index seeks.
	dated := func(cond string, args []any, onCards bool) (feed, bool) {
		f.cond, f.args = dateRange(q, `ft.published >= ?`, `ft.published <= ?`, cond, args)
		f.onCards = onCards
		return f, true
	}
	if q.Collapse {
		// One card per story: the rule looks at every filter, the feed's
		// tag too, so it is tested on each card of the feed, with the
		// rest of q. Walked along the cards in date order instead, a tag
		// of 300 cards at 1M took 583 ms a page and 2.2 s a sidebar.
		rest := q
		rest.Tags = catalog.Without(q.Tags, f.slug)
		cond, args, err := s.whereStories(rest, q, searchList)
		if err != nil {
			return feed{}, false
		}
		return dated(cond, args, true)
	}
	// Otherwise no card's own date is read. A bound that does not parse
	// is refused (not fed: where, on the other paths, says why).
	for _, b := range []catalog.DateBound{q.From, q.To} {
		if b.IsZero() {
			continue
		}
		if _, err := catalog.ParseDateBound(b.Text); err != nil {
			return feed{}, false
		}
	}
	rest := q
	rest.Tags, rest.From, rest.To = nil, catalog.DateBound{}, catalog.DateBound{}
	others := catalog.Without(q.Tags, f.slug)
	if rest.IsEmpty() {
		// Only tags besides the feed's (and dates): they are probed by the
		// feed's own card id, so that walking the feed never reads the
		// cards table for the rows it skips (at 1M cards, the middle page
		// of two big tags took 157 ms with the join, 63 ms without; a tag
		// from a date counted its first 2,000 in 1.4 ms with the join).
		conds, args := andTags(nil, nil, "ft.card_id", others)
		if len(conds) == 0 {
			conds = []string{"1"}
		}
		return dated(strings.Join(conds, " AND "), args, false)
	}
	rest.Tags = others
	cond, args, err := s.where(rest)
	if err != nil {
		return feed{}, false
	}
	return dated(cond, args, true)
}

// smaller reports whether q's source or category has fewer cards than
// f's tag. Then a walk of q's first matches (its count, its sidebar's
// newest) is shorter along that index, the tags probed: the matches are
// found in fewer rows of the smaller set (at 1M cards, a tag of 269k
// cards with a source of 77k: 26k rows of the feed for 2,000 matches,
// 7.5k of the source). Its pages stay on the feed, whose anchors keep
// deep pages as cheap as the first.
func (f feed) smaller(q catalog.Query, names map[string]catalog.Ref) bool {
	return f.smallerThan(q, names, math.MaxInt)
}

// smallerThan is smaller, of a source or category of at most most cards.
func (f feed) smallerThan(q catalog.Query, names map[string]catalog.Ref, most int) bool {
	for _, other := range []string{"source:" + q.Source, "category:" + q.Category} {
		if r, ok := names[other]; ok && r.Count < names["tag:"+f.slug].Count && r.Count <= most {
			return true
		}
	}
	return false
}

// smallWalkMax bounds the cards of a source or category whose walk pages
// a listing rather than its feed (pagedAlongSmaller).
const smallWalkMax = 4_000

// pagedAlongSmaller reports whether the pages of q, which fd feeds, of
// total matches (more: more than total) walk q's source or category
// rather than fd: when it has fewer cards than fd's tag, at most the
// store's smallWalk (smallWalkMax), and the listing at most the store's countMax, so that a
// page skips at most half of a short walk (window) and needs no
// anchors. Along the feed, a page of a listing much shorter than its tag
// walked most of the tag: at 1M cards a tag's one card from a source
// took 45 ms, 0.6 ms along the source.
func (s *Store) pagedAlongSmaller(fd feed, q catalog.Query, names map[string]catalog.Ref, total int, more bool) bool {
	return !more && total <= s.countMax && fd.smallerThan(q, names, s.smallWalk)
}

// allCards returns the collection's size, as counted at import.
func (s *Store) allCards(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT coalesce((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'cards'), 0)`).Scan(&n)
	return n, err
}

// listingEnd is where a listing counted up to the bound ends: at n rows
// when exact, or at most n (an empty page started there).
type listingEnd struct {
	n     int
	exact bool
}

// filtersKey names q's listing in a memo of what depends on its filters
// only, whatever the page, the page size or the order: its sidebar
// (Store.facetMemo), its total (Store.totals), where it ends
// (Store.ends), its ranking (Store.rankMemo, which only the relevance
// order has), its first matches when filtered in memory
// (Store.matchMemo).
func filtersKey(q catalog.Query) string {
	q.Page, q.Per, q.Sort = 0, 0, ""
	return q.URL("")
}

// sizeBound returns the most cards q's listing could hold, from the
// sizes kept at import: its rarest AND tag's, its source's or its
// category's, its "any" group's (the sum of its tags'), or the
// collection's.
func (s *Store) sizeBound(ctx context.Context, q catalog.Query, names map[string]catalog.Ref) (int, error) {
	bound, err := s.allCards(ctx)
	if err != nil {
		return 0, err
	}
	for _, t := range q.Tags {
		bound = min(bound, names["tag:"+t].Count)
	}
	if q.Source != "" {
		bound = min(bound, names["source:"+q.Source].Count)
	}
	if q.Category != "" {
		bound = min(bound, names["category:"+q.Category].Count)
	}
	if len(q.Any) > 0 {
		sum := 0
		for _, t := range q.Any {
			sum += names["tag:"+t].Count
		}
		bound = min(bound, sum)
	}
	return bound, nil
}

// pagedPast trims page, of a listing with more, to its size, and says
// whether a page follows: read with size unknownTotal, the page holds a
// row more when one does (window); read with the listing's size (its end
// found before), a page follows when it ends before that. A page that is
// not full, or empty, tells where the listing ends, which s.ends keeps
// on a read-only store (the end found, or the empty page's start).
func (s *Store) pagedPast(page *catalog.ArticlePage, endKey string, size int) {
	per, offset := page.Query.EffectivePer(), page.Query.Offset()
	if size != unknownTotal {
		page.HasNext = offset+len(page.Articles) < size
		return
	}
	n := len(page.Articles)
	if n > per {
		page.Articles, page.HasNext = page.Articles[:per], true
		return
	}
	if !s.readOnly {
		return
	}
	end := listingEnd{n: offset + n, exact: n > 0}
	if old, ok := s.ends.Get(endKey); !ok || (!old.exact && (end.exact || end.n < old.n)) {
		s.ends.Put(endKey, end)
	}
}

// unknownTotal is the size given to the paging helpers (window,
// anchorsFor) for a listing with more rows than were counted: it is read
// from its front, without anchors.
const unknownTotal = -1

// window returns the LIMIT and OFFSET that read page q of a listing of
// total rows, and fromEnd: whether they count from the listing's end, in
// reverse order, because the page is in its second half. Either way an
// index walk skips at most half the listing, so its deepest page costs
// what page 1 costs. For unknownTotal they read from the front, and a
// row more than the page, which says whether a page follows (pagedPast).
func window(q catalog.Query, total int) (limit, offset int, fromEnd bool) {
	limit, offset = q.EffectivePer(), q.Offset()
	if total == unknownTotal {
		return limit + 1, offset, false
	}
	if offset >= total {
		return limit, offset, false
	}
	if offset*2 < total {
		return min(limit, total-offset), offset, false // (a walk stops at the listing's last row)
	}
	rows := min(limit, total-offset)
	return rows, total - offset - rows, true
}

// feedPage returns the SELECT (and its arguments) of the ids and dates of
// page q of the listing fd drives, of total rows, in the feed's order.
func (s *Store) feedPage(ctx context.Context, fd feed, q catalog.Query, total int) (string, []any, error) {
	from, args := fd.walk(false)
	a, ok, err := s.anchorsFor(ctx, q.Offset(), total, func() (string, []any) {
		return `SELECT ft.card_id ` + from + ` ORDER BY ` + feedOrder, args
	})
	if err != nil {
		return "", nil, err
	}
	if !ok {
		limit, offset, fromEnd := window(q, total)
		order := feedOrder
		if fromEnd {
			order = `ft.published ASC, ft.card_id ASC`
		}
		return `SELECT ft.card_id AS id, ft.published AS published ` + from + `
			ORDER BY ` + order + ` LIMIT ? OFFSET ?`, append(args, limit, offset), nil
	}
	at, skip := a.at(q.Offset())
	n := skip + q.EffectivePer()
	// The rows from the anchor on, in the feed's order: the dated ones at
	// or after it (a range of card_tags_feed; none when the anchor has no
	// date, as a comparison with NULL is never true), then the ones
	// without a date, which come last: all of them after a dated anchor.
	anchorDate := `(SELECT published FROM cards WHERE id = ?)`
	return `SELECT id, published FROM (
			SELECT * FROM (SELECT ft.card_id AS id, ft.published AS published ` + from + `
				AND (ft.published, ft.card_id) <= (` + anchorDate + `, ?) ORDER BY ` + feedOrder + ` LIMIT ?)
			UNION ALL
			SELECT * FROM (SELECT ft.card_id AS id, ft.published AS published ` + from + `
				AND ft.published IS NULL AND (` + anchorDate + ` IS NOT NULL OR ft.card_id <= ?) ORDER BY ft.card_id DESC LIMIT ?))
		ORDER BY published IS NULL, published DESC, id DESC LIMIT ? OFFSET ?`,
		slices.Concat(args, []any{at, at, n}, args, []any{at, at, n, q.EffectivePer(), skip}), nil
}

// searchPage returns the page of q, a search alone (match) with total
// matches, newest first, with the highlights.
func (s *Store) searchPage(ctx context.Context, match string, q catalog.Query, total int) ([]catalog.Article, error) {
	limit, offset, fromEnd := window(q, total)
	order, from := `rowid`, int64(0)
	if fromEnd {
		order = `rowid DESC`
	}
	a, ok, err := s.anchorsFor(ctx, q.Offset(), total, func() (string, []any) {
		// A walk of every match leaves prefixes to FTS5, which merges
		// each prefix's words into one list of matches once: cheaper
		// than an OR of the words for the whole walk (58 ms against 77
		// for "balancing" and its 80 words at 1M cards), where a count
		// that stops at the bound reads the OR lazily (total).
		whole, _ := ftsMatchWith(q.Search(), leavePrefixes)
		return `SELECT rowid FROM cards_fts WHERE cards_fts MATCH ? ORDER BY rowid`, []any{whole}
	})
	if err != nil {
		return nil, err
	}
	if ok {
		// The matches from the anchor on (see anchors): FTS5 seeks each
		// term's postings to the anchor's rowid.
		from, offset = a.at(q.Offset())
		limit, order = q.EffectivePer(), `rowid`
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+articleColumns+` FROM
		(SELECT rowid AS seq FROM cards_fts WHERE cards_fts MATCH ? AND rowid >= ? ORDER BY `+order+` LIMIT ? OFFSET ?) f
		JOIN cards c ON c.seq = f.seq `+articleRefs+` ORDER BY f.seq`, match, from, limit, offset)
	if err != nil {
		return nil, err
	}
	out, err := s.scanArticles(rows)
	if err != nil {
		return nil, err
	}
	return out, s.highlight(ctx, q.Search(), match, out)
}

// keptSize returns q's total from the counts kept at import: a listing
// of a single filter's (knownTotal), the collection's, a pair's or a
// group's kept in the sidebars (keptTotal), a listing of at most one
// filter with one card per story (collapsedKept), a word's
// (oneWordCount). ok
// is false when they do not give it.
func (s *Store) keptSize(ctx context.Context, q catalog.Query, names map[string]catalog.Ref) (int, bool, error) {
	if n, ok := knownTotal(q, names); ok {
		return n, true, nil
	}
	if q.IsEmpty() && !q.Collapse {
		n, err := s.allCards(ctx)
		return n, err == nil, err
	}
	if n, ok, err := s.keptTotal(ctx, q, names); ok || err != nil {
		return n, ok, err
	}
	if n, ok, err := s.collapsedKept(ctx, q, names); ok || err != nil {
		return n, ok, err
	}
	if _, only := s.searchOnly(q); only {
		return s.oneWordCount(ctx, q.Search())
	}
	return 0, false, nil
}

// total returns how many cards match q, whose condition is cond (from
// where): from the counts kept at import when they give it (keptSize),
// or counted live up to the store's countMax, with more set when there
// are more (countUpTo). A live count walks what a page of the listing
// walks (see newest): a search alone the index; a search with other
// filters its matches; a tag's listing the rarest tag's feed, or the
// index of a smaller source or category; anything else the cards. On a
// read-only store it is worked out once per listing (every page, order
// and page size of it has the same).
func (s *Store) total(ctx context.Context, q catalog.Query, names map[string]catalog.Ref, cond string, args []any) (int, bool, error) {
	t, err := remember(s, &s.totals, filtersKey(q), func() (listingTotal, error) {
		n, more, err := s.countTotal(ctx, q, names, cond, args)
		return listingTotal{n, more}, err
	})
	return t.n, t.more, err
}

// listingTotal is a listing's total as total gives it.
type listingTotal struct {
	n    int
	more bool // more than n match
}

// countTotal is total, worked out.
func (s *Store) countTotal(ctx context.Context, q catalog.Query, names map[string]catalog.Ref, cond string, args []any) (n int, more bool, err error) {
	if n, ok, err := s.keptSize(ctx, q, names); ok || err != nil {
		return n, false, err
	}
	if over, err := s.collapsedOver(ctx, q, names); over || err != nil {
		return s.countMax, over, err
	}
	// A search with filters tested in memory: its matches listed up to
	// the bound (remembered, for the pages and for a ranking, which
	// scores them). Before the ranking: a listing of none needs none, and
	// FTS5's bm25 merges the postings of a common prefix first (at 1M
	// cards "lessons hashness" from a source, 38 ms to find none).
	if seqs, more, ok, err := s.matchesInMemory(ctx, q, names, s.countMax, forCount); ok || err != nil {
		return len(seqs), more, err
	}
	// A ranked search with other filters: counted as its ranking is
	// worked out (remembered for its page), rather than walked a second
	// time. At 1M cards a word of 1,997 matches within the biggest tag
	// took 9.2 ms so, the count's walk alone 2.6 ms.
	if ranked, err := s.rankedFiltered(ctx, q); ranked || err != nil {
		if err != nil {
			return 0, false, err
		}
		seqs, err := s.ranking(ctx, q, names)
		return len(seqs), false, err
	}
	// Along the listing's walk (a search alone is counted with each
	// prefix as an OR of its words, which FTS5 reads lazily, so that the
	// count stops at the bound: a prefix left to FTS5 has every posting
	// of its words merged first).
	if w, ok, err := s.walkOf(q, names, false); ok || err != nil {
		if err != nil {
			return 0, false, err
		}
		return s.countUpTo(ctx, w.from, w.args)
	}
	return s.countUpTo(ctx, `FROM cards c WHERE `+cond, args)
}

// oneWordCount counts the matches of a search of one word (or one word's
// prefix) without walking them all: search_words (migration 0012) knows
// how many cards hold each word of the index, so a word's matches are
// that number, and a prefix's are its whole word's plus the cards that
// hold only the prefix's longer words, which are rare (a count over their
// short postings, leaving out the word's). At 1M cards, counting
// "balancing" (81 words) went from 30 ms to 1 ms. ok is false for any
// other search, and for a prefix left to FTS5 (see prefixWords);
// remembered with the listing's total (see total).
func (s *Store) oneWordCount(ctx context.Context, search catalog.Search) (n int, ok bool, err error) {
	word, others, ok := s.oneWord(search)
	if !ok {
		return 0, false, nil
	}
	if err := s.db.QueryRowContext(ctx, `SELECT coalesce((SELECT doc FROM search_words WHERE term = ?), 0)`, word).Scan(&n); err != nil {
		return 0, false, err
	}
	var rest int
	if len(others) > 0 {
		if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM cards_fts WHERE cards_fts MATCH ?`,
			`(`+strings.Join(others, " OR ")+`) NOT `+ftsPhrase(word)).Scan(&rest); err != nil {
			return 0, false, err
		}
	}
	return n + rest, true, nil
}

// oneWord returns the word of a search that oneWordCount counts without
// a walk (one word, or one word's prefix expanded by prefixWords), and
// the phrases of the prefix's longer words; ok is false for any other
// search.
func (s *Store) oneWord(search catalog.Search) (word string, others []string, ok bool) {
	if len(search.Terms) != 1 || len(search.Terms[0].Words) != 1 || search.Terms[0].Exclude || !isASCIIWord(search.Terms[0].Words[0]) {
		return "", nil, false
	}
	t := search.Terms[0]
	word = t.Words[0]
	if t.Prefix {
		words, ok := s.prefixWords(word)
		if !ok {
			return "", nil, false
		}
		for _, w := range words {
			if w != word {
				others = append(others, ftsPhrase(w))
			}
		}
	}
	return word, others, true
}

// collapsedOver reports whether q, a listing of one card per story, is
// surely over the store's count bound, from counts kept at import: its
// cards without the collapsing, less the cards that collapsing every
// card hides, are more than the bound. A listing hides at most what the
// collection does (of each story, it hides fewer cards or as many), so
// that is the least it keeps. At 1M cards the collection hides 9,738: a
// search of 358k matches, one card per story, is "more than 2,000"
// without a walk of its first 2,000 (3.7 ms). It is false when the
// listing's size without the collapsing is not kept.
func (s *Store) collapsedOver(ctx context.Context, q catalog.Query, names map[string]catalog.Ref) (bool, error) {
	if !q.Collapse {
		return false, nil
	}
	plain := q
	plain.Collapse = false
	n, ok, err := s.keptSize(ctx, plain, names)
	if !ok || err != nil {
		return false, err
	}
	hidden, err := s.hidden(ctx, keptFilter{})
	return n-hidden > s.countMax, err
}

// countUpTo counts the rows of from (a FROM clause with its WHERE) up
// to the store's countMax: n is their number, or countMax when there are
// more, and then more is set. The count stops there, so that no request
// counts more rows than that, whatever the listing.
func (s *Store) countUpTo(ctx context.Context, from string, args []any) (n int, more bool, err error) {
	args = append(slices.Clip(args), s.countMax+1)
	err = s.db.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 `+from+` LIMIT ?)`, args...).Scan(&n)
	if n > s.countMax {
		return s.countMax, true, err
	}
	return n, false, err
}

// searchWalk is how a listing with a search and other filters is read
// newest first: along the search index's matches (in rowid order, which
// is seq, newest first; migration 0008), each tested against the other
// filters with probes. A list of every match, built first, was 358k
// rows for one common word at 1M cards (300 ms a page). from is the
// FROM clause and its WHERE, with "cards c" and the index as "f"; ok is
// false for a listing with no positive search term, or a search alone
// (searchOnly, whose pages have a way of their own).
//
// The index also holds each card's tag names and source name: an AND
// tag or the source is asked of it too, as a phrase in that column, so
// that FTS5 intersects the postings and only cards that may match are
// probed. The phrase is looser than the filter ("Balancing" is in "Load
// Balancing"), which the probes then settle: counting 2,000 matches of
// a word within the biggest tag at 1M cards took 9 ms with the probes
// alone and 3 ms with the phrase.
type searchWalk struct {
	from string
	args []any
}

func (s *Store) searchWalk(q catalog.Query, names map[string]catalog.Ref) (searchWalk, bool, error) {
	if q.Q == "" {
		return searchWalk{}, false, nil
	}
	pos, neg := s.ftsMatch(q.Search())
	if _, only := s.searchOnly(q); only || pos == "" {
		return searchWalk{}, false, nil
	}
	cond, args, err := s.whereSearch(q, searchDriven)
	if err != nil {
		return searchWalk{}, false, err
	}
	match := narrowedMatch(pos, q, names)
	// The excluded words are left out by FTS5 as it walks, rather than
	// tested against a list of every card with one, built for each
	// statement: at 1M generated cards "how" is in every one, and a page
	// of "compares -how" took 203 ms so, 19 ms now.
	match = withoutExcluded(match, neg)
	// A date bound is a range of places (seq numbers the dated cards
	// newest first), which FTS5 seeks to rather than walking every match
	// and testing each card's date. The range of "to" runs on past the
	// dated cards into the undated ones: cond's own test of the date
	// (whereSearch) keeps them out.
	cond, args = dateRange(q,
		`f.rowid <= (SELECT seq FROM cards WHERE published >= ? ORDER BY published, id LIMIT 1)`,
		`f.rowid >= (SELECT seq FROM cards WHERE published <= ? ORDER BY published DESC, id DESC LIMIT 1)`, cond, args)
	return searchWalk{
		from: `FROM cards_fts f JOIN cards c ON c.seq = f.rowid WHERE cards_fts MATCH ? AND ` + cond,
		args: append([]any{match}, args...),
	}, true, nil
}

// narrowedMatch is pos, a search's MATCH expression, narrowed by the
// names of q's tags (AND, and one of an "any" group) and source as
// phrases of their columns: a card that
// has them holds those phrases, so the index leaves out most cards that
// cannot match before the filters are tested.
func narrowedMatch(pos string, q catalog.Query, names map[string]catalog.Ref) string {
	match := pos
	narrow := func(column, name string) {
		// A phrase of no word would match nothing: narrowed only by a name
		// with an ASCII letter or digit, which the tokenizer always keeps
		// (Go's Unicode tables know letters that SQLite's unicode61 does
		// not: a name of U+19B0 and U+19B1 is a phrase of no word).
		if slices.ContainsFunc([]byte(name), isASCIIAlnum) { // UTF-8: a byte under 0x80 is that ASCII character
			match = `(` + match + `) AND ` + column + ` : ` + ftsPhrase(name)
		}
	}
	for _, slug := range q.Tags {
		narrow("tags", names["tag:"+slug].Name)
	}
	if q.Source != "" {
		narrow("source", names["source:"+q.Source].Name)
	}
	// An "any" group: one of its names, when each has a phrase (one
	// without would leave out the cards of that tag). At 1M cards a
	// search of 2,000 matches and more in a category, by a group of two
	// tags, page 36: 31 ms over the search's matches.
	if group, ok := namesMatch(catalog.Query{Any: q.Any}, names); ok {
		match = `(` + match + `) AND ` + group
	}
	return match
}

// withoutExcluded is the MATCH expression of pos's matches that match
// none of neg (as ftsMatch gives them; neg "" for none).
func withoutExcluded(pos, neg string) string {
	if neg == "" {
		return pos
	}
	return `(` + pos + `) NOT (` + neg + `)`
}

// searchOnly returns the MATCH expression of a query that is a search and
// nothing else (no filter, no exclusion, no collapsing): its matches in
// listing order are the search index's rows in rowid order (seq,
// migration 0008).
func (s *Store) searchOnly(q catalog.Query) (string, bool) {
	only := q
	only.Q = ""
	pos, neg := s.ftsMatch(q.Search())
	return pos, pos != "" && neg == "" && only.IsEmpty() && !q.Collapse
}

// ranked reports whether a listing of q, of total matches (more: more
// than that), is in bm25 order (rank), and whether it was asked to be
// but its search has too many matches to rank (unranked: then it is
// newest first). Ranking computes bm25 for every match of the search,
// whatever the other filters (see ranking): at 1M cards about 0.25 µs
// each in Go (rankingByLengths), 1.3 µs each by FTS5: so the search's
// own matches (pos's, q's positive MATCH
// expression from ftsMatch) are bounded, by the store's countMax, and
// counted when q has other filters.
func (s *Store) ranked(ctx context.Context, q catalog.Query, pos string, total int, more bool) (rank, unranked bool, err error) {
	if q.EffectiveSort() != catalog.SortRelevance || pos == "" || (total == 0 && !more) {
		// An empty listing has no order to speak of (nor a heading that
		// says it is newest first).
		return false, false, nil
	}
	if _, only := s.searchOnly(q); !only && !more {
		t, err := s.ownTotal(ctx, q, pos)
		if err != nil {
			return false, false, err
		}
		total, more = t.n, t.more
	}
	big := !s.rankable(listingTotal{total, more})
	return !big, big, nil
}

// rankable reports whether a search of t matches is ranked: at most the
// store's countMax.
func (s *Store) rankable(t listingTotal) bool { return !t.more && t.n <= s.countMax }

// ownTotal is the number of matches of q's search alone (pos, its
// positive MATCH expression from ftsMatch), excluded words left out: a
// word's are kept at import (oneWordCount), any other's counted up to
// the bound.
func (s *Store) ownTotal(ctx context.Context, q catalog.Query, pos string) (listingTotal, error) {
	return remember(s, &s.totals, "search\x00"+listingKey(pos, nil), func() (listingTotal, error) {
		if n, ok, err := s.oneWordCount(ctx, ownSearch(q)); ok || err != nil {
			return listingTotal{n, false}, err
		}
		n, more, err := s.countUpTo(ctx, `FROM cards_fts WHERE cards_fts MATCH ?`, []any{pos})
		return listingTotal{n, more}, err
	})
}

// ownSearch is q's search without its excluded words.
func ownSearch(q catalog.Query) catalog.Search {
	own := q.Search()
	own.Terms = slices.DeleteFunc(own.Terms, func(t catalog.Term) bool { return t.Exclude })
	return own
}

// rankedFiltered reports whether q is a search with other filters that
// is ranked whatever its count (its search alone has few enough matches
// to rank, see ranked): its ranking then scores every match of the
// search and keeps the filters', so its length is the listing's count.
// Only on a read-only store, which remembers the ranking for the page: a
// writable one would work it out twice.
func (s *Store) rankedFiltered(ctx context.Context, q catalog.Query) (bool, error) {
	pos, _ := s.ftsMatch(q.Search())
	if _, only := s.searchOnly(q); !s.readOnly || only || pos == "" || q.EffectiveSort() != catalog.SortRelevance {
		return false, nil
	}
	t, err := s.ownTotal(ctx, q, pos)
	return err == nil && s.rankable(t), err
}

// where turns q's filters into a condition on "cards c" and its arguments.
// Every query that filters by a catalog.Query goes through it, so that
// filters compose the same way on every page and in every format. With
// q.Collapse the condition keeps one card of each story among the matches
// (see collapseStories), so that counts and facets agree with the list.
func (s *Store) where(q catalog.Query) (string, []any, error) {
	return s.whereSearch(q, searchList)
}

// searchForm is how a condition from whereSearch tests q's search.
type searchForm int

const (
	// searchList: the card is among every match, listed once per
	// statement (fast when the matches drive, or for a walk of them all).
	searchList searchForm = iota
	// searchProbe: the index is probed for each card (fast when the
	// cards are walked in order and a page is found early, or when few
	// cards are tested, as in a story's other cards).
	searchProbe
	// searchDriven: the search is left out, because the statement walks
	// the index's matches itself, exclusions included (searchWalk); a
	// search of exclusions only stays.
	searchDriven
)

// whereSearch is where, with q's search in the given form.
func (s *Store) whereSearch(q catalog.Query, form searchForm) (string, []any, error) {
	return s.whereStories(q, q, form)
}

// whereStories is whereSearch of q, whose stories (with q.Collapse) are
// told apart by the filters of stories: q's own, or more than q has when
// the statement tests some of them itself (a feed's walk tests its tag,
// which a story's other cards must be probed for).
func (s *Store) whereStories(q, stories catalog.Query, form searchForm) (string, []any, error) {
	var conds []string
	var args []any
	// A tag is a probe of card_tags' primary key: the listing is driven
	// by its rarest AND tag's feed (feedOf), by a search (searchWalk) or
	// by the cards in date order, and each tag costs one lookup per
	// candidate, where a list of every card of an "any" or "not" tag,
	// built first, was 337k ids for two big tags at 1M cards (423 ms for
	// a page that the probes find in 1 ms).
	conds, args = andTags(conds, args, "c.id", q.Tags)
	const withTag = `SELECT 1 FROM card_tags ct WHERE ct.card_id = c.id AND ct.tag_id IN (SELECT id FROM tags WHERE slug IN (`
	if len(q.Any) > 0 {
		conds = append(conds, `EXISTS (`+withTag+placeholders(len(q.Any))+`)))`)
		args = appendStrings(args, q.Any)
	}
	if len(q.Not) > 0 {
		conds = append(conds, `NOT EXISTS (`+withTag+placeholders(len(q.Not))+`)))`)
		args = appendStrings(args, q.Not)
	}
	if q.Source != "" {
		conds = append(conds, `c.source_id = (SELECT id FROM sources WHERE slug = ?)`)
		args = append(args, q.Source)
	}
	if q.Category != "" {
		conds = append(conds, `c.category_id = (SELECT id FROM categories WHERE slug = ?)`)
		args = append(args, q.Category)
	}
	// published is YYYY-MM-DD text, so comparing strings compares dates;
	// a NULL date compares as NULL and never matches a bound.
	for _, b := range []struct {
		field, cmp string
		bound      catalog.DateBound
		day        func(catalog.DateBound) time.Time
	}{
		{"from", ">=", q.From, catalog.DateBound.First},
		{"to", "<=", q.To, catalog.DateBound.Last},
	} {
		if b.bound.IsZero() {
			continue
		}
		if _, err := catalog.ParseDateBound(b.bound.Text); err != nil {
			return "", nil, catalog.Invalid(b.field, "%v", err)
		}
		conds = append(conds, `c.published `+b.cmp+` ?`)
		args = append(args, b.day(b.bound).Format(time.DateOnly))
	}
	if q.Q != "" {
		pos, neg := s.ftsMatch(q.Search())
		if pos == "" && neg == "" {
			conds = append(conds, "0") // nothing searchable in q: no match
		}
		switch {
		case pos == "" || form == searchDriven:
		case form == searchProbe:
			conds = append(conds, `EXISTS (SELECT 1 FROM cards_fts WHERE cards_fts MATCH ? AND rowid = c.seq)`)
			args = append(args, pos)
		default:
			conds = append(conds, `c.seq IN (SELECT rowid FROM cards_fts WHERE cards_fts MATCH ?)`)
			args = append(args, pos)
		}
		if neg != "" && (form != searchDriven || pos == "") {
			conds = append(conds, `c.seq NOT IN (SELECT rowid FROM cards_fts WHERE cards_fts MATCH ?)`)
			args = append(args, neg)
		}
	}
	if len(conds) == 0 {
		conds = append(conds, "1")
	}
	cond := strings.Join(conds, " AND ")
	if q.Collapse {
		// The story's other cards are few (most cards have none): each is
		// tested with probes, not against a list of every match.
		plain := stories
		plain.Collapse = false
		inner, innerArgs, err := s.whereSearch(plain, searchProbe)
		if err != nil {
			return "", nil, err
		}
		cond, args = collapseStories(cond, args, inner, innerArgs)
	}
	return cond, args, nil
}

// dateRange returns cond (with its arguments) and, for each of q's date
// bounds, the condition from (for q.From) or to (for q.To), whose one
// argument is the bound's day: the same bounds as whereStories' test of
// each card's date, put where an index can seek to them (a tag's feed,
// the search index's places), so that a walk starts and ends inside
// them. Whether the card's own test stays in cond is the caller's: a
// feed's range is exact, a search's "to" also lets in undated cards.
func dateRange(q catalog.Query, from, to, cond string, args []any) (string, []any) {
	conds := []string{cond}
	args = slices.Clip(args)
	if !q.From.IsZero() {
		conds = append(conds, from)
		args = append(args, q.From.First().Format(time.DateOnly))
	}
	if !q.To.IsZero() {
		conds = append(conds, to)
		args = append(args, q.To.Last().Format(time.DateOnly))
	}
	return strings.Join(conds, " AND "), args
}

// andTags appends to conds and args a probe of card_tags' primary key for
// each of tags, on the card whose id is the column id.
func andTags(conds []string, args []any, id string, tags []string) ([]string, []any) {
	for _, slug := range tags {
		conds = append(conds, `EXISTS (SELECT 1 FROM card_tags ct WHERE ct.card_id = `+id+` AND ct.tag_id = (SELECT id FROM tags WHERE slug = ?))`)
		args = append(args, slug)
	}
	return conds, args
}

// ftsMatch turns a search into FTS5 MATCH expressions: pos, which every
// result must match, and neg, which no result may match ("" for none).
// Each term becomes a quoted phrase, so no character the user typed is
// ever FTS5 syntax; a prefix term gets the * outside its quotes.
func (st *Store) ftsMatch(s catalog.Search) (pos, neg string) {
	// All the prefixes of a search together expand into at most as many
	// words as one may: a long search of short words would otherwise be
	// a MATCH of tens of thousands of phrases. Past that, FTS5 expands
	// the rest itself.
	budget := st.prefixMax
	return ftsMatchWith(s, func(prefix string) ([]string, bool) {
		words, ok := st.prefixWords(prefix)
		if !ok || len(words) > budget {
			return nil, false
		}
		budget -= len(words)
		return words, true
	})
}

// ftsMatchWith is ftsMatch with words(prefix) giving the whole words of a
// prefix term's last word, or ok false to leave the prefix to FTS5.
func ftsMatchWith(s catalog.Search, words func(prefix string) ([]string, bool)) (pos, neg string) {
	ps, ns := ftsTerms(s, words)
	return strings.Join(ps, " AND "), strings.Join(ns, " OR ")
}

// ftsTerms is ftsMatchWith's terms apart: the MATCH expression of each
// positive term (ps) and of each excluded one (ns), in the search's
// order.
func ftsTerms(s catalog.Search, words func(prefix string) ([]string, bool)) (ps, ns []string) {
	for _, t := range s.Terms {
		phrase := ftsPhrase(t.Words...)
		switch {
		case t.Exclude:
			ns = append(ns, phrase)
		case t.Prefix:
			last := t.Words[len(t.Words)-1]
			if whole, ok := words(last); ok {
				var alts []string
				for _, w := range whole {
					alts = append(alts, ftsPhrase(append(slices.Clip(t.Words[:len(t.Words)-1]), w)...))
				}
				ps = append(ps, "("+strings.Join(alts, " OR ")+")")
				continue
			}
			ps = append(ps, phrase+"*")
		default:
			ps = append(ps, phrase)
		}
	}
	return ps, ns
}

// ftsPhrase quotes words as one FTS5 phrase: no character in them is
// ever FTS5 syntax.
func ftsPhrase(words ...string) string {
	return `"` + strings.ReplaceAll(strings.Join(words, " "), `"`, `""`) + `"`
}

// leavePrefixes leaves every prefix to FTS5.
func leavePrefixes(string) ([]string, bool) { return nil, false }

// prefixWordsMax is the most words a prefix is expanded into; past it
// FTS5 expands the prefix itself. At 1M generated cards "service" starts
// 17 words (made-up product names glued to it), and an OR of them is
// still 0.7 ms for a page against 30 ms for the prefix. "balancing"
// starts 80: FTS5 merges every one of their postings again for each page
// (22 ms for a page in the middle), while an OR of them seeks each
// word's postings to the page's anchor (4.6 ms); its first page, which
// counts the matches, costs 77 ms instead of 58.
const prefixWordsMax = 256

// prefixWords returns the words of the search index that start with
// prefix, as expandPrefixes found them; ok is false when the prefix is
// left to FTS5 (not looked up, not ASCII, no word, or too many).
func (st *Store) prefixWords(prefix string) ([]string, bool) {
	words, ok := st.prefixes.Get(prefix)
	return words, ok && len(words) > 0
}

// expandPrefixes looks up, on a read-only store, the whole words of each
// prefix term of q's search in the index's words (search_words, migration
// 0012), for ftsMatch. Only ASCII letters and digits are looked up: FTS5 folds
// other text (diacritics) in ways a byte prefix would not follow.
func (s *Store) expandPrefixes(ctx context.Context, q catalog.Query) error {
	if !s.readOnly || q.Q == "" {
		return nil
	}
	for _, t := range q.Search().Terms {
		if !t.Prefix {
			continue
		}
		prefix := t.Words[len(t.Words)-1]
		if _, err := remember(s, &s.prefixes, prefix, func() ([]string, error) { return s.lookUpPrefix(ctx, prefix) }); err != nil {
			return err
		}
	}
	return nil
}

// lookUpPrefix returns the words of the index that start with prefix, or
// nil when the prefix is to be left to FTS5: not plain ASCII, or more
// than s.prefixMax words (prefixWordsMax).
func (s *Store) lookUpPrefix(ctx context.Context, prefix string) ([]string, error) {
	if !isASCIIWord(prefix) { // search words are lowercased already
		return nil, nil
	}
	words, err := column[string](s.db.QueryContext(ctx, `SELECT term FROM search_words WHERE term >= ? AND term < ? ORDER BY term LIMIT ?`,
		prefix, prefix+"\xff", s.prefixMax+1))
	if len(words) > s.prefixMax {
		words = nil
	}
	return words, err
}

// bm25Weights rank a match in the title far above one in the summary;
// tags and source sit between.
const bm25Weights = `10.0, 1.0, 4.0, 2.0`

// orderBy returns the ORDER BY terms of a listing order.
func orderBy(sort catalog.Sort) (string, error) {
	switch sort {
	case catalog.SortNewest, catalog.SortRelevance, "":
		// Relevance ranks by bm25 first (see Store.ranking); ties, and searches
		// with only exclusions, fall back to newest first.
		return `c.published DESC NULLS LAST, c.id DESC`, nil
	case catalog.SortOldest:
		return `c.published ASC NULLS LAST, c.id ASC`, nil
	case catalog.SortLongest:
		return `c.read_minutes DESC, c.published DESC NULLS LAST, c.id DESC`, nil
	case catalog.SortShortest:
		return `c.read_minutes ASC, c.published DESC NULLS LAST, c.id DESC`, nil
	}
	return "", catalog.Invalid("sort", "%q is not an order", string(sort))
}

// resolved returns the names of q's filters (names), once each prefix of
// its search is looked up (expandPrefixes): what every listing reads
// before its walk is chosen.
func (s *Store) resolved(ctx context.Context, q catalog.Query) (map[string]catalog.Ref, error) {
	names, err := s.names(ctx, q)
	if err != nil {
		return nil, err
	}
	return names, s.expandPrefixes(ctx, q)
}

// names resolves every slug q uses to its Ref, keyed "tag:", "source:" or
// "category:" + slug. A slug that names nothing gives an error wrapping
// catalog.ErrNotFound; a tag slug that is an alias, a *catalog.MovedError.
func (s *Store) names(ctx context.Context, q catalog.Query) (map[string]catalog.Ref, error) {
	names := map[string]catalog.Ref{}
	var tags []string
	for _, l := range [][]string{q.Tags, q.Any, q.Not} {
		for _, slug := range l {
			if !slices.Contains(tags, slug) {
				tags = append(tags, slug)
			}
		}
	}
	var parts []string
	var args []any
	if len(tags) > 0 {
		parts = append(parts, `SELECT 'tag', name, slug, cards FROM tags WHERE slug IN (`+placeholders(len(tags))+`)`,
			`SELECT 'alias', a.slug, t.slug, 0 FROM tag_aliases a JOIN tags t ON t.id = a.tag_id WHERE a.slug IN (`+placeholders(len(tags))+`)`)
		args = appendStrings(appendStrings(args, tags), tags)
	}
	if q.Source != "" {
		parts = append(parts, `SELECT 'source', name, slug, cards FROM sources WHERE slug = ?`)
		args = append(args, q.Source)
	}
	if q.Category != "" {
		parts = append(parts, `SELECT 'category', name, slug, cards FROM categories WHERE slug = ?`)
		args = append(args, q.Category)
	}
	if len(parts) == 0 {
		return names, nil
	}
	rows, err := s.db.QueryContext(ctx, strings.Join(parts, " UNION ALL "), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var kind string
		var r catalog.Ref
		if err := rows.Scan(&kind, &r.Name, &r.Slug, &r.Count); err != nil {
			return nil, err
		}
		if kind == "alias" {
			return nil, &catalog.MovedError{Kind: "tag", From: r.Name, To: r.Slug}
		}
		names[kind+":"+r.Slug] = r
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, t := range tags {
		if _, ok := names["tag:"+t]; !ok {
			return nil, fmt.Errorf("%w: no tag %q", catalog.ErrNotFound, t)
		}
	}
	if _, ok := names["source:"+q.Source]; q.Source != "" && !ok {
		return nil, fmt.Errorf("%w: no source %q", catalog.ErrNotFound, q.Source)
	}
	if _, ok := names["category:"+q.Category]; q.Category != "" && !ok {
		return nil, fmt.Errorf("%w: no category %q", catalog.ErrNotFound, q.Category)
	}
	return names, nil
}

// Facets summarizes every article matching q, whatever the page: the tags
// (at most 30, most frequent first; tags on at least 90% of ten or more
// results are in Common instead, and q's own AND tags are always there,
// marked Active), the sources (at most 15), the categories and the years
// (newest first). Each Count is how many results carry the entry, so
// choosing it never gives an empty listing. With q.Collapse the results
// are the listed cards, one per story; a tag's Or and Not then count the
// stories that the change would add or remove (see collapsedTagEffects).
// It fails like Articles on a slug that names nothing.
func (s *Store) Facets(ctx context.Context, q catalog.Query) (catalog.Facets, error) {
	// Remembered per listing: the page, order and page size do not change
	// a sidebar.
	return remember(s, &s.facetMemo, filtersKey(q), func() (catalog.Facets, error) { return s.facets(ctx, q, true) })
}

// facets is Facets, from listing_facets when stored allows and q's
// listing is there.
func (s *Store) facets(ctx context.Context, q catalog.Query, stored bool) (_ catalog.Facets, err error) {
	defer timeout(ctx, &err)
	if q.IsEmpty() && !q.Collapse {
		return s.facetsOfAll(ctx)
	}
	names, err := s.resolved(ctx, q)
	if err != nil {
		return catalog.Facets{}, err
	}
	var rows []facetRow
	var total int
	var sampled liveSample // the results a live sidebar counted
	if stored {
		if rows, total, stored, err = s.storedFacets(ctx, q, names); err != nil {
			return catalog.Facets{}, err
		}
	}
	var f catalog.Facets
	if !stored {
		if rows, sampled, err = s.liveFacets(ctx, q, names); err != nil {
			return catalog.Facets{}, err
		}
		total = sampled.n
		if total >= facetSample {
			f.Sample = facetSample
		}
	}
	var tags []catalog.TagFacet
	for _, r := range rows {
		switch r.kind {
		case "tag":
			tags = append(tags, catalog.TagFacet{Ref: r.ref, Active: q.HasTag(r.ref.Slug), Or: r.or, Not: r.ref.Count})
		case "source":
			f.Sources = append(f.Sources, r.ref)
		case "category":
			f.Categories = append(f.Categories, r.ref)
		case "year":
			f.Years = append(f.Years, r.ref)
		}
	}
	if q.Collapse {
		if err := s.collapsedTagEffects(ctx, q, names, sampled.storied, tags); err != nil {
			return catalog.Facets{}, err
		}
	}
	// With no results the query's own tags have no row; they are still
	// shown, so that they can be removed.
	for _, slug := range q.Tags {
		if !slices.ContainsFunc(tags, func(t catalog.TagFacet) bool { return t.Slug == slug }) {
			r := names["tag:"+slug]
			r.Count = 0
			tags = append(tags, catalog.TagFacet{Ref: r, Active: true})
		}
	}
	slices.SortFunc(tags, func(a, b catalog.TagFacet) int { return byCountThenName(a.Ref, b.Ref) })
	for _, t := range tags {
		switch {
		case total >= commonMin && t.Count*100 >= total*commonPercent:
			f.Common = append(f.Common, t)
		case t.Active || len(f.Tags) < facetTags:
			f.Tags = append(f.Tags, t)
		}
	}
	slices.SortFunc(f.Sources, byCountThenName)
	f.Sources = f.Sources[:min(len(f.Sources), facetSources)]
	slices.SortFunc(f.Categories, byCountThenName)
	slices.SortFunc(f.Years, func(a, b catalog.Ref) int { return strings.Compare(b.Name, a.Name) })
	return f, nil
}

// liveSample is what a live sidebar counted: how many results (q's
// newest, at most facetSample), and those of them that share their
// story with other cards (few: 2% of the cards at 1M).
type liveSample struct {
	n       int
	storied []int64
}

// liveFacets counts the sidebar of q over its results (the newest
// facetSample of them), as rows for Facets, with what it counted.
func (s *Store) liveFacets(ctx context.Context, q catalog.Query, names map[string]catalog.Ref) ([]facetRow, liveSample, error) {
	// The results counted: the newest facetSample, in memory when the
	// store keeps what a sidebar counts of them (sampleInMemory).
	counted, inMemory, err := s.sampleInMemory(ctx, q, names)
	if err != nil {
		return nil, liveSample{}, err
	}
	// A tag's Or is how many articles adding it to q's "any" group (see
	// Query.OrGroup) would add: those that match q except for the group,
	// carry the tag and carry none of the group. That set is the group
	// moved to Not, so one grouped count gives Or for every tag. Without a
	// group to widen, Or is 0.
	orCount, orJoin, with := `0`, ``, ``
	var widenedTags map[int64]int // the widening set's tags, counted in memory
	var wargs []any
	if og, ok := q.OrGroup(); ok && onlyAnyGroup(og) {
		// Nothing but the group filters: the articles a tag would add are
		// those of the tag outside the results, its count less its count
		// within them.
		orCount = `t.cards - rt.n`
	} else if ok && !q.Collapse { // collapsed, Or counts stories: collapsedTagEffects
		orCount, orJoin = `coalesce(ot.n, 0)`, ` LEFT JOIN ot ON ot.tag_id = rt.tag_id`
		// The widening set counted in memory only with the results (the
		// statement below takes both from memory, or neither).
		var widened sampleCounts
		widenedInMemory := false
		if inMemory {
			if widened, widenedInMemory, err = s.sampleInMemory(ctx, widenedQuery(og), names); err != nil {
				return nil, liveSample{}, err
			}
		}
		if widenedInMemory {
			widenedTags = widened.tags
		} else {
			// Grouped once over the widening set, not probed tag by tag:
			// the cost stays linear in the articles whatever the number of
			// tags.
			wsel, wa, err := s.widenedNewest(ctx, og, names, `c.id`)
			if err != nil {
				return nil, liveSample{}, err
			}
			with = `, w AS MATERIALIZED (` + wsel + `),
				ot AS MATERIALIZED (SELECT ct.tag_id, count(*) AS n FROM w JOIN card_tags ct ON ct.card_id = w.id GROUP BY ct.tag_id)`
			wargs = wa
		}
	}
	ids, storied := []int64(nil), counted.storied
	if !inMemory {
		if ids, storied, counted, err = s.sampleOfRows(ctx, q, names); err != nil {
			return nil, liveSample{}, err
		}
	}
	var out []facetRow
	for y, n := range counted.years {
		out = append(out, facetRow{kind: "year", ref: catalog.Ref{Name: y, Slug: y, Count: n}})
	}
	if counted.n == 0 {
		return out, liveSample{}, nil
	}
	// The results' tags: counted in memory (only those that can be
	// shown, see below), or here from their ids.
	var rt string
	var rtArgs []any
	if inMemory {
		common := 0
		for _, n := range counted.tags {
			if n*100 >= counted.n*commonPercent {
				common++
			}
		}
		shown := topCounts(counted.tags, facetTags+common)
		rt, rtArgs = `rt AS MATERIALIZED (SELECT CAST(key AS INTEGER) AS tag_id, value AS n FROM json_each(?))`, []any{countsJSON(shown)}
		if widenedTags != nil {
			ot := map[int64]int{}
			for id := range shown {
				if n := widenedTags[id]; n > 0 {
					ot[id] = n
				}
			}
			with, wargs = `, ot AS MATERIALIZED (SELECT CAST(key AS INTEGER) AS tag_id, value AS n FROM json_each(?))`, []any{countsJSON(ot)}
		}
	} else {
		idList, err := json.Marshal(ids)
		if err != nil {
			return nil, liveSample{}, err
		}
		rt, rtArgs = `r(id) AS (SELECT value FROM json_each(?)),
			rt AS MATERIALIZED (SELECT ct.tag_id, count(*) AS n FROM r JOIN card_tags ct ON ct.card_id = r.id GROUP BY ct.tag_id)`, []any{string(idList)}
	}
	// The tags of the results, with each one's Or (see above), and the
	// names of their sources and categories: only the entries the
	// sidebar can show (Facets), in its order. Those are the tags on at
	// least commonPercent% of the results (Common, and q's own tags,
	// which every result carries), then the facetTags next, and the
	// sources whose count reaches the facetSources-th (ties broken by
	// name in facets). A search's results have about 1,400 tags and 500
	// sources; reading every one took half of the sidebar's time.
	rows, err := s.db.QueryContext(ctx, `WITH `+rt+with+`
		SELECT * FROM (SELECT 'tag', 0, t.name, t.slug, rt.n, `+orCount+`
			FROM rt JOIN tags t ON t.id = rt.tag_id`+orJoin+`
			ORDER BY rt.n DESC, t.slug
			LIMIT ? + (SELECT count(*) FROM rt WHERE rt.n * 100 >= ? * `+strconv.Itoa(commonPercent)+`))
		UNION ALL
		SELECT 'source', id, name, slug, 0, 0 FROM sources WHERE id IN (SELECT value FROM json_each(?))
		UNION ALL
		SELECT 'category', id, name, slug, 0, 0 FROM categories WHERE id IN (SELECT value FROM json_each(?))`,
		slices.Concat(rtArgs, wargs, []any{facetTags, counted.n, keysJSON(topCounts(counted.sources, facetSources)), keysJSON(counted.categories)})...)
	if err != nil {
		return nil, liveSample{}, err
	}
	defer rows.Close()
	for rows.Next() {
		var row facetRow
		var id int64
		if err := rows.Scan(&row.kind, &id, &row.ref.Name, &row.ref.Slug, &row.ref.Count, &row.or); err != nil {
			return nil, liveSample{}, err
		}
		switch row.kind {
		case "source":
			row.ref.Count = counted.sources[id]
		case "category":
			row.ref.Count = counted.categories[id]
		}
		out = append(out, row)
	}
	return out, liveSample{counted.n, storied}, rows.Err()
}

// sampleCounts is what a live sidebar counts over its sample of results
// (the newest facetSample): how many, and how many of them carry each
// tag (by id; only when counted in memory), are of each source and
// category (by id) and of each year.
type sampleCounts struct {
	n                         int
	tags, sources, categories map[int64]int
	years                     map[string]int
	storied                   []int64 // the ids of those that share their story with other cards (counted in memory)
}

// sampleOfRows reads the sample of a live sidebar of q (newest): the
// results' ids and those of them that share their story with other
// cards, and counts their sources, categories and years; their tags are
// counted by liveFacets' statement.
func (s *Store) sampleOfRows(ctx context.Context, q catalog.Query, names map[string]catalog.Ref) (ids, storied []int64, c sampleCounts, err error) {
	results, resultArgs, err := s.newest(ctx, q, names, `c.id, c.source_id, c.category_id, c.published, c.story`)
	if err != nil {
		return nil, nil, c, err
	}
	// The results are read once, and their sources, categories and years
	// counted here: a CTE used by several arms of one compound SELECT is
	// computed again for each (52 ms instead of 8 for 1,000 results).
	rows, err := s.db.QueryContext(ctx, results, resultArgs...)
	if err != nil {
		return nil, nil, c, err
	}
	defer rows.Close()
	c = sampleCounts{sources: map[int64]int{}, categories: map[int64]int{}, years: map[string]int{}}
	for rows.Next() {
		var id int64
		var source, category, story sql.NullInt64
		var published sql.NullString
		if err := rows.Scan(&id, &source, &category, &published, &story); err != nil {
			return nil, nil, c, err
		}
		ids = append(ids, id)
		if story.Valid {
			storied = append(storied, id)
		}
		if source.Valid {
			c.sources[source.Int64]++
		}
		if category.Valid {
			c.categories[category.Int64]++
		}
		if published.Valid && len(published.String) >= 4 {
			c.years[published.String[:4]]++
		}
	}
	c.n = len(ids)
	return ids, storied, c, rows.Err()
}

// newest returns a SELECT of cols for the newest facetSample cards that
// match q, the sample a live sidebar counts, along the walk a live count
// takes (see total): the search index for a search, the rarest AND tag's
// feed unless a source or category is smaller, or the cards in date
// order. It stops after facetSample rows, however many match.
func (s *Store) newest(ctx context.Context, q catalog.Query, names map[string]catalog.Ref, cols string) (string, []any, error) {
	if seqs, _, ok, err := s.matchesInMemory(ctx, q, names, facetSample, forListing); ok || err != nil {
		// A search with filters tested in memory.
		ids, args := memoryList{bySeq: true}.idsOf(seqs)
		return `SELECT ` + cols + ` FROM (` + ids + `) p JOIN cards c ON c.id = p.id`, args, err
	}
	limit := ` LIMIT ` + strconv.Itoa(facetSample)
	if w, ok, err := s.walkOf(q, names, true); ok || err != nil {
		return `SELECT ` + cols + ` ` + w.from + ` ORDER BY ` + w.order + limit, w.args, err
	}
	cond, args, err := s.where(q)
	if err != nil {
		return "", nil, err
	}
	return `SELECT ` + cols + ` FROM cards c WHERE ` + cond + ` ORDER BY c.published DESC, c.id DESC` + limit, args, nil
}

// widenedNewest is newest of the cards that adding a tag to og's "any"
// group would add (og is a query's Query.OrGroup): those that match og
// with its group moved to Not, each card on its own (not collapsed).
// A live sidebar's Or counts their tags.
func (s *Store) widenedNewest(ctx context.Context, og catalog.Query, names map[string]catalog.Ref, cols string) (string, []any, error) {
	return s.newest(ctx, widenedQuery(og), names, cols)
}

// widenedQuery is og (a query's Query.OrGroup) with its group moved to
// Not, each card on its own: the cards that adding a tag to the group
// would add, before the tag is tested.
func widenedQuery(og catalog.Query) catalog.Query {
	widen := og
	widen.Not = slices.Concat(og.Not, og.Any)
	widen.Any, widen.Collapse = nil, false
	return widen
}

// countsJSON is m as a JSON object, its keys as text (json_each's key).
func countsJSON(m map[int64]int) string {
	b, _ := json.Marshal(m) // a map of numbers always marshals
	return string(b)
}

// topCounts returns the entries of m whose count is at least the k-th
// largest: those a list of the k largest, ties broken by another key,
// can hold.
func topCounts(m map[int64]int, k int) map[int64]int {
	if len(m) <= k {
		return m
	}
	counts := slices.Collect(maps.Values(m))
	slices.SortFunc(counts, func(a, b int) int { return cmp.Compare(b, a) })
	top := map[int64]int{}
	for id, n := range m {
		if n >= counts[k-1] {
			top[id] = n
		}
	}
	return top
}

// keysJSON is the keys of m as a JSON array, for json_each.
func keysJSON(m map[int64]int) string {
	keys := slices.Collect(maps.Keys(m))
	if len(keys) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(keys)
	return string(b)
}

// onlyAnyGroup reports whether q filters by its "any" group alone.
func onlyAnyGroup(q catalog.Query) bool {
	return len(q.Tags)+len(q.Not) == 0 && q.Source == "" && q.Category == "" && q.From.IsZero() && q.To.IsZero() && q.Q == "" && !q.Collapse
}

// facetsOfAll is Facets of the whole collection, from the counts kept at
// import: no live count over the cards.
func (s *Store) facetsOfAll(ctx context.Context) (catalog.Facets, error) {
	var f catalog.Facets
	total, err := s.allCards(ctx)
	if err != nil {
		return f, err
	}
	tags, err := s.refs(ctx, `SELECT name, slug, cards FROM tags WHERE cards > 0 ORDER BY cards DESC, name COLLATE NOCASE, slug LIMIT ?`, facetTags+facetTags)
	if err != nil {
		return f, err
	}
	for _, t := range tags {
		tf := catalog.TagFacet{Ref: t, Not: t.Count}
		switch {
		case total >= commonMin && t.Count*100 >= total*commonPercent:
			f.Common = append(f.Common, tf)
		case len(f.Tags) < facetTags:
			f.Tags = append(f.Tags, tf)
		}
	}
	if f.Sources, err = s.refs(ctx, `SELECT name, slug, cards FROM sources WHERE cards > 0 ORDER BY cards DESC, name COLLATE NOCASE, slug LIMIT ?`, facetSources); err != nil {
		return f, err
	}
	if f.Categories, err = s.Categories(ctx); err != nil {
		return f, err
	}
	f.Years, err = s.refs(ctx, `SELECT substr(month, 1, 4), substr(month, 1, 4), sum(cards) FROM archive_months GROUP BY 1 ORDER BY 1 DESC`)
	return f, err
}

// byCountThenName orders refs by count, largest first, then by slug (a
// slug is the name in lower case, so this is by name regardless of case,
// in byte order: the order the import keeps the top entries in, see
// countSidebars).
func byCountThenName(a, b catalog.Ref) int {
	return cmp.Or(cmp.Compare(b.Count, a.Count), strings.Compare(a.Slug, b.Slug))
}

// Tags lists every tag that some article carries, with its article count:
// by count (TagsByCount or "": largest first, then by name) or by name
// (TagsByName: A–Z regardless of case). Any other order is a
// catalog.InvalidError.
func (s *Store) Tags(ctx context.Context, by catalog.TagSort) (_ []catalog.Ref, err error) {
	defer timeout(ctx, &err)
	var order string
	switch by {
	case catalog.TagsByCount, "":
		order = `cards DESC, name COLLATE NOCASE, slug`
	case catalog.TagsByName:
		order = `name COLLATE NOCASE, slug`
	default:
		return nil, catalog.Invalid("sort", "%q is not a tag order; use count or name", string(by))
	}
	return s.refs(ctx, `SELECT name, slug, cards FROM tags WHERE cards > 0 ORDER BY `+order)
}

// Categories lists every category that some article has, with its article
// count, largest first, then by name.
func (s *Store) Categories(ctx context.Context) (_ []catalog.Ref, err error) {
	defer timeout(ctx, &err)
	return s.refs(ctx, `SELECT name, slug, cards FROM categories WHERE cards > 0 ORDER BY cards DESC, name COLLATE NOCASE, slug`)
}

// refs runs a query that selects name, slug and count.
func (s *Store) refs(ctx context.Context, query string, args ...any) ([]catalog.Ref, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []catalog.Ref
	for rows.Next() {
		var r catalog.Ref
		if err := rows.Scan(&r.Name, &r.Slug, &r.Count); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Sources lists every source that has articles, largest first, then by
// name, with the dates of its oldest and newest articles (zero when none
// is dated) and its three most frequent tags. Tags on at least 90% of all
// articles are left out of TopTags, and a top tag's Count is how many of
// the source's articles carry it.
func (s *Store) Sources(ctx context.Context) (_ []catalog.SourceSummary, err error) {
	defer timeout(ctx, &err)
	// Each source's tags as counted at import (its listing's kept
	// co-tags), or, in a database migrated since its last import, live.
	st := `SELECT f.id AS source_id, t.name, t.slug, f.n FROM listing_facets f JOIN tags t ON t.id = f.ref
		WHERE f.listing = 2 AND f.kind = 1 AND t.cards * 100 < (SELECT n FROM total) * ?`
	stored, err := s.facetsBuilt(ctx)
	if err != nil {
		return nil, err
	}
	if !stored {
		st = `SELECT c.source_id, t.name, t.slug, count(*) AS n
			FROM cards c JOIN card_tags ct ON ct.card_id = c.id JOIN tags t ON t.id = ct.tag_id
			WHERE c.source_id IS NOT NULL AND t.cards * 100 < (SELECT n FROM total) * ?
			GROUP BY c.source_id, t.id`
	}
	rows, err := s.db.QueryContext(ctx, `WITH
		total(n) AS (SELECT coalesce((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'cards'), 0)),
		st AS (`+st+`),
		top AS (
			SELECT source_id, name, slug, n,
				row_number() OVER (PARTITION BY source_id ORDER BY n DESC, slug) AS rank
			FROM st)
		SELECT s.name, s.slug, s.cards,
			(SELECT min(published) FROM cards WHERE source_id = s.id),
			(SELECT max(published) FROM cards WHERE source_id = s.id),
			top.name, top.slug, top.n
		FROM sources s LEFT JOIN top ON top.source_id = s.id AND top.rank <= ?
		WHERE s.cards > 0
		ORDER BY s.cards DESC, s.name COLLATE NOCASE, s.slug, top.rank`, commonPercent, sourceTopTags)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []catalog.SourceSummary
	for rows.Next() {
		var (
			src         catalog.SourceSummary
			first, last sql.NullString
			tag, slug   sql.NullString
			n           sql.NullInt64
		)
		if err := rows.Scan(&src.Name, &src.Slug, &src.Count, &first, &last, &tag, &slug, &n); err != nil {
			return nil, err
		}
		if len(out) == 0 || out[len(out)-1].Slug != src.Slug {
			if src.First, err = parseDate(first); err != nil {
				return nil, err
			}
			if src.Last, err = parseDate(last); err != nil {
				return nil, err
			}
			out = append(out, src)
		}
		if tag.Valid {
			cur := &out[len(out)-1]
			cur.TopTags = append(cur.TopTags, catalog.Ref{Name: tag.String, Slug: slug.String, Count: int(n.Int64)})
		}
	}
	return out, rows.Err()
}

// Archive counts the dated articles of each month, newest month first.
func (s *Store) Archive(ctx context.Context) (_ []catalog.ArchiveMonth, err error) {
	defer timeout(ctx, &err)
	rows, err := s.db.QueryContext(ctx, `SELECT CAST(substr(month, 1, 4) AS INTEGER), CAST(substr(month, 6, 2) AS INTEGER), cards
		FROM archive_months ORDER BY month DESC`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []catalog.ArchiveMonth
	for rows.Next() {
		var m catalog.ArchiveMonth
		if err := rows.Scan(&m.Year, &m.Month, &m.Count); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// Article returns the article with that id, with the other articles of its
// story (the same article from other sources, see clusterStories; newest
// first; at most 20) and up to five related articles (those sharing the
// most tags, a tag weighing log(N/df) so that rare tags count more; ties
// newest first). Every article comes with its DuplicateOf and OtherSources.
// An article never appears in its own lists, and a same-story article is
// not repeated among the related ones. Article returns catalog.ErrNotFound
// if no article has that id.
func (s *Store) Article(ctx context.Context, id int64) (_ catalog.ArticleDetail, err error) {
	defer timeout(ctx, &err)
	a, err := s.scanArticle(s.db.QueryRowContext(ctx, `SELECT `+articleColumns+` FROM `+articleFrom+` WHERE c.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return catalog.ArticleDetail{}, fmt.Errorf("%w: no article %d", catalog.ErrNotFound, id)
	}
	if err != nil {
		return catalog.ArticleDetail{}, err
	}
	one := []catalog.Article{a}
	if err := s.attachTags(ctx, one); err != nil {
		return catalog.ArticleDetail{}, err
	}
	if err := s.attachStories(ctx, one); err != nil {
		return catalog.ArticleDetail{}, err
	}
	d := catalog.ArticleDetail{Article: one[0]}
	if d.SameStory, err = s.sameStory(ctx, d.Article); err != nil {
		return catalog.ArticleDetail{}, err
	}
	if d.Related, err = s.related(ctx, d.Article, d.SameStory); err != nil {
		return catalog.ArticleDetail{}, err
	}
	both := slices.Concat(d.SameStory, d.Related)
	if err := s.attachTags(ctx, both); err != nil {
		return catalog.ArticleDetail{}, err
	}
	if err := s.attachStories(ctx, both); err != nil {
		return catalog.ArticleDetail{}, err
	}
	d.SameStory, d.Related = both[:len(d.SameStory):len(d.SameStory)], both[len(d.SameStory):]
	return d, nil
}

// related returns up to relatedMax articles sharing a's tags, most
// weight first, leaving out a and the articles in skip; without their tags.
func (s *Store) related(ctx context.Context, a catalog.Article, skip []catalog.Article) ([]catalog.Article, error) {
	if len(a.Tags) == 0 {
		return nil, nil
	}
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM cards`).Scan(&n); err != nil {
		return nil, err
	}
	// The weights are computed here: SQLite's log() is not compiled in.
	values := make([]string, len(a.Tags))
	args := make([]any, 0, 2*len(a.Tags)+2)
	for i, t := range a.Tags {
		values[i] = `(?, ?)`
		args = append(args, t.Slug, math.Log(float64(max(n, 1))/float64(max(t.Count, 1))))
	}
	args = append(args, a.ID, relatedMax+len(skip))
	// Scores are rounded so that equal tag sets tie whatever order SQLite
	// adds their weights in, and the date breaks the tie.
	rows, err := s.db.QueryContext(ctx, `WITH w(slug, weight) AS (VALUES `+strings.Join(values, ", ")+`)
		SELECT `+articleColumns+`, round(sum(w.weight), 9) AS score
		FROM w JOIN tags t ON t.slug = w.slug JOIN card_tags ct ON ct.tag_id = t.id
			JOIN cards c ON c.id = ct.card_id `+articleRefs+`
		WHERE c.id <> ?
		GROUP BY c.id
		ORDER BY score DESC, c.published DESC NULLS LAST, c.id DESC
		LIMIT ?`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []catalog.Article
	for rows.Next() {
		var score float64
		r, err := s.scanArticle(rows, &score)
		if err != nil {
			return nil, err
		}
		if len(out) < relatedMax && !slices.ContainsFunc(skip, func(x catalog.Article) bool { return x.ID == r.ID }) {
			out = append(out, r)
		}
	}
	return out, rows.Err()
}

// attachTags loads the tags of arts, in each card's tag order, in one
// query, and sets each article's Tags.
func (s *Store) attachTags(ctx context.Context, arts []catalog.Article) error {
	if len(arts) == 0 {
		return nil
	}
	ids := make([]any, len(arts))
	at := make(map[int64]int, len(arts))
	for i, a := range arts {
		ids[i] = a.ID
		at[a.ID] = i
	}
	rows, err := s.db.QueryContext(ctx, `SELECT ct.card_id, t.name, t.slug, t.cards
		FROM card_tags ct JOIN tags t ON t.id = ct.tag_id
		WHERE ct.card_id IN (`+placeholders(len(ids))+`)
		ORDER BY ct.card_id, ct.position`, ids...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var r catalog.Ref
		if err := rows.Scan(&id, &r.Name, &r.Slug, &r.Count); err != nil {
			return err
		}
		if i, ok := at[id]; ok {
			arts[i].Tags = append(arts[i].Tags, r)
		}
	}
	return rows.Err()
}

type scanner interface{ Scan(dest ...any) error }

// scanArticle reads the articleColumns of a row, then extra, unpacking
// the summary as it goes (textCodec.into).
func (s *Store) scanArticle(row scanner, extra ...any) (catalog.Article, error) {
	var (
		a                         catalog.Article
		srcName, srcSlug, catName sql.NullString
		catSlug, published        sql.NullString
		srcCards, catCards        sql.NullInt64
	)
	dest := append([]any{&a.ID, &a.Title, s.codec.into(&a.Summary), &srcName, &srcSlug, &srcCards, &catName, &catSlug, &catCards,
		&published, &a.Likes, &a.ReadMinutes}, extra...)
	if err := row.Scan(dest...); err != nil {
		return catalog.Article{}, err
	}
	if srcName.Valid {
		a.Source = &catalog.Ref{Name: srcName.String, Slug: srcSlug.String, Count: int(srcCards.Int64)}
	}
	if catName.Valid {
		a.Category = &catalog.Ref{Name: catName.String, Slug: catSlug.String, Count: int(catCards.Int64)}
	}
	var err error
	a.Date, err = parseDate(published)
	return a, err
}

// scanArticles reads and closes rows of articleColumns.
func (s *Store) scanArticles(rows *sql.Rows) ([]catalog.Article, error) {
	defer rows.Close()
	var out []catalog.Article
	for rows.Next() {
		a, err := s.scanArticle(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// parseDate reads a stored YYYY-MM-DD date; NULL is the zero time.
func parseDate(s sql.NullString) (time.Time, error) {
	if !s.Valid {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.DateOnly, s.String)
	if err != nil {
		return time.Time{}, fmt.Errorf("stored date %q: %w", s.String, err)
	}
	return t, nil
}

// column returns the values of the one column of rows (the result of a
// QueryContext, with its error), and closes them.
func column[T any](rows *sql.Rows, err error) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// placeholders returns n comma-separated "?".
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// valueRows returns the VALUES list of a multi-row INSERT: rows
// parenthesized groups of cols "?" each.
func valueRows(rows, cols int) string {
	return strings.TrimSuffix(strings.Repeat("("+placeholders(cols)+"), ", rows), ", ")
}

func appendStrings(args []any, ss []string) []any {
	for _, s := range ss {
		args = append(args, s)
	}
	return args
}

// timeout turns the error of a query cut short by ctx's deadline into
// catalog.ErrTimeout, which the HTTP layer reports as such.
func timeout(ctx context.Context, err *error) {
	if *err != nil && !errors.Is(*err, catalog.ErrTimeout) && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		*err = fmt.Errorf("%w: %w", catalog.ErrTimeout, *err)
	}
}
