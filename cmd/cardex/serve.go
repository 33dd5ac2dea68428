package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
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
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	dbPath := fs.String("db", e.defaultDB(), "the SQLite database to serve (opened read-only)")
	addr := fs.String("addr", "127.0.0.1:8080", "the address to listen on")
	conns := fs.Int("conns", 4, "read-only SQLite connections in the pool")
	if err := fs.Parse(args); err != nil {
		return exitError{code: 2}
	}
	log := slog.New(slog.NewJSONHandler(e.stderr, nil))
	if _, err := os.Stat(*dbPath); err != nil {
		return fmt.Errorf("no database at %s: import pages first (cardex import --db %s seeds/)", *dbPath, *dbPath)
	}
	store, err := sqlite.OpenReadOnly(e.ctx, *dbPath, *conns)
	if err != nil {
		return err
	}
	defer store.Close()
	if ok, err := store.FTS5Available(e.ctx); err != nil || !ok {
		return fmt.Errorf("this build of SQLite has no FTS5 (full-text search); build with -tags sqlite_fts5, as make does")
	}
	h, err := server.New(store, server.Config{Logger: log, Web: web.FS, TagDocs: seeds.FS})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	return serveHTTP(e.ctx, ln, h, log)
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
