package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"time"
)

// results is everything a run measured.
type results struct {
	Started        time.Time
	Machine        machine
	Cards          int
	Seed           uint64
	GenCached      bool
	GenOutput      string
	Phases         []phaseTime
	Import         importResult
	Accuracy       *accuracy
	Store          []storeTiming
	Probed         int
	ProbeFailures  []string // listings that did not answer 200, with the status
	Pools          []string
	Deep           []deepListing
	Popular        string
	PageBytes      int
	Rounds         []map[string]wrkResult
	ServerPeakKiB  int64
	ServerLogLines int
	ServerErrors   []string
	Failure        string
}

type phaseTime struct {
	Name string
	Took time.Duration
	Note string
	Load string // the 1-minute load average when it ended
}

// loadAverage is the machine's 1-minute load average: on a shared machine
// it says how much else was running.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

type importResult struct {
	Done, TimedOut bool
	Reused         bool // the database of an earlier run (-reuse-db)
	Wall, CPU      time.Duration
	MaxRSSKiB      int64
	DBBytes        int64
	Output         string
	Corpus         string    // corpusMarker of the corpus imported
	At             time.Time // when the import started
}

type accuracy struct {
	Cards, Truth, Exact, Unknown int
	Took                         time.Duration
}

func (a accuracy) Percent() float64 { return 100 * float64(a.Exact) / float64(max(a.Truth, 1)) }

type storeTiming struct {
	Name  string
	Runs  int
	PerOp time.Duration
}

type deepListing struct {
	Kind, URL    string
	Total, Pages int
}

type machine struct {
	CPUs                   int
	CPU, Memory, Kernel    string
	Load                   string
	Wrk, Nginx, Go, Commit string
}

