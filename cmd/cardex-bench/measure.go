package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"cardex/internal/gen"
)

func corpusMarker(c config) string {
	return fmt.Sprintf("gen version %d, %d cards, seed %d\n", gen.Version, c.cards, c.seed)
}

// importCorpus imports the corpus into a new database and records the
// wall time, the importer's peak RSS (from the kernel's rusage, as
// /usr/bin/time -v reports it) and the size of the database.
func (b *bench) importCorpus(ctx context.Context, corpus, db string) (string, error) {
	marker := db + ".bench.json"
	if b.cfg.reuseDB {
		var prev importResult
		data, err := os.ReadFile(marker)
		if err == nil && json.Unmarshal(data, &prev) == nil && prev.Corpus == corpusMarker(b.cfg) {
			if _, err := os.Stat(db); err == nil {
				b.res.Import = prev
				b.res.Import.Reused = true
				return "(database reused: the figures are those of its import on " + prev.At.UTC().Format("2006-01-02 15:04 UTC") + ")", nil
			}
		}
		b.logf("no database of this corpus to reuse: importing")
	}
	os.Remove(marker)
	for _, suffix := range []string{"", "-wal", "-shm", "-journal", ".lock"} {
		if err := os.Remove(db + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return "", err
		}
	}
	logPath := b.path("import.log")
	log, err := os.Create(logPath)
	if err != nil {
		return "", err
	}
	defer log.Close()
	ictx, cancel := context.WithTimeout(ctx, b.cfg.importTimeout)
	defer cancel()
	// Not -q: the import prints the time of each of its steps, which
	// the report keeps (importSummary drops the per-file lines).
	cmd := exec.CommandContext(ictx, b.cardex, "import", "--db", db, corpus)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	start := time.Now()
	err = cmd.Run()
	b.res.Import.Wall = time.Since(start)
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok && ru != nil {
		b.res.Import.MaxRSSKiB = ru.Maxrss
		b.res.Import.CPU = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	out, _ := os.ReadFile(logPath)
	b.res.Import.Output = tail(importSummary(string(out)), 40)
	if ictx.Err() == context.DeadlineExceeded {
		b.res.Import.TimedOut = true
		return "", fmt.Errorf("cardex import did not finish within %s (see %s)", b.cfg.importTimeout, logPath)
	}
	if err != nil {
		return "", fmt.Errorf("cardex import: %v (see %s)", err, logPath)
	}
	b.res.Import.Done = true
	for _, suffix := range []string{"", "-wal"} {
		if st, err := os.Stat(db + suffix); err == nil {
			b.res.Import.DBBytes += st.Size()
		}
	}
	b.res.Import.Corpus, b.res.Import.At = corpusMarker(b.cfg), start
	if data, err := json.Marshal(b.res.Import); err == nil {
		os.WriteFile(marker, data, 0o644)
	}
	return fmt.Sprintf("(%.1f MB database, peak RSS %d MB)", float64(b.res.Import.DBBytes)/1e6, b.res.Import.MaxRSSKiB>>10), nil
}

// progressLine matches the import's lines of progress: one per file
// ("x.txt: 100 cards") and one per 50,000 cards.
var progressLine = regexp.MustCompile(`^(\S+: \d+ cards(, \d+ rejected)?|\d+ cards)$`)

// importSummary drops the progress lines of an import's output, keeping
// its step times, problems and summary.
func importSummary(out string) string {
	var keep []string
	for _, l := range strings.Split(out, "\n") {
		if !progressLine.MatchString(l) {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

func tail(s string, lines int) string {
	ls := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(ls) > lines {
		ls = append([]string{fmt.Sprintf("… (%d lines before)", len(ls)-lines)}, ls[len(ls)-lines:]...)
	}
	return strings.Join(ls, "\n")
}

type parsedCard struct {
	File string   `json:"file"`
	Line int      `json:"line"`
	Tags []string `json:"tags"`
}

func cardKey(file string, line int) uint64 {
	h := fnv.New64a()
	io.WriteString(h, file)
	fmt.Fprintf(h, "\x00%d", line)
	return h.Sum64()
}

func tagsHash(tags []string) uint64 {
	h := fnv.New64a()
	for _, t := range tags {
		io.WriteString(h, t)
		h.Write([]byte{0})
	}
	return h.Sum64()
}

// measureAccuracy runs cardex parse over the corpus (the splitter the
// importer uses, trained on the same corpus) and compares each card's tags
// with the generator's truth.
func (b *bench) measureAccuracy(ctx context.Context, corpus, truthPath string) (string, error) {
	truth := map[uint64]uint64{}
	f, err := os.Open(truthPath)
	if err != nil {
		return "", err
	}
	dec := json.NewDecoder(bufio.NewReaderSize(f, 1<<20))
	for {
		var c parsedCard
		if err := dec.Decode(&c); err == io.EOF {
			break
		} else if err != nil {
			f.Close()
			return "", fmt.Errorf("%s: %w", truthPath, err)
		}
		truth[cardKey(c.File, c.Line)] = tagsHash(c.Tags)
	}
	f.Close()
	actx, cancel := context.WithTimeout(ctx, b.cfg.importTimeout)
	defer cancel()
	cmd := exec.CommandContext(actx, b.cardex, "parse", corpus)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", err
	}
	cmd.Stderr = io.Discard
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return "", err
	}
	dec = json.NewDecoder(bufio.NewReaderSize(stdout, 1<<20))
	var a accuracy
	for {
		var c parsedCard
		if err := dec.Decode(&c); err == io.EOF {
			break
		} else if err != nil {
			cmd.Wait()
			return "", err
		}
		a.Cards++
		want, ok := truth[cardKey(filepath.Clean(c.File), c.Line)]
		switch {
		case !ok:
			a.Unknown++
		case want == tagsHash(c.Tags):
			a.Exact++
		}
	}
	err = cmd.Wait()
	a.Took = time.Since(start)
	if actx.Err() != nil {
		return "", fmt.Errorf("cardex parse did not finish within %s", b.cfg.importTimeout)
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) { // exit status 1 only means some card was rejected
		return "", err
	}
	a.Truth = len(truth)
	b.res.Accuracy = &a
	return fmt.Sprintf("(%d of %d cards with exactly the true tags: %.2f%%)", a.Exact, a.Truth, a.Percent()), nil
}

var reBench = regexp.MustCompile(`^BenchmarkStoreDB/(\S+?)(?:-\d+)?\s+(\d+)\s+([0-9.]+) ns/op`)

// storeBenchmark runs BenchmarkStoreDB (internal/sqlite) on the database.
func (b *bench) storeBenchmark(ctx context.Context, db string) (string, error) {
	abs, err := filepath.Abs(db)
	if err != nil {
		return "", err
	}
	bctx, cancel := context.WithTimeout(ctx, 30*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(bctx, b.storeTest, "-test.run", "^$", "-test.bench", "^BenchmarkStoreDB$",
		"-test.benchtime", b.cfg.benchtime, "-test.timeout", "30m")
	cmd.Env = append(os.Environ(), "CARDEX_BENCH_DB="+abs)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.CombinedOutput()
	os.WriteFile(b.path("store-bench.log"), out, 0o644)
	for _, line := range strings.Split(string(out), "\n") {
		m := reBench.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		ns, _ := strconv.ParseFloat(m[3], 64)
		n, _ := strconv.Atoi(m[2])
		b.res.Store = append(b.res.Store, storeTiming{Name: m[1], Runs: n, PerOp: time.Duration(ns)})
	}
	if err != nil {
		return "", fmt.Errorf("go test: %v\n%s", err, tail(string(out), 20))
	}
	if len(b.res.Store) == 0 {
		return "", fmt.Errorf("no BenchmarkStoreDB results in:\n%s", tail(string(out), 20))
	}
	return fmt.Sprintf("(%d queries timed)", len(b.res.Store)), nil
}
