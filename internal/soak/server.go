package main

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"cardex/internal/procs"
	"cardex/internal/wrk"
)

// server is a `cardex serve` this run started, with its log counted.
type server struct {
	p    *procs.Proc
	base string // http://127.0.0.1:port
	log  *logCounter
}

// serve starts `cardex serve --db db` on a free loopback port, with the
// extra flags, optionally under prlimit (argv prefix), and waits until
// /healthz answers.
func (s *soak) serve(name, db string, prefix []string, extra ...string) (*server, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	lc, err := newLogCounter(filepath.Join(s.run, name+".log"))
	if err != nil {
		return nil, err
	}
	argv := append(append(append([]string{}, prefix...), s.cfg.cardex, "serve", "--db", db, "--addr", addr), extra...)
	s.say("    $ %s   (log: %s, request lines counted, not kept)", strings.Join(argv, " "), lc.path)
	p, err := s.start(name, lc, lc, argv...)
	if err != nil {
		return nil, err
	}
	srv := &server{p: p, base: "http://" + addr, log: lc}
	if err := s.waitHealthy(p, srv.base, 20*time.Second); err != nil {
		return nil, err
	}
	return srv, nil
}

// freeAddr returns a loopback address with a port free right now.
func freeAddr() (string, error) {
	port, err := procs.FreePort()
	return "127.0.0.1:" + strconv.Itoa(port), err
}

// waitHealthy polls base/healthz until it answers 200.
func (s *soak) waitHealthy(p *procs.Proc, base string, limit time.Duration) error {
	c := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(limit)
	for {
		if p.Exited() {
			return fmt.Errorf("%s exited before it answered (%v)", p.Name, p.Err())
		}
		if resp, err := c.Get(base + "/healthz"); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not answer %s/healthz within %s", p.Name, base, limit)
		}
		if err := s.sleep(50 * time.Millisecond); err != nil {
			return err
		}
	}
}

// logCounter reads a server's JSON log: it counts the request lines by
// status class and keeps every other line (in a file, and the errors and
// warnings in memory).
type logCounter struct {
	path string
	mu   sync.Mutex
	f    *os.File
	part []byte
	logCounts
	kept []string // ERROR and WARN lines, the first 50
}

// logCounts are a log's totals so far.
type logCounts struct {
	requests int64
	byClass  [6]int64 // by status / 100
	errors   int64    // lines at level ERROR
	warns    int64    // lines at level WARN
	reopened int64    // "reopened the published database"
}

func newLogCounter(path string) (*logCounter, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	return &logCounter{path: path, f: f}, nil
}

var (
	requestMark = []byte(`"msg":"request"`)
	statusMark  = []byte(`"status":`)
)

func (l *logCounter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.part = append(l.part, p...)
	for {
		i := bytes.IndexByte(l.part, '\n')
		if i < 0 {
			break
		}
		l.line(l.part[:i])
		l.part = l.part[i+1:]
	}
	return len(p), nil
}

func (l *logCounter) line(b []byte) {
	isError := bytes.Contains(b, []byte(`"level":"ERROR"`))
	isWarn := bytes.Contains(b, []byte(`"level":"WARN"`))
	if isError {
		l.errors++
	}
	if isWarn {
		l.warns++
	}
	if bytes.Contains(b, requestMark) {
		l.requests++
		if j := bytes.Index(b, statusMark); j >= 0 {
			rest := b[j+len(statusMark):]
			k := 0
			for k < len(rest) && rest[k] >= '0' && rest[k] <= '9' {
				k++
			}
			if code, err := strconv.Atoi(string(rest[:k])); err == nil && code/100 < len(l.byClass) {
				l.byClass[code/100]++
			}
		}
		if !isError && !isWarn {
			return
		}
	}
	if bytes.Contains(b, []byte("reopened the published database")) {
		l.reopened++
	}
	if (isError || isWarn) && len(l.kept) < 50 {
		l.kept = append(l.kept, string(b))
	}
	l.f.Write(append(b, '\n'))
}

// counts returns the totals so far.
func (l *logCounter) counts() logCounts {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.logCounts
}

// since returns the totals since an earlier reading.
func (c logCounts) since(old logCounts) logCounts {
	d := logCounts{requests: c.requests - old.requests, errors: c.errors - old.errors, warns: c.warns - old.warns, reopened: c.reopened - old.reopened}
	for i := range c.byClass {
		d.byClass[i] = c.byClass[i] - old.byClass[i]
	}
	return d
}

func (c logCounts) String() string {
	return fmt.Sprintf("%d requests logged: %d × 2xx, %d × 3xx, %d × 4xx, %d × 5xx; %d ERROR, %d WARN lines",
		c.requests, c.byClass[2], c.byClass[3], c.byClass[4], c.byClass[5], c.errors, c.warns)
}

func (l *logCounter) keptLines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.kept...)
}

// startWrk starts wrk for d against base, cycling through the paths.
func (s *soak) startWrk(name, base string, paths []string, threads, conns int, d time.Duration, out *bytes.Buffer) (*procs.Proc, error) {
	script := filepath.Join(s.run, "cycle.lua")
	if err := os.WriteFile(script, wrk.Script, 0o644); err != nil {
		return nil, err
	}
	list := filepath.Join(s.run, name+"-urls.txt")
	if err := os.WriteFile(list, []byte(strings.Join(paths, "\n")+"\n"), 0o644); err != nil {
		return nil, err
	}
	argv := []string{"wrk", "-t" + strconv.Itoa(threads), "-c" + strconv.Itoa(conns), "-d" + strconv.Itoa(int(d.Seconds())) + "s",
		"--timeout", "10s", "-s", script, base, "--", list}
	s.say("    $ %s   (%d paths)", strings.Join(argv, " "), len(paths))
	return s.start("wrk", out, out, argv...)
}

// get fetches a URL without following redirects and returns its status
// and body.
func get(ctx context.Context, c *http.Client, url string) (int, http.Header, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, nil, nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, body, err
}

// newClient is an HTTP client that does not follow redirects.
func newClient(timeout time.Duration, keepAlive bool) *http.Client {
	return &http.Client{
		Timeout:       timeout,
		Transport:     &http.Transport{DisableKeepAlives: !keepAlive, MaxIdleConnsPerHost: 64},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
