package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"cardex/internal/catalog"
)

// TagCounts calls fn with every stored tag name and how many cards carry
// it: the evidence the tag splitter starts from.
func (s *Store) TagCounts(ctx context.Context, fn func(name string, cards int)) error {
	rows, err := s.db.QueryContext(ctx, `SELECT name, cards FROM tags`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var n int
		if err := rows.Scan(&name, &n); err != nil {
			return err
		}
		fn(name, n)
	}
	return rows.Err()
}

// Import runs fn inside one transaction: either everything fn writes
// through the Import is stored, or (when fn or the commit fails) nothing.
// Once ctx ends, the next statement fn runs through the Import fails
// with ctx's error, and so does Import; a statement already running
// finishes (each takes microseconds: see Import.exec). The steps after
// fn (the indexes, the search index, the sidebars…) are interrupted.
func (s *Store) Import(ctx context.Context, fn func(*Import) error) (catalog.ImportStats, error) {
	if s.readOnly {
		return catalog.ImportStats{}, errors.New("import: the database is open read-only")
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return catalog.ImportStats{}, err
	}
	im := &Import{ctx: ctx, rowCtx: context.WithoutCancel(ctx), store: s, tx: tx, now: time.Now().UTC().Format(time.RFC3339Nano)}
	if err := im.load(); err != nil {
		tx.Rollback()
		return catalog.ImportStats{}, err
	}
	if err := fn(im); err != nil {
		tx.Rollback()
		if ctx.Err() != nil {
			// Cancelled: fn's error is a consequence ("statement is
			// closed" once database/sql has rolled back).
			return im.stats, ctx.Err()
		}
		return im.stats, err
	}
	if err := ctx.Err(); err != nil {
		tx.Rollback()
		return im.stats, err
	}
	// finish may commit what is done and go on in a new transaction
	// (finishInParallel, on a private copy only): im.tx is the current one.
	if err := im.finish(); err != nil {
		if im.tx != nil {
			im.tx.Rollback()
		}
		if ctx.Err() != nil {
			return im.stats, ctx.Err() // not "interrupted", or one error twice
		}
		return im.stats, err
	}
	if err := im.tx.Commit(); err != nil {
		return im.stats, fmt.Errorf("import: commit: %w", err)
	}
	return im.stats, nil
}

// Import writes one import's pages and cards. Call BeginPage, AddCard for
// each card of the page, then EndPage.
type Import struct {
	// Resplit makes cards already stored take the new split of their tags.
	Resplit bool
	// Phase, if not nil, is told the name and time of each step after
	// the cards are stored (indexes, stories, search index, sidebars…)
	// as it ends, and of the compaction (ImportFile).
	Phase func(name string, took time.Duration)
	// Big makes an import into a private working copy (ImportFile)
	// spend memory and goroutines for time in its finish, as a big one
	// gains by and a small one does not:
	//   - it computes the stories beside the search index, after the
	//     sidebars, rather than after both: the stories' Go arrays and
	//     the search index's SQLite memory are then live at once, where
	//     a small import keeps its peak lower (issue 6: 64 MB of RSS for
	//     a 113 MB listing);
	//   - it reads the search index's rows from the finish's snapshot
	//     on a goroutine of their own, rather than through the
	//     card_search view on the goroutine that writes the index
	//     (searchfeed.go): the same index, built in 14.9–16.9 s instead
	//     of 18.5–18.9 s at 1M cards, where issue 6's 113 MB listing
	//     took 30.0–32.2 s (CPU 44–49 s) with it, against 28.6–29.1 s
	//     (CPU 41–42 s) without.
	Big bool
	// SortThreads, if above 0, lets SQLite's sorter use that many
	// threads of its own after the load (PRAGMA threads): building the
	// deferred indexes of 1M cards took 1.98 s with 2 instead of 2.49 s
	// on two cores; the threads' memory is about 1 MB more of RSS.
	SortThreads int
	// searchRun, if above 0, is how many cards the search index's rows
	// of a big import are read in before they are sorted (searchRun
	// otherwise; tests make it small).
	searchRun int

	stmts map[string]*sql.Stmt // prepared once per import, closed with the transaction
	// tagRows[n-1] inserts n tags of a card (insertCardTags); tagArgs
	// is its arguments' room.
	tagRows []string
	tagArgs []any

	ctx context.Context
	// rowCtx is ctx without its end, for the statements of a few µs
	// (see exec).
	rowCtx context.Context
	store  *Store
	tx     *sql.Tx
	// indexDefs are the definitions of the indexes dropped for the
	// load (deferIndexes), made again by finish.
	indexDefs []string
	// seqIndexDef is cards_seq's, when it was dropped: it is made after
	// the order step (restoreSeqIndex).
	seqIndexDef string
	now         string
	stats       catalog.ImportStats

	tags       map[string]int64  // slug -> id
	tagSlugs   map[string]string // a tag's spelling -> catalog.Slugify of it (tagSlug)
	sources    map[string]int64  // name -> id
	categories map[string]int64  // name -> id
	slugsTaken map[string]bool   // "s:" + source slug, "c:" + category slug
	changed    bool

	page      int64          // the page being written; 0 between pages
	pagePos   int            // cards on it so far
	pageTags  map[string]int // tag slug -> cards of this page carrying it
	pageTagNm map[string]string
	uncertain map[string]bool // listed by this import
	// wasUncertain holds the strings listed before this import.
	wasUncertain map[string]bool
	// stored holds the cards this import stored, when it began with
	// none (see cardFilter); nil otherwise.
	stored *cardFilter
}

