package sqlite

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// finishInParallel is finish for an import into a private working copy
// (ImportFile) that changed anything. The three long steps after the
// counts read the cards and write apart: the search index (into the
// copy), the stories (a few card ids) and the sidebars (listing_facets,
// 2.5M rows at 1M cards). Run one after the other they were 20, 28 and
// 33 s of a 1M-card import, each on one core. Here the counts and the
// order are committed, the copy is copied (a snapshot, which nothing
// writes), and while this goroutine builds the search index in the copy,
// another counts the sidebars from the snapshot into a scratch database
// and then, for a big import (Import.Big), computes the
// stories from the snapshot. A small import computes the stories after
// both, which keeps its peak of memory lower. Then the stories are
// written, and the sidebars copied in.
//
// Never three long steps at once: on two cores that slowed the search
// index from 37 s to 76–86 s at 1M cards. At 1M cards the search index
// takes about 15 s, and the sidebars (5 s since they are counted in Go)
// then the stories (7 s) fit beside it; see docs/performance.md for the
// orders measured. For a big import (Import.Big) a third
// goroutine reads the search index's rows from the snapshot for it
// (searchfeed.go): 5 s of CPU over those 15, where reading them through
// the view on the importer's own goroutine made the index 17–19 s.
//
// The copy is the import's own until it is published, and a failure
// deletes it (ImportFile), so committing part of the work there loses
// nothing: the published database changes all at once or not at all, as
// before. The snapshot and the scratch database are deleted on the way
// out, and by the next import after a crash (removeTemps).
func (im *Import) finishInParallel() error {
	for _, step := range countSteps { // the sidebars read the counts
		if err := im.timed(step.name, func() error { return im.runStep(step) }); err != nil {
			return err
		}
	}
	// Absolute: ATTACH would read a relative name that begins with
	// "file:" (cardex import --db file:x.db) as a URI.
	base, err := filepath.Abs(im.store.path)
	if err != nil {
		return err
	}
	snap, side := base+"-snapshot", base+"-sidebars"
	defer os.Remove(snap)
	defer os.Remove(side)
	if err := im.timed("snapshot", func() error {
		return im.restart(func() error { return copyFile(im.store.path, snap) })
	}); err != nil {
		return err
	}

	// Either side's failure ends the other: this goroutine's statements
	// run under ctx too meanwhile.
	ctx, cancel := context.WithCancel(im.ctx)
	defer cancel()
	outer := im.ctx
	im.ctx = ctx
	var (
		wg          sync.WaitGroup
		stories     computedStories
		sideErr     error
		sidebarTook time.Duration
		storiesTook time.Duration
	)
	computeStories := func(ctx context.Context) error {
		releaseMemory() // what the steps before freed, before the stories' arrays
		start := time.Now()
		var err error
		if stories, err = storiesOf(ctx, snap); err != nil {
			return fmt.Errorf("import: the stories of %s: %w", snap, err)
		}
		storiesTook = time.Since(start)
		return nil
	}
	wg.Go(func() {
		start := time.Now()
		if sideErr = sidebarsInto(ctx, side, snap); sideErr != nil {
			sideErr = fmt.Errorf("import: counting the sidebars into %s: %w", side, sideErr)
		}
		sidebarTook = time.Since(start)
		if sideErr == nil && im.Big {
			sideErr = computeStories(ctx)
		}
		if sideErr != nil {
			cancel()
		}
	})
	steps := indexSteps
	if im.Big {
		// The search index's rows are read from the snapshot on a
		// goroutine of their own (see searchfeed.go); a failed step
		// ends the reading (cancel, below).
		rows, readDone := make(chan []searchRow, 2), make(chan struct{})
		var readErr error
		wg.Go(func() {
			defer close(readDone)
			readErr = readSearchRows(ctx, snap, cmp.Or(im.searchRun, searchRun), rows)
		})
		err = im.timed(steps[0].name+", its rows read beside it", func() error {
			return im.fillSearchIndex(rows, func() error { <-readDone; return readErr })
		})
		steps = steps[1:]
	}
	for _, step := range steps {
		if err != nil {
			break
		}
		err = im.timed(step.name, func() error { return im.runStep(step) })
	}
	if err != nil {
		cancel()
	}
	wg.Wait()
	im.ctx = outer
	// The error that ended the other, not its "context canceled".
	if err == nil || (errors.Is(err, context.Canceled) && sideErr != nil && !errors.Is(sideErr, context.Canceled)) {
		err = sideErr
	}
	if err != nil {
		return err
	}
	if !im.Big {
		if err := computeStories(im.ctx); err != nil {
			return err
		}
	}
	// Reported here, on the importing goroutine: Phase has one writer.
	if im.Phase != nil {
		im.Phase("sidebars, beside the search index", sidebarTook)
		where := "after the search index"
		if im.Big {
			where = "beside the search index, after the sidebars"
		}
		im.Phase("stories, "+where, storiesTook)
	}
	if err := im.timed("stories written", func() error { return im.writeStories(stories) }); err != nil {
		return err
	}
	if err := im.stampUpdated(); err != nil {
		return err
	}
	// ATTACH and DETACH are refused inside a transaction: commit, attach,
	// copy in a transaction of its own, detach, and go on in a new one.
	// All of it on the store's one connection (Open: SetMaxOpenConns(1)),
	// which the attachment belongs to.
	return im.timed("sidebars copied", func() error {
		if err := im.restart(func() error {
			_, err := im.store.db.ExecContext(im.ctx, `ATTACH DATABASE ? AS sidebars`, side)
			return err
		}, `DELETE FROM listing_facets`, `INSERT INTO listing_facets SELECT * FROM sidebars.listing_facets`); err != nil {
			return err
		}
		return im.restart(func() error {
			_, err := im.store.db.ExecContext(im.ctx, `DETACH DATABASE sidebars`)
			return err
		})
	})
}

