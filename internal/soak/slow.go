package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// controlCommand starts this program as the control server of point 8.
const controlCommand = "control-server"

// controlServer serves a static 200 on addr with net/http's defaults: no
// ReadHeaderTimeout, no ReadTimeout, no WriteTimeout, no IdleTimeout. It
// is what cardex's server would be without its timeouts.
func controlServer(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { // #nosec G112 -- the control run of point 8 needs a server without ReadHeaderTimeout
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
	})}
	return srv.Serve(ln)
}

// probeStats is what the probe saw: one GET /healthz on a new connection
// every 500 ms.
type probeStats struct {
	n, failed, slow int           // slow: 200 but in 100 ms or more
	max             time.Duration // of the successful ones
	firstFail       time.Duration // after the start, -1 if none
	lastErr         string
}

func (p probeStats) String() string {
	s := fmt.Sprintf("%d probes, %d failed, %d slower than 100 ms; slowest 200: %.1f ms", p.n, p.failed, p.slow, float64(p.max.Microseconds())/1000)
	if p.failed > 0 {
		s += fmt.Sprintf("; first failure after %s (%s)", secs(p.firstFail), p.lastErr)
	}
	return s
}

// probe GETs base/healthz every 500 ms until stop is closed.
func (s *soak) probe(base string, stop <-chan struct{}) probeStats {
	c := newClient(2*time.Second, false)
	st := probeStats{firstFail: -1}
	t0 := time.Now()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		start := time.Now()
		code, _, _, err := get(s.ctx, c, base+"/healthz")
		d := time.Since(start)
		st.n++
		switch {
		case err != nil || code != http.StatusOK:
			st.failed++
			if st.firstFail < 0 {
				st.firstFail = start.Sub(t0)
			}
			if err != nil {
				st.lastErr = err.Error()
			} else {
				st.lastErr = "status " + strconv.Itoa(code)
			}
		default:
			st.max = max(st.max, d)
			if d >= 100*time.Millisecond {
				st.slow++
			}
		}
		select {
		case <-stop:
			return st
		case <-s.ctx.Done():
			return st
		case <-tick.C:
		}
	}
}

// attack runs slowhttptest with args against a server while probing it,
// and returns the probe's figures and slowhttptest's summary.
func (s *soak) attack(name, base string, args ...string) (probeStats, string, error) {
	prefix := filepath.Join(s.run, name)
	argv := append([]string{"slowhttptest"}, args...)
	argv = append(argv, "-l", strconv.Itoa(int(s.cfg.slowTime.Seconds())), "-p", "2", "-g", "-o", prefix)
	s.say("    $ %s", strings.Join(argv, " "))
	stop := make(chan struct{})
	var st probeStats
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		st = s.probe(base, stop)
	}()
	var out bytes.Buffer
	p, err := s.start(name, &out, &out, argv...)
	if err != nil {
		close(stop)
		wg.Wait()
		return st, "", err
	}
	select {
	case <-p.Done():
	case <-s.ctx.Done():
		p.Kill()
	case <-time.After(s.cfg.slowTime + 30*time.Second):
		p.Kill()
	}
	close(stop)
	wg.Wait()
	if err := s.ctx.Err(); err != nil {
		return st, "", err
	}
	if err := os.WriteFile(prefix+".out", out.Bytes(), 0o644); err != nil {
		return st, "", err
	}
	return st, slowSummary(prefix + ".csv"), nil
}

