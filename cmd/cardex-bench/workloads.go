package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	neturl "net/url"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"time"

	"cardex/internal/catalog"
	"cardex/internal/gen"
	"cardex/internal/wrk"
)

// listing is one probed listing: its query and how many pages it has.
type listing struct {
	kind  string // all, tag, two tags, source, search
	q     catalog.Query
	total int
	pages int
	pop   int // popularity order within its kind: 0 is the most popular
}

// workloads are the request sets of the rounds.
type workloads struct {
	popular      string               // (a): page 1 of the most popular tag
	uniform, zpf string               // (b), (c): files of request paths
	deep         map[string][2]string // (d): kind -> {page 1, deepest page}
	deepPages    map[string]int
	probed       int
	pools        map[string][]listing
}

// deepKinds are the listing kinds of workload (d), in report order.
var deepKinds = []string{"all", "tag", "two tags", "source", "search"}

type probeResult struct {
	Total  int `json:"total"`
	Pages  int `json:"pages"`
	Facets struct {
		Tags []struct {
			Slug  string `json:"slug"`
			Count int    `json:"count"`
		} `json:"tags"`
	} `json:"facets"`
}

// probe fetches the JSON twin of l's first page.
func probe(ctx context.Context, base string, q catalog.Query) (probeResult, int, error) {
	var p probeResult
	pctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(pctx, http.MethodGet, base+q.URL(".json"), nil)
	if err != nil {
		return p, 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return p, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, resp.Body)
		return p, resp.StatusCode, nil
	}
	return p, resp.StatusCode, json.NewDecoder(resp.Body).Decode(&p)
}

// probeAll probes ls concurrently and keeps those that exist.
func (b *bench) probeAll(ctx context.Context, base string, ls []listing) ([]listing, []probeResult, error) {
	type res struct {
		p    probeResult
		code int
		err  error
	}
	out := make([]res, len(ls))
	var (
		wg  sync.WaitGroup
		mu  sync.Mutex
		sem = make(chan struct{}, 2)
	)
	for i := range ls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			p, code, err := probe(ctx, base, ls[i].q)
			if err == nil && code == http.StatusServiceUnavailable {
				// Past the server's query deadline, perhaps only because
				// the probes share the CPU: once more, alone.
				mu.Lock()
				p, code, err = probe(ctx, base, ls[i].q)
				mu.Unlock()
			}
			out[i] = res{p, code, err}
		}()
	}
	wg.Wait()
	var kept []listing
	var probes []probeResult
	for i, r := range out {
		if r.err != nil {
			return nil, nil, fmt.Errorf("probing %s: %w", ls[i].q.URL(""), r.err)
		}
		if r.code != http.StatusOK {
			b.res.ProbeFailures = append(b.res.ProbeFailures, fmt.Sprintf("%s: %d", ls[i].q.URL(""), r.code))
		}
		if r.code == http.StatusOK {
			l := ls[i]
			l.total, l.pages = r.p.Total, max(r.p.Pages, 1)
			kept = append(kept, l)
			probes = append(probes, r.p)
		}
	}
	b.res.Probed += len(ls)
	return kept, probes, nil
}

