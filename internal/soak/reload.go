package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"cardex/internal/wrk"
)

// etagVersion is the dataset version an ETag names ("v12.<time>-<hash>"),
// or -1.
func etagVersion(etag string) int64 {
	e := strings.TrimPrefix(strings.Trim(strings.TrimPrefix(etag, "W/"), `"`), "v")
	if i := strings.IndexAny(e, ".-"); i >= 0 {
		e = e[:i]
	}
	v, err := strconv.ParseInt(e, 10, 64)
	if err != nil {
		return -1
	}
	return v
}

// observations is what the checking clients of point 9 saw.
type observations struct {
	mu        sync.Mutex
	n, failed int
	firstErr  string
	inconsist []string                         // responses inconsistent in themselves
	totals    map[string]map[int64]map[int]int // URL -> version -> total -> responses
	firstSeen map[int64]time.Time
}

func (o *observations) add(url string, code int, etag string, body []byte, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.n++
	if err != nil || code != 200 {
		o.failed++
		if o.firstErr == "" {
			o.firstErr = fmt.Sprintf("%s: %d %v", url, code, err)
		}
		return
	}
	v := etagVersion(etag)
	var l listingJSON
	if err := json.Unmarshal(body, &l); err != nil || v < 0 {
		o.failed++
		if o.firstErr == "" {
			o.firstErr = fmt.Sprintf("%s: ETag %q, %v", url, etag, err)
		}
		return
	}
	if _, ok := o.firstSeen[v]; !ok {
		o.firstSeen[v] = time.Now()
	}
	// Within one response: the page holds what the total says it should
	// (a listing counted up to a bound says only that there are more).
	if want := min(l.Per, max(l.Total-(l.Page-1)*l.Per, 0)); !l.More && len(l.Articles) != want && len(o.inconsist) < 10 {
		o.inconsist = append(o.inconsist, fmt.Sprintf("%s (v%d): total %d, page %d of %d per page, %d articles", url, v, l.Total, l.Page, l.Per, len(l.Articles)))
	}
	if o.totals[url] == nil {
		o.totals[url] = map[int64]map[int]int{}
	}
	if o.totals[url][v] == nil {
		o.totals[url][v] = map[int]int{}
	}
	o.totals[url][v][l.Total]++
}