// deferredIndexes are the secondary indexes that no statement of an
// import's load reads. An import into an empty database drops them first
// and makes them again when the cards are in (finish): one sorted pass
// each instead of an insert at a random place for every row. Not
// page_cards_card: a card updated during the load (the same article on
// two pages with other likes) writes its old text into the pages that
// show it, found by card.
const deferredIndexes = `'cards_category', 'cards_published', 'cards_story', 'cards_seq', 'card_tags_feed'`

// deferIndexes drops the deferred indexes, and keeps their definitions
// for finish.
func (im *Import) deferIndexes() error {
	rows, err := im.tx.QueryContext(im.ctx, `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND name IN (`+deferredIndexes+`)`)
	if err != nil {
		return err
	}
	var names []string
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			rows.Close()
			return err
		}
		if name == "cards_seq" {
			im.seqIndexDef = def
		} else {
			im.indexDefs = append(im.indexDefs, def)
		}
		names = append(names, name)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, name := range names {
		// The name comes from sqlite_master and the list above.
		if _, err := im.tx.ExecContext(im.ctx, `DROP INDEX "`+name+`"`); err != nil {
			return err
		}
	}
	return nil
}

// restoreIndexes makes the indexes deferIndexes dropped, but cards_seq.
func (im *Import) restoreIndexes() error {
	for _, def := range im.indexDefs {
		if _, err := im.tx.ExecContext(im.ctx, def); err != nil {
			return err
		}
	}
	im.indexDefs = nil
	return nil
}

// restoreSeqIndex makes cards_seq again if deferIndexes dropped it. The
// order step runs first, when the import changed anything: it writes
// every card's seq after a bulk load, and that UPDATE kept the index in
// step row by row (4.9 s at 1M cards); without it, 2.6 s, and the index
// built after it in one sorted pass 0.2 s.
func (im *Import) restoreSeqIndex() error {
	if im.seqIndexDef == "" {
		return nil
	}
	if _, err := im.tx.ExecContext(im.ctx, im.seqIndexDef); err != nil {
		return err
	}
	im.seqIndexDef = ""
	return nil
}

func (im *Import) load() error {
	// An import into a database with no card yet is a bulk load: it
	// builds the deferred indexes after it, and knows a card is new
	// without looking it up unless its Bloom filter may hold it.
	var empty bool
	if err := im.tx.QueryRowContext(im.ctx, `SELECT NOT EXISTS (SELECT 1 FROM cards)`).Scan(&empty); err != nil {
		return err
	}
	if empty {
		im.stored = newCardFilter()
		if err := im.deferIndexes(); err != nil {
			return err
		}
	}
	im.tags, im.tagSlugs, im.sources, im.categories = map[string]int64{}, map[string]string{}, map[string]int64{}, map[string]int64{}
	im.slugsTaken, im.uncertain, im.wasUncertain = map[string]bool{}, map[string]bool{}, map[string]bool{}
	load := func(query string, fn func(id int64, name, slug string)) error {
		rows, err := im.query(query)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			var name, slug string
			if err := rows.Scan(&id, &name, &slug); err != nil {
				return err
			}
			fn(id, name, slug)
		}
		return rows.Err()
	}
	if err := load(`SELECT id, name, slug FROM tags`, func(id int64, _, slug string) { im.tags[slug] = id }); err != nil {
		return err
	}
	if err := load(`SELECT 0, glued, '' FROM uncertain_splits`, func(_ int64, glued, _ string) { im.wasUncertain[glued] = true }); err != nil {
		return err
	}
	if err := im.loadAliases(); err != nil {
		return err
	}
	if err := load(`SELECT id, name, slug FROM sources`, func(id int64, name, slug string) {
		im.sources[name] = id
		im.slugsTaken["s:"+slug] = true
	}); err != nil {
		return err
	}
	return load(`SELECT id, name, slug FROM categories`, func(id int64, name, slug string) {
		im.categories[name] = id
		im.slugsTaken["c:"+slug] = true
	})
}

