package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"cardex/internal/sqlite"
)

// installHint is printed when a tool is missing.
const installHint = "apt-get install -y wrk slowhttptest"

// prepare checks the tools, starts data/soak/run afresh, generates the
// corpora it lacks and imports the seeds into the base database.
func (s *soak) prepare() error {
	var missing []string
	need := map[string]bool{"wrk": s.cfg.only["load"] || s.cfg.only["reload"], "slowhttptest": s.cfg.only["slow"], "prlimit": s.cfg.only["slow"]}
	for _, tool := range []string{"wrk", "slowhttptest", "prlimit"} {
		if _, err := exec.LookPath(tool); need[tool] && err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("make soak needs %s, not installed here. Install with:\n  %s\n(prlimit is in util-linux)", strings.Join(missing, " and "), installHint)
	}
	if _, err := os.Stat(s.cfg.cardex); err != nil {
		return fmt.Errorf("%s: build it first (make build)", s.cfg.cardex)
	}
	s.say("==> soak: %s, seed %d, phases %s", s.cfg.cardex, s.cfg.seed, strings.Join(s.ran(), ", "))
	unmountStale(s.cfg.dir)
	if err := os.RemoveAll(s.run); err != nil {
		return err
	}
	if err := os.MkdirAll(s.run, 0o755); err != nil {
		return err
	}
	s.base = filepath.Join(s.run, "base.db")
	res, err := s.execute("import seeds", s.cfg.cardex, "import", "-q", "--db", s.base, "seeds/")
	if err != nil {
		return err
	}
	if res.code != 0 {
		return fmt.Errorf("importing seeds/ into %s: exit %d\n%s", s.base, res.code, res.stderr)
	}
	// The checksum file sqlite.Verify compares a database with.
	return sqlite.WriteChecksum(s.base)
}

// corpus returns the folder of a generated corpus of n cards, generating
// it the first time (cached in data/soak/ by size, seed and page size).
// A cached corpus is used only if the generator still writes what it
// wrote: the fingerprint of a small corpus of the same seed, kept beside
// it, must match.
func (s *soak) corpus(n int, seed uint64, perPage int) (string, error) {
	dir := filepath.Join(s.cfg.dir, fmt.Sprintf("corpus-%d-s%d-p%d", n, seed, perPage))
	fp, err := s.genFingerprint(seed, perPage)
	if err != nil {
		return "", err
	}
	if old, err := os.ReadFile(dir + ".fingerprint"); err == nil && string(old) == fp {
		if _, err := os.Stat(dir); err == nil {
			s.say("    corpus %s (cached)", dir)
			return dir, nil
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		return "", err
	}
	if err := s.gen(n, seed, perPage, dir); err != nil {
		return "", err
	}
	return dir, os.WriteFile(dir+".fingerprint", []byte(fp), 0o644)
}

// gen writes a corpus into dir, through a temporary folder.
func (s *soak) gen(n int, seed uint64, perPage int, dir string) error {
	tmp := dir + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	res, err := s.execute("gen", s.cfg.cardex, "gen", "--cards", strconv.Itoa(n), "--seed", strconv.FormatUint(seed, 10),
		"--per-page", strconv.Itoa(perPage), "--out", tmp)
	if err != nil {
		return err
	}
	if res.code != 0 {
		return fmt.Errorf("cardex gen: exit %d\n%s", res.code, res.stderr)
	}
	s.say("%s", indent(strings.TrimSpace(res.stdout)))
	return os.Rename(tmp, dir)
}

// genFingerprint hashes the files of a 300-card corpus of the seed.
func (s *soak) genFingerprint(seed uint64, perPage int) (string, error) {
	dir := filepath.Join(s.run, fmt.Sprintf("fingerprint-s%d-p%d", seed, perPage))
	if err := os.RemoveAll(dir); err != nil {
		return "", err
	}
	res, err := s.execute("gen", s.cfg.cardex, "gen", "--cards", "300", "--seed", strconv.FormatUint(seed, 10),
		"--per-page", strconv.Itoa(perPage), "--out", dir)
	if err != nil {
		return "", err
	}
	if res.code != 0 {
		return "", fmt.Errorf("cardex gen: exit %d\n%s", res.code, res.stderr)
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil {
		return "", err
	}
	sort.Strings(files)
	h := sha256.New()
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s %d\n", filepath.Base(f), len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)), os.RemoveAll(dir)
}

// dirSize is the total size of the regular files in dir.
func dirSize(dir string) (int64, int, error) {
	var size int64
	n := 0
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		size += info.Size()
		n++
		return nil
	})
	return size, n, err
}

// copyFile copies src to dst (created or truncated).
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// freshCopy makes dir (emptied first) hold a copy of the base database
// named cardex.db, and returns its path.
func (s *soak) freshCopy(dir string) (string, error) {
	if err := os.RemoveAll(dir); err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	db := filepath.Join(dir, "cardex.db")
	return db, copyFile(s.base, db)
}

// dumpSHA256 hashes the database's dump (sqlite.Store.Dump): equal dumps,
// equal content.
func (s *soak) dumpSHA256(path string) (string, error) {
	st, err := sqlite.OpenReadOnly(s.ctx, path, 1)
	if err != nil {
		return "", err
	}
	defer st.Close()
	h := sha256.New()
	if err := st.Dump(s.ctx, h); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// intact checks that the database at path is the base database: the same
// bytes (sqlite.Verify against the base's checksum), sealed, passing
// PRAGMA integrity_check, with the same dump. It returns why not.
func (s *soak) intact(path, baseDump string) error {
	v, err := sqlite.Verify(s.ctx, path, sqlite.ChecksumPath(s.base))
	if err != nil {
		return err
	}
	var why []string
	if v.SHA256 != v.Want {
		why = append(why, "the file's bytes changed")
	}
	if !v.Sealed {
		why = append(why, "not sealed")
	}
	if len(v.Problems) > 0 {
		why = append(why, "integrity_check: "+strings.Join(v.Problems, "; "))
	}
	d, err := s.dumpSHA256(path)
	if err != nil {
		why = append(why, "dump: "+err.Error())
	} else if d != baseDump {
		why = append(why, "the dump changed")
	}
	if len(why) > 0 {
		return errors.New(strings.Join(why, ", "))
	}
	return nil
}

// temps lists the temporary files an import of db leaves beside it.
func temps(db string) []string {
	m, _ := filepath.Glob(db + ".import-*")
	for i := range m {
		m[i] = filepath.Base(m[i])
	}
	return m
}

var (
	versionRe = regexp.MustCompile(`\(dataset version (\d+)\)`)
	cardsRe   = regexp.MustCompile(`cards: (\d+) read, (\d+) new`)
)

// importVersion reads "dataset version N" and the new cards from an
// import's summary.
func importVersion(stdout string) (version, newCards int64) {
	if m := versionRe.FindStringSubmatch(stdout); m != nil {
		version, _ = strconv.ParseInt(m[1], 10, 64)
	}
	if m := cardsRe.FindStringSubmatch(stdout); m != nil {
		newCards, _ = strconv.ParseInt(m[2], 10, 64)
	}
	return version, newCards
}