// buildWorkloads probes listings of every kind, saves the page that nginx
// serves, and writes the URL lists of the mixed workloads.
func (b *bench) buildWorkloads(ctx context.Context, s *server) (*workloads, error) {
	c := b.cfg
	v, _ := gen.Plan(gen.Config{Cards: c.cards, Seed: c.seed})
	r := rand.New(rand.NewPCG(c.seed, 99))
	sample := func(n, from, to int) []int { // the first n, then random ranks in [n, to)
		var out []int
		for i := range min(from, to) {
			out = append(out, i)
		}
		for range n {
			out = append(out, from+r.IntN(max(to-from, 1)))
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	var cand []listing
	for i, rank := range sample(90, 30, len(v.Tags)) {
		cand = append(cand, listing{kind: "tag", q: catalog.Query{Tags: []string{catalog.Slugify(v.Tags[rank])}}, pop: i})
	}
	for i, rank := range sample(45, 15, len(v.Sources)) {
		cand = append(cand, listing{kind: "source", q: catalog.Query{Source: catalog.Slugify(v.Sources[rank])}, pop: i})
	}
	// Search terms: words of popular tags (common words), then whole
	// names of tags of every popularity (rare phrases).
	var terms []string
	for _, t := range v.Tags[:60] {
		for _, w := range strings.Fields(strings.ToLower(t)) {
			if len(w) > 2 && !slices.Contains(terms, w) && len(terms) < 30 {
				terms = append(terms, w)
			}
		}
	}
	for _, rank := range sample(30, 0, len(v.Tags)) {
		terms = append(terms, v.Tags[rank])
	}
	for i, t := range terms {
		cand = append(cand, listing{kind: "search", q: catalog.Query{Q: t}, pop: i})
	}
	cand = append(cand, listing{kind: "all", q: catalog.Query{}})
	kept, probes, err := b.probeAll(ctx, s.cardex, cand)
	if err != nil {
		return nil, err
	}
	wl := &workloads{pools: map[string][]listing{}, deep: map[string][2]string{}, deepPages: map[string]int{}}
	var pairs []listing
	seenPair := map[string]bool{}
	for i, l := range kept {
		wl.pools[l.kind] = append(wl.pools[l.kind], l)
		if l.kind != "tag" || len(pairs) >= 50 {
			continue
		}
		// Two-tag ANDs: the tag with the most frequent tag it goes with.
		for _, f := range probes[i].Facets.Tags {
			if f.Slug == l.q.Tags[0] || f.Count < 1 {
				continue
			}
			q := catalog.Query{Tags: []string{l.q.Tags[0], f.Slug}}
			slices.Sort(q.Tags)
			if !seenPair[q.URL("")] {
				seenPair[q.URL("")] = true
				pairs = append(pairs, listing{kind: "two tags", q: q})
			}
			break
		}
	}
	pairs, _, err = b.probeAll(ctx, s.cardex, pairs)
	if err != nil {
		return nil, err
	}
	wl.pools["two tags"] = pairs
	wl.probed = b.res.Probed
	for _, k := range deepKinds {
		pool := wl.pools[k]
		if len(pool) == 0 {
			return nil, fmt.Errorf("no %s listing exists in the database", k)
		}
		// Popularity within a kind: tags and sources by their rank in
		// the generator, ANDs and searches by their number of results.
		if k == "two tags" || k == "search" {
			slices.SortStableFunc(pool, func(a, b listing) int { return b.total - a.total })
			for i := range pool {
				pool[i].pop = i
			}
		}
		biggest := slices.MaxFunc(pool, func(a, b listing) int { return a.total - b.total })
		wl.deep[k] = [2]string{biggest.q.URL(""), biggest.q.WithPage(biggest.pages).URL("")}
		wl.deepPages[k] = biggest.pages
		b.res.Deep = append(b.res.Deep, deepListing{Kind: k, URL: biggest.q.URL(""), Total: biggest.total, Pages: biggest.pages})
	}
	wl.popular = wl.deep["tag"][0]
	b.res.Popular = wl.popular

	// The static reference: the popular page, saved as cardex renders it.
	page, err := fetch(ctx, s.cardex+wl.popular)
	if err != nil {
		return nil, err
	}
	if err := b.startNginx(ctx, s, page); err != nil {
		return nil, err
	}
	b.res.PageBytes = len(page)

	kinds := []string{"tag", "search", "two tags", "source", "all"}
	zipfWeights := []float64{40, 20, 15, 15, 10}
	var uni, zpf strings.Builder
	for range c.mixSize {
		k := kinds[r.IntN(len(kinds))]
		l := pick(r, wl.pools[k])
		fmt.Fprintln(&uni, l.q.WithPage(1+r.IntN(l.pages)).URL(""))

		k = kinds[weighted(r, zipfWeights)]
		pool := wl.pools[k]
		l = pool[zipfIndex(r, len(pool), 1)]
		fmt.Fprintln(&zpf, l.q.WithPage(1+zipfIndex(r, l.pages, 1.5)).URL(""))
	}
	wl.uniform, wl.zpf = b.path("mix-uniform.txt"), b.path("mix-zipf.txt")
	for name, data := range map[string]string{wl.uniform: uni.String(), wl.zpf: zpf.String(),
		b.path("cycle.lua"): string(wrk.Script)} {
		if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
			return nil, err
		}
	}
	for _, k := range kinds {
		b.res.Pools = append(b.res.Pools, fmt.Sprintf("%d %s", len(wl.pools[k]), k))
	}
	return wl, nil
}

func pick(r *rand.Rand, ls []listing) listing { return ls[r.IntN(len(ls))] }

func weighted(r *rand.Rand, w []float64) int {
	sum := 0.0
	for _, x := range w {
		sum += x
	}
	x := r.Float64() * sum
	for i, v := range w {
		if x < v {
			return i
		}
		x -= v
	}
	return len(w) - 1
}

// zipfIndex draws an index in [0, n) with P(k) roughly proportional to
// 1/(k+1)^s, by inverting the continuous power law.
func zipfIndex(r *rand.Rand, n int, s float64) int {
	if n <= 1 {
		return 0
	}
	u, x := r.Float64(), 0.0
	if s == 1 {
		x = math.Exp(u * math.Log(float64(n)+1))
	} else {
		x = math.Pow(u*(math.Pow(float64(n)+1, 1-s)-1)+1, 1/(1-s))
	}
	return min(max(int(x)-1, 0), n-1)
}

func fetch(ctx context.Context, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return body, err
}

// wrkResult is one wrk run, with cardex serve's largest VmRSS during it.
type wrkResult struct {
	wrk.Result
	RSSKiB int64 `json:"-"`
}

// answered reports whether the run got responses, most of them not
// errors: a run answered mostly by 503s (the server's query deadline)
// measures the deadline, not the page.
func (w wrkResult) answered() bool { return w.Requests > 0 && w.Status*2 <= w.Requests }

// wrk runs wrk against url (with the paths of urls cycled when it is not
// "") and samples pid's RSS meanwhile.
func (b *bench) wrk(ctx context.Context, url, urls string, d time.Duration, pid int) (wrkResult, error) {
	c := b.cfg
	args := []string{"-t", fmt.Sprint(c.threads), "-c", fmt.Sprint(c.conns), "-d", fmt.Sprintf("%ds", max(int(d.Seconds()), 1)),
		"--timeout", fmt.Sprintf("%ds", max(int(c.wrkTimeout.Seconds()), 1))}
	if urls == "" {
		// One URL: a list of one path, against its origin.
		u, err := neturl.Parse(url)
		if err != nil {
			return wrkResult{}, err
		}
		urls = b.path("one-" + strings.Trim(strings.NewReplacer("/", "-", "?", "-", "&", "-", "=", "-").Replace(u.Path), "-") + ".txt")
		if err := os.WriteFile(urls, []byte(u.RequestURI()+"\n"), 0o644); err != nil {
			return wrkResult{}, err
		}
		url = u.Scheme + "://" + u.Host + "/"
	}
	file, nocache := strings.CutSuffix(urls, "|nocache")
	args = append(args, "-s", b.path("cycle.lua"), url, "--", file)
	if nocache {
		args = append(args, "nocache")
	}
	wctx, cancel := context.WithTimeout(ctx, d+c.wrkTimeout+time.Minute)
	defer cancel()
	cmd := exec.CommandContext(wctx, b.tools.wrk, args...)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	stop := make(chan struct{})
	var peak int64
	var wg sync.WaitGroup
	if pid > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(100 * time.Millisecond)
			defer t.Stop()
			for {
				if cur, _ := rss(pid); cur > peak {
					peak = cur
				}
				select {
				case <-stop:
					return
				case <-t.C:
				}
			}
		}()
	}
	err := cmd.Run()
	close(stop)
	wg.Wait()
	if err != nil {
		return wrkResult{}, fmt.Errorf("wrk %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	res, err := wrk.Parse(out.String())
	return wrkResult{Result: res, RSSKiB: peak}, err
}

// rounds runs the interleaved wrk rounds.
func (b *bench) rounds(ctx context.Context, s *server, wl *workloads) error {
	c := b.cfg
	type run struct {
		name, url, urls string
		d               time.Duration
		pid             int
	}
	runs := []run{
		{"nginx", s.nginx, "", c.duration, 0},
		{"a", s.cardex + wl.popular, "", c.duration, s.pid},
		{"b", s.cardex + "/", wl.uniform, c.duration, s.pid},
		{"c", s.cardex + "/", wl.zpf, c.duration, s.pid},
	}
	// Workload d measures the queries: every request is new to the
	// response cache (see package wrk's cycle.lua), or page 1 and the deepest page would
	// both be cache hits after the first request.
	for _, k := range deepKinds {
		var files [2]string
		for i, u := range wl.deep[k] {
			files[i] = b.path(fmt.Sprintf("deep-%s-%d.txt", strings.ReplaceAll(k, " ", "-"), i))
			if err := os.WriteFile(files[i], []byte(u+"\n"), 0o644); err != nil {
				return err
			}
		}
		runs = append(runs,
			run{"d " + k + " page 1", s.cardex + "/", files[0] + "|nocache", c.deepDuration, s.pid},
			run{"d " + k + " deepest", s.cardex + "/", files[1] + "|nocache", c.deepDuration, s.pid})
	}
	for i := range c.rounds {
		round := map[string]wrkResult{}
		for _, r := range runs {
			if s.cardexP.Exited() {
				return fmt.Errorf("cardex serve exited during the rounds: %v", s.cardexP.Cmd.ProcessState)
			}
			if r.name == "a" {
				// Page 1 of a popular tag is in the response cache in real
				// use; the uncached runs of the round before may have
				// pushed it out.
				if _, err := fetch(ctx, r.url); err != nil {
					return err
				}
			}
			res, err := b.wrk(ctx, r.url, r.urls, r.d, r.pid)
			if err != nil {
				return err
			}
			round[r.name] = res
			b.logf("round %d %-22s %9.0f req/s  p50 %8s  p99 %8s  errors %d/%d", i+1, r.name, res.RPS(),
				us(res.P50US), us(res.P99US), res.SocketErrors(), res.Status)
		}
		b.res.Rounds = append(b.res.Rounds, round)
	}
	_, b.res.ServerPeakKiB = rss(s.pid)
	b.res.ServerLogLines = s.logLines.lines
	b.res.ServerErrors = s.logLines.errors
	return nil
}

func us(v int64) string { return time.Duration(v * 1000).Round(10 * time.Microsecond).String() }
