package sqlite

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// A snapshot is what replicas serve: a compacted copy of a published
// database (VACUUM INTO: no free pages, every b-tree rebuilt in order),
// sealed like a published file (rollback journal, so the file alone is the
// whole database), made read-only on disk, and described by a checksum file
// beside it, FILE.sha256, in the format of sha256sum ("<hex>  <name>"), so
// that a copy can be checked before it is renamed into place.

// SnapshotInfo describes a snapshot.
type SnapshotInfo struct {
	Path    string
	Version int64  // the dataset version
	Size    int64  // bytes
	SHA256  string // hex digest of the file
}

// ErrSnapshotExists is returned by Snapshot when the output file exists
// and overwriting was not asked for.
var ErrSnapshotExists = errors.New("the snapshot file already exists")

// snapshotPerm is the mode of a snapshot file: nobody writes to it.
const snapshotPerm = 0o444

// ChecksumPath is the checksum file of a snapshot at path.
func ChecksumPath(path string) string { return path + ".sha256" }

// Snapshot writes a compacted, sealed, read-only copy of the database at
// src to dst, and its checksum to ChecksumPath(dst). The copy is written
// to a temporary file beside dst, fsynced, and then moved to dst, so dst
// is never a partial file. It returns ErrSnapshotExists if dst exists and
// overwrite is false, and refuses to write over src itself.
func Snapshot(ctx context.Context, src, dst string, overwrite bool) (SnapshotInfo, error) {
	info := SnapshotInfo{Path: dst}
	if _, err := os.Stat(src); err != nil {
		return info, fmt.Errorf("snapshot: no database at %s", src)
	}
	if dstInfo, err := os.Stat(dst); err == nil {
		if srcInfo, err := os.Stat(src); err == nil && os.SameFile(srcInfo, dstInfo) {
			return info, fmt.Errorf("snapshot: %s is the database itself; write the snapshot elsewhere", dst)
		}
		if !overwrite {
			return info, fmt.Errorf("%s: %w", dst, ErrSnapshotExists)
		}
	}
	// An absolute path cannot be read as a "file:" URI by VACUUM INTO.
	abs, err := filepath.Abs(dst)
	if err != nil {
		return info, err
	}
	tmp := abs + ".snapshot-" + strconv.Itoa(os.Getpid())
	os.Remove(tmp) // left by a killed run with the same pid: VACUUM INTO wants no file
	defer os.Remove(tmp)
	if err := vacuumInto(ctx, src, tmp); err != nil {
		return info, err
	}
	if info.Version, err = sealSnapshot(ctx, tmp); err != nil {
		return info, err
	}
	if err := os.Chmod(tmp, snapshotPerm); err != nil {
		return info, err
	}
	if info.SHA256, info.Size, err = fileSHA256(tmp); err != nil {
		return info, err
	}
	if overwrite {
		err = publish(tmp, abs)
	} else {
		err = publishNew(tmp, abs)
	}
	if err != nil {
		return info, err
	}
	sumTmp := ChecksumPath(tmp)
	defer os.Remove(sumTmp)
	if err := os.WriteFile(sumTmp, checksumLine(info.SHA256, dst), 0o644); err != nil {
		return info, err
	}
	return info, publish(sumTmp, ChecksumPath(abs))
}

// checksumLine is the line of a checksum file for the file at path whose
// digest is sum, in sha256sum's format.
func checksumLine(sum, path string) []byte {
	return []byte(sum + "  " + filepath.Base(path) + "\n")
}

// WriteChecksum writes the checksum file of the database at path
// (ChecksumPath), which Verify compares a copy with.
func WriteChecksum(path string) error {
	sum, _, err := fileSHA256(path)
	if err != nil {
		return err
	}
	return os.WriteFile(ChecksumPath(path), checksumLine(sum, path), 0o644)
}

// vacuumInto writes a compacted copy of src to dst, which must not exist.
// src is opened read-only but not immutable, so a database that is not
// sealed (a write-ahead log beside it) is copied whole, as one consistent
// transaction.
func vacuumInto(ctx context.Context, src, dst string) error {
	q := url.Values{}
	q.Set("mode", "ro")
	q.Set("_busy_timeout", "5000")
	s := openStore(src, q)
	s.readOnly = true
	db := s.db
	defer db.Close()
	pending, err := s.pendingMigrations(ctx)
	if err != nil {
		return fmt.Errorf("snapshot: %s: %w", src, err)
	}
	if len(pending) > 0 {
		return fmt.Errorf("snapshot: %s needs migration %s; run cardex import first", src, pending[0])
	}
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, dst); err != nil {
		return fmt.Errorf("snapshot: VACUUM INTO: %w", err)
	}
	return nil
}