// BeginPage starts a page read from file.
func (im *Import) BeginPage(file string) error {
	res, err := im.exec(`INSERT INTO pages (tag, number, of_pages, total, header, file, sha256, imported_at)
		VALUES (?, 0, 0, 0, '', ?, '', ?)`, "\x00pending "+file, file, im.now)
	if err != nil {
		return err
	}
	im.page, _ = res.LastInsertId()
	im.pagePos = 0
	im.pageTags, im.pageTagNm = map[string]int{}, map[string]string{}
	im.stats.Files++
	return nil
}

// AddCard stores one card of the current page, whose tags were split as
// split says. A card already stored with the same tags line keeps the tags
// it has (so that importing the same page again changes nothing) unless
// Resplit is set.
func (im *Import) AddCard(c catalog.Card, split catalog.SplitResult) error {
	return im.AddPackedCard(c, split, PackSummary(c.Summary))
}

// AddPackedCard is AddCard with the card's summary packed already (see
// PackSummary); a summary packed from other text than c's is packed again.
func (im *Import) AddPackedCard(c catalog.Card, split catalog.SplitResult, summary PackedSummary) error {
	if summary.v == nil || summary.of != c.Summary { // the zero PackedSummary too
		summary = PackSummary(c.Summary)
	}
	if im.page == 0 {
		return errors.New("import: AddCard outside a page")
	}
	im.stats.Read++
	id, sameRaw, err := im.upsertCard(c, split, summary.v)
	if err != nil {
		return fmt.Errorf("%s:%d: %w", c.File, c.Line, err)
	}
	im.pagePos++
	raw := c.Raw
	if sameRaw {
		raw = "" // the card's own text (migration 0009)
	}
	if _, err := im.exec(`INSERT INTO page_cards (page_id, position, card_id, line, raw) VALUES (?, ?, ?, ?, ?)`,
		im.page, im.pagePos, id, c.Line, raw); err != nil {
		return err
	}
	for _, t := range c.Tags {
		slug := im.tagSlug(t)
		im.pageTags[slug]++
		if _, ok := im.pageTagNm[slug]; !ok {
			// A copy: t is cut from the card's text, which a page of
			// 100 MB would otherwise keep for each of its tags.
			im.pageTagNm[slug] = strings.Clone(t)
		}
	}
	return nil
}

// The importer's lookups of a stored card by source, date and title.
const (
	cardLookup        = `SELECT c.id, c.category_id, ` + cardFields + ` FROM cards c ` + cardJoins
	cardBySource      = cardLookup + ` WHERE c.source_id = ? AND c.published IS ? AND c.title = ?`
	cardWithoutSource = cardLookup + ` WHERE c.source_id IS NULL AND c.published IS ? AND c.title = ?`
)

