package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const (
	cardexBin = "bin/cardex"
	// extraPage is the page imported to make the second dataset version.
	extraPage = "cmd/cardex/testdata/heldout/dev-kafka-page-3.txt"
	// phaseTime is how long the load runs in each phase of the rollout.
	phaseTime = 1500 * time.Millisecond
)

// results is what the run found, for the summary.
type results struct {
	nginxVersion string
	hitMiss      []string // "/path: MISS then HIT"
	hitMissOK    bool
	notModified  string
	notModOK     bool
	switched     [2]time.Duration // from the rename to the replica serving v2
	proxy        *tally
	direct       *tally
	after        []string
	afterOK      bool
}

func (d *demo) run() error {
	if _, err := os.Stat("go.mod"); err != nil {
		return fmt.Errorf("run it from the repository root (make scaling-demo)")
	}
	nginx, err := findNginx()
	if err != nil {
		fmt.Fprintln(os.Stderr, "scaling demo: nginx is not installed. It needs Debian's nginx; install it with:")
		fmt.Fprintln(os.Stderr, "    sudo apt-get update && sudo apt-get install -y nginx-light    # or: nginx")
		return exitCode(1)
	}
	if err := portsFree(proxyAddr, replica1, replica2); err != nil {
		return err
	}
	var res results
	if v, err := exec.Command(nginx, "-v").CombinedOutput(); err == nil {
		res.nginxVersion = strings.TrimPrefix(strings.TrimSpace(string(v)), "nginx version: ")
	}

	d.say("==> building %s", cardexBin)
	if _, err := d.runCmd("make", "--no-print-directory", "build"); err != nil {
		return err
	}
	if err := os.RemoveAll(d.dir); err != nil {
		return err
	}
	db := filepath.Join(d.dir, "cardex.db")
	snaps := filepath.Join(d.dir, "snapshots")
	replicas := []struct{ dir, addr string }{
		{filepath.Join(d.dir, "replica1"), replica1},
		{filepath.Join(d.dir, "replica2"), replica2},
	}
	for _, p := range []string{snaps, replicas[0].dir, replicas[1].dir} {
		if err := os.MkdirAll(p, 0o755); err != nil {
			return err
		}
	}

	d.say("\n==> the build machine: import seeds/, take snapshot v1")
	if _, err := d.runCmd(cardexBin, "import", "-q", "--db", db, "seeds/"); err != nil {
		return err
	}
	v1 := filepath.Join(snaps, "v1.db")
	if _, err := d.runCmd(cardexBin, "snapshot", "--db", db, "--out", v1); err != nil {
		return err
	}

	d.say("\n==> push v1 to two replicas and start them")
	for _, r := range replicas {
		if err := d.deploy(v1, r.dir); err != nil {
			return err
		}
	}
	for i, r := range replicas {
		p, err := d.start(fmt.Sprintf("replica %d", i+1), filepath.Join(r.dir, "serve.log"),
			cardexBin, "serve", "--db", filepath.Join(r.dir, "cardex.db"), "--addr", r.addr, "--reload", "200ms")
		if err != nil {
			return err
		}
		if err := d.waitHealthy(p, "http://"+r.addr+"/healthz", 15*time.Second); err != nil {
			return err
		}
	}

	d.say("\n==> nginx as a caching reverse proxy on %s", proxyAddr)
	prefix, err := filepath.Abs(filepath.Join(d.dir, "nginx"))
	if err != nil {
		return err
	}
	conf, err := writeNginxConf(nginxConfig{Prefix: prefix, Listen: proxyAddr, Replicas: []string{replica1, replica2}})
	if err != nil {
		return err
	}
	d.say("    config: %s", conf)
	ng, err := d.start("nginx", filepath.Join(prefix, "logs", "stderr.log"), nginx, "-p", prefix, "-c", conf, "-e", filepath.Join(prefix, "logs", "error.log"))
	if err != nil {
		return err
	}
	if err := d.waitHealthy(ng, "http://"+proxyAddr+"/healthz", 10*time.Second); err != nil {
		return err
	}

	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 32, DisableCompression: true}}
	proxy := "http://" + proxyAddr
	if err := d.hitMiss(c, proxy, &res); err != nil {
		return err
	}
	if err := d.rollout(c, db, snaps, replicas, &res); err != nil {
		return err
	}
	d.afterRollout(c, proxy, &res)
	return d.report(&res)
}