// sealSnapshot makes the fresh copy at path a rollback-journal database
// (VACUUM INTO keeps the source's journal mode) and returns its dataset
// version.
func sealSnapshot(ctx context.Context, path string) (int64, error) {
	s := openStore(path, url.Values{"_busy_timeout": {"5000"}})
	db := s.db
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, _, err := s.seal(ctx, false, ""); err != nil {
		return 0, err
	}
	var mode string
	if err := db.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil {
		return 0, err
	}
	if mode != "delete" {
		return 0, fmt.Errorf("snapshot: journal mode is %q after sealing, want delete", mode)
	}
	v, err := s.Version(ctx)
	if err != nil {
		return 0, fmt.Errorf("snapshot: dataset version: %w", err)
	}
	return v, db.Close()
}

// publishNew fsyncs tmp and moves it to path, failing if path exists (a
// hard link cannot replace a file), then fsyncs the folder.
func publishNew(tmp, path string) error {
	if err := syncFile(tmp); err != nil {
		return err
	}
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%s: %w", path, ErrSnapshotExists)
		}
		return fmt.Errorf("snapshot: %w", err)
	}
	if err := os.Remove(tmp); err != nil {
		return err
	}
	return syncFile(filepath.Dir(path))
}

// syncFile fsyncs a file or a folder.
func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("fsync %s: %w", path, err)
	}
	return nil
}

// fileSHA256 returns the hex SHA-256 digest and the size of the file at path.
func fileSHA256(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// Verification is what Verify found.
type Verification struct {
	Path     string
	Size     int64
	SHA256   string   // the file's digest
	Want     string   // the digest in the checksum file
	Sealed   bool     // a rollback-journal file (not WAL): the file alone is the database
	Problems []string // integrity_check's findings, or why it could not run
	Version  int64    // the dataset version, when it could be read
}

// OK reports whether the file matches its checksum, is sealed and passes
// the integrity check.
func (v Verification) OK() bool {
	return v.SHA256 == v.Want && v.Sealed && len(v.Problems) == 0
}

// Verify checks the database file at path against the checksum file
// sumPath (ChecksumPath(path) when empty) and runs SQLite's integrity
// check on it, read-only. It returns an error only when the check could
// not be made (no checksum file, an unreadable file); what was found wrong
// is in the Verification.
func Verify(ctx context.Context, path, sumPath string) (Verification, error) {
	v := Verification{Path: path}
	if sumPath == "" {
		sumPath = ChecksumPath(path)
	}
	want, err := readChecksum(sumPath)
	if err != nil {
		return v, err
	}
	v.Want = want
	if v.SHA256, v.Size, err = fileSHA256(path); err != nil {
		return v, err
	}
	if v.Sealed, err = sealed(path); err != nil {
		return v, err
	}
	v.Problems, v.Version = integrity(ctx, path)
	return v, nil
}

// readChecksum reads the digest from a sha256sum-style file ("<hex>
// <name>" or "<hex> *<name>"; the name is not checked: a copy may have
// been renamed).
func readChecksum(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("checksum file: %w", err)
	}
	defer f.Close()
	line, err := bufio.NewReader(io.LimitReader(f, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	sum, _, _ := strings.Cut(strings.TrimSpace(line), " ")
	sum = strings.ToLower(sum)
	if b, err := hex.DecodeString(sum); err != nil || len(b) != sha256.Size {
		return "", fmt.Errorf("%s: not a SHA-256 checksum file (want \"<64 hex digits>  <name>\")", path)
	}
	return sum, nil
}

// sealed reports whether the SQLite header at path says rollback journal
// (file format versions 1, at offsets 18 and 19) rather than WAL (2).
func sealed(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	var h [20]byte
	if _, err := io.ReadFull(f, h[:]); err != nil {
		return false, nil // too short to be a database; integrity says more
	}
	return h[18] == 1 && h[19] == 1, nil
}

// integrity runs PRAGMA integrity_check on the file at path, opened
// read-only and immutable (nothing is written, not even a lock), and
// reads its dataset version. It returns the problems found.
func integrity(ctx context.Context, path string) ([]string, int64) {
	s, err := OpenReadOnly(ctx, path, 1)
	if err != nil {
		return []string{err.Error()}, 0
	}
	defer s.Close()
	rows, err := s.db.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return []string{err.Error()}, 0
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var msg string
		if err := rows.Scan(&msg); err != nil {
			return append(problems, err.Error()), 0
		}
		if msg != "ok" {
			problems = append(problems, msg)
		}
	}
	if err := rows.Err(); err != nil {
		return append(problems, err.Error()), 0
	}
	v, err := s.Version(ctx)
	if err != nil {
		problems = append(problems, "dataset version: "+err.Error())
	}
	return problems, v
}
