// Command scaling shows cardex's scale-out design working on one machine,
// on loopback only (web/docs/scaling.md): two `cardex serve` replicas
// behind Debian's nginx as a caching reverse proxy, cache hits and 304s
// through the proxy, and a new snapshot rolled out replica by replica under
// load with no failed request. Run it from the repository root with
// `make scaling-demo`. It needs nginx (apt-get install -y nginx-light, or
// nginx); it starts everything it uses, stops all of it on the way out
// (also on Ctrl-C), and takes well under a minute once bin/cardex is built.
//
// Everything goes under data/scaling/, which each run starts afresh. On
// success it rewrites the section of web/docs/scaling.md between
// <!-- demo:start --> and <!-- demo:end --> with the summary.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"cardex/internal/procs"
)

// The fixed loopback ports of the demo.
const (
	proxyAddr = "127.0.0.1:18080"
	replica1  = "127.0.0.1:18081"
	replica2  = "127.0.0.1:18082"
)

// demoTimeout bounds a whole run, the build included.
const demoTimeout = 4 * time.Minute

func main() {
	doc := flag.String("doc", "web/docs/scaling.md", "the document whose demo section to rewrite on success (empty: none)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	ctx, cancel := context.WithTimeout(ctx, demoTimeout)
	d := &demo{ctx: ctx, out: os.Stdout, dir: "data/scaling", doc: *doc}
	err := d.run()
	d.stopAll()
	cancel()
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "scaling demo:", err)
		var ee exitCode
		if errors.As(err, &ee) {
			os.Exit(int(ee))
		}
		os.Exit(1)
	}
}

// exitCode is an error that only sets the exit status (the message was
// printed already).
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// demo is one run.
type demo struct {
	ctx   context.Context
	out   io.Writer
	dir   string // data/scaling
	doc   string
	procs procs.Group // the servers this run started
	logs  []*os.File  // their output, closed when they stop
}