func machineFacts(t tools) machine {
	m := machine{CPUs: runtime.NumCPU(), Go: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		fmt.Sscanf(strings.TrimPrefix(strings.SplitN(string(b), "\n", 2)[0], "MemTotal:"), "%d", &kb)
		m.Memory = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = "Linux " + strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		m.Load = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	if out, err := exec.Command(t.wrk, "-v").CombinedOutput(); len(out) > 0 || err == nil {
		m.Wrk = strings.Join(strings.Fields(string(out))[:min(2, len(strings.Fields(string(out))))], " ")
	}
	if out, err := exec.Command(t.nginx, "-v").CombinedOutput(); err == nil {
		m.Nginx = strings.TrimPrefix(strings.TrimSpace(string(out)), "nginx version: ")
	}
	if out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output(); err == nil {
		m.Commit = strings.TrimSpace(string(out))
		if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(bytes.TrimSpace(st)) > 0 {
			m.Commit += fmt.Sprintf(" with uncommitted changes to %d files", bytes.Count(st, []byte("\n")))
		}
	}
	return m
}

// median returns the median of xs (the mean of the middle two for an even
// count), NaN for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// perRound returns f of each round that has every named run.
func (r *results) perRound(f func(map[string]wrkResult) float64, names ...string) []float64 {
	var out []float64
	for _, round := range r.Rounds {
		ok := true
		for _, n := range names {
			if _, has := round[n]; !has {
				ok = false
			}
		}
		if ok {
			out = append(out, f(round))
		}
	}
	return out
}

// p99 is a run's p99 in microseconds; a run that got no response at all
// counts as wrk's timeout.
func (b *bench) p99(w wrkResult) float64 {
	if w.Requests == 0 {
		return float64(b.cfg.wrkTimeout.Microseconds())
	}
	return float64(w.P99US)
}

type goalRow struct {
	goal, target, measured, reference, result string
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "**missed**"
}

func notMeasured(goal, target, why string) goalRow {
	return goalRow{goal, target, "not measured", why, "—"}
}

func pct(x float64) string {
	if x > 0 && x < 0.01 {
		return fmt.Sprintf("%.2g%%", 100*x)
	}
	return fmt.Sprintf("%.1f%%", 100*x)
}

func ms(d float64) string { // d in microseconds
	switch {
	case math.IsNaN(d):
		return "—"
	case d >= 1e6:
		return fmt.Sprintf("%.2f s", d/1e6)
	case d >= 1e4:
		return fmt.Sprintf("%.0f ms", d/1e3)
	default:
		return fmt.Sprintf("%.2f ms", d/1e3)
	}
}

func thousands(x float64) string {
	s := fmt.Sprintf("%.0f", x)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// goals evaluates the goals of issue 5.
func (b *bench) goals() []goalRow {
	r := &b.res
	scale := float64(r.Cards) / 1e6
	proRata := ""
	if r.Cards != 1_000_000 {
		proRata = fmt.Sprintf(" (pro rata for %s cards)", thousands(float64(r.Cards)))
	}
	var rows []goalRow
	rps := func(name string) func(map[string]wrkResult) float64 {
		return func(m map[string]wrkResult) float64 { return m[name].RPS() }
	}
	// Only responses that were not errors count: a 503 is fast to send.
	ratio := func(name string) func(map[string]wrkResult) float64 {
		return func(m map[string]wrkResult) float64 { return m[name].GoodRPS() / m["nginx"].RPS() }
	}
	good := func(name string) func(map[string]wrkResult) float64 {
		return func(m map[string]wrkResult) float64 { return m[name].GoodRPS() }
	}
	errShare := func(name string) string {
		var req, bad int64
		for _, round := range r.Rounds {
			req += round[name].Requests
			bad += round[name].Status
		}
		if bad == 0 || req == 0 {
			return ""
		}
		return fmt.Sprintf("; %.0f%% of responses were errors", 100*float64(bad)/float64(req))
	}
	nginx := median(r.perRound(rps("nginx"), "nginx"))
	for _, g := range []struct {
		name, label string
		min         float64
	}{{"c", "1. Zipf mix (c), req/s vs nginx", 0.40}, {"b", "1. uniform mix (b), req/s vs nginx", 0.15}} {
		xs := r.perRound(ratio(g.name), g.name, "nginx")
		if len(xs) == 0 {
			rows = append(rows, notMeasured(g.label, "≥ "+pct(g.min), "no wrk rounds ran"))
			continue
		}
		m := median(xs)
		rows = append(rows, goalRow{g.label, "≥ " + pct(g.min),
			fmt.Sprintf("%s (%s good req/s%s)", pct(m), thousands(median(r.perRound(good(g.name), g.name))), errShare(g.name)),
			fmt.Sprintf("nginx %s req/s, same %s-byte page", thousands(nginx), thousands(float64(r.PageBytes))), verdict(m >= g.min)})
	}
	for _, k := range deepKinds {
		label := "2. deepest page p99 vs page 1, " + k
		first, deep := "d "+k+" page 1", "d "+k+" deepest"
		pages := 0
		for _, d := range r.Deep {
			if d.Kind == k {
				pages = d.Pages
			}
		}
		// A round counts when page 1 got responses; a deepest page that got
		// none counts as wrk's timeout, a lower bound.
		var ratios, deepP99, firstP99 []float64
		unanswered := 0
		for _, round := range r.Rounds {
			f, d := round[first], round[deep]
			if !f.answered() {
				continue
			}
			if !d.answered() {
				unanswered++
				d.Requests = 0 // counts as wrk's timeout, a lower bound
			}
			ratios = append(ratios, b.p99(d)/b.p99(f))
			deepP99, firstP99 = append(deepP99, b.p99(d)), append(firstP99, b.p99(f))
		}
		switch {
		case len(r.Rounds) == 0:
			rows = append(rows, notMeasured(label, "≤ 1.5×", "no wrk rounds ran"))
		case len(ratios) == 0:
			rows = append(rows, goalRow{label, "≤ 1.5×", "not measured: page 1 got no response, or mostly errors, in every run",
				fmt.Sprintf("%s runs at c=%d%s", b.cfg.deepDuration, b.cfg.conns, errShare(first)), "—"})
		default:
			m := median(ratios)
			bound := ""
			if unanswered > len(ratios)/2 {
				bound = "> "
			}
			rows = append(rows, goalRow{label, "≤ 1.5×",
				fmt.Sprintf("%s%.2f× (page %s: p99 %s%s)", bound, m, thousands(float64(pages)), bound, ms(median(deepP99))),
				"page 1: p99 " + ms(median(firstP99)), verdict(m <= 1.5)})
		}
	}
	// The store benchmark names the listings that combine filters
	// "combined/…": no count kept at import answers them, and they are
	// counted live up to the store's bound.
	kept, combined := []storeTiming{}, []storeTiming{}
	for _, t := range r.Store {
		if strings.Contains(t.Name, "/combined/") {
			combined = append(combined, t)
		} else {
			kept = append(kept, t)
		}
	}
	for _, g := range []struct {
		label string
		ts    []storeTiming
	}{
		{"3. every listing query (store layer)", kept},
		{"3. every listing query, combined filters (store layer)", combined},
	} {
		if len(g.ts) == 0 {
			rows = append(rows, notMeasured(g.label, "≤ 2 ms", "the store benchmark did not run"))
			continue
		}
		worst := slices.MaxFunc(g.ts, func(a, b storeTiming) int { return int(a.PerOp - b.PerOp) })
		rows = append(rows, goalRow{g.label, "≤ 2 ms",
			fmt.Sprintf("slowest %s: %s", worst.Name, ms(float64(worst.PerOp.Microseconds()))),
			fmt.Sprintf("%d queries timed, see below", len(g.ts)), verdict(worst.PerOp <= 2*time.Millisecond)})
	}
	rows = append(rows, goalRow{"3. no live COUNT(*) over > 10k rows per request", "none",
		"every live count stops at 2,000 matches (by construction: sqlite.countUpTo)",
		"the rows walked to find them are not counted", "—"})
	if xs := r.perRound(func(m map[string]wrkResult) float64 { return b.p99(m["b"]) }, "b"); len(xs) > 0 {
		m := median(xs)
		rows = append(rows, goalRow{"4. p99 at c=64, uniform mix (b)", "≤ 50 ms", ms(m) + errShare("b"), "", verdict(m <= 50_000)})
	} else {
		rows = append(rows, notMeasured("4. p99 at c=64, uniform mix (b)", "≤ 50 ms", "no wrk rounds ran"))
	}
	imp := r.Import
	switch {
	case imp.Done:
		limit := 30 * scale
		ref := ""
		if imp.Reused {
			ref = "import of " + imp.At.UTC().Format("2006-01-02 15:04 UTC") + " (database reused)"
		}
		rows = append(rows, goalRow{"5. import, end to end", fmt.Sprintf("≤ %.1f s%s", limit, proRata),
			fmt.Sprintf("%.1f s (CPU %.1f s)", imp.Wall.Seconds(), imp.CPU.Seconds()), ref, verdict(imp.Wall.Seconds() <= limit)})
	case imp.TimedOut:
		rows = append(rows, goalRow{"5. import, end to end", fmt.Sprintf("≤ %.1f s%s", 30*scale, proRata),
			fmt.Sprintf("> %.0f s (stopped, unfinished)", imp.Wall.Seconds()), "", "**missed**"})
	default:
		rows = append(rows, notMeasured("5. import, end to end", fmt.Sprintf("≤ %.1f s%s", 30*scale, proRata), "the import failed"))
	}
	if imp.MaxRSSKiB > 0 {
		rows = append(rows, goalRow{"5. importer max RSS", "≤ 200 MB", fmt.Sprintf("%d MB", imp.MaxRSSKiB>>10), "rusage of cardex import", verdict(imp.MaxRSSKiB <= 200<<10)})
	}
	if imp.Done {
		limit := 1e9 * scale
		rows = append(rows, goalRow{"6. database file, FTS included", fmt.Sprintf("≤ %.0f MB%s", limit/1e6, proRata),
			fmt.Sprintf("%.0f MB", float64(imp.DBBytes)/1e6), "", verdict(float64(imp.DBBytes) <= limit)})
	}
	if r.ServerPeakKiB > 0 {
		var under int64
		for _, round := range r.Rounds {
			for _, w := range round {
				under = max(under, w.RSSKiB)
			}
		}
		rows = append(rows, goalRow{"6. server RSS under load", "≤ 150 MB", fmt.Sprintf("%d MB (VmHWM)", r.ServerPeakKiB>>10),
			fmt.Sprintf("largest VmRSS sampled under load: %d MB", under>>10), verdict(r.ServerPeakKiB <= 150<<10)})
	}
	return rows
}

// markdown renders the results.
func (b *bench) markdown() string {
	r := &b.res
	c := b.cfg
	var w strings.Builder
	title := "make bench-quick"
	if c.name == "full" {
		title = "make bench"
	}
	fmt.Fprintf(&w, "### `%s`: %s cards, seed %d — %s\n\n", title, thousands(float64(r.Cards)), r.Seed, r.Started.UTC().Format("2006-01-02 15:04 UTC"))
	if c.command != c.argv {
		fmt.Fprintf(&w, "- Command: `%s`, which runs `%s`\n", c.command, c.argv)
	} else {
		fmt.Fprintf(&w, "- Command: `%s`\n", c.command)
	}
	fmt.Fprintf(&w, "- Code: %s\n", orDash(r.Machine.Commit))
	fmt.Fprintf(&w, "- Machine: %d CPUs (%s), %s RAM, %s; load average %s when the run started\n",
		r.Machine.CPUs, r.Machine.CPU, r.Machine.Memory, r.Machine.Kernel, r.Machine.Load)
	fmt.Fprintf(&w, "- Load: %s, `wrk -t%d -c%d --timeout %s`, %d interleaved rounds of %s per run (%s for workload d); cardex-bench built with %s\n",
		strings.Join([]string{r.Machine.Wrk, "nginx " + r.Machine.Nginx}, ", "), c.threads, c.conns, c.wrkTimeout, c.rounds, c.duration, c.deepDuration, r.Machine.Go)
	if r.Failure != "" {
		fmt.Fprintf(&w, "- **The run stopped early**: %s\n", firstLine(r.Failure))
	}
	w.WriteString("\n| goal | target | measured | reference (same run) | result |\n|---|---|---|---|---|\n")
	for _, g := range b.goals() {
		fmt.Fprintf(&w, "| %s | %s | %s | %s | %s |\n", g.goal, g.target, g.measured, orDash(g.reference), g.result)
	}
	if r.Accuracy != nil {
		a := r.Accuracy
		fmt.Fprintf(&w, "\nTag splitting on the generated corpus: %s of %s cards (%.2f%%) got exactly their true tags (`cardex parse`, %.1f s).\n",
			thousands(float64(a.Exact)), thousands(float64(a.Truth)), a.Percent(), a.Took.Seconds())
	}
	w.WriteString("\n**Phases** (the load average is the machine's, 1 minute, when the phase ended: 2 means both cores busy)\n\n| phase | time | load average | |\n|---|---|---|---|\n")
	for _, p := range r.Phases {
		fmt.Fprintf(&w, "| %s | %s | %s | %s |\n", p.Name, p.Took.Round(100*time.Millisecond), p.Load, p.Note)
	}
	if len(r.Rounds) > 0 {
		fmt.Fprintf(&w, "\n**Workloads** (medians over %d rounds; errors are socket errors / responses not 2xx or 3xx, summed over rounds)\n\n", len(r.Rounds))
		w.WriteString("| workload | req/s (not errors) | p50 | p99 | errors | server VmRSS |\n|---|---|---|---|---|---|\n")
		names := []string{"nginx", "a", "b", "c"}
		for _, k := range deepKinds {
			names = append(names, "d "+k+" page 1", "d "+k+" deepest")
		}
		labels := map[string]string{
			"nginx": "nginx, static copy of (a)", "a": "(a) page 1 of " + "`" + r.Popular + "`",
			"b": "(b) uniform mix", "c": "(c) Zipf mix",
		}
		for _, n := range names {
			var sock, status, rssMax int64
			for _, round := range r.Rounds {
				sock += round[n].SocketErrors()
				status += round[n].Status
				rssMax = max(rssMax, round[n].RSSKiB)
			}
			label := labels[n]
			if label == "" {
				label = "(" + n + ")"
			}
			get := func(f func(wrkResult) float64) float64 {
				return median(r.perRound(func(m map[string]wrkResult) float64 { return f(m[n]) }, n))
			}
			rssText := "—"
			if n != "nginx" {
				rssText = fmt.Sprintf("%d MB", rssMax>>10)
			}
			p50, p99 := ms(get(func(x wrkResult) float64 { return float64(x.P50US) })), ms(get(b.p99))
			if get(func(x wrkResult) float64 { return float64(x.Requests) }) == 0 {
				p50, p99 = "no response", "> "+b.cfg.wrkTimeout.String()
			}
			fmt.Fprintf(&w, "| %s | %s | %s | %s | %d / %d | %s |\n", label, thousands(get(wrkResult.GoodRPS)), p50, p99, sock, status, rssText)
		}
		fmt.Fprintf(&w, "\nListings of workload d (the biggest of each kind among %d probed; mixes drawn from %s):\n\n", r.Probed, strings.Join(r.Pools, ", "))
		for _, d := range r.Deep {
			fmt.Fprintf(&w, "- %s: `%s`, %s results, %s pages\n", d.Kind, d.URL, thousands(float64(d.Total)), thousands(float64(d.Pages)))
		}
		if n := len(r.ProbeFailures); n > 0 {
			fmt.Fprintf(&w, "\n%d probed listings did not answer 200 and were left out (a 404 is a tag or source the corpus does not use; a 503 is the server's query deadline): %s\n",
				n, strings.Join(r.ProbeFailures[:min(n, 8)], ", "))
		}
	}
	if len(r.Store) > 0 {
		w.WriteString("\n**Store layer** (`BenchmarkStoreDB` in internal/sqlite, one call each)\n\n| query | time per call |\n|---|---|\n")
		for _, s := range r.Store {
			fmt.Fprintf(&w, "| %s | %s |\n", s.Name, ms(float64(s.PerOp.Nanoseconds())/1e3))
		}
	}
	if r.Import.Output != "" {
		fmt.Fprintf(&w, "\n**Import output**\n\n```\n%s\n```\n", r.Import.Output)
	}
	if len(r.ServerErrors) > 0 {
		fmt.Fprintf(&w, "\n**Server warnings** (first %d of the log)\n\n```\n%s\n```\n", len(r.ServerErrors), strings.Join(r.ServerErrors, "\n"))
	}
	return w.String()
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// report prints the results and writes them into the doc.
func (b *bench) report() error {
	md := b.markdown()
	fmt.Fprintf(b.out, "\n%s", md)
	if err := os.WriteFile(b.path("results-"+b.cfg.name+".md"), []byte(md), 0o644); err != nil {
		return err
	}
	if data, err := json.MarshalIndent(b.res, "", "  "); err == nil {
		os.WriteFile(b.path("results-"+b.cfg.name+".json"), data, 0o644)
	}
	if b.cfg.doc == "" {
		return nil
	}
	doc, err := os.ReadFile(b.cfg.doc)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	out := replaceSection(string(doc), "bench:"+b.cfg.name, md)
	return os.WriteFile(b.cfg.doc, []byte(out), 0o644)
}

// replaceSection puts body between the markers <!-- NAME:start --> and
// <!-- NAME:end --> of doc, appending both when they are missing.
func replaceSection(doc, name, body string) string {
	start, end := "<!-- "+name+":start -->", "<!-- "+name+":end -->"
	i, j := strings.Index(doc, start), strings.Index(doc, end)
	if i < 0 || j < i {
		if doc != "" && !strings.HasSuffix(doc, "\n") {
			doc += "\n"
		}
		return doc + "\n" + start + "\n" + body + end + "\n"
	}
	return doc[:i+len(start)] + "\n" + body + doc[j:]
}
