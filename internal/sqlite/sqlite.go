// Package sqlite is cardex's storage: every SQL statement lives here. Open
// applies the embedded migrations; Import writes listing cards in one
// transaction; the query methods answer the catalog's questions.
package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"cardex/internal/catalog"
	"cardex/internal/memo"
	"cardex/migrations"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// Store is a cardex database.
type Store struct {
	db       *sql.DB
	codec    *textCodec // its connections' card_pack and card_unpack
	readOnly bool
	migrated bool // Open applied at least one migration
	// path is the file Open opened. private says it is an import's
	// working copy (ImportFile), which nothing reads until it is
	// published and which is deleted after a failure: an import may
	// commit part of its work there and go on (Import.finishInParallel).
	path    string
	private bool
	// dataset caches Dataset on a read-only (published, immutable) store,
	// whose version cannot change while it is open.
	dataset atomic.Pointer[datasetInfo]
	// totals remembers, on a read-only store, the totals of listings
	// (total): every page of a listing has the same.
	totals memo.Map[listingTotal]
	// ends remembers, on a read-only store, where a listing counted up to
	// the bound (ArticlePage.More) was found to end by a page that was
	// not full, or that it ends before an empty page (listingEnd).
	ends memo.Map[listingEnd]
	// facetMemo remembers, on a read-only store, the sidebars of
	// listings: a sidebar depends on the filters only, not on the page,
	// the order or the page size, and a compound listing's costs 5 to 15
	// ms to count.
	facetMemo memo.Map[catalog.Facets]
	// prefixes remembers, on a read-only store, the words of the index
	// that each prefix searched for starts (expandPrefixes).
	prefixes  memo.Map[[]string]
	prefixMax int // the most words a prefix is expanded into (prefixWordsMax)
	countMax  int // the most matches a live count counts (liveCountMax)
	// narrowFrom is the fewest matches of a search filtered in memory
	// for which they are narrowed by its filters' names (narrowFromMatches).
	narrowFrom int
	// smallWalk is the most cards of a source or category whose walk
	// pages a short listing rather than its tag's feed (smallWalkMax).
	smallWalk int
	// scanFrom is the fewest cards of a listing's smallest AND tag,
	// source or category that memoryListing scans every place for
	// (scanFromCards).
	scanFrom int
	// relatedMemo remembers, on a read-only store, each tag's related
	// tags (RelatedTags).
	relatedMemo memo.Map[[]catalog.TagLift]
	// anchorMemo remembers, on a read-only store, the page anchors of
	// listings (see anchors).
	anchorMemo memo.Map[anchors]
	anchorRows int // the most anchors a listing keeps (anchorsMaxRows)
	// rankMemo remembers, on a read-only store, the bm25 order of ranked
	// listings (ranking): at most countMax places each.
	rankMemo memo.Map[[]int64]
	// matchMemo remembers, on a read-only store, the first matches of
	// listings filtered in memory (matchesInMemory): at most countMax
	// places each.
	matchMemo memo.Map[listedMatches]
	// builtFacets caches facetsBuilt on a read-only store.
	builtFacets atomic.Pointer[bool]
	// lengths are the search index's row sizes (scoreByLengths), cards
	// what its listings in memory need of every card (memoryListing):
	// read on a read-only store when it is preloaded or first needs
	// them.
	lengths lazy[docLengths]
	cards   lazy[keptCards]
	// words are the rows of the index's commonest words (wordSets),
	// read as lengths and cards are.
	words lazy[wordSets]
	// collapsedFrom is the first row of a page that collapsedPage reads
	// from memory (collapsedFromRow).
	collapsedFrom int
}

// Bounds of the memos.
const (
	countsMax      = 10_000
	facetsMax      = 500
	prefixesMax    = 2_000
	rankMemoMax    = 256 // 16 KB each at most (liveCountMax places): 4 MB
	matchMemoMax   = 256 // 8 KB each at most (liveCountMax places): 2 MB
	relatedMemoMax = 2_000
)