// upsertCard stores c and returns its id, and whether the card's stored
// text (cards.raw) is now c.Raw.
func (im *Import) upsertCard(c catalog.Card, split catalog.SplitResult, packed any) (_ int64, sameRaw bool, _ error) {
	var (
		sourceID, categoryID sql.NullInt64
		published            sql.NullString
		err                  error
	)
	if c.Source != "" {
		id, err := im.refID("s:", im.sources, `sources`, c.Source)
		if err != nil {
			return 0, false, err
		}
		sourceID = sql.NullInt64{Int64: id, Valid: true}
	}
	if c.Category != "" {
		id, err := im.refID("c:", im.categories, `categories`, c.Category)
		if err != nil {
			return 0, false, err
		}
		categoryID = sql.NullInt64{Int64: id, Valid: true}
	}
	if c.HasDate() {
		published = sql.NullString{String: c.Date.Format(time.DateOnly), Valid: true}
	}
	// The same source, date and title is the same card: found through
	// cards_source, or cards_sourceless for a card without a source.
	var (
		id     int64
		old    storedCard
		oldCat sql.NullInt64
		row    rowScanner
	)
	switch {
	case im.stored != nil && !im.stored.mayHold(sourceID, published, c.Title):
		row = errRow{sql.ErrNoRows} // new to an import that began with no card
	case sourceID.Valid:
		row = im.queryRow(cardBySource, sourceID, published, c.Title)
	default:
		row = im.queryRow(cardWithoutSource, published, c.Title)
	}
	err = row.Scan(old.dest(im.store.codec, &id, &oldCat)...)
	exists := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, false, err
	}
	var oldTags []int64
	if exists {
		if oldTags, err = im.cardTagIDs(id); err != nil {
			return 0, false, err
		}
	}
	var tagIDs []int64
	if exists && old.glued == c.Glued && !im.Resplit {
		tagIDs = oldTags
	} else {
		if err := im.recordSplit(c, split); err != nil {
			return 0, false, err
		}
		tagIDs = make([]int64, len(c.Tags))
		for i, t := range c.Tags {
			if tagIDs[i], err = im.tagID(t); err != nil {
				return 0, false, err
			}
		}
	}
	if !exists {
		res, err := im.exec(`INSERT INTO cards (title, summary, source_id, category_id, published, likes, read_minutes, glued, raw)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			c.Title, packed, sourceID, categoryID, published, c.Likes, c.Minutes, c.Glued, storedRaw(c))
		if err != nil {
			return 0, false, err
		}
		id, _ = res.LastInsertId()
		if im.stored != nil {
			im.stored.add(sourceID, published, c.Title)
		}
		im.stats.New++
		im.changed = true
		return id, true, im.insertCardTags(id, tagIDs, published)
	}
	oldRaw := old.text()
	if old.summary == c.Summary && oldCat == categoryID && old.likes == c.Likes && old.minutes == c.Minutes &&
		old.glued == c.Glued && slices.Equal(oldTags, tagIDs) {
		im.stats.Unchanged++
		return id, oldRaw == c.Raw, nil
	}
	// The pages that show the card's old text keep it (see migration 0009).
	if oldRaw != c.Raw {
		if _, err := im.exec(`UPDATE page_cards SET raw = ? WHERE card_id = ? AND raw = ''`, oldRaw, id); err != nil {
			return 0, false, err
		}
	}
	if _, err := im.exec(`UPDATE cards SET summary = ?, category_id = ?, likes = ?, read_minutes = ?, glued = ?, raw = ? WHERE id = ?`,
		packed, categoryID, c.Likes, c.Minutes, c.Glued, storedRaw(c), id); err != nil {
		return 0, false, err
	}
	if _, err := im.exec(`DELETE FROM card_tags WHERE card_id = ?`, id); err != nil {
		return 0, false, err
	}
	im.stats.Updated++
	im.changed = true
	return id, true, im.insertCardTags(id, tagIDs, published)
}

func (im *Import) cardTagIDs(cardID int64) ([]int64, error) {
	return column[int64](im.query(`SELECT tag_id FROM card_tags WHERE card_id = ? ORDER BY position`, cardID))
}

// insertCardTags stores a card's tags, up to maxTagRows to a statement
// (prepared once per number of rows): one statement where a row each was
// four or five per card, each a round of database/sql and cgo.
func (im *Import) insertCardTags(cardID int64, tagIDs []int64, published sql.NullString) error {
	for from := 0; from < len(tagIDs); from += maxTagRows {
		chunk := tagIDs[from:min(from+maxTagRows, len(tagIDs))]
		for len(im.tagRows) < len(chunk) {
			// OR IGNORE: two spellings of one tag on one card ("caching",
			// "Caching") are one tag.
			n := len(im.tagRows) + 1
			im.tagRows = append(im.tagRows, `INSERT OR IGNORE INTO card_tags (card_id, tag_id, position, published) VALUES `+valueRows(n, 4))
		}
		args := im.tagArgs[:0]
		for i, t := range chunk {
			args = append(args, cardID, t, from+i, published)
		}
		im.tagArgs = args
		if _, err := im.exec(im.tagRows[len(chunk)-1], args...); err != nil {
			return err
		}
	}
	return nil
}

// maxTagRows is the most tags insertCardTags stores in one statement: far
// below SQLite's limit on the parameters of a statement (32,766), for a
// card may have any number of tags.
const maxTagRows = 64

func (im *Import) tagID(name string) (int64, error) {
	slug := im.tagSlug(name)
	if id, ok := im.tags[slug]; ok {
		return id, nil
	}
	res, err := im.exec(`INSERT INTO tags (name, slug) VALUES (?, ?)`, name, slug)
	if err != nil {
		return 0, err
	}
	id, _ := res.LastInsertId()
	im.tags[slug] = id
	im.stats.NewTags++
	return id, nil
}

// tagSlug returns catalog.Slugify(name), remembered by spelling: every
// tag of every card is slugified, for its id and the page's tags (4.5M
// tags of 22k spellings at 1M cards; Slugify was 1.7 s of the store
// goroutine's CPU).
func (im *Import) tagSlug(name string) string {
	if slug, ok := im.tagSlugs[name]; ok {
		return slug
	}
	slug := catalog.Slugify(name)
	// A copy of the spelling: name is cut from a card's text.
	im.tagSlugs[strings.Clone(name)] = slug
	return slug
}

// refID returns the id of the source or category called name, adding it
// with a unique slug if it is new.
func (im *Import) refID(kind string, ids map[string]int64, table, name string) (int64, error) {
	if id, ok := ids[name]; ok {
		return id, nil
	}
	base := catalog.Slugify(name)
	slug := base
	for n := 2; im.slugsTaken[kind+slug]; n++ {
		slug = fmt.Sprintf("%s-%d", base, n)
	}
	res, err := im.exec(`INSERT INTO `+table+` (name, slug) VALUES (?, ?)`, name, slug)
	if err != nil {
		return 0, err
	}
	id, _ := res.LastInsertId()
	ids[name] = id
	im.slugsTaken[kind+slug] = true
	return id, nil
}

// EndPage finishes the current page. Its own tag is the one most of its
// cards carry; a page with the same tag and number imported before is
// replaced, unless it was the very same file content.
func (im *Import) EndPage(h catalog.PageHeader, sha256 string) error {
	if im.page == 0 {
		return errors.New("import: EndPage outside a page")
	}
	page := im.page
	im.page = 0
	tag := ""
	best := 0
	for slug, n := range im.pageTags {
		if n > best || (n == best && slug < catalog.Slugify(tag)) {
			tag, best = im.pageTagNm[slug], n
		}
	}
	var file string
	if err := im.queryRow(`SELECT file FROM pages WHERE id = ?`, page).Scan(&file); err != nil {
		return err
	}
	if best*2 < im.pagePos || tag == "" {
		tag = "file:" + file // no tag on most cards: the file names the page
	}
	var oldID int64
	var oldSHA string
	err := im.queryRow(`SELECT id, sha256 FROM pages WHERE tag = ? AND number = ?`, tag, h.Number).Scan(&oldID, &oldSHA)
	switch {
	case err == nil && oldSHA == sha256:
		// The same page again: keep the old rows, drop the new ones.
		if _, err := im.exec(`DELETE FROM page_cards WHERE page_id = ?`, page); err != nil {
			return err
		}
		_, err := im.exec(`DELETE FROM pages WHERE id = ?`, page)
		return err
	case err == nil:
		if _, err := im.exec(`DELETE FROM page_cards WHERE page_id = ?`, oldID); err != nil {
			return err
		}
		if _, err := im.exec(`DELETE FROM pages WHERE id = ?`, oldID); err != nil {
			return err
		}
	case !errors.Is(err, sql.ErrNoRows):
		return err
	}
	im.changed = true
	im.stats.Pages++
	_, err = im.exec(`UPDATE pages SET tag = ?, number = ?, of_pages = ?, total = ?, header = ?, sha256 = ? WHERE id = ?`,
		tag, h.Number, h.Of, h.Total, h.Raw, sha256, page)
	return err
}

// recordSplit remembers how a card's tags line was split: an uncertain
// split is listed for a person to settle; a certain one clears an earlier
// listing.
func (im *Import) recordSplit(c catalog.Card, r catalog.SplitResult) error {
	glued, example := c.Glued, fmt.Sprintf("%s:%d", c.File, c.Line)
	if r.Certain {
		// Only strings listed before the import need clearing; the set is
		// small, so memory does not grow with the cards imported.
		if !im.wasUncertain[glued] {
			return nil
		}
		delete(im.wasUncertain, glued)
		_, err := im.exec(`DELETE FROM uncertain_splits WHERE glued = ?`, glued)
		return err
	}
	if im.uncertain[glued] {
		return nil
	}
	im.uncertain[glued] = true
	tags, _ := json.Marshal(r.Tags)
	alt, _ := json.Marshal(r.Alternative)
	_, err := im.exec(`INSERT OR REPLACE INTO uncertain_splits (glued, tags, alternative, margin, example) VALUES (?, ?, ?, ?, ?)`,
		glued, string(tags), string(alt), r.Margin, example)
	return err
}

// finish recounts what the import touched, recomputes the stories (see
// clusterStories) and the listing facets (see countSidebars) and
// bumps the dataset version.
func (im *Import) finish() error {
	im.stored = nil // the load's filter (1 MiB) is no longer read
	if im.SortThreads > 0 {
		if _, err := im.tx.ExecContext(im.ctx, `PRAGMA threads = `+strconv.Itoa(im.SortThreads)); err != nil {
			return err
		}
		// The connection may serve again (Store.Import): its statements
		// after the import sort on their own thread, as before. (The
		// transaction then open holds the store's one connection.)
		defer func() {
			if im.tx != nil {
				im.tx.ExecContext(context.WithoutCancel(im.ctx), `PRAGMA threads = 0`)
			}
		}()
	}
	if err := im.timed("indexes", im.restoreIndexes); err != nil {
		return err
	}
	im.stats.Uncertain = len(im.uncertain)
	// Before the recount: merging aliases moves cards between tags.
	if err := im.timed("aliases", im.mergeAliases); err != nil {
		return err
	}
	if im.changed && im.store.private {
		if err := im.finishInParallel(); err != nil {
			return err
		}
		return im.readStats()
	}
	// Also before it: a database just migrated gets its stories even from
	// an import that changes nothing else, and that is a change.
	if err := im.timed("stories", im.updateStories); err != nil {
		return err
	}
	if im.changed {
		for _, step := range slices.Concat(countSteps, indexSteps) {
			if err := im.timed(step.name, func() error { return im.runStep(step) }); err != nil {
				return err
			}
		}
		if err := im.stampUpdated(); err != nil {
			return err
		}
	}
	// An import that changed nothing (every card rejected) ran no order
	// step.
	if err := im.restoreSeqIndex(); err != nil {
		return err
	}
	// After the recount, which the Or counts use. A database migrated
	// since its last import gets its listing facets from any import.
	rebuild := im.changed
	if !rebuild {
		if err := im.queryRow(`SELECT EXISTS (SELECT 1 FROM cards) AND NOT EXISTS (SELECT 1 FROM listing_facets)`).Scan(&rebuild); err != nil {
			return err
		}
	}
	if rebuild {
		if err := im.timed("sidebars", func() error { return countSidebars(im.ctx, im.tx) }); err != nil {
			return err
		}
	}
	return im.readStats()
}

// stampUpdated records when this import ran, for Dataset.
func (im *Import) stampUpdated() error {
	_, err := im.exec(`INSERT OR REPLACE INTO meta (key, value) VALUES ('updated_at', ?)`, im.now)
	return err
}

// readStats reads the import's summary of the tags and the version.
func (im *Import) readStats() error {
	if err := im.queryRow(`SELECT count(*) FROM tags WHERE slug NOT IN (SELECT slug FROM tag_aliases)`).Scan(&im.stats.Tags); err != nil {
		return err
	}
	return im.queryRow(`SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'version'`).Scan(&im.stats.Version)
}

// A recountStep is one step of an import's finish, run when the import
// changed anything: statements over every card.
type recountStep struct {
	name    string
	queries []string
	then    func(*Import) error // after the queries, if set
}

// countSteps are the first steps, in order: the counts, and each card's
// place.
var countSteps = []recountStep{
	{name: "counts", queries: []string{
		`UPDATE tags SET cards = (SELECT count(*) FROM card_tags WHERE tag_id = tags.id)`,
		`UPDATE sources SET cards = (SELECT count(*) FROM cards WHERE source_id = sources.id)`,
		`UPDATE categories SET cards = (SELECT count(*) FROM cards WHERE category_id = categories.id)`,
		`UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'version'`,
		`DELETE FROM archive_months`,
		`INSERT INTO archive_months (month, cards)
			SELECT substr(published, 1, 7), count(*) FROM cards WHERE published IS NOT NULL GROUP BY 1`,
		`INSERT OR REPLACE INTO meta (key, value) VALUES ('cards', (SELECT count(*) FROM cards))`,
	}},
	// Each card's place in the default order, the search index's
	// rowid (migration 0008); only the cards whose place moved are
	// written. SQLite scans the places and seeks each card: in id
	// order, not in the places' own, so that it rewrites the cards
	// table page after page rather than a page at random for each
	// card (1M cards with no place yet, sqlite3 on an imported
	// database: 1.79 s against 3.17 s, the same places).
	{name: "order", queries: []string{`UPDATE cards SET seq = o.r
			FROM (SELECT id, row_number() OVER (ORDER BY published DESC NULLS LAST, id DESC) AS r FROM cards ORDER BY id) o
			WHERE o.id = cards.id AND cards.seq IS NOT o.r`}, then: (*Import).restoreSeqIndex},
}

// searchIndexBegin empties the search index before it is filled in
// the order of its rowid, with no merge meanwhile, and searchIndexEnd
// lets FTS5 merge again (see indexSteps).
var searchIndexBegin = []string{
	`INSERT INTO cards_fts (cards_fts) VALUES ('delete-all')`,
	`INSERT INTO cards_fts (cards_fts, rank) VALUES ('automerge', 0)`,
}

const searchIndexEnd = `INSERT INTO cards_fts (cards_fts, rank) VALUES ('automerge', 4)` // the default

// indexSteps build the search index, after countSteps (its rowid is each
// card's place).
var indexSteps = []recountStep{
	// The search index is built again from its content view in one
	// pass: cheaper than keeping it in step row by row.
	//
	// The rows go in in the order of their rowid (seq). FTS5 flushes
	// its pending terms to a new segment whenever a rowid is smaller
	// than the one before, and its own 'rebuild' reads the view in
	// the cards' id order, in which seq went down 372,348 times at 1M
	// cards: 37.5 s, against 20.2 s in seq order, for the same words,
	// counts and sizes (cards_fts_vocab and cards_fts_docsize
	// compared, 2026-11-27).
	//
	// Otherwise it flushes a segment per megabyte of index; FTS5
	// merges them as they pile up, 4 at a time by default, each
	// merge writing its inputs again. The merge below makes one
	// segment of them all anyway, so the build merges only when 16
	// wait at one level (crisismerge), which writes the index about
	// log16 instead of log4 times over.
	//
	// A big import into a private copy (finishInParallel,
	// Import.Big) feeds the same rows from Go instead
	// (fillSearchIndex, searchfeed.go): the view costs more than the
	// index.
	{name: "search index", queries: slices.Concat(searchIndexBegin, []string{
		`INSERT INTO cards_fts (rowid, title, summary, tags, source)
			SELECT seq, title, summary, tags, source FROM card_search ORDER BY seq`,
		searchIndexEnd,
	})},
	// Then merged into one segment (3.8 s at 1M cards). The
	// rebuild leaves several, and every FTS5 query opens each
	// term in each of them: a query that seeks (a highlight of a
	// page's 20 cards, a page from its anchor) paid that for
	// every term and every row. At 1M cards the highlights of a
	// page of "job testing" took 41 ms before, 3.3 ms after;
	// "service" 13 and 1.1 ms; counting "job testing" 7 and 3 ms.
	// The file is smaller too once compacted (958 MB, 972 before).
	{name: "search index merge", queries: []string{`INSERT INTO cards_fts (cards_fts) VALUES ('optimize')`}},
	// Its words and their counts (migration 0012; 1 s at 1M cards).
	{name: "search words", queries: []string{
		`DELETE FROM search_words`,
		`INSERT INTO search_words (term, doc) SELECT term, doc FROM cards_fts_vocab`,
	}},
}

// runStep runs the statements of a recount step.
func (im *Import) runStep(step recountStep) error {
	for _, q := range step.queries {
		if err := im.execLong(q); err != nil {
			return err
		}
	}
	if step.then != nil {
		return step.then(im)
	}
	return nil
}

// timed runs one step of an import's finish and reports its time to
// Phase.
func (im *Import) timed(name string, step func() error) error {
	start := time.Now()
	err := step()
	if err == nil && im.Phase != nil {
		im.Phase(name, time.Since(start))
	}
	return err
}

// UncertainSplit is a glued tag string whose split a person should check.
type UncertainSplit struct {
	Glued       string
	Tags        []string
	Alternative []string
	Margin      float64
	Example     string // FILE:LINE
}

// UncertainSplits returns the splits the importer was not sure of, closest
// calls first.
func (s *Store) UncertainSplits(ctx context.Context) ([]UncertainSplit, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT glued, tags, alternative, margin, example FROM uncertain_splits ORDER BY margin, glued`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []UncertainSplit
	for rows.Next() {
		var u UncertainSplit
		var tags, alt string
		if err := rows.Scan(&u.Glued, &tags, &alt, &u.Margin, &u.Example); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(tags), &u.Tags); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(alt), &u.Alternative); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// PageRef names a stored page.
type PageRef struct {
	Tag    string
	Number int
	Of     int
	Cards  int
	File   string
}

// Pages lists the stored pages by tag and number.
func (s *Store) Pages(ctx context.Context) ([]PageRef, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT tag, number, of_pages, (SELECT count(*) FROM page_cards WHERE page_id = pages.id), file
		FROM pages ORDER BY tag, number`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []PageRef
	for rows.Next() {
		var p PageRef
		if err := rows.Scan(&p.Tag, &p.Number, &p.Of, &p.Cards, &p.File); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// ExportPage writes page number of the tag page whose tag's slug is
// tagSlug ("" when only one tag has such a page) exactly as it was
// imported. It returns catalog.ErrNotFound if there is no such page and an
// InvalidError if tagSlug is needed to choose.
func (s *Store) ExportPage(ctx context.Context, tagSlug string, number int, w interface{ WriteString(string) (int, error) }) error {
	rows, err := s.db.QueryContext(ctx, `SELECT id, tag, header FROM pages WHERE number = ? ORDER BY tag`, number)
	if err != nil {
		return err
	}
	type cand struct {
		id          int64
		tag, header string
	}
	var cands []cand
	for rows.Next() {
		var c cand
		if err := rows.Scan(&c.id, &c.tag, &c.header); err != nil {
			rows.Close()
			return err
		}
		if tagSlug == "" || catalog.Slugify(c.tag) == tagSlug {
			cands = append(cands, c)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	switch {
	case len(cands) == 0:
		return catalog.ErrNotFound
	case len(cands) > 1:
		var names []string
		for _, c := range cands {
			names = append(names, catalog.Slugify(c.tag))
		}
		return catalog.Invalid("--tag", "pages numbered %d exist for several tags; choose one of: %s", number, strings.Join(names, ", "))
	}
	if _, err := w.WriteString(cands[0].header); err != nil {
		return err
	}
	cr, err := s.db.QueryContext(ctx, `SELECT pc.raw, `+cardFields+`
		FROM page_cards pc JOIN cards c ON c.id = pc.card_id `+cardJoins+` WHERE pc.page_id = ? ORDER BY pc.position`, cands[0].id)
	if err != nil {
		return err
	}
	defer cr.Close()
	for cr.Next() {
		var (
			pageRaw string
			sc      storedCard
		)
		if err := cr.Scan(sc.dest(s.codec, &pageRaw)...); err != nil {
			return err
		}
		text := pageRaw // the page's text of the card, where it differs from the card's own
		if text == "" {
			text = sc.text()
		}
		if _, err := w.WriteString(text); err != nil {
			return err
		}
	}
	return cr.Err()
}

// CountRejected adds n malformed cards to the import's summary.
func (im *Import) CountRejected(n int) { im.stats.Rejected += n }

// stmt returns a statement prepared once per import: the same few
// statements run for every card, and preparing each time costs more than
// running them.
func (im *Import) stmt(query string) (*sql.Stmt, error) {
	if st, ok := im.stmts[query]; ok {
		return st, nil
	}
	st, err := im.tx.PrepareContext(im.ctx, query)
	if err != nil {
		return nil, err
	}
	if im.stmts == nil {
		im.stmts = map[string]*sql.Stmt{}
	}
	im.stmts[query] = st
	return st, nil
}

// exec, query and queryRow run the short statements of an import (a
// card's lookup, its inserts: several per card) through statements
// prepared once. Each checks ctx first, then runs under rowCtx, which
// cannot be cancelled: go-sqlite3 runs a statement (or a row's step)
// under a cancellable context on a goroutine of its own, so that it can
// interrupt it, which for statements of a few µs cost a goroutine, a
// channel and a hand-over between threads each (1M of 1.05M context
// switches of an import of 1M cards). Statements over every card use
// execLong, which ctx's end interrupts.
func (im *Import) exec(query string, args ...any) (sql.Result, error) {
	if err := im.ctx.Err(); err != nil {
		return nil, err
	}
	st, err := im.stmt(query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(im.rowCtx, args...)
}

func (im *Import) query(query string, args ...any) (*sql.Rows, error) {
	if err := im.ctx.Err(); err != nil {
		return nil, err
	}
	st, err := im.stmt(query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(im.rowCtx, args...)
}

// queryRow is QueryRowContext through a prepared statement; a prepare
// error comes back from Scan.
func (im *Import) queryRow(query string, args ...any) rowScanner {
	if err := im.ctx.Err(); err != nil {
		return errRow{err}
	}
	st, err := im.stmt(query)
	if err != nil {
		return errRow{err}
	}
	return st.QueryRowContext(im.rowCtx, args...)
}

// execLong runs a statement over many rows (a step after the load),
// interrupted when ctx ends.
func (im *Import) execLong(query string) error {
	_, err := im.tx.ExecContext(im.ctx, query)
	return err
}

type rowScanner interface{ Scan(dest ...any) error }

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }
