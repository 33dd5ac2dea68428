// Command soak runs cardex's slow reliability checks, points 2, 3, 7, 8
// and 9 of the reliability plan (web/docs/reliability.md): kill -9 during
// imports, a full disk and a read-only folder; a 100 MB import and 100 MB
// of random bytes with their peak memory; 60 s of wrk on a mixed URL set;
// slowloris and slow read with slowhttptest, against cardex and against a
// control server without ReadHeaderTimeout; re-imports under load. Run it
// from the repository root with `make soak`, which builds bin/cardex
// first. It needs Debian's wrk and slowhttptest, and root (for the tmpfs
// mounts of the disk checks).
//
// Everything runs on loopback, under data/soak/ (the generated corpora are
// kept there between runs; data/soak/run/ starts afresh each time), and is
// bounded in time and requests. Every process it starts and every mount it
// makes is stopped or undone on the way out, on an error or Ctrl-C too. It
// prints what it does, then a summary table of every check with its
// figure and its bar, and exits 1 if any check failed.
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
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"cardex/internal/procs"
)

func main() {
	// The control server of point 8 is this program started again.
	if len(os.Args) == 3 && os.Args[1] == controlCommand {
		if err := controlServer(os.Args[2]); err != nil {
			fmt.Fprintln(os.Stderr, "control server:", err)
			os.Exit(1)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		if !errors.Is(err, errChecksFailed) {
			fmt.Fprintln(os.Stderr, "soak:", err)
		}
		os.Exit(1)
	}
}

// errChecksFailed means the run finished and printed its summary, and at
// least one check missed its bar.
var errChecksFailed = errors.New("some checks failed")

// config is what the flags set.
type config struct {
	cardex      string
	dir         string
	seed        uint64
	bigCards    int
	crashCards  int
	kills       int
	loadTime    time.Duration
	loadConns   int
	slowTime    time.Duration
	slowConns   int
	fdLimit     int
	reloadTime  time.Duration
	reimports   int
	only        map[string]bool
	maxDuration time.Duration
}

// phases, in the order they run.
var phaseNames = []string{"big", "crash", "load", "slow", "reload"}

func parseFlags(args []string, out io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("soak", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&c.cardex, "cardex", "bin/cardex", "the cardex binary to test (make soak builds it)")
	fs.StringVar(&c.dir, "dir", "data/soak", "where corpora are cached and each run works (in DIR/run)")
	fs.Uint64Var(&c.seed, "seed", 1, "the seed of the corpora and of every random choice (kill moments, URLs)")
	fs.IntVar(&c.bigCards, "big-cards", 190_000, "cards of the big corpus (point 3; 190,000 cards are about 110 MB)")
	fs.IntVar(&c.crashCards, "crash-cards", 12_000, "cards of the corpus imported and killed (point 2); its full import is also the database of points 7 and 8")
	fs.IntVar(&c.kills, "kills", 20, "imports killed with SIGKILL (point 2)")
	fs.DurationVar(&c.loadTime, "load-time", 60*time.Second, "wrk run of point 7")
	fs.IntVar(&c.loadConns, "load-conns", 64, "wrk connections of point 7")
	fs.DurationVar(&c.slowTime, "slow-time", 30*time.Second, "each slowhttptest run of point 8")
	fs.IntVar(&c.slowConns, "slow-conns", 1000, "slowloris connections of point 8")
	fs.IntVar(&c.fdLimit, "fd-limit", 512, "file descriptors allowed to the servers of point 8 (both the same)")
	fs.DurationVar(&c.reloadTime, "reload-time", 30*time.Second, "load of point 9")
	fs.IntVar(&c.reimports, "reimports", 10, "re-imports during the load of point 9")
	only := fs.String("only", strings.Join(phaseNames, ","), "phases to run, comma-separated: "+strings.Join(phaseNames, ", "))
	fs.DurationVar(&c.maxDuration, "timeout", 40*time.Minute, "the whole run stops after this")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	c.only = map[string]bool{}
	for _, p := range strings.Split(*only, ",") {
		p = strings.TrimSpace(p)
		if !slices.Contains(phaseNames, p) {
			return c, fmt.Errorf("-only: unknown phase %q (have %s)", p, strings.Join(phaseNames, ", "))
		}
		c.only[p] = true
	}
	if c.kills < 1 || c.reimports < 1 || c.crashCards < 1 || c.bigCards < 1 {
		return c, errors.New("-kills, -reimports, -crash-cards and -big-cards must be at least 1")
	}
	return c, nil
}

// soak is one run.
type soak struct {
	ctx  context.Context
	cfg  config
	out  io.Writer
	run  string // cfg.dir/run
	base string // the base database: the seeds, imported

	mu      sync.Mutex
	procs   procs.Group // the processes this run started
	mounts  []string
	results []result
	started time.Time
	load0   string // the load average at the start

	// The full import of the crash corpus (loadDB): its time, peak RSS
	// and input size.
	full     time.Duration
	fullCPU  time.Duration
	fullRSS  int64
	fullSize int64
}

// result is one check: what was measured, against what bar.
type result struct {
	point, check, measured, bar string
	ok                          bool
}

func run(ctx context.Context, args []string, out io.Writer) error {
	cfg, err := parseFlags(args, out)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.maxDuration)
	defer cancel()
	s := &soak{ctx: ctx, cfg: cfg, out: out, run: cfg.dir + "/run", started: time.Now(), load0: loadAverage()}
	defer s.cleanup()
	if err := s.prepare(); err != nil {
		return err
	}
	phases := []struct {
		name string
		fn   func() error
	}{
		{"big", s.bigInput},
		{"crash", s.crashSafety},
		{"load", s.sustainedLoad},
		{"slow", s.slowClients},
		{"reload", s.reloadUnderLoad},
	}
	for _, p := range phases {
		if !cfg.only[p.name] {
			continue
		}
		t0 := time.Now()
		err := p.fn()
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("%s: %w (stopped)", p.name, ctx.Err())
			}
			// A phase that could not run is a failed check; the others
			// still run.
			s.record(p.name, "phase ran to the end", err.Error(), "no error", false)
		}
		s.say("==> %s: %s", p.name, time.Since(t0).Round(100*time.Millisecond))
		s.procs.StopAll()
	}
	return s.summary()
}

// say prints a line of the transcript.
func (s *soak) say(format string, args ...any) {
	fmt.Fprintf(s.out, format+"\n", args...)
}

// record notes a check's outcome and prints it.
func (s *soak) record(point, check, measured, bar string, ok bool) {
	s.mu.Lock()
	s.results = append(s.results, result{point, check, measured, bar, ok})
	s.mu.Unlock()
	verdict := "ok"
	if !ok {
		verdict = "FAILED"
	}
	s.say("    [%s] %s: %s (bar: %s)", verdict, check, measured, bar)
}

// summary prints every check as a Markdown table.
func (s *soak) summary() error {
	s.say("")
	s.say("## soak summary, %s", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	s.say("")
	s.say("- Machine: %d CPUs (nproc), %s/%s, %s; load average at the start: %s, at the end: %s", runtime.NumCPU(), runtime.GOOS, runtime.GOARCH,
		runtime.Version(), s.load0, loadAverage())
	s.say("- Code: %s", codeVersion())
	s.say("- Run time: %s; phases: %s", time.Since(s.started).Round(time.Second), strings.Join(s.ran(), ", "))
	s.say("")
	s.say("| point | check | measured | bar | result |")
	s.say("|---|---|---|---|---|")
	failed := 0
	for _, r := range s.results {
		v := "ok"
		if !r.ok {
			v = "**failed**"
			failed++
		}
		s.say("| %s | %s | %s | %s | %s |", r.point, r.check, r.measured, r.bar, v)
	}
	s.say("")
	s.say("%d checks, %d failed", len(s.results), failed)
	if failed > 0 {
		return errChecksFailed
	}
	return nil
}

func (s *soak) ran() []string {
	var out []string
	for _, p := range phaseNames {
		if s.cfg.only[p] {
			out = append(out, p)
		}
	}
	return out
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// codeVersion names the commit, and says whether the tree has changes.
func codeVersion() string {
	rev, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown (no git)"
	}
	v := strings.TrimSpace(string(rev))
	if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(st) > 0 {
		v += fmt.Sprintf(" with uncommitted changes to %d files", strings.Count(string(st), "\n"))
	}
	return v
}

// sleep waits for d or until the run is stopped.
func (s *soak) sleep(d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-s.ctx.Done():
		return s.ctx.Err()
	case <-t.C:
		return nil
	}
}