// reloadUnderLoad is the long version of point 9: re-imports while wrk
// and checking clients load the server; no request fails, and every
// response is wholly the old dataset or wholly the new one.
func (s *soak) reloadUnderLoad() error {
	s.say("==> 9. %d re-imports during %s of load (wrk -t2 -c32 and 4 checking clients)", s.cfg.reimports, s.cfg.reloadTime)
	pagesDir, err := s.corpus(40*s.cfg.reimports, s.cfg.seed+100, 20)
	if err != nil {
		return err
	}
	pages, err := filepath.Glob(filepath.Join(pagesDir, "*.txt"))
	if err != nil {
		return err
	}
	sort.Strings(pages)
	if len(pages) < s.cfg.reimports {
		return fmt.Errorf("%s holds %d pages, fewer than %d re-imports", pagesDir, len(pages), s.cfg.reimports)
	}
	db, err := s.freshCopy(filepath.Join(s.run, "reload"))
	if err != nil {
		return err
	}
	srv, err := s.serve("serve-reload", db, nil, "--reload", "1s")
	if err != nil {
		return err
	}
	mix, err := s.urlMix(srv.base)
	if err != nil {
		return err
	}
	var valid []string
	for _, t := range mix {
		// Valid before the imports, valid after: they only add cards.
		if t.want == 200 {
			valid = append(valid, t.path)
		}
	}
	var first listingJSON
	c := newClient(10*time.Second, true)
	code, h, body, err := get(s.ctx, c, srv.base+"/index.json")
	if err != nil || code != 200 {
		return fmt.Errorf("GET /index.json: %d %v", code, err)
	}
	if err := json.Unmarshal(body, &first); err != nil {
		return err
	}
	expected := map[int64]int{etagVersion(h.Get("ETag")): first.Total}
	tag := mix[0].path
	for _, t := range mix {
		if strings.HasPrefix(t.path, "/tags/") && !strings.ContainsAny(t.path, "?.") {
			tag = t.path
			break
		}
	}
	checked := []string{"/index.json", "/index.json?per=10&page=2", jsonTwin(tag), jsonTwin(tag) + "?per=10"}

	obs := &observations{totals: map[string]map[int64]map[int]int{}, firstSeen: map[int64]time.Time{}}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := newClient(10*time.Second, true)
			defer c.CloseIdleConnections()
			for j := i; ; j++ {
				select {
				case <-stop:
					return
				default:
				}
				u := checked[j%len(checked)]
				code, h, body, err := get(s.ctx, c, srv.base+u)
				if s.ctx.Err() != nil {
					return
				}
				obs.add(u, code, h.Get("ETag"), body, err)
			}
		}()
	}
	before := srv.log.counts()
	var out bytes.Buffer
	w, err := s.startWrk("reload", srv.base, valid, 2, 32, s.cfg.reloadTime, &out)
	if err != nil {
		close(stop)
		wg.Wait()
		return err
	}
	t0 := time.Now()
	gap := (s.cfg.reloadTime - 4*time.Second) / time.Duration(s.cfg.reimports)
	type imported struct {
		version, added int64
		done           time.Time
		took           time.Duration
	}
	var imports []imported
	var importErr error
	for k := range s.cfg.reimports {
		if err := s.sleep(time.Until(t0.Add(1500*time.Millisecond + time.Duration(k)*gap))); err != nil {
			importErr = err
			break
		}
		res, err := s.execute("re-import", s.cfg.cardex, "import", "-q", "--db", db, pages[k])
		if err != nil {
			importErr = err
			break
		}
		if res.code != 0 {
			importErr = fmt.Errorf("re-import %d (%s): exit %d: %s", k+1, pages[k], res.code, res.stderr)
			break
		}
		v, added := importVersion(res.stdout)
		imports = append(imports, imported{version: v, added: added, done: time.Now(), took: res.wall})
		s.say("      %5.1f s: import %2d of %s: %d new cards, dataset version %d, in %s", time.Since(t0).Seconds(), k+1, filepath.Base(pages[k]), added, v, secs(res.wall))
	}
	werr := s.wait(w)
	close(stop)
	wg.Wait()
	if importErr != nil {
		return importErr
	}
	if werr != nil && s.ctx.Err() != nil {
		return werr
	}
	res, err := wrk.Parse(out.String())
	if err != nil {
		return err
	}
	during := srv.log.counts().since(before)
	s.say("    wrk: %s", res)
	s.say("    server log: %s; %d reopenings logged", during, during.reopened)

	// What each version's listing must say: the first one's total plus
	// the cards each import added.
	prev := first.Total
	for _, im := range imports {
		prev += int(im.added)
		expected[im.version] = prev
	}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	var mixes []string
	for u, byVersion := range obs.totals {
		for v, totals := range byVersion {
			if len(totals) > 1 {
				mixes = append(mixes, fmt.Sprintf("%s v%d: totals %v", u, v, totals))
			}
			if u == "/index.json" {
				for t := range totals {
					if want, ok := expected[v]; !ok || t != want {
						mixes = append(mixes, fmt.Sprintf("%s v%d: total %d, the dataset has %d", u, v, t, want))
					}
				}
			}
		}
	}
	sort.Strings(mixes)
	var lag time.Duration
	for _, im := range imports {
		if seen, ok := obs.firstSeen[im.version]; ok {
			lag = max(lag, seen.Sub(im.done))
		} else {
			lag = -1
			break
		}
	}
	var took time.Duration
	for _, im := range imports {
		took = max(took, im.took)
	}
	failed := int64(obs.failed) + res.SocketErrors() + res.Status
	s.record("9", fmt.Sprintf("%d re-imports during %s of load", len(imports), s.cfg.reloadTime),
		fmt.Sprintf("wrk %d requests (%.0f req/s): %d socket errors, %d not 2xx/3xx; checking clients %d requests, %d failed; server log: %d × 4xx, %d × 5xx",
			res.Requests, res.RPS(), res.SocketErrors(), res.Status, obs.n, obs.failed, during.byClass[4], during.byClass[5]),
		"0 failed requests", failed == 0 && during.byClass[4]+during.byClass[5] == 0 && len(imports) == s.cfg.reimports)
	s.record("9", "every response wholly one dataset",
		fmt.Sprintf("%d versions seen by the checking clients (of %d published), %d JSON responses: %d mixed or wrong totals, %d inconsistent pages",
			len(obs.firstSeen), len(imports)+1, obs.n-obs.failed, len(mixes), len(obs.inconsist)),
		"0 mixed", len(mixes) == 0 && len(obs.inconsist) == 0 && len(obs.firstSeen) >= 2)
	lagText := "a version was never seen"
	if lag >= 0 {
		lagText = fmt.Sprintf("at most %s from an import's end to the first response from its data (--reload 1s); imports took up to %s; %d reopenings logged",
			secs(lag), secs(took), during.reopened)
	}
	s.record("9", "the server picks up each new database", lagText, "every version seen", lag >= 0 && len(obs.firstSeen) == len(imports)+1)
	for i, m := range append(mixes, obs.inconsist...) {
		if i == 5 {
			break
		}
		s.say("      %s", m)
	}
	if obs.firstErr != "" {
		s.say("      first failure: %s", obs.firstErr)
	}
	left := temps(db)
	s.record("9", "temp files beside the database after the imports", strconv.Itoa(len(left))+" "+strings.Join(left, " "), "0", len(left) == 0)
	srv.p.Stop()
	return os.WriteFile(filepath.Join(s.run, "reload-expected.txt"), []byte(fmt.Sprint(expected)), 0o644)
}