// findNginx returns the path of nginx (in /usr/sbin, which a user's PATH
// may lack).
func findNginx() (string, error) {
	if p, err := exec.LookPath("nginx"); err == nil {
		return p, nil
	}
	if _, err := os.Stat("/usr/sbin/nginx"); err == nil {
		return "/usr/sbin/nginx", nil
	}
	return "", fmt.Errorf("nginx not found")
}

// deploy does on one replica what an operator would do after pushing a
// snapshot there (rsync, scp, an object store): check the copy, then
// rename it over the file the replica serves. The replica notices the new
// file by itself (serve --reload) and swaps to it between requests.
func (d *demo) deploy(snapshot, replicaDir string) error {
	incoming := filepath.Join(replicaDir, "cardex.db.incoming")
	if _, err := d.runCmd("cp", snapshot, incoming); err != nil {
		return err
	}
	if _, err := d.runCmd("cp", snapshot+".sha256", incoming+".sha256"); err != nil {
		return err
	}
	if _, err := d.runCmd(cardexBin, "verify", "--db", incoming); err != nil {
		return fmt.Errorf("the copy on %s does not verify; it is not put into service: %w", replicaDir, err)
	}
	_, err := d.runCmd("mv", "-f", incoming, filepath.Join(replicaDir, "cardex.db"))
	return err
}

// hitMiss is steps (a) and (b): the same URLs twice through the proxy
// (MISS, then HIT), then a conditional GET answered 304 by the proxy.
func (d *demo) hitMiss(c *http.Client, proxy string, res *results) error {
	d.say("\n==> (a) the same URLs twice through nginx")
	res.hitMissOK = true
	etags := map[string]string{}
	for _, p := range []string{"/", "/tags/kafka", "/tags/kafka.json"} {
		var seen []string
		for range 2 {
			resp, err := fetch(d.ctx, c, proxy+p, nil)
			if err != nil {
				return err
			}
			cs := resp.Header.Get("X-Cache-Status")
			d.say("    GET %-18s %d  X-Cache-Status: %-4s  ETag: %s", p, resp.StatusCode, cs, resp.Header.Get("ETag"))
			seen = append(seen, cs)
			etags[p] = resp.Header.Get("ETag")
		}
		res.hitMiss = append(res.hitMiss, fmt.Sprintf("`%s` %s then %s", p, seen[0], seen[1]))
		if seen[0] != "MISS" || seen[1] != "HIT" {
			res.hitMissOK = false
		}
	}

	d.say("\n==> (b) a conditional GET through nginx")
	etag := etags["/tags/kafka"]
	resp, err := fetch(d.ctx, c, proxy+"/tags/kafka", http.Header{"If-None-Match": {etag}})
	if err != nil {
		return err
	}
	cs := resp.Header.Get("X-Cache-Status")
	d.say("    GET /tags/kafka  If-None-Match: %s  ->  %d  X-Cache-Status: %s", etag, resp.StatusCode, cs)
	res.notModified = fmt.Sprintf("`If-None-Match: %s` → %d, X-Cache-Status %s", etag, resp.StatusCode, cs)
	res.notModOK = resp.StatusCode == http.StatusNotModified
	return nil
}

// rollout is step (c): snapshot v2 is built, then pushed to replica 1 and
// then replica 2 while two load streams run, one through nginx and one
// straight to the replicas (as a load balancer without a cache would).
func (d *demo) rollout(c *http.Client, db, snaps string, replicas []struct{ dir, addr string }, res *results) error {
	d.say("\n==> (c) the build machine: import one more page, take snapshot v2")
	if _, err := d.runCmd(cardexBin, "import", "-q", "--db", db, extraPage); err != nil {
		return err
	}
	v2 := filepath.Join(snaps, "v2.db")
	if _, err := d.runCmd(cardexBin, "snapshot", "--db", db, "--out", v2); err != nil {
		return err
	}

	paths, err := sitemapPaths(d.ctx, c, "http://"+replica1)
	if err != nil {
		return err
	}
	var words []string
	for _, p := range paths {
		if w, ok := strings.CutPrefix(p, "/tags/"); ok {
			words = append(words, w)
		}
	}
	var unique atomic.Int64
	// Through the proxy: the sitemap's URLs (soon all cached), and one
	// request in five a search never asked before (a cache miss), as the
	// long tail of real traffic is.
	proxyPath := func(r *rand.Rand) string {
		if r.IntN(5) == 0 && len(words) > 0 {
			return "/?q=" + words[r.IntN(len(words))] + "+" + strconv.FormatInt(unique.Add(1), 10)
		}
		return paths[r.IntN(len(paths))]
	}
	anyPath := func(r *rand.Rand) string { return paths[r.IntN(len(paths))] }
	d.say("    load: %d URLs from the sitemap, plus never-seen searches through nginx; 4 clients through nginx, 2 straight to the replicas (round robin)", len(paths))

	res.proxy, res.direct = newTally(), newTally()
	var phase atomic.Int32
	lctx, stopLoad := context.WithTimeout(d.ctx, time.Minute)
	defer stopLoad()
	var wg sync.WaitGroup
	wg.Go(func() {
		load(lctx, c, 4, func(int, int) string { return "http://" + proxyAddr }, proxyPath, &phase, res.proxy)
	})
	wg.Go(func() {
		load(lctx, c, 2, func(w, i int) string { return "http://" + replicas[(w+i)%2].addr }, anyPath, &phase, res.direct)
	})
	err = d.pushUnderLoad(c, v2, replicas, &phase, res)
	time.Sleep(phaseTime)
	stopLoad()
	wg.Wait()
	if err != nil {
		return err
	}
	d.say("    load stopped: %d requests through nginx (%d failed), %d straight to the replicas (%d failed)",
		res.proxy.total, res.proxy.failed, res.direct.total, res.direct.failed)
	return nil
}

// pushUnderLoad deploys v2 to each replica in turn, waiting until it
// serves v2 before going on.
func (d *demo) pushUnderLoad(c *http.Client, v2 string, replicas []struct{ dir, addr string }, phase *atomic.Int32, res *results) error {
	for i, r := range replicas {
		time.Sleep(phaseTime)
		d.say("    -- replica %d (%s) --", i+1, r.addr)
		if err := d.deploy(v2, r.dir); err != nil {
			return err
		}
		took, err := waitVersion(d.ctx, c, "http://"+r.addr, "v2", 10*time.Second)
		if err != nil {
			return err
		}
		res.switched[i] = took
		phase.Add(1)
		d.say("    replica %d serves v2, %.2f s after the rename", i+1, took.Seconds())
	}
	return nil
}

// afterRollout is step (d): what the proxy and the replicas answer once
// every replica serves v2.
func (d *demo) afterRollout(c *http.Client, proxy string, res *results) {
	d.say("\n==> (d) after the rollout")
	res.afterOK = true
	cached, err := fetch(d.ctx, c, proxy+"/tags/kafka", nil)
	if err != nil {
		res.after = append(res.after, "error: "+err.Error())
		res.afterOK = false
		return
	}
	oldETag := cached.Header.Get("ETag")
	d.say("    GET /tags/kafka through nginx          %d  X-Cache-Status: %s  ETag: %s", cached.StatusCode, cached.Header.Get("X-Cache-Status"), oldETag)
	res.after = append(res.after, fmt.Sprintf("`/tags/kafka` through nginx: %s, %s (cached: `max-age=60`)",
		cached.Header.Get("X-Cache-Status"), versionOf(oldETag)))

	v1ETag := oldETag
	if versionOf(v1ETag) != "v1" {
		v1ETag = `"v1-0000000000000000"`
	}
	direct, err := fetch(d.ctx, c, "http://"+replica1+"/tags/kafka", http.Header{"If-None-Match": {v1ETag}})
	if err != nil {
		res.after = append(res.after, "error: "+err.Error())
		res.afterOK = false
		return
	}
	d.say("    GET /tags/kafka from replica 1, If-None-Match: %s  ->  %d  ETag: %s", v1ETag, direct.StatusCode, direct.Header.Get("ETag"))
	res.after = append(res.after, fmt.Sprintf("replica 1 asked with v1's ETag: %d, %s (no stale 304)", direct.StatusCode, versionOf(direct.Header.Get("ETag"))))
	if direct.StatusCode != http.StatusOK || versionOf(direct.Header.Get("ETag")) != "v2" {
		res.afterOK = false
	}

	fresh, err := fetch(d.ctx, c, proxy+"/tags/kafka.atom", nil)
	if err != nil {
		res.after = append(res.after, "error: "+err.Error())
		res.afterOK = false
		return
	}
	d.say("    GET /tags/kafka.atom through nginx     %d  X-Cache-Status: %s  ETag: %s", fresh.StatusCode, fresh.Header.Get("X-Cache-Status"), fresh.Header.Get("ETag"))
	res.after = append(res.after, fmt.Sprintf("`/tags/kafka.atom` (not cached yet) through nginx: %s, %s",
		fresh.Header.Get("X-Cache-Status"), versionOf(fresh.Header.Get("ETag"))))
	if fresh.StatusCode != http.StatusOK || versionOf(fresh.Header.Get("ETag")) != "v2" {
		res.afterOK = false
	}
}