// remember returns what fn computes for key: on a read-only store once
// per key while c keeps it (the data cannot change while the store is
// open), on a writable one every time. Errors are not remembered. The
// value is shared by every caller: callers read it, never change it.
func remember[V any](s *Store, c *memo.Map[V], key string, fn func() (V, error)) (V, error) {
	if !s.readOnly {
		return fn()
	}
	if v, ok := c.Get(key); ok {
		return v, nil
	}
	v, err := fn()
	if err == nil {
		c.Put(key, v)
	}
	return v, err
}

type datasetInfo struct {
	version int64
	updated time.Time
}

// Open opens (creating if needed) the database at path for reading and
// writing, and applies any migration not yet applied. It is meant for a
// file no one else reads until it is published: an import's private
// working copy (ImportFile, which publishes it atomically), or a test's
// database. Such a file is deleted, not recovered, after a failure or a
// crash, and fsynced once before it is published, so the store keeps a
// rollback journal, which holds only the pages the file had before a
// write (a new database's are none) and makes ROLLBACK work, and skips
// every fsync. (In WAL mode a transaction bigger than SQLite's page cache
// appended each page to the log every time the cache spilled it, and the
// seal copied the whole log into the file again: 1.02 GB of log at 1M
// cards.)
func Open(ctx context.Context, path string) (*Store, error) {
	q := url.Values{}
	q.Set("_foreign_keys", "on")
	q.Set("_busy_timeout", "5000")
	q.Set("_journal_mode", "DELETE")
	q.Set("_synchronous", "OFF")
	q.Set("_txlock", "immediate")
	s := openStore(path, q)
	s.path = path
	s.db.SetMaxOpenConns(1)
	if err := s.migrate(ctx); err != nil {
		s.db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return s, nil
}

// OpenReadOnly opens an existing, migrated database for serving. Every
// connection is read-only: a write through it fails.
func OpenReadOnly(ctx context.Context, path string, conns int) (*Store, error) {
	q := url.Values{}
	q.Set("mode", "ro")
	// Published databases never change in place (an import renames a new
	// file over the path), so SQLite may skip locking and change checks.
	q.Set("immutable", "1")
	q.Set("_query_only", "1")
	q.Set("_busy_timeout", "5000")
	q.Set("_cache_size", "-3072") // 3 MiB per connection: the OS page cache holds the rest
	// Prepared statements kept per connection: a page runs the same few
	// statement shapes, and parsing and planning them again each time
	// was about a tenth of an uncached page's CPU.
	q.Set("_stmt_cache_size", "64")
	if conns < 1 {
		conns = 4
	}
	s := openStore(path, q)
	db := s.db
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	s.readOnly = true
	s.totals, s.facetMemo = memo.Map[listingTotal]{Max: countsMax}, memo.Map[catalog.Facets]{Max: facetsMax}
	s.ends = memo.Map[listingEnd]{Max: countsMax}
	s.prefixes, s.relatedMemo = memo.Map[[]string]{Max: prefixesMax}, memo.Map[[]catalog.TagLift]{Max: relatedMemoMax}
	s.anchorMemo, s.anchorRows, s.prefixMax = memo.Map[anchors]{Max: anchorsMax}, anchorsMaxRows, prefixWordsMax
	s.rankMemo, s.matchMemo = memo.Map[[]int64]{Max: rankMemoMax}, memo.Map[listedMatches]{Max: matchMemoMax}
	s.collapsedFrom = collapsedFromRow
	pending, err := s.pendingMigrations(ctx)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if len(pending) > 0 {
		db.Close()
		return nil, fmt.Errorf("open %s: database needs migration %s; run cardex import first", path, pending[0])
	}
	// Every connection is opened now, while the path names this file. The
	// pool keeps them all (as many idle as open, no lifetime): one opened
	// later, after an import published a new file at the path, would read
	// that file while the store's memos (totals, sidebars, anchors)
	// describe this one.
	held := make([]*sql.Conn, 0, conns)
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	for range conns {
		c, err := db.Conn(ctx)
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
		held = append(held, c)
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

func escapePath(p string) string {
	return strings.NewReplacer("?", "%3f", "#", "%23").Replace(p)
}

// FTS5Available reports whether the SQLite library was built with FTS5.
func (s *Store) FTS5Available(ctx context.Context) (bool, error) {
	var ok bool
	err := s.db.QueryRowContext(ctx, "SELECT sqlite_compileoption_used('ENABLE_FTS5')").Scan(&ok)
	return ok, err
}

func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at TEXT NOT NULL)`); err != nil {
		return err
	}
	pending, err := s.pendingMigrations(ctx)
	if err != nil {
		return err
	}
	for _, name := range pending {
		if err := s.applyMigration(ctx, name); err != nil {
			return err
		}
		s.migrated = true
	}
	return nil
}

// applyMigration applies one migration in a transaction, with foreign
// keys off (so that a migration may rebuild a table that others refer to)
// and checked before the commit, as SQLite's documented way of changing a
// table's schema requires.
func (s *Store) applyMigration(ctx context.Context, name string) (err error) {
	body, err := fs.ReadFile(migrations.FS, name)
	if err != nil {
		return err
	}
	version, _ := strconv.Atoi(name[:4])
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `PRAGMA foreign_keys = OFF`); err != nil {
		return err
	}
	// Back on for whatever runs on this connection next; if that fails,
	// the connection is discarded rather than kept without them.
	defer func() {
		if _, onErr := conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA foreign_keys = ON`); onErr != nil {
			conn.Raw(func(any) error { return driver.ErrBadConn })
			if err == nil {
				err = fmt.Errorf("migration %s: turning foreign keys back on: %w", name, onErr)
			}
		}
	}()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, string(body)); err != nil {
		return fmt.Errorf("migration %s: %w", name, err)
	}
	if err := s.afterMigration(ctx, tx, name); err != nil {
		return fmt.Errorf("migration %s: %w", name, err)
	}
	var table string
	switch err := tx.QueryRowContext(ctx, `PRAGMA foreign_key_check`).Scan(&table, new(any), new(any), new(any)); {
	case err == nil:
		return fmt.Errorf("migration %s: a row of %s refers to a row that does not exist", name, table)
	case !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("migration %s: %w", name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		version, name, time.Now().UTC().Format(time.RFC3339)); err != nil {
		return err
	}
	return tx.Commit()
}