// slowSummary reads slowhttptest's statistics (seconds, closed, pending,
// connected, service available) and says how many connections it held
// open at most and for how many seconds its own probe found the service
// unavailable.
func slowSummary(csvPath string) string {
	f, err := os.Open(csvPath)
	if err != nil {
		return "no statistics: " + err.Error()
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	maxConn, rows, down := 0, 0, 0
	for sc.Scan() {
		fields := strings.Split(sc.Text(), ",")
		if len(fields) < 5 {
			continue
		}
		conn, err := strconv.Atoi(strings.TrimSpace(fields[3]))
		if err != nil {
			continue // the header
		}
		rows++
		maxConn = max(maxConn, conn)
		if strings.TrimSpace(fields[4]) == "0" {
			down++
		}
	}
	return fmt.Sprintf("slowhttptest held up to %d connections open; its own probe found the service unavailable %d of %d s", maxConn, down, rows)
}

// slowClients is point 8: slowloris and slow read against cardex serve,
// then the same slowloris against a server without ReadHeaderTimeout.
// Both servers run with the same file-descriptor limit: a Go server spends
// a goroutine, not a thread, on a connection, so what slow clients can
// exhaust is descriptors.
func (s *soak) slowClients() error {
	s.say("==> 8. slowloris and slow read (slowhttptest), %s each, servers limited to %d file descriptors", s.cfg.slowTime, s.cfg.fdLimit)
	db, _, err := s.loadDB()
	if err != nil {
		return err
	}
	limit := []string{"prlimit", fmt.Sprintf("--nofile=%d:%d", s.cfg.fdLimit, s.cfg.fdLimit)}
	srv, err := s.serve("serve-slow", db, limit)
	if err != nil {
		return err
	}
	s.say("    cardex serve: %s", openFilesLimit(srv.p.Pid()))
	conns, rate := strconv.Itoa(s.cfg.slowConns), "50"
	loris := []string{"-H", "-c", conns, "-r", rate, "-i", "10", "-x", "24", "-t", "GET"}
	st, summary, err := s.attack("slowloris-cardex", srv.base, append(loris, "-u", srv.base+"/")...)
	if err != nil {
		return err
	}
	s.say("      %s", summary)
	s.record("8", fmt.Sprintf("slowloris (-H, %s connections at %s/s, %s) on cardex serve: /healthz probe", conns, rate, s.cfg.slowTime),
		st.String()+"; "+summary, "every probe 200 in < 100 ms", st.failed == 0 && st.slow == 0 && st.n > 0)
	slowRead := []string{"-X", "-c", "300", "-r", rate, "-w", "512", "-y", "1024", "-n", "5", "-z", "32", "-k", "3", "-u", srv.base + "/tags.json"}
	st, summary, err = s.attack("slowread-cardex", srv.base, slowRead...)
	if err != nil {
		return err
	}
	s.say("      %s", summary)
	s.record("8", fmt.Sprintf("slow read (-X, 300 connections at %s/s, window 512-1024 B, %s) on cardex serve: /healthz probe", rate, s.cfg.slowTime),
		st.String()+"; "+summary, "every probe 200 in < 100 ms", st.failed == 0 && st.slow == 0 && st.n > 0)
	errs := srv.log.counts().errors
	s.record("8", "ERROR lines in cardex's log during both attacks", strconv.FormatInt(errs, 10), "0", errs == 0)
	srv.p.Stop()

	// The control: the same attack on a server without ReadHeaderTimeout.
	self, err := os.Executable()
	if err != nil {
		return err
	}
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	argv := append(append([]string{}, limit...), self, controlCommand, addr)
	s.say("    $ %s   (net/http with no timeouts, a static 200)", strings.Join(argv, " "))
	ctlLog, err := os.Create(filepath.Join(s.run, "control.log"))
	if err != nil {
		return err
	}
	defer ctlLog.Close()
	ctl, err := s.start("control server", ctlLog, ctlLog, argv...)
	if err != nil {
		return err
	}
	base := "http://" + addr
	if err := s.waitHealthy(ctl, base, 10*time.Second); err != nil {
		return err
	}
	s.say("    control server: %s", openFilesLimit(ctl.Pid()))
	st, summary, err = s.attack("slowloris-control", base, append(loris, "-u", base+"/")...)
	if err != nil {
		return err
	}
	s.say("      %s", summary)
	ctl.Stop()
	logged, _ := os.ReadFile(ctlLog.Name())
	emfile := strings.Count(string(logged), "too many open files")
	s.record("8", "control: the same slowloris on a server without ReadHeaderTimeout", fmt.Sprintf("%s; %s; %d accept errors \"too many open files\" logged",
		st, summary, emfile), "unavailable (probes fail)", st.failed > 0)
	return nil
}

// openFilesLimit reads the "Max open files" line of /proc/PID/limits.
func openFilesLimit(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/limits")
	if err != nil {
		return err.Error()
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "Max open files") {
			return strings.Join(strings.Fields(line), " ")
		}
	}
	return "no open-files limit found"
}
