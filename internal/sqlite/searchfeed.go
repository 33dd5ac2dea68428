package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
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
// the same order, so the index is the same
// (TestParallelFinishStoresWhatTheOrderedOneDoes compares its tables).
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

// readSearchRows sends the rows of the search index of the snapshot at
// path to out, in batches, in the order of their rowid, and closes out.
// It stops when ctx is done.
func readSearchRows(ctx context.Context, path string, out chan<- []searchRow) error {
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
		FROM cards c ORDER BY c.seq`)
	if err != nil {
		return err
	}
	defer rows.Close()
	batch := make([]searchRow, 0, searchBatch)
	send := func() error {
		select {
		case out <- batch:
			batch = make([]searchRow, 0, searchBatch)
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	var names strings.Builder
	for rows.Next() {
		var (
			r       searchRow
			seq     sql.NullInt64
			summary any
			source  sql.NullInt64
			ids     sql.RawBytes
		)
		if err := rows.Scan(&seq, &r.title, &summary, &source, &ids); err != nil {
			return err
		}
		if !seq.Valid {
			return errors.New("search index: a card has no place (seq)")
		}
		r.seq = seq.Int64
		if r.summary, err = s.codec.unpack(summary); err != nil {
			return fmt.Errorf("search index: the summary of the card in place %d: %w", r.seq, err)
		}
		if source.Valid {
			name, ok := sources[source.Int64]
			if !ok {
				return fmt.Errorf("search index: the card in place %d names source %d, which is not stored", r.seq, source.Int64)
			}
			r.source = sql.NullString{String: name, Valid: true}
		}
		if len(ids) > 0 {
			names.Reset()
			if err := eachListedID("search index", ids, func(id int64) error {
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
		batch = append(batch, r)
		if len(batch) == cap(batch) {
			if err := send(); err != nil {
				return err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(batch) > 0 {
		return send()
	}
	return nil
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