// afterMigration runs the part of a migration that SQL cannot express, in
// its transaction.
func (s *Store) afterMigration(ctx context.Context, tx *sql.Tx, name string) error {
	switch name {
	case "0011_compact.sql":
		return compactCardText(ctx, tx, s.codec)
	case "0013_listing_hidden.sql":
		return writeListingHidden(ctx, tx)
	}
	return nil
}

// pendingMigrations lists the migration files not yet recorded, in order.
func (s *Store) pendingMigrations(ctx context.Context) ([]string, error) {
	names, err := fs.Glob(migrations.FS, "[0-9][0-9][0-9][0-9]_*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	applied := map[int]bool{}
	rows, err := s.db.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		var se sqlite3.Error
		if errors.As(err, &se) && strings.Contains(se.Error(), "no such table") {
			return names, nil
		}
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		applied[v] = true
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []string
	for _, n := range names {
		v, _ := strconv.Atoi(n[:4])
		if !applied[v] {
			out = append(out, n)
		}
	}
	return out, nil
}

// Version returns the dataset version, which every import that changes
// anything increments.
func (s *Store) Version(ctx context.Context) (int64, error) {
	var v int64
	err := s.db.QueryRowContext(ctx, `SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'version'`).Scan(&v)
	return v, err
}

// LimitHeap sets SQLite's soft heap limit, for the whole process, to n
// bytes (0: none). Past it SQLite recycles page-cache pages before it
// allocates more, and its sorters write their runs to temporary files
// sooner: the importer's statements over every card stay in a few MB of
// C memory, which the Go runtime's own limit does not see.
func LimitHeap(ctx context.Context, n int64) error {
	db, err := sql.Open("sqlite3", "file::memory:")
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, `PRAGMA soft_heap_limit = `+strconv.FormatInt(n, 10))
	return err
}
