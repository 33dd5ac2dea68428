package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// phases of a rollout, as the load sees them: 0 before, 1 when replica 1
// serves the new snapshot, 2 when both do.
const phases = 3

var phaseNames = [phases]string{"both replicas on old", "replica 1 new, replica 2 old", "both replicas on new"}

// tally counts the responses of one load stream.
type tally struct {
	mu       sync.Mutex
	total    int
	failed   int
	firstErr string
	byStatus map[int]int
	byPhase  [phases]map[string]int // version ("v1", "v2", "-") -> responses
	byCache  [phases]map[string]int // X-Cache-Status -> responses
}

func newTally() *tally {
	t := &tally{byStatus: map[int]int{}}
	for i := range t.byPhase {
		t.byPhase[i] = map[string]int{}
		t.byCache[i] = map[string]int{}
	}
	return t
}

func (t *tally) add(phase int, status int, version, cache string, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.total++
	if err != nil || status >= 400 {
		t.failed++
		if t.firstErr == "" {
			if err != nil {
				t.firstErr = err.Error()
			} else {
				t.firstErr = fmt.Sprintf("status %d", status)
			}
		}
	}
	if err != nil {
		return
	}
	t.byStatus[status]++
	t.byPhase[phase][version]++
	if cache != "" {
		t.byCache[phase][cache]++
	}
}

// versions returns the responses of every phase by dataset version.
func (t *tally) versions() map[string]int {
	out := map[string]int{}
	for _, m := range t.byPhase {
		for v, n := range m {
			out[v] += n
		}
	}
	return out
}

// etagVersion is the dataset version prefix of a cardex ETag ("v12-…", or
// "v12.<import time>-…").
var etagVersion = regexp.MustCompile(`^(?:W/)?"(v[0-9]+)[.-]`)

func versionOf(etag string) string {
	if m := etagVersion.FindStringSubmatch(etag); m != nil {
		return m[1]
	}
	return "-"
}

// fetch GETs u, reads the whole body and returns the response (its body
// consumed). A short body is an error.
func fetch(ctx context.Context, c *http.Client, u string, header http.Header) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return nil, err
	}
	return resp, nil
}

// load sends requests until ctx is done: each of workers loops over paths
// at random, each request going to the base next picks. Every response is
// counted in t under the phase current at the time it completed.
func load(ctx context.Context, c *http.Client, workers int, next func(worker, i int) string, paths func(r *rand.Rand) string, phase *atomic.Int32, t *tally) {
	var wg sync.WaitGroup
	var seed uint64
	for w := range workers {
		seed++
		wg.Go(func() {
			r := rand.New(rand.NewPCG(seed, 42))
			for i := 0; ctx.Err() == nil; i++ {
				resp, err := fetch(ctx, c, next(w, i)+paths(r), nil)
				if ctx.Err() != nil {
					return // the load was stopped mid-request: not a failure
				}
				if err != nil {
					t.add(int(phase.Load()), 0, "", "", err)
					continue
				}
				t.add(int(phase.Load()), resp.StatusCode, versionOf(resp.Header.Get("ETag")), resp.Header.Get("X-Cache-Status"), nil)
			}
		})
	}
	wg.Wait()
}

// sitemapPaths returns the path of every URL in the sitemap at base (and
// in the sitemaps its index names).
func sitemapPaths(ctx context.Context, c *http.Client, base string) ([]string, error) {
	loc := regexp.MustCompile(`<loc>([^<]+)</loc>`)
	var out []string
	todo := []string{base + "/sitemap.xml"}
	for len(todo) > 0 {
		u := todo[0]
		todo = todo[1:]
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return nil, err
		}
		resp, err := c.Do(req)
		if err != nil {
			return nil, err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("GET %s: %s", u, resp.Status)
		}
		for _, m := range loc.FindAllStringSubmatch(string(body), -1) {
			p, err := url.Parse(strings.ReplaceAll(m[1], "&amp;", "&"))
			if err != nil {
				return nil, err
			}
			if strings.HasPrefix(p.Path, "/sitemap-") {
				todo = append(todo, base+p.Path)
				continue
			}
			out = append(out, p.RequestURI())
		}
	}
	sort.Strings(out)
	if len(out) == 0 {
		return nil, fmt.Errorf("the sitemap at %s lists no URL", base)
	}
	return out, nil
}

// waitVersion polls base until it answers with dataset version want, and
// returns how long that took.
func waitVersion(ctx context.Context, c *http.Client, base, want string, limit time.Duration) (time.Duration, error) {
	start := time.Now()
	for {
		resp, err := fetch(ctx, c, base+"/tags/kafka.json", nil)
		if err == nil && versionOf(resp.Header.Get("ETag")) == want {
			return time.Since(start), nil
		}
		if time.Since(start) > limit {
			return 0, fmt.Errorf("%s did not serve %s within %s", base, want, limit)
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}
