package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"cardex/internal/procs"
	"cardex/internal/sqlite"
)

// loadDB returns the database of points 7 and 8: the base database plus
// the crash corpus, imported in full (once; point 2 times it).
func (s *soak) loadDB() (string, time.Duration, error) {
	db := filepath.Join(s.run, "full", "cardex.db")
	if s.full > 0 {
		return db, s.full, nil
	}
	corpus, err := s.corpus(s.cfg.crashCards, s.cfg.seed, 100)
	if err != nil {
		return "", 0, err
	}
	if _, err := s.freshCopy(filepath.Dir(db)); err != nil {
		return "", 0, err
	}
	size, files, err := dirSize(corpus)
	if err != nil {
		return "", 0, err
	}
	s.say("    $ %s import -q --db %s %s   (%d files, %s)", s.cfg.cardex, db, corpus, files, mb(size))
	res, err := s.execute("import crash corpus", s.cfg.cardex, "import", "-q", "--db", db, corpus)
	if err != nil {
		return "", 0, err
	}
	if res.code != 0 {
		return "", 0, fmt.Errorf("the full import of %s failed: exit %d\n%s", corpus, res.code, res.stderr)
	}
	s.say("%s", indent(firstLines(res.stdout, 2)))
	s.say("      %s, CPU %s, peak RSS %s", secs(res.wall), secs(res.cpu), mb(res.maxRSS))
	s.full = res.wall
	s.fullCPU = res.cpu
	s.fullRSS = res.maxRSS
	s.fullSize = size
	return db, s.full, nil
}

