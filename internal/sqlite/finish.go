package sqlite

import (
	"context"
	"errors"
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
// 2.5M rows at 1M cards). Run one after the other they were 37, 28 and
// 39 s of a 1M-card import, each on one core. Here the counts and the
// order are committed, the copy is copied (a snapshot, which nothing
// writes), and while the search index is built in the copy, a goroutine
// counts the sidebars into a scratch database and then computes the
// stories, both from the snapshot on connections of their own. Then the
// stories are written, and the sidebars copied in.
//
// The sidebars and then the stories, beside the search index, was the
// order measured best at 1M cards (the sidebars 39.7 s, then the stories
// 30.5 s, beside a search index of 39 s): the stories' Go code slows the
// search index more than SQL does. With all three at once on two cores
// the search index took 76 to 86 s; with the stories beside it (and the
// sidebars, in two parts, after), 67 s.
//
// The copy is the import's own until it is published, and a failure
// deletes it (ImportFile), so committing part of the work there loses
// nothing: the published database changes all at once or not at all, as
// before. The snapshot and the scratch database are deleted on the way
// out, and by the next import after a crash (removeTemps).
func (im *Import) finishInParallel() error {
	for _, step := range recountSteps[:2] { // the counts and the order: the sidebars read both
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

	ctx, cancel := context.WithCancel(im.ctx)
	defer cancel()
	var (
		wg                     sync.WaitGroup
		stories                computedStories
		storyErr, sidebarErr   error
		storyTook, sidebarTook time.Duration
	)
	wg.Go(func() {
		start := time.Now()
		if sidebarErr = sidebarsInto(ctx, side, snap); sidebarErr != nil {
			cancel()
			return
		}
		sidebarTook = time.Since(start)
		start = time.Now()
		if stories, storyErr = storiesOf(ctx, snap); storyErr != nil {
			cancel()
		}
		storyTook = time.Since(start)
	})
	for _, step := range recountSteps[2:] {
		if err = im.timed(step.name, func() error { return im.runStep(step) }); err != nil {
			cancel()
			break
		}
	}
	wg.Wait()
	// The error that ended the others, not their "context canceled".
	for _, e := range []error{err, storyErr, sidebarErr} {
		if e != nil && !errors.Is(e, context.Canceled) {
			return e
		}
	}
	if err := errors.Join(err, storyErr, sidebarErr); err != nil {
		return err
	}
	if im.Phase != nil {
		// Both ran beside the search index: their own times.
		im.Phase("stories, beside the search index", storyTook)
		im.Phase("sidebars, beside the search index", sidebarTook)
	}
	if err := im.timed("stories written", func() error { return im.writeStories(stories) }); err != nil {
		return err
	}
	if _, err := im.exec(`INSERT OR REPLACE INTO meta (key, value) VALUES ('updated_at', ?)`, im.now); err != nil {
		return err
	}
	// ATTACH is refused inside a transaction: commit, attach, copy in a
	// new one, which Store.Import commits, and detach after it.
	// ATTACH and DETACH are refused inside a transaction: commit, attach,
	// copy in a transaction of its own, detach, and go on in a new one.
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
	return q
}

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
	s := openStore(path, q)
	defer s.Close()
	db := s.db
	// One connection: the temporary tables of the recount are its own.
	db.SetMaxOpenConns(1)
	src := "file:" + escapePath(snap) + "?" + snapshotQuery().Encode()
	var def string
	for _, q := range []string{`ATTACH DATABASE ? AS src`, `SELECT sql FROM src.sqlite_master WHERE name = 'listing_facets'`} {
		if q[0] == 'S' {
			if err := db.QueryRowContext(ctx, q).Scan(&def); err != nil {
				return err
			}
			continue
		}
		if _, err := db.ExecContext(ctx, q, src); err != nil {
			return err
		}
	}
	// The table in the scratch database, the main one: the recount's
	// unqualified names are found in main first, so it writes there and
	// reads the cards, tags and counts from the snapshot.
	if _, err := db.ExecContext(ctx, def); err != nil {
		return err
	}
	return rebuildListingFacets(func(q string) error {
		_, err := db.ExecContext(ctx, q)
		return err
	})
}
