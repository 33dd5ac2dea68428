package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"cardex/internal/sqlite"
)

// snapshot writes what replicas serve: a compacted, sealed, read-only copy
// of the database with a checksum file beside it (web/docs/scaling.md).
func (e environment) snapshot(args []string) error {
	fs := e.flags("snapshot", "usage: cardex snapshot [--db PATH] --out FILE [--force]\n\nWrites a compacted, read-only copy of the database (VACUUM INTO) and FILE.sha256.")
	dbPath := fs.String("db", e.defaultDB(), "the published database to copy")
	out := fs.String("out", "", "the snapshot file to write (its checksum goes to FILE.sha256)")
	force := fs.Bool("force", false, "replace FILE if it exists")
	if err := fs.Parse(args); err != nil {
		return exitError{code: 2}
	}
	if *out == "" || fs.NArg() > 0 {
		fs.Usage()
		return exitError{code: 2}
	}
	if err := ensureDir(*out); err != nil {
		return err
	}
	info, err := sqlite.Snapshot(e.ctx, *dbPath, *out, *force)
	if errors.Is(err, sqlite.ErrSnapshotExists) {
		return fmt.Errorf("%s exists; pass --force to replace it", *out)
	}
	if err != nil {
		return err
	}
	srcSize := int64(-1)
	if st, err := os.Stat(*dbPath); err == nil {
		srcSize = st.Size()
	}
	fmt.Fprintf(e.stdout, "snapshot of %s written to %s\n", *dbPath, info.Path)
	fmt.Fprintf(e.stdout, "dataset version: %d\n", info.Version)
	fmt.Fprintf(e.stdout, "size: %d bytes (database: %d bytes)\n", info.Size, srcSize)
	fmt.Fprintf(e.stdout, "sha256: %s (in %s)\n", info.SHA256, sqlite.ChecksumPath(info.Path))
	return nil
}

// verify checks a snapshot before it is put into service: its checksum,
// that it is sealed, and SQLite's integrity check.
func (e environment) verify(args []string) error {
	fs := e.flags("verify", "usage: cardex verify --db FILE [--sum FILE.sha256]\n\nChecks FILE against its checksum and runs SQLite's integrity check; exit status 1 if anything is wrong.")
	dbPath := fs.String("db", "", "the snapshot file to check (read-only)")
	sum := fs.String("sum", "", "the checksum file (default: FILE.sha256)")
	if err := fs.Parse(args); err != nil {
		return exitError{code: 2}
	}
	if *dbPath == "" || fs.NArg() > 0 {
		fs.Usage()
		return exitError{code: 2}
	}
	v, err := sqlite.Verify(e.ctx, *dbPath, *sum)
	if err != nil {
		return exitError{code: 1, msg: fmt.Sprintf("verify %s: %v", *dbPath, err)}
	}
	var bad []string
	if v.SHA256 == v.Want {
		fmt.Fprintf(e.stdout, "%s: checksum ok (sha256 %s, %d bytes)\n", v.Path, v.SHA256, v.Size)
	} else {
		bad = append(bad, fmt.Sprintf("checksum mismatch: the file has sha256 %s, the checksum file says %s", v.SHA256, v.Want))
	}
	if !v.Sealed {
		bad = append(bad, "not sealed: the header says write-ahead log, so the file alone may not be the whole database")
	}
	if len(v.Problems) == 0 {
		fmt.Fprintf(e.stdout, "%s: integrity ok (dataset version %d)\n", v.Path, v.Version)
	} else {
		const shown = 10
		ps := v.Problems
		if len(ps) > shown {
			ps = append(ps[:shown:shown], fmt.Sprintf("… and %d more", len(v.Problems)-shown))
		}
		bad = append(bad, "integrity check failed:\n  "+strings.Join(ps, "\n  "))
	}
	if len(bad) > 0 {
		return exitError{code: 1, msg: fmt.Sprintf("%s is not fit to serve:\n%s", v.Path, strings.Join(bad, "\n"))}
	}
	return nil
}
