package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestMain lets a test run the real program as a subprocess: with
// CARDEX_TEST_MAIN=1 the test binary is cardex.
func TestMain(m *testing.M) {
	if os.Getenv("CARDEX_TEST_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// freeAddr returns a loopback address with a port free right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// waitHealthy polls base/healthz until it answers 200.
func waitHealthy(t *testing.T, base string, done <-chan error) {
	t.Helper()
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case err := <-done:
			t.Fatalf("serve returned before it was healthy: %v", err)
		default:
		}
		if resp, err := client.Get(base + "/healthz"); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("GET /healthz did not answer 200 within 10s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// startServe runs `cardex serve --db db` (plus extra flags) in-process
// until the test ends, and returns its base URL and log.
func startServe(t *testing.T, db string, extra ...string) (string, *syncBuffer) {
	t.Helper()
	addr := freeAddr(t)
	ctx, stop := context.WithCancel(context.Background())
	log := new(syncBuffer)
	done := make(chan error, 1)
	args := append([]string{"serve", "--db", db, "--addr", addr}, extra...)
	go func() { done <- run(ctx, args, func(string) string { return "" }, strings.NewReader(""), log, log) }()
	t.Cleanup(func() {
		stop()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(shutdownTimeout + time.Second):
			t.Error("serve did not stop")
		}
	})
	base := "http://" + addr
	waitHealthy(t, base, done)
	return base, log
}

// A server reopens the database each time an import publishes a new one,
// under load, without failing a request; every response comes wholly from
// one dataset version.
func TestReloadUnderLoad(t *testing.T) {
	dir, db := importedSeed(t)
	base, log := startServe(t, db, "--reload", "20ms")

	var (
		mu       sync.Mutex
		failures []string
		byVer    = map[string]map[int]bool{}
		requests int
	)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 5 * time.Second}
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := client.Get(base + "/index.json?per=10")
				if err != nil {
					mu.Lock()
					failures = append(failures, err.Error())
					mu.Unlock()
					continue
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				var res struct {
					Total  int `json:"total"`
					Facets struct {
						Categories []struct {
							Count int `json:"count"`
						} `json:"categories"`
					} `json:"facets"`
				}
				err = json.Unmarshal(body, &res)
				mu.Lock()
				requests++
				if resp.StatusCode != 200 || err != nil {
					failures = append(failures, resp.Status+" "+string(body[:min(len(body), 200)]))
				} else {
					v, _, _ := strings.Cut(strings.Trim(resp.Header.Get("ETag"), `"`), "-")
					if byVer[v] == nil {
						byVer[v] = map[int]bool{}
					}
					byVer[v][res.Total] = true
				}
				mu.Unlock()
			}
		}()
	}
	// Re-import six times: the seed plus a second page whose first card's
	// likes change each time, so that each import is a new version.
	body, err := os.ReadFile("testdata/heldout/dev-kafka-page-3.txt")
	if err != nil {
		t.Fatal(err)
	}
	likes := regexp.MustCompile(`(?m)^[0-9]+ likes · `)
	for i := range 6 {
		page := filepath.Join(dir, "dev-kafka-page-3.txt")
		n := 0
		changed := likes.ReplaceAllStringFunc(string(body), func(m string) string {
			if n++; n == 1 {
				return strconv.Itoa(1000+i) + " likes · "
			}
			return m
		})
		if err := os.WriteFile(page, []byte(changed), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, stderr, err := cardex(t, "import", "-q", "--db", db, seed, page); err != nil {
			t.Fatalf("import %d: %v\n%s", i, err, stderr)
		}
		time.Sleep(150 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	if len(failures) > 0 {
		t.Errorf("%d of %d requests failed during re-imports, e.g. %s", len(failures), requests, failures[0])
	}
	for v, totals := range byVer {
		if len(totals) != 1 {
			t.Errorf("dataset %s answered with totals %v: a response mixed two datasets", v, totals)
		}
	}
	if len(byVer) < 2 {
		t.Errorf("only %d dataset versions seen; the server did not reopen the new database\n%s", len(byVer), log.String())
	}
	t.Logf("%d requests, %d dataset versions seen, 0 failures", requests, len(byVer))
	// No temporary files are left beside the database.
	left, _ := filepath.Glob(db + ".import-*")
	if len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// On shutdown, a request in flight finishes, new connections are refused,
// and serving returns in time.
func TestGracefulShutdown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	started := make(chan struct{})
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			close(started)
			time.Sleep(500 * time.Millisecond)
		}
		io.WriteString(w, "done")
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serveHTTP(ctx, ln, slow, slog.New(slog.DiscardHandler)) }()
	waitHealthy(t, base, done)

	result := make(chan string, 1)
	go func() {
		resp, err := http.Get(base + "/slow")
		if err != nil {
			result <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		result <- resp.Status + " " + string(b)
	}()
	<-started
	cancel()
	t0 := time.Now()
	if got := <-result; got != "200 OK done" {
		t.Errorf("the request in flight got %q", got)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serveHTTP: %v", err)
		}
	case <-time.After(shutdownTimeout):
		t.Fatal("serveHTTP did not return")
	}
	if d := time.Since(t0); d > 2*time.Second {
		t.Errorf("shutdown took %v", d)
	}
	if _, err := (&http.Client{Timeout: time.Second}).Get(base + "/"); err == nil {
		t.Error("a new connection was accepted after shutdown")
	}
}

// The real binary exits 0 on SIGTERM.
func TestSIGTERMExitsCleanly(t *testing.T) {
	db := filepath.Join(t.TempDir(), "cardex.db")
	if _, stderr, err := cardex(t, "import", "-q", "--db", db, seed); err != nil {
		t.Fatalf("import: %v\n%s", err, stderr)
	}
	addr := freeAddr(t)
	cmd := exec.Command(os.Args[0], "serve", "--db", db, "--addr", addr)
	cmd.Env = append(os.Environ(), "CARDEX_TEST_MAIN=1")
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	waitHealthy(t, "http://"+addr, nil)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		var ee *exec.ExitError
		if errors.As(err, &ee) || err != nil {
			t.Errorf("exit after SIGTERM: %v\n%s", err, out.String())
		}
	case <-time.After(shutdownTimeout + 2*time.Second):
		cmd.Process.Kill()
		t.Fatal("no exit within the shutdown deadline")
	}
	if !strings.Contains(out.String(), "shutting down") {
		t.Errorf("log lacks the shutdown line:\n%s", out.String())
	}
}
