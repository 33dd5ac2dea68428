// Command cardex-bench measures cardex against the performance goals of
// web/docs/performance.md, end to end, and writes the figures there.
//
//	cardex-bench -cards 1000000 -name full     (make bench)
//	cardex-bench -cards 100000 -name quick     (make bench-quick)
//
// It generates a synthetic corpus (cardex gen, cached under data/bench/ by
// size and seed), times cardex import, measures tag-split accuracy against
// the generator's truth and the store layer's query times (a Go benchmark
// in internal/sqlite), then serves the database with cardex serve and a
// saved copy of one rendered page with nginx, both on loopback, and runs
// interleaved wrk rounds: each round measures nginx, then every cardex
// workload, back to back, so that every ratio compares figures taken
// under the same conditions. The figure reported is the median of the
// per-round ratios. Every process it starts is stopped when it ends, on
// an error or an interrupt too.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"cardex/internal/procs"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "cardex-bench:", err)
		os.Exit(1)
	}
}

// config is everything a run depends on.
type config struct {
	cards         int
	seed          uint64
	name          string // "quick" or "full": the section of the doc it writes
	rounds        int
	threads       int
	conns         int
	duration      time.Duration // of each wrk run of workloads a, b, c and nginx
	deepDuration  time.Duration // of each wrk run of workload d
	wrkTimeout    time.Duration
	cardex        string // the cardex binary
	dir           string // work directory (data/bench)
	doc           string // the Markdown file to write the results into
	command       string // how the run was started, for the doc
	argv          string // this program's command line
	importTimeout time.Duration
	accuracy      bool
	reuseDB       bool
	storeBench    bool
	benchtime     string
	goCmd         string
	mixSize       int
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c config
	fs := flag.NewFlagSet("cardex-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&c.cards, "cards", 100_000, "cards in the synthetic corpus")
	fs.Uint64Var(&c.seed, "seed", 1, "the corpus seed")
	fs.StringVar(&c.name, "name", "quick", `which results section of the doc to write: "quick" or "full"`)
	fs.IntVar(&c.rounds, "rounds", 3, "interleaved wrk rounds (at least 3)")
	fs.IntVar(&c.threads, "threads", 2, "wrk threads")
	fs.IntVar(&c.conns, "conns", 64, "wrk connections")
	fs.DurationVar(&c.duration, "duration", 10*time.Second, "each wrk run of nginx and workloads a, b and c")
	fs.DurationVar(&c.deepDuration, "deep-duration", 0, "each wrk run of workload d (0: as -duration)")
	fs.DurationVar(&c.wrkTimeout, "wrk-timeout", 10*time.Second, "wrk's timeout for one response")
	fs.StringVar(&c.cardex, "cardex", "bin/cardex", "the cardex binary")
	fs.StringVar(&c.dir, "dir", "data/bench", "the work directory: corpus, database, logs, nginx")
	fs.StringVar(&c.doc, "doc", "web/docs/performance.md", "the Markdown file the results go into (\"\" for none)")
	fs.StringVar(&c.command, "command", "", "the command that started the run, as the doc should show it")
	fs.DurationVar(&c.importTimeout, "import-timeout", 30*time.Minute, "give up on the import (and the accuracy run) after this long")
	fs.BoolVar(&c.reuseDB, "reuse-db", false, "keep the database of an earlier run of the same corpus, and report that run's import figures (to work on the serving side)")
	fs.BoolVar(&c.accuracy, "accuracy", true, "measure tag-split accuracy against the generator's truth (runs cardex parse)")
	fs.BoolVar(&c.storeBench, "store-bench", true, "run the store-layer Go benchmark on the database")
	fs.StringVar(&c.benchtime, "benchtime", "20x", "go test -benchtime for the store-layer benchmark")
	fs.StringVar(&c.goCmd, "go", "go", "the go command")
	fs.IntVar(&c.mixSize, "mix", 20_000, "URLs in each mixed workload's list")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if c.rounds < 3 {
		return errors.New("-rounds must be at least 3: the figures are medians of per-round ratios")
	}
	if c.name != "quick" && c.name != "full" {
		return errors.New(`-name must be "quick" or "full"`)
	}
	if c.deepDuration == 0 {
		c.deepDuration = c.duration
	}
	c.argv = "bin/cardex-bench"
	fs.Visit(func(f *flag.Flag) {
		if f.Name != "command" {
			c.argv += " -" + f.Name + " " + f.Value.String()
		}
	})
	if c.command == "" {
		c.command = c.argv
	}
	tools, err := findTools()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return err
	}
	b := &bench{cfg: c, tools: tools, out: stdout, start: time.Now()}
	defer b.procs.StopAll()
	b.res.Machine = machineFacts(tools)
	b.res.Started = b.start
	err = b.run(ctx)
	if err != nil {
		b.res.Failure = err.Error()
		b.logf("FAILED: %v", err)
	}
	if werr := b.report(); werr != nil && err == nil {
		err = werr
	}
	return err
}

// tools are the external programs a run needs.
type tools struct{ wrk, nginx string }

// installHint is printed when wrk or nginx is missing; make prints it too.
const installHint = "apt-get install -y wrk nginx-light"

