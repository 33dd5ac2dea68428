package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"cardex/internal/wrk"
)

// sustainedLoad is point 7: wrk on a mixed URL set gives no socket error
// and no 5xx; the server's RSS levels off; its file descriptors return to
// their baseline; clients that hang up are not logged as errors.
func (s *soak) sustainedLoad() error {
	s.say("==> 7. sustained load: %s of wrk -t2 -c%d on a mixed URL set", s.cfg.loadTime, s.cfg.loadConns)
	db, _, err := s.loadDB()
	if err != nil {
		return err
	}
	srv, err := s.serve("serve-load", db, nil)
	if err != nil {
		return err
	}
	pid := srv.p.Pid()
	mix, err := s.urlMix(srv.base)
	if err != nil {
		return err
	}
	checked, wrong := s.checkMix(srv.base, mix)
	for i, w := range wrong {
		if i == 5 {
			s.say("      … and %d more", len(wrong)-i)
			break
		}
		s.say("      %s", w)
	}
	s.record("7", "the URL mix, each path fetched once before the load", fmt.Sprintf("%d paths (%s); %d fetched, %d with another status",
		len(mix), describeMix(mix), checked, len(wrong)), "each its expected 200, 400 or 404", len(wrong) == 0)
	paths := make([]string, len(mix))
	for i, t := range mix {
		paths[i] = t.path
	}

	// The baseline: idle, the SQLite pool opened by the check above.
	if err := s.sleep(time.Second); err != nil {
		return err
	}
	baseFD, err := fdCount(pid)
	if err != nil {
		return err
	}
	baseRSS, _ := procStatus(pid, "VmRSS")
	s.say("    before the load: VmRSS %s, %d file descriptors", mb(baseRSS), baseFD)
	before := srv.log.counts()
	var out bytes.Buffer
	w, err := s.startWrk("load", srv.base, paths, 2, s.cfg.loadConns, s.cfg.loadTime, &out)
	if err != nil {
		return err
	}
	var rss []int64
	var peakFD int
	tick := time.NewTicker(5 * time.Second)
	t0 := time.Now()
sampling:
	for {
		select {
		case <-s.ctx.Done():
			tick.Stop()
			return s.ctx.Err()
		case <-w.Done():
			break sampling
		case <-tick.C:
			r, err := procStatus(pid, "VmRSS")
			if err != nil {
				tick.Stop()
				return fmt.Errorf("the server is gone: %w", err)
			}
			fd, _ := fdCount(pid)
			peakFD = max(peakFD, fd)
			rss = append(rss, r)
			s.say("      %3.0f s: VmRSS %s, %d file descriptors", time.Since(t0).Seconds(), mb(r), fd)
		}
	}
	tick.Stop()
	res, err := wrk.Parse(out.String())
	if err != nil {
		return err
	}
	during := srv.log.counts().since(before)
	s.say("    wrk: %s", res)
	s.say("    server log: %s", during)
	s.record("7", fmt.Sprintf("%s of wrk -t2 -c%d", s.cfg.loadTime, s.cfg.loadConns), fmt.Sprintf("%d requests (%.0f req/s), p99 %.0f ms; socket errors %d",
		res.Requests, res.RPS(), float64(res.P99US)/1000, res.SocketErrors()), "0 socket errors", res.SocketErrors() == 0 && res.Requests > 0)
	s.record("7", "responses by status (server log)", fmt.Sprintf("%d × 2xx, %d × 3xx, %d × 4xx, %d × 5xx (wrk: %d not 2xx/3xx)",
		during.byClass[2], during.byClass[3], during.byClass[4], during.byClass[5], res.Status), "0 × 5xx", during.byClass[5] == 0 && during.requests > 0)
	hwm, _ := procStatus(pid, "VmHWM")
	if len(rss) >= 3 {
		last := rss[len(rss)-3:]
		lo, hi := min(last[0], last[1], last[2]), max(last[0], last[1], last[2])
		spread := float64(hi-lo) / float64(lo)
		s.record("7", "server RSS, the last three samples (every 5 s)", fmt.Sprintf("%s, %s, %s: spread %.1f%% (before the load %s, peak VmHWM %s)",
			mb(last[0]), mb(last[1]), mb(last[2]), 100*spread, mb(baseRSS), mb(hwm)), "within 10%", spread <= 0.10)
	} else {
		s.record("7", "server RSS samples", fmt.Sprintf("%d samples", len(rss)), "at least 3", false)
	}

	// Clients that hang up: a CSV download dropped after 4 KB, and
	// uncached pages whose client gives up after 2 ms.
	before = srv.log.counts()
	dropped := s.hangUps(srv.base, 40)
	hung := srv.log.counts().since(before)
	s.record("7", "clients hanging up (not logged as errors)", fmt.Sprintf("%d requests dropped by their client: %s", dropped, hung),
		"0 ERROR lines", hung.errors == 0)
	// What a dropped download leaves behind: the next client must get
	// the whole CSV, one row per article.
	rows, total, err := s.csvRows(srv.base)
	if err != nil {
		return err
	}
	s.record("7", "/index.csv in full after downloads dropped by their clients", fmt.Sprintf("%d rows for %d articles", rows, total),
		"every article", rows == total)

	// File descriptors back to the baseline once the clients are gone.
	fd, waited := 0, time.Duration(0)
	for t1 := time.Now(); ; {
		fd, err = fdCount(pid)
		if err != nil {
			return err
		}
		waited = time.Since(t1)
		if fd <= baseFD || waited > 15*time.Second {
			break
		}
		if err := s.sleep(250 * time.Millisecond); err != nil {
			return err
		}
	}
	s.record("7", "file descriptors after the load", fmt.Sprintf("%d before, up to %d during (sampled), %d after (%s after the clients left)",
		baseFD, peakFD, fd, secs(waited)), "back to the baseline", fd <= baseFD)
	all := srv.log.counts()
	kept := srv.log.keptLines()
	for i, l := range kept {
		if i == 5 {
			break
		}
		s.say("      log: %s", l)
	}
	s.record("7", "ERROR lines in the server log, whole run", strconv.FormatInt(all.errors, 10)+" ("+strconv.FormatInt(all.warns, 10)+" WARN)", "0", all.errors == 0)
	srv.p.Stop()
	return nil
}

