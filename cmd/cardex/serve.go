package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"cardex/internal/server"
	"cardex/internal/sqlite"
	"cardex/seeds"
	"cardex/web"
)

// Server timeouts: a slow client cannot hold a connection for long, and a
// request cannot run for ever.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 10 * time.Second
	writeTimeout      = 30 * time.Second
	idleTimeout       = 120 * time.Second
	maxHeaderBytes    = 16 << 10
	shutdownTimeout   = 10 * time.Second
)

func (e environment) serve(args []string) error {
	fs := e.flags("serve", "usage: cardex serve [--db PATH] [--addr HOST:PORT] [--conns N] [--reload D] [--query-timeout D] [--warm N] [--spill-mib N] [--spill-dir DIR] [--computing N] [--queue N] [--access-log=false]\n\nServes the database read-only over HTTP, and reopens it when an import publishes a new one.")
	dbPath := fs.String("db", e.defaultDB(), "the SQLite database to serve (opened read-only)")
	addr := fs.String("addr", "127.0.0.1:8080", "the address to listen on")
	conns := fs.Int("conns", 4, "read-only SQLite connections in the pool")
	reload := fs.Duration("reload", time.Second, "how often to check for a newly published database (0: never)")
	queryTimeout := fs.Duration("query-timeout", server.DefaultQueryTimeout, "the store time one request may take before it gets a 503")
	warm := fs.Int("warm", defaultWarmPages, "popular pages rendered into the response cache, in the background, when a database is first served (0: none)")
	spillMiB := fs.Int64("spill-mib", defaultSpillMiB, "MiB of the response cache's spill file, which keeps the pages pushed out of memory (0: none)")
	spillDir := fs.String("spill-dir", "", "where the spill file is made, unlinked at once (default: the database's folder, or the system's temporary directory if that cannot take it)")
	computing := fs.Int("computing", 0, "responses computed at once, the others waiting their turn in arrival order (0: one per core; a database on a slow disk may want more)")
	queue := fs.Int("queue", server.DefaultQueue, "requests that may wait for their turn to be computed; past it, or past the query timeout of waiting, a 503 with Retry-After (0: the default; negative: none waits)")
	accessLog := fs.Bool("access-log", true, "log one line per request (false: only the requests that fail, for a server behind a proxy that logs them)")
	if err := fs.Parse(args); err != nil {
		return exitError{code: 2}
	}
	// A soft memory limit, unless GOMEMLIMIT sets one: the live heap is
	// mostly the response cache (13 MiB of compressed responses) and what
	// the store keeps of every card (about 20 MB at 1M cards), and
	// without a limit the collector lets the heap reach twice the live size.
	defaultMemoryLimit(serveMemoryLimit)
	log := slog.New(slog.NewJSONHandler(e.stderr, nil))
	db, err := openLive(e.ctx, *dbPath, *conns, log)
	if err != nil {
		return err
	}
	defer db.close()
	h, err := server.New(db.current(), server.Config{Logger: log, Web: web.FS, TagDocs: seeds.FS,
		Current: func() server.Store { return db.current() }, QueryTimeout: *queryTimeout, WarmPages: *warm, QuietAccess: !*accessLog, Computing: *computing, Queue: *queue,
		SpillBytes: *spillMiB << 20, SpillDir: spillFolder(*spillDir, *dbPath)})
	if err != nil {
		return err
	}
	defer h.Close() // after serveHTTP's Shutdown
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	go db.watch(e.ctx, *reload)
	return serveHTTP(e.ctx, ln, h, log)
}

// defaultWarmPages is how many popular pages a server renders ahead: at
// about 12 KB each once gzipped, a seventh of the response cache.
const defaultWarmPages = 300

// spillFolder is where the spill file is made: dir when given, else the
// database's folder, which is on a disk (the system's temporary directory
// is a tmpfs on many systems, where the file would be memory the kernel
// cannot take back), else the system's temporary directory ("").
func spillFolder(dir, dbPath string) string {
	if dir != "" {
		return dir
	}
	folder := filepath.Dir(dbPath)
	f, err := os.CreateTemp(folder, ".cardex-spill-probe-*")
	if err != nil {
		return ""
	}
	f.Close()
	os.Remove(f.Name())
	return folder
}

