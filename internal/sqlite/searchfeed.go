package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// The search index of a big import (Import.Big) is fed
// from Go. Its rows are card_search's: each card's place, title,
// summary, tag names and source, in the order of the place (see
// indexSteps). Read through the view, INSERT … SELECT took 17–18 s at
// 1M cards, of which FTS5's own work was 8 s: the same rows from a plain
// table took 7.7–8.1 s, and inserted one by one from Go, 9.2 s. The rest
// was the view's, on the one goroutine that writes: each summary
// unpacked through a Go callback, and each card's tag names joined by a
// subquery. Here another goroutine reads the snapshot, unpacks the
// summaries and joins the names (readSearchRows), and the importer only
// inserts (fillSearchIndex). The rows are the view's, byte for byte, in
// the order of their rowid within each run of cards read (see
// readSearchRows), so the index holds the same words at the same places
// (TestParallelFinishStoresWhatTheOrderedOneDoes compares the tables of
// an import of one run, TestSearchIndexFedInRuns the index of many).
// Both read a card's tags in card_tags' key order, (card_id, tag_id).
// Where the view would leave out the name of a tag or source that is
// not stored (a broken reference, which the store's foreign keys
// forbid), the reader fails the import instead.

// searchRow is one card's row of the search index.
type searchRow struct {
	seq            int64
	title, summary string
	tags, source   sql.NullString // NULL when the card has none, as in the view
}

// searchBatch is how many rows go over the channel at a time.
const searchBatch = 64

const insertSearchRow = `INSERT INTO cards_fts (rowid, title, summary, tags, source) VALUES (?, ?, ?, ?, ?)`

// searchRun is how many cards readSearchRows reads, in the cards' own
// order, before it sends them in the order of their place: see
// readSearchRows.
const searchRun = 32 << 10

// readSearchRows sends the rows of the search index of the snapshot at
// path to out, in batches, and closes out. It stops when ctx is done.
//
// The cards are read in their own order (id), a run of run cards at a
// time, and each run is sent in the order of the place (seq), which is
// the index's rowid. Read in the order of the place, every card was a
// seek into the cards table through cards_seq, and its tags another
// into card_tags: 13.6–16.0 s for the 1M rows of the bench database,
// against 5.7–6.7 s in runs of 32Ki cards. FTS5 writes what it holds as
// a segment whenever a rowid is smaller than the one before, so each
// run ends a segment; it writes one for every megabyte of index anyway,
// and the import merges them all into one (indexSteps), so the index
// holds the same words at the same places (TestSearchIndexFedInRuns).
// Filling and merging the 1M-card index took the same time either way,
// FTS5's own work being the longer (22–25 s on the machine of
// 2026-11-28 evening), but 31 s of CPU instead of 37–42 s, most of the
// difference the system's (the random reads), where the index is built
// beside the sidebars and the stories on two cores. A run holds its
// summaries packed, about 300 bytes a card: 10 MB more of RSS.
func readSearchRows(ctx context.Context, path string, run int, out chan<- []searchRow) error {
	defer close(out)
	s := openStore(path, snapshotQuery())
	defer s.Close()
	tags, err := namesByID(ctx, s.db, `SELECT id, name FROM tags`)
	if err != nil {
		return err
	}
	sources, err := namesByID(ctx, s.db, `SELECT id, name FROM sources`)
	if err != nil {
		return err
	}
	// The tag ids in card_tags' order, (card_id, tag_id): the order in
	// which the view's subquery joins their names.
	rows, err := s.db.QueryContext(ctx, `SELECT c.seq, c.title, c.summary, c.source_id,
		(SELECT group_concat(t.tag_id) FROM card_tags t WHERE t.card_id = c.id)
		FROM cards c ORDER BY c.id`)
	if err != nil {
		return err
	}
	defer rows.Close()
	// A card as read, its summary packed and its tags ids.
	type readCard struct {
		seq     int64
		title   string
		summary any
		source  sql.NullInt64
		tags    []byte
	}
	pending := make([]readCard, 0, run)
	var names strings.Builder
	// flush sends the pending cards in the order of their place.
	flush := func() error {
		slices.SortFunc(pending, func(a, b readCard) int { return cmp.Compare(a.seq, b.seq) })
		batch := make([]searchRow, 0, searchBatch)
		for i, c := range pending {
			summary, err := s.codec.unpack(c.summary)
			if err != nil {
				return fmt.Errorf("search index: the summary of the card in place %d: %w", c.seq, err)
			}
			r := searchRow{seq: c.seq, title: c.title, summary: summary}
			if c.source.Valid {
				name, ok := sources[c.source.Int64]
				if !ok {
					return fmt.Errorf("search index: the card in place %d names source %d, which is not stored", r.seq, c.source.Int64)
				}
				r.source = sql.NullString{String: name, Valid: true}
			}
			if len(c.tags) > 0 {
				names.Reset()
				if err := eachListedID("search index", c.tags, func(id int64) error {
					name, ok := tags[id]
					if !ok {
						return fmt.Errorf("search index: the card in place %d names tag %d, which is not stored", r.seq, id)
					}
					if names.Len() > 0 {
						names.WriteByte(' ')
					}
					names.WriteString(name)
					return nil
				}); err != nil {
					return err
				}
				r.tags = sql.NullString{String: names.String(), Valid: true}
			}
			pending[i] = readCard{} // what is sent is the channel's
			batch = append(batch, r)
			if len(batch) == cap(batch) || i == len(pending)-1 {
				select {
				case out <- batch:
					batch = make([]searchRow, 0, searchBatch)
				case <-ctx.Done():
					return ctx.Err()
				}
			}
		}
		pending = pending[:0]
		return nil
	}
	for rows.Next() {
		var (
			c   readCard
			seq sql.NullInt64
		)
		if err := rows.Scan(&seq, &c.title, &c.summary, &c.source, &c.tags); err != nil {
			return err
		}
		if !seq.Valid {
			return errors.New("search index: a card has no place (seq)")
		}
		c.seq = seq.Int64
		pending = append(pending, c)
		if len(pending) == run {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return flush()
}

// namesByID reads a query's (id, name) rows into a map.
func namesByID(ctx context.Context, db *sql.DB, query string) (map[int64]string, error) {
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	m := map[int64]string{}
	for rows.Next() {
		var (
			id   int64
			name string
		)
		if err := rows.Scan(&id, &name); err != nil {
			return nil, err
		}
		m[id] = name
	}
	return m, rows.Err()
}

// fillSearchIndex is the "search index" step of indexSteps with its rows
// from readSearchRows: it empties the index, inserts the rows that come
// in, and lets FTS5 merge again. read reports readSearchRows' error once
// rows is closed: rows that end early are an error, never an index with
// cards missing.
func (im *Import) fillSearchIndex(rows <-chan []searchRow, read func() error) error {
	for _, q := range searchIndexBegin {
		if err := im.execLong(q); err != nil {
			return err
		}
	}
	for batch := range rows {
		for _, r := range batch {
			if _, err := im.exec(insertSearchRow, r.seq, r.title, r.summary, r.tags, r.source); err != nil {
				return err
			}
		}
	}
	if err := read(); err != nil {
		return fmt.Errorf("import: reading the search index's rows: %w", err)
	}
	return im.execLong(searchIndexEnd)
}