// crashSafety is point 2: imports killed with SIGKILL at random moments
// leave the old database intact and their temp files to the next import;
// a full disk and a read-only folder give a clear error and change
// nothing.
func (s *soak) crashSafety() error {
	s.say("==> 2. crash safety: %d imports killed with SIGKILL, a full disk, a read-only folder", s.cfg.kills)
	baseDump, err := s.dumpSHA256(s.base)
	if err != nil {
		return err
	}
	baseSize, err := fileSize(s.base)
	if err != nil {
		return err
	}
	full, d, err := s.loadDB()
	if err != nil {
		return err
	}
	corpus, _ := s.corpus(s.cfg.crashCards, s.cfg.seed, 100)
	newVersion, err := dbVersion(s, full)
	if err != nil {
		return err
	}
	// The moments are on the import's own clock, its CPU time, so that
	// they fall at the same points of its work however busy the machine
	// is. Stratified: the k-th kill lands at a random moment of the k-th
	// of kills equal slices of the import, from what it does in its first
	// 0.5 s to its end, so that the kills cover the whole import, its last
	// moments (sealing, the rename) included.
	c := s.fullCPU
	lo, hi := time.Duration(float64(c)*0.5/d.Seconds()), c
	if hi <= lo {
		lo, hi = 0, max(c, 100*time.Millisecond)
	}
	s.say("    one full import takes %s (CPU %s): one kill at a random moment of each of %d slices of [%s, %s] of its CPU time (seed %d)",
		secs(d), secs(c), s.cfg.kills, secs(lo), secs(hi), s.cfg.seed)
	rng := rand.New(rand.NewPCG(s.cfg.seed, 2))
	slice := (hi - lo) / time.Duration(s.cfg.kills)
	var (
		landed, intactN, leftN, cleanN, finished int
		phases                                   = map[string]int{}
		failures                                 []string
		spent                                    time.Duration
	)
	for i := range s.cfg.kills {
		at := lo + time.Duration(i)*slice + time.Duration(rng.Float64()*float64(slice))
		db, err := s.freshCopy(filepath.Join(s.run, "kill"))
		if err != nil {
			return err
		}
		var out strings.Builder
		p, err := s.start("import to kill", nil, &out, s.cfg.cardex, "import", "-q", "--db", db, corpus)
		if err != nil {
			return err
		}
		phase, wall, err := s.killAt(p, at, db, baseSize)
		if err != nil {
			return err
		}
		line := fmt.Sprintf("    kill %2d/%d at %6.2f s of CPU (%3.0f%% of a full import), %6.2f s wall: ", i+1, s.cfg.kills, at.Seconds(), 100*at.Seconds()/c.Seconds(), wall.Seconds())
		spent += p.Wall()
		phases[phase]++
		var problems []string
		outcome := ""
		if phase == "finished before the kill" {
			// The import published: the new database, whole.
			finished++
			v, verr := dbVersion(s, db)
			if p.ExitCode() != 0 || verr != nil || v != newVersion {
				problems = append(problems, fmt.Sprintf("finished with exit %d, version %d (want %d): %v %s", p.ExitCode(), v, newVersion, verr, out.String()))
			}
			outcome = "the import finished first: the new database, whole"
		} else {
			landed++
			left := temps(db)
			if len(left) > 0 {
				leftN++
			}
			if err := s.intact(db, baseDump); err != nil {
				problems = append(problems, "after the kill: "+err.Error())
			} else {
				intactN++
			}
			outcome = fmt.Sprintf("old database intact; %d temp file(s) left", len(left))
		}
		// The next import (of the seeds, which changes nothing) removes
		// what the killed one left.
		res, err := s.execute("next import", s.cfg.cardex, "import", "-q", "--db", db, "seeds/")
		if err != nil {
			return err
		}
		left := temps(db)
		switch {
		case res.code != 0:
			problems = append(problems, fmt.Sprintf("the next import failed: exit %d: %s", res.code, firstLines(res.stderr, 2)))
		case len(left) > 0:
			problems = append(problems, "temp files after the next import: "+strings.Join(left, ", "))
		default:
			cleanN++
		}
		if phase != "finished before the kill" {
			if err := s.intact(db, baseDump); err != nil {
				problems = append(problems, "after the next import: "+err.Error())
			}
		}
		if len(problems) > 0 {
			failures = append(failures, fmt.Sprintf("kill %d: %s", i+1, strings.Join(problems, "; ")))
			s.say("%s%s: FAILED: %s", line, phase, strings.Join(problems, "; "))
			continue
		}
		s.say("%s%s: %s, next import left none", line, phase, outcome)
	}
	s.say("    time spent in killed imports: %s", secs(spent))
	s.record("2", fmt.Sprintf("%d imports of %s killed with SIGKILL", s.cfg.kills, mb(s.fullSize)),
		fmt.Sprintf("%d killed (%s), %d finished first; old database byte-identical, same dump, integrity_check ok: %d of %d",
			landed, describePhases(phases), finished, intactN, landed),
		"every kill: old database intact", len(failures) == 0 && intactN == landed)
	s.record("2", "temp files after the kill / after the next import",
		fmt.Sprintf("left by %d of %d kills; left after the next import: %d of %d", leftN, landed, s.cfg.kills-cleanN, s.cfg.kills),
		"none after the next import", cleanN == s.cfg.kills)
	for _, f := range failures {
		s.say("    %s", f)
	}
	return s.diskChecks(corpus, baseDump)
}

// killAt sends SIGKILL to the import p once it has used cpu of CPU time,
// and says what it was doing then (from the files beside db) and when.
func (s *soak) killAt(p *procs.Proc, cpu time.Duration, db string, baseSize int64) (string, time.Duration, error) {
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-s.ctx.Done():
			p.Kill()
			return "", 0, s.ctx.Err()
		case <-p.Done():
			return "finished before the kill", p.Wall(), nil
		case <-tick.C:
		}
		used, err := procCPU(p.Pid())
		if err != nil || used < cpu {
			continue // an error: the process is exiting; p.done tells
		}
		phase := importPhase(db, p.Pid(), baseSize)
		wall := time.Since(p.Started())
		p.Kill()
		return phase, wall, nil
	}
}

// procCPU is the user and system time of pid so far, from /proc/PID/stat
// (in clock ticks of 10 ms: Linux's USER_HZ is 100).
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// Fields after the command name, which is in parentheses: state is
	// field 3, utime 14 and stime 15.
	i := strings.LastIndexByte(string(b), ')')
	f := strings.Fields(string(b[i+1:]))
	if i < 0 || len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond, nil
}

