package main

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// snapshotFixture imports the seeds into a fresh database and returns its
// path and the folder it is in.
func snapshotFixture(t *testing.T) (db, dir string) {
	t.Helper()
	dir = t.TempDir()
	db = filepath.Join(dir, "cardex.db")
	if _, stderr, err := cardex(t, "import", "-q", "--db", db, "../../seeds"); err != nil {
		t.Fatalf("import: %v\n%s", err, stderr)
	}
	return db, dir
}

// writable gives a snapshot (mode 0444) a write bit back, so a test can
// damage it.
func writable(t *testing.T, path string) {
	t.Helper()
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
}

// A snapshot holds exactly the database's content, is no bigger, is
// sealed and read-only, and its checksum file is in sha256sum's format
// and verifies.
func TestSnapshot(t *testing.T) {
	db, dir := snapshotFixture(t)
	snap := filepath.Join(dir, "out", "snap.db")
	out, stderr, err := cardex(t, "snapshot", "--db", db, "--out", snap)
	if err != nil {
		t.Fatalf("snapshot: %v\n%s", err, stderr)
	}
	data, err := os.ReadFile(snap)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	hexSum := hex.EncodeToString(sum[:])
	for _, want := range []string{"dataset version: 1", "sha256: " + hexSum, "size: "} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	sumFile, err := os.ReadFile(snap + ".sha256")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(sumFile), hexSum+"  snap.db\n"; got != want {
		t.Errorf("checksum file = %q, want %q", got, want)
	}
	orig, _ := os.Stat(db)
	if int64(len(data)) > orig.Size() {
		t.Errorf("snapshot is %d bytes, bigger than the database's %d", len(data), orig.Size())
	}
	if data[18] != 1 || data[19] != 1 {
		t.Errorf("header file format versions %d/%d, want 1/1 (rollback journal: sealed)", data[18], data[19])
	}
	if st, _ := os.Stat(snap); st.Mode().Perm() != 0o444 {
		t.Errorf("snapshot mode %v, want read-only (0444)", st.Mode().Perm())
	}
	vout, stderr, err := cardex(t, "verify", "--db", snap)
	if err != nil {
		t.Fatalf("verify: %v\n%s", err, stderr)
	}
	if !strings.Contains(vout, "checksum ok") || !strings.Contains(vout, "integrity ok (dataset version 1)") {
		t.Errorf("verify output:\n%s", vout)
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, "out", "*.snapshot-*"))
	if len(leftovers) > 0 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}
	// dumpDB opens for writing (WAL mode): dump a copy, not the snapshot.
	cp := filepath.Join(dir, "copy.db")
	if err := os.WriteFile(cp, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if dumpDB(t, cp) != dumpDB(t, db) {
		t.Error("the snapshot's content differs from the database's")
	}
}

// verify fails (exit status 1) on a file that does not match its
// checksum, on a damaged file whose checksum was recomputed, and without
// a checksum file.
func TestVerifyRejects(t *testing.T) {
	db, dir := snapshotFixture(t)
	snap := filepath.Join(dir, "snap.db")
	if _, stderr, err := cardex(t, "snapshot", "--db", db, "--out", snap); err != nil {
		t.Fatalf("snapshot: %v\n%s", err, stderr)
	}
	good, err := os.ReadFile(snap)
	if err != nil {
		t.Fatal(err)
	}
	writable(t, snap)
	damage := func(t *testing.T, off int) {
		t.Helper()
		b := append([]byte(nil), good...)
		b[off] ^= 0xff
		if err := os.WriteFile(snap, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	pageSize := int(binary.BigEndian.Uint16(good[16:18]))

	t.Run("flipped byte", func(t *testing.T) {
		damage(t, len(good)/2)
		_, _, err := cardex(t, "verify", "--db", snap)
		if exitCode(err) != 1 || err == nil || !strings.Contains(err.Error(), "checksum mismatch") {
			t.Errorf("verify = %v (exit %d), want a checksum mismatch, exit 1", err, exitCode(err))
		}
	})
	t.Run("damaged page, checksum recomputed", func(t *testing.T) {
		damage(t, pageSize) // the type byte of page 2's b-tree header
		b, _ := os.ReadFile(snap)
		sum := sha256.Sum256(b)
		if err := os.WriteFile(snap+".other", []byte(hex.EncodeToString(sum[:])+"  snap.db\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, _, err := cardex(t, "verify", "--db", snap, "--sum", snap+".other")
		if exitCode(err) != 1 || err == nil || !strings.Contains(err.Error(), "integrity check failed") {
			t.Errorf("verify = %v (exit %d), want an integrity failure, exit 1", err, exitCode(err))
		}
	})
	t.Run("no checksum file", func(t *testing.T) {
		damage(t, 0)
		os.Remove(snap + ".sha256")
		_, _, err := cardex(t, "verify", "--db", snap)
		if exitCode(err) != 1 || err == nil || !strings.Contains(err.Error(), "checksum file") {
			t.Errorf("verify = %v (exit %d), want a missing checksum file, exit 1", err, exitCode(err))
		}
	})
}

// An existing snapshot is replaced only with --force, and never by the
// database itself.
func TestSnapshotForce(t *testing.T) {
	db, dir := snapshotFixture(t)
	snap := filepath.Join(dir, "snap.db")
	if err := os.WriteFile(snap, []byte("an older file"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := cardex(t, "snapshot", "--db", db, "--out", snap)
	if err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("snapshot over an existing file: err = %v, want a refusal naming --force", err)
	}
	if b, _ := os.ReadFile(snap); string(b) != "an older file" {
		t.Error("a refused snapshot changed the existing file")
	}
	if _, err := os.Stat(snap + ".sha256"); !os.IsNotExist(err) {
		t.Error("a refused snapshot wrote a checksum file")
	}
	if _, stderr, err := cardex(t, "snapshot", "--db", db, "--out", snap, "--force"); err != nil {
		t.Fatalf("snapshot --force: %v\n%s", err, stderr)
	}
	if _, stderr, err := cardex(t, "verify", "--db", snap); err != nil {
		t.Errorf("verify after --force: %v\n%s", err, stderr)
	}
	_, _, err = cardex(t, "snapshot", "--db", db, "--out", db, "--force")
	if err == nil || !strings.Contains(err.Error(), "the database itself") {
		t.Errorf("snapshot over its own database: err = %v", err)
	}
	if _, _, err := cardex(t, "snapshot", "--db", db); exitCode(err) != 2 {
		t.Errorf("snapshot without --out: exit %d, want 2 (usage)", exitCode(err))
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, "*.snapshot-*"))
	if len(leftovers) > 0 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}
}