func findTools() (tools, error) {
	var t tools
	var missing []string
	if p, err := exec.LookPath("wrk"); err == nil {
		t.wrk = p
	} else {
		missing = append(missing, "wrk")
	}
	if p, err := exec.LookPath("nginx"); err == nil {
		t.nginx = p
	} else if _, err := os.Stat("/usr/sbin/nginx"); err == nil {
		t.nginx = "/usr/sbin/nginx"
	} else {
		missing = append(missing, "nginx")
	}
	if len(missing) > 0 {
		return t, fmt.Errorf("%s not installed; install with: %s", strings.Join(missing, " and "), installHint)
	}
	return t, nil
}

// bench is one run.
type bench struct {
	cfg   config
	tools tools
	out   io.Writer
	start time.Time
	procs procs.Group // the servers this run started
	res   results
	// Copies made by prepare: the cardex binary and the store benchmark.
	cardex, storeTest string
}

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(b.out, "[%6.1fs] %s\n", time.Since(b.start).Seconds(), fmt.Sprintf(format, args...))
}

// phase runs fn and records how long it took.
func (b *bench) phase(name string, fn func() (string, error)) error {
	b.logf("%s ...", name)
	t := time.Now()
	note, err := fn()
	d := time.Since(t)
	b.res.Phases = append(b.res.Phases, phaseTime{Name: name, Took: d, Note: note, Load: loadAverage()})
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	b.logf("%s: %s %s", name, d.Round(100*time.Millisecond), note)
	return nil
}

func (b *bench) path(name string) string { return filepath.Join(b.cfg.dir, name) }

func (b *bench) run(ctx context.Context) error {
	c := b.cfg
	b.res.Cards, b.res.Seed = c.cards, c.seed
	corpus := b.path(fmt.Sprintf("corpus-%d-s%d", c.cards, c.seed))
	truth := corpus + ".truth.jsonl"
	db := b.path(fmt.Sprintf("cardex-%d-s%d.db", c.cards, c.seed))
	if err := b.phase("prepare binaries", func() (string, error) { return b.prepare(ctx) }); err != nil {
		return err
	}
	if err := b.phase("generate", func() (string, error) { return b.generate(ctx, corpus, truth) }); err != nil {
		return err
	}
	if err := b.phase("import", func() (string, error) { return b.importCorpus(ctx, corpus, db) }); err != nil {
		return err
	}
	if c.accuracy {
		if err := b.phase("tag-split accuracy", func() (string, error) { return b.measureAccuracy(ctx, corpus, truth) }); err != nil {
			b.logf("accuracy not measured: %v", err)
		}
	}
	if b.storeTest != "" {
		if err := b.phase("store-layer benchmark", func() (string, error) { return b.storeBenchmark(ctx, db) }); err != nil {
			b.logf("store-layer benchmark failed: %v", err)
		}
	}
	var srv *server
	if err := b.phase("start servers", func() (string, error) {
		var err error
		srv, err = b.startServers(ctx, db)
		return "", err
	}); err != nil {
		return err
	}
	var wl *workloads
	if err := b.phase("build workloads", func() (string, error) {
		var err error
		wl, err = b.buildWorkloads(ctx, srv)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("(%d listings probed)", wl.probed), nil
	}); err != nil {
		return err
	}
	return b.phase("wrk rounds", func() (string, error) { return "", b.rounds(ctx, srv, wl) })
}

// prepare copies the cardex binary and builds the store benchmark's test
// binary, so that every phase runs the code as it was when the run
// started, even if the tree or bin/ changes meanwhile.
func (b *bench) prepare(ctx context.Context) (string, error) {
	src, err := os.ReadFile(b.cfg.cardex)
	if err != nil {
		return "", err
	}
	b.cardex = b.path("cardex")
	if err := os.WriteFile(b.cardex+".tmp", src, 0o755); err != nil {
		return "", err
	}
	if err := os.Rename(b.cardex+".tmp", b.cardex); err != nil {
		return "", err
	}
	if !b.cfg.storeBench {
		return "", nil
	}
	b.storeTest = b.path("sqlite.test")
	cmd := exec.CommandContext(ctx, b.cfg.goCmd, "test", "-c", "-tags", "sqlite_fts5", "-o", b.storeTest, "./internal/sqlite")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.storeTest = ""
		b.logf("the store benchmark will not run: go test -c: %v\n%s", err, out)
	}
	return "", nil
}

// generate writes the corpus unless a complete one of the same generator
// version is cached.
func (b *bench) generate(ctx context.Context, corpus, truth string) (string, error) {
	marker := filepath.Join(corpus, ".complete")
	want := corpusMarker(b.cfg)
	if got, err := os.ReadFile(marker); err == nil && string(got) == want {
		if _, err := os.Stat(truth); err == nil {
			b.res.GenCached = true
			return "(cached in " + corpus + ")", nil
		}
	}
	if err := os.RemoveAll(corpus); err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, b.cardex, "gen", "--cards", fmt.Sprint(b.cfg.cards), "--seed", fmt.Sprint(b.cfg.seed),
		"--out", corpus, "--truth", truth)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("cardex gen: %v\n%s", err, out)
	}
	b.res.GenOutput = strings.TrimSpace(string(out))
	return "", os.WriteFile(marker, []byte(want), 0o644)
}