// importPhase tells what an import of db was doing, from the files beside
// it: the working copy; its rollback journal, there while the import's
// transaction writes; the snapshot of the parallel finish (see
// sqlite.Import.finishInParallel); and the compacted copy the seal writes.
func importPhase(db string, pid int, baseSize int64) string {
	tmp := db + ".import-" + strconv.Itoa(pid)
	main, err := fileSize(tmp)
	if err != nil {
		return "locking or copying"
	}
	exists := func(suffix string) bool { _, err := os.Stat(tmp + suffix); return err == nil }
	switch {
	case exists("-compacted"):
		return "sealing"
	case exists("-snapshot"):
		return "finishing in parallel" // the counts committed, the search index and the sidebars being built
	case exists("-journal"):
		return "in the transaction"
	case main <= baseSize:
		return "learning tags (no write yet)"
	default:
		return "sealing" // committed: the journal is gone, the copy has grown
	}
}

func describePhases(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		if k != "finished before the kill" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d %s", m[k], k)
	}
	return strings.Join(parts, ", ")
}

func fileSize(path string) (int64, error) {
	st, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

func dbVersion(s *soak, path string) (int64, error) {
	st, err := sqlite.OpenReadOnly(s.ctx, path, 1)
	if err != nil {
		return 0, err
	}
	defer st.Close()
	return st.Version(s.ctx)
}

// diskChecks imports into a database on a full tmpfs (the working copy
// fits, the import does not; and one where even the copy does not fit)
// and on a read-only one.
func (s *soak) diskChecks(corpus, baseDump string) error {
	if os.Geteuid() != 0 {
		s.record("2", "disk full and read-only folder", "not run: mounting a tmpfs needs root", "run as root", false)
		return nil
	}
	baseSize, err := fileSize(s.base)
	if err != nil {
		return err
	}
	cases := []struct {
		name, dir string
		size      int64
		readOnly  bool
		want      []string
	}{
		{"disk full during the import (8 MiB tmpfs)", "tmpfs-full", 8 << 20, false, []string{"database or disk is full", "no space left on device"}},
		{"disk full copying the database (tmpfs 64 KiB larger than it)", "tmpfs-copy", baseSize + 64<<10, false, []string{"no space left on device"}},
		{"read-only folder (tmpfs remounted read-only)", "tmpfs-ro", 8 << 20, true, []string{"read-only file system"}},
	}
	for _, c := range cases {
		dir := filepath.Join(s.run, c.dir)
		if err := s.mountTmpfs(dir, c.size); err != nil {
			s.record("2", c.name, err.Error(), "a clear error, database unchanged", false)
			continue
		}
		db := filepath.Join(dir, "cardex.db")
		if err := copyFile(s.base, db); err != nil {
			return err
		}
		if c.readOnly {
			// As deployed: the database and its lock file exist (an
			// import made them), then the folder became read-only.
			res, err := s.execute("import seeds", s.cfg.cardex, "import", "-q", "--db", db, "seeds/")
			if err != nil {
				return err
			}
			if res.code != 0 {
				return fmt.Errorf("import into %s: exit %d: %s", db, res.code, res.stderr)
			}
			if err := remountReadOnly(dir); err != nil {
				return err
			}
		}
		s.say("    $ %s import -q --db %s %s   (%s)", s.cfg.cardex, db, corpus, c.name)
		res, err := s.execute("import", s.cfg.cardex, "import", "-q", "--db", db, corpus)
		if err != nil {
			return err
		}
		s.say("%s", indent(firstLines(res.stderr, 3)))
		msg := strings.TrimSpace(res.stderr)
		clear := false
		for _, w := range c.want {
			clear = clear || strings.Contains(strings.ToLower(msg), w)
		}
		panicked := strings.Contains(msg, "panic") || strings.Contains(msg, "goroutine ")
		s.record("2", c.name+": the error", fmt.Sprintf("exit %d after %s: %q", res.code, secs(res.wall), firstLine(msg)),
			"non-zero exit, says \""+strings.Join(c.want, "\" or \"")+"\", no panic", res.code > 0 && clear && !panicked)
		intact := s.intact(db, baseDump)
		left := temps(db)
		s.record("2", c.name+": the database after it", describeIntact(intact, left), "unchanged, no temp file", intact == nil && len(left) == 0)
		s.unmount(dir)
	}
	return nil
}

// unmount undoes one of this run's mounts.
func (s *soak) unmount(dir string) {
	s.mu.Lock()
	for i, m := range s.mounts {
		if m == dir {
			s.mounts = append(s.mounts[:i], s.mounts[i+1:]...)
			break
		}
	}
	s.mu.Unlock()
	unmount(dir)
}