// defaultSpillMiB is the spill file's default budget: at 1M cards a page
// takes about 60 KB there (its plain bytes, for clients without gzip,
// and its packed copy), so room for about 17,000 pages, in the kernel's
// page cache rather than the server's heap (the database is about as
// big).
const defaultSpillMiB = 1024

// serveMemoryLimit is the server's default soft memory limit.
const serveMemoryLimit = 96 << 20

// liveDB is the published database a server reads, reopened when an
// import publishes a new file at the path.
type liveDB struct {
	path  string
	conns int
	log   *slog.Logger
	mu    sync.Mutex // guards id and the closing of old stores
	id    sqlite.FileID
	cur   atomic.Pointer[sqlite.Store]
	old   []*sqlite.Store
}

func openLive(ctx context.Context, path string, conns int, log *slog.Logger) (*liveDB, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("no database at %s: import pages first (cardex import --db %s seeds/)", path, path)
	}
	l := &liveDB{path: path, conns: conns, log: log}
	st, id, err := l.open(ctx)
	if err != nil {
		return nil, err
	}
	l.id = id
	l.cur.Store(st)
	return l, nil
}

// open opens the file now at the path, read-only, and checks it.
func (l *liveDB) open(ctx context.Context) (*sqlite.Store, sqlite.FileID, error) {
	id, err := sqlite.StatFile(l.path)
	if err != nil {
		return nil, id, err
	}
	st, err := sqlite.OpenReadOnly(ctx, l.path, l.conns)
	if err != nil {
		return nil, id, err
	}
	if ok, err := st.FTS5Available(ctx); err != nil || !ok {
		st.Close()
		return nil, id, fmt.Errorf("this build of SQLite has no FTS5 (full-text search); build with -tags sqlite_fts5, as make does")
	}
	if _, err := st.Version(ctx); err != nil {
		st.Close()
		return nil, id, fmt.Errorf("%s: %w", l.path, err)
	}
	// Before any request, so that none pays for it. A failure does not
	// stop serving: the first request that needs them reads them again.
	if err := st.Preload(ctx); err != nil {
		l.log.Warn("reading what the store keeps in memory", "db", l.path, "err", err)
	}
	return st, id, nil
}

func (l *liveDB) current() *sqlite.Store { return l.cur.Load() }

// watch reopens the database whenever a new file is published at the
// path. Requests that started on the old file finish on it: it is closed
// only after a grace period longer than any request may last.
func (l *liveDB) watch(ctx context.Context, every time.Duration) {
	if every <= 0 {
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		id, err := sqlite.StatFile(l.path)
		if err != nil || id == l.id {
			continue
		}
		st, id, err := l.open(ctx)
		if err != nil {
			l.log.Warn("a new database was published but cannot be opened; still serving the old one", "path", l.path, "err", err)
			l.id = id // do not retry the same broken file every tick
			continue
		}
		prev := l.cur.Swap(st)
		l.id = id
		v, _ := st.Version(ctx)
		l.log.Info("reopened the published database", "path", l.path, "version", v)
		l.mu.Lock()
		l.old = append(l.old, prev)
		l.mu.Unlock()
		time.AfterFunc(writeTimeout+5*time.Second, func() {
			l.mu.Lock()
			defer l.mu.Unlock()
			if i := slices.Index(l.old, prev); i >= 0 {
				l.old = slices.Delete(l.old, i, i+1)
				prev.Close()
			}
		})
	}
}

func (l *liveDB) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, st := range l.old {
		st.Close()
	}
	l.old = nil
	l.current().Close()
}

// serveHTTP serves h on ln until ctx is done, then shuts down gracefully:
// it stops accepting, lets in-flight requests finish, and returns.
func serveHTTP(ctx context.Context, ln net.Listener, h http.Handler, log *slog.Logger) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
		ConnContext:       server.ConnContext,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("serving", "addr", "http://"+ln.Addr().String())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
