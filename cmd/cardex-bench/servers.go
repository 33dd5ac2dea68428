package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"cardex/internal/procs"
)

// startProc starts a long-running process in the run's group (see
// package procs).
func (b *bench) startProc(name string, cmd *exec.Cmd) (*procs.Proc, error) {
	return b.procs.Start(name, cmd)
}

// server is what the wrk rounds run against.
type server struct {
	cardex    string // base URL of cardex serve
	nginx     string // URL of the saved page on nginx
	pid       int    // cardex serve's pid
	cardexP   *procs.Proc
	pagePath  string // the page saved for nginx
	pageBytes int
	logLines  *lineCounter
}

// waitHTTP waits until url answers 200.
func waitHTTP(ctx context.Context, url string, p *procs.Proc, within time.Duration) error {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if p.Exited() {
			return fmt.Errorf("%s exited: %v", p.Name, p.Cmd.ProcessState)
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s did not answer %s within %s", p.Name, url, within)
}

// lineCounter keeps cardex serve's log out of the way: it counts the
// lines (one per request) and keeps the first warnings and errors.
type lineCounter struct {
	mu     sync.Mutex
	lines  int
	errors []string
}

func (l *lineCounter) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		l.mu.Lock()
		l.lines++
		if !strings.Contains(line, `"level":"INFO"`) && len(l.errors) < 20 {
			l.errors = append(l.errors, line)
		}
		l.mu.Unlock()
	}
}

func (b *bench) startServers(ctx context.Context, db string) (*server, error) {
	// Warm the OS cache: the goals are for a warm cache.
	if f, err := os.Open(db); err == nil {
		io.Copy(io.Discard, f)
		f.Close()
	}
	port, err := procs.FreePort()
	if err != nil {
		return nil, err
	}
	s := &server{cardex: fmt.Sprintf("http://127.0.0.1:%d", port), logLines: &lineCounter{}}
	// No access log, as nginx below has none (access_log off): both
	// servers log failures only.
	cmd := exec.Command(b.cardex, "serve", "--db", db, "--addr", fmt.Sprintf("127.0.0.1:%d", port), "--access-log=false")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	p, err := b.startProc("cardex serve", cmd)
	if err != nil {
		return nil, err
	}
	go s.logLines.read(stderr)
	s.cardexP, s.pid = p, cmd.Process.Pid
	if err := waitHTTP(ctx, s.cardex+"/healthz", p, 2*time.Minute); err != nil {
		time.Sleep(100 * time.Millisecond) // let the log reader catch up
		s.logLines.mu.Lock()
		defer s.logLines.mu.Unlock()
		return nil, fmt.Errorf("%w\n%s", err, strings.Join(s.logLines.errors, "\n"))
	}
	b.logf("cardex serve (pid %d) on %s", s.pid, s.cardex)
	return s, nil
}

// startNginx serves page (a saved cardex page) as a static file.
func (b *bench) startNginx(ctx context.Context, s *server, page []byte) error {
	root, err := filepath.Abs(b.path("nginx"))
	if err != nil {
		return err
	}
	if err := os.RemoveAll(root); err != nil {
		return err
	}
	for _, d := range []string{"static", "temp", "logs"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			return err
		}
	}
	s.pagePath = filepath.Join(root, "static", "page.html")
	s.pageBytes = len(page)
	if err := os.WriteFile(s.pagePath, page, 0o644); err != nil {
		return err
	}
	port, err := procs.FreePort()
	if err != nil {
		return err
	}
	conf := fmt.Sprintf(`# Written by cardex-bench: the static reference, on loopback only.
worker_processes 2;
daemon off;
pid %[1]s/nginx.pid;
error_log %[1]s/logs/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    default_type "text/html; charset=utf-8";
    client_body_temp_path %[1]s/temp;
    server {
        listen 127.0.0.1:%[2]d;
        root %[1]s/static;
    }
}
`, root, port)
	confPath := filepath.Join(root, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		return err
	}
	cmd := exec.Command(b.tools.nginx, "-e", filepath.Join(root, "logs", "error.log"), "-p", root, "-c", confPath)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	p, err := b.startProc("nginx", cmd)
	if err != nil {
		return err
	}
	s.nginx = fmt.Sprintf("http://127.0.0.1:%d/page.html", port)
	if err := waitHTTP(ctx, s.nginx, p, 20*time.Second); err != nil {
		log, _ := os.ReadFile(filepath.Join(root, "logs", "error.log"))
		return fmt.Errorf("%w\n%s%s", err, out.String(), log)
	}
	b.logf("nginx (pid %d) serves a %d-byte page at %s", cmd.Process.Pid, len(page), s.nginx)
	return nil
}

// rss reads VmRSS and VmHWM (KiB) of pid.
func rss(pid int) (cur, peak int64) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		n, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			cur = n
		case "VmHWM:":
			peak = n
		}
	}
	return cur, peak
}
