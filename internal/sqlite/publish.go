package sqlite

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"cardex/internal/catalog"
)

// A published database is one self-contained, read-only file that servers
// open with immutable=1. An import never writes to it: it copies it to a
// temporary file beside it, imports into the copy, and then renames the
// copy over the original (after an fsync of the file and, after the
// rename, of the folder). A server that has the old file open keeps
// reading the old inode until it reopens the path, so a reader sees either
// the old data or the new, never a mix; a crash at any moment leaves the
// old file intact and at most a temporary file, which the next import
// removes.

// tempPrefix names the temporary files of an import of path.
func tempPrefix(path string) string { return path + ".import-" }

// ImportFile imports into the published database at path (created if
// missing) with fn, as Store.Import does, and publishes the result
// atomically. prepare, if not nil, runs first on the working copy (to read
// what the import needs to know, such as tag counts). Only one import of a
// path runs at a time (a lock file beside it). When the import changes
// nothing, the published file is left as it is.
func ImportFile(ctx context.Context, path string, prepare func(*Store) error, fn func(*Import) error) (catalog.ImportStats, error) {
	return importFile(ctx, path, prepare, fn, true)
}

// importFile is ImportFile; parallel lets the import finish in parallel
// (Import.finishInParallel), which tests turn off to compare.
func importFile(ctx context.Context, path string, prepare func(*Store) error, fn func(*Import) error, parallel bool) (catalog.ImportStats, error) {
	unlock, err := lockFile(path + ".lock")
	if err != nil {
		return catalog.ImportStats{}, err
	}
	defer unlock()
	removeTemps(path)
	tmp := tempPrefix(path) + strconv.Itoa(os.Getpid())
	defer removeTemps(path)
	if err := copyFile(path, tmp); err != nil {
		return catalog.ImportStats{}, err
	}
	s, err := Open(ctx, tmp)
	if err != nil {
		return catalog.ImportStats{}, err
	}
	s.private = parallel
	before, err := s.Version(ctx)
	if err == nil && prepare != nil {
		err = prepare(s)
	}
	if err != nil {
		s.Close()
		return catalog.ImportStats{}, err
	}
	var im *Import
	stats, err := s.Import(ctx, func(i *Import) error { im = i; return fn(i) })
	if err != nil {
		s.Close()
		return stats, err
	}
	_, statErr := os.Stat(path)
	if stats.Version == before && statErr == nil && !s.migrated {
		return stats, s.Close() // nothing changed: nothing to publish
	}
	// A bulk import leaves its tables' pages part empty (rows grow when
	// their story and place are set, index pages split): compacting it
	// takes about 0.1 s per 10,000 cards and gives back about 7% of the
	// file. A small re-import into a big database does not pay for it.
	var cards int64
	if err := s.db.QueryRowContext(ctx, `SELECT coalesce((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'cards'), 0)`).Scan(&cards); err != nil {
		s.Close()
		return stats, err
	}
	// Absolute: VACUUM INTO would read a relative name that begins with
	// "file:" (cardex import --db file:x.db) as a URI.
	compacted, err := filepath.Abs(tmp + "-compacted")
	if err != nil {
		s.Close()
		return stats, err
	}
	var file, why string
	if err := im.timed("compaction", func() (err error) {
		file, why, err = s.seal(ctx, int64(stats.New+stats.Updated)*10 >= cards, compacted)
		return err
	}); err != nil {
		s.Close()
		return stats, err
	}
	stats.NotCompacted = why
	if err := s.Close(); err != nil {
		return stats, err
	}
	if file == "" {
		file = tmp
	}
	return stats, publish(file, path)
}

// seal makes the database one self-contained file: the write-ahead log
// folded in and the journal mode back to a rollback journal, so that a
// copy of the file alone is the whole database. It is compacted too when
// compact is set, or when more than a quarter of the file is free pages
// (a migration that rebuilt a table, an import that replaced many cards):
// in place, or, when into is not empty, into a new file of that name
// (VACUUM INTO), which writes each page once where VACUUM writes the
// copy and then every page of it back (and journals the old ones).
// Compacting is an economy, not a condition: when it fails (it needs
// room for a second copy of the file), the database is sealed as it is
// and notCompacted says why. file is into when the database was compacted
// into it, and empty when the database is the store's own file.
func (s *Store) seal(ctx context.Context, compact bool, into string) (file, notCompacted string, _ error) {
	for _, q := range []string{`PRAGMA wal_checkpoint(TRUNCATE)`, `PRAGMA journal_mode = DELETE`, `PRAGMA optimize`} {
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			return "", "", fmt.Errorf("seal: %s: %w", q, err)
		}
	}
	var free, pages int64
	if err := s.db.QueryRowContext(ctx, `SELECT (SELECT freelist_count FROM pragma_freelist_count), (SELECT page_count FROM pragma_page_count)`).Scan(&free, &pages); err != nil {
		return "", "", fmt.Errorf("seal: %w", err)
	}
	if compact || free > pages/4 {
		what, query, args := "VACUUM", `VACUUM`, []any{}
		if into != "" {
			what, query, args = "VACUUM INTO", `VACUUM INTO ?`, []any{into}
		}
		if _, err := s.db.ExecContext(ctx, query, args...); err != nil {
			if into != "" {
				os.Remove(into)
			}
			if ctx.Err() != nil {
				return "", "", ctx.Err()
			}
			return "", what + ": " + err.Error(), nil
		}
		return into, "", nil
	}
	return "", "", nil
}

// publish fsyncs tmp, renames it to path and fsyncs the folder.
func publish(tmp, path string) error {
	f, err := os.Open(tmp)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("publish: fsync %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("publish: fsync %s: %w", filepath.Dir(path), err)
	}
	return nil
}

// copyFile copies the published database to dst; a missing src leaves
// dst absent (a new database).
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("import: cannot create a working copy beside %s: %w", src, err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("import: copying %s: %w", src, err)
	}
	return out.Close()
}

// removeTemps deletes what earlier imports of path left behind (a crash,
// a kill -9). Call it only while holding the lock.
func removeTemps(path string) {
	matches, _ := filepath.Glob(tempPrefix(path) + "*")
	for _, m := range matches {
		os.Remove(m)
	}
}

// lockFile takes an exclusive lock on path, waiting for no one: a second
// import of the same database fails at once.
func lockFile(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("import: another import of %s is running", filepath.Base(path))
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

// FileID identifies the file at a path (device, inode, size, mtime), so a
// server can tell when a new database was published there.
type FileID struct {
	dev, ino uint64
	size     int64
	mtime    int64
}

// StatFile returns the FileID of path.
func StatFile(path string) (FileID, error) {
	st, err := os.Stat(path)
	if err != nil {
		return FileID{}, err
	}
	id := FileID{size: st.Size(), mtime: st.ModTime().UnixNano()}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		id.dev, id.ino = uint64(sys.Dev), sys.Ino
	}
	return id, nil
}