// restart commits the import's transaction, runs between outside any
// transaction, and begins a new one, in which it runs then.
func (im *Import) restart(between func() error, then ...string) error {
	im.stmts = nil // prepared in the transaction, which closes them
	tx := im.tx
	im.tx = nil
	if err := tx.Commit(); err != nil {
		return err
	}
	if err := between(); err != nil {
		return err
	}
	tx, err := im.store.db.BeginTx(im.ctx, nil)
	if err != nil {
		return err
	}
	im.tx = tx
	for _, q := range then {
		if err := im.execLong(q); err != nil {
			return err
		}
	}
	return nil
}

// snapshotQuery opens a snapshot that nothing writes: read-only, and
// immutable, which spares SQLite its locks and change checks.
func snapshotQuery() url.Values {
	q := url.Values{}
	q.Set("mode", "ro")
	q.Set("immutable", "1")
	q.Set("_cache_size", finishCacheSize)
	return q
}

// finishCacheSize is the page cache of each connection the parallel
// finish opens (SQLite's default is 2 MB): the file's pages are in the
// OS page cache anyway, and the importer's memory has a bar (64 MB for
// issue 6's 113 MB listing).
const finishCacheSize = "-256"

// storiesOf computes the stories of the cards of the snapshot at path.
func storiesOf(ctx context.Context, path string) (computedStories, error) {
	s := openStore(path, snapshotQuery())
	defer s.Close()
	return computeStories(ctx, s.db, s.codec)
}

// sidebarsInto counts the sidebars of the cards of the snapshot at
// snap into listing_facets of a new database at path.
func sidebarsInto(ctx context.Context, path, snap string) error {
	q := url.Values{}
	q.Set("_journal_mode", "OFF") // a scratch file: deleted, not recovered, after a failure
	q.Set("_synchronous", "OFF")
	q.Set("_cache_size", finishCacheSize)
	s := openStore(path, q)
	defer s.Close()
	db := s.db
	// One connection: the snapshot is attached to it (ATTACH is a
	// connection's own).
	db.SetMaxOpenConns(1)
	exec := func(q string, args ...any) error {
		_, err := db.ExecContext(ctx, q, args...)
		return err
	}
	// The snapshot's _cache_size is a driver parameter, which ATTACH does
	// not read: its cache is set by PRAGMA.
	if err := exec(`ATTACH DATABASE ? AS src`, "file:"+escapePath(snap)+"?"+snapshotQuery().Encode()); err != nil {
		return err
	}
	if err := exec(`PRAGMA src.cache_size = ` + finishCacheSize); err != nil {
		return err
	}
	// The table in the scratch database, the main one: the recount's
	// unqualified names are found in main first, so it writes there and
	// reads the cards, tags and counts from the snapshot.
	var def string
	if err := db.QueryRowContext(ctx, `SELECT sql FROM src.sqlite_master WHERE name = 'listing_facets'`).Scan(&def); err != nil {
		return err
	}
	if err := exec(def); err != nil {
		return err
	}
	return countSidebars(ctx, db)
}