// csvRows fetches /index.csv and /index.json and returns the CSV's rows
// (without its header) and the listing's total.
func (s *soak) csvRows(base string) (rows, total int, err error) {
	c := newClient(60*time.Second, false)
	var home listingJSON
	if err := s.getJSON(c, base+"/index.json", &home); err != nil {
		return 0, 0, err
	}
	code, _, body, err := get(s.ctx, c, base+"/index.csv")
	if err != nil {
		return 0, 0, err
	}
	if code != http.StatusOK {
		return 0, 0, fmt.Errorf("GET /index.csv: %d", code)
	}
	recs, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil {
		// A row cut in the middle: count what parsed.
		return len(recs) - 1, home.Total, nil
	}
	return len(recs) - 1, home.Total, nil
}

// hangUps makes n requests that the client drops before the end: half
// read 4 KB of the home listing's CSV (every card) and close, half give up
// on an uncached deep page after 2 ms. It returns how many were dropped.
func (s *soak) hangUps(base string, n int) int {
	c := newClient(10*time.Second, false)
	var dropped atomic.Int64
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithCancel(s.ctx)
			defer cancel()
			url := base + "/index.csv"
			if i%2 == 1 {
				var cancelTimer context.CancelFunc
				ctx, cancelTimer = context.WithTimeout(ctx, 2*time.Millisecond)
				defer cancelTimer()
				url = base + "/?sort=oldest&per=" + strconv.Itoa(11+i) + "&page=" + strconv.Itoa(40+i)
			}
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			if err != nil {
				return
			}
			resp, err := c.Do(req)
			if err != nil {
				if strings.Contains(err.Error(), "deadline") || strings.Contains(err.Error(), "canceled") {
					dropped.Add(1)
				}
				return
			}
			_, err = io.CopyN(io.Discard, resp.Body, 4096)
			resp.Body.Close()
			if err == nil {
				dropped.Add(1)
			}
		}()
	}
	wg.Wait()
	// Let the server notice and log them.
	s.sleep(time.Second)
	return int(dropped.Load())
}
