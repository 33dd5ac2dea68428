// Command cardex turns listing pages of a tech-article aggregator into a
// browsable, searchable article index.
//
//	cardex parse FILE...                  cards as JSON Lines
//	cardex import [--db PATH] FILE|DIR... store pages in SQLite
//	cardex export [--db PATH] --page N    write a stored page back
//	cardex splits [--db PATH]             list uncertain tag splits
//	cardex aliases [--db PATH]            list merged and proposed tag aliases
//	cardex serve [--db PATH] [--addr A]   serve the web interface
//	cardex snapshot [--db PATH] --out F   write a compacted, checksummed copy
//	cardex verify --db FILE               check a snapshot before serving it
//	cardex gen --cards N [--seed S]       write a synthetic corpus
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
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		var ee exitError
		if !errors.As(err, &ee) || ee.msg != "" {
			fmt.Fprintln(os.Stderr, "cardex:", err)
		}
		os.Exit(exitCode(err))
	}
}

// exitError carries an exit status; msg may be empty when the details were
// already printed.
type exitError struct {
	code int
	msg  string
}

func (e exitError) Error() string { return e.msg }

func exitCode(err error) int {
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return 1
}

const usage = `usage: cardex <command> [flags] [args]

commands:
  parse FILE...                    print each card as a JSON line
  import [--db PATH] FILE|DIR...   import listing pages into SQLite
  export [--db PATH] --page N [--tag SLUG]
                                   write a stored page back in the listing format
  splits [--db PATH]               list tag splits the importer was unsure of
  aliases [--db PATH]              list tag aliases merged, and look-alikes proposed
  serve [--db PATH] [--addr HOST:PORT]
                                   serve the web interface (read-only)
  snapshot [--db PATH] --out FILE [--force]
                                   write a compacted, read-only copy and FILE.sha256
  verify --db FILE [--sum FILE.sha256]
                                   check a snapshot's checksum and integrity
  gen --cards N [--seed S] [--out DIR] [--per-page P] [--truth FILE]
                                   write a deterministic synthetic corpus of listing pages

Run 'cardex <command> -h' for a command's flags.
`

// run is the whole program; main only wires it to the process.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitError{code: 2}
	}
	env := environment{ctx: ctx, getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	switch args[0] {
	case "parse":
		return env.parse(args[1:])
	case "import":
		return env.importCmd(args[1:])
	case "export":
		return env.export(args[1:])
	case "splits":
		return env.splits(args[1:])
	case "aliases":
		return env.aliases(args[1:])
	case "serve":
		return env.serve(args[1:])
	case "snapshot":
		return env.snapshot(args[1:])
	case "verify":
		return env.verify(args[1:])
	case "gen":
		return env.gen(args[1:])
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprintf(stderr, "cardex: unknown command %q\n\n%s", args[0], usage)
	return exitError{code: 2}
}

// environment is what every subcommand gets from run.
type environment struct {
	ctx            context.Context
	getenv         func(string) string
	stdin          io.Reader
	stdout, stderr io.Writer
}

// defaultDB is the database path when --db is not given.
func (e environment) defaultDB() string {
	if p := e.getenv("CARDEX_DB"); p != "" {
		return p
	}
	return "data/cardex.db"
}

// flags returns a subcommand's flag set: its errors and its usage (the
// usage line and what the command does, then the flags) go to stderr.
func (e environment) flags(name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, usage)
		fs.PrintDefaults()
	}
	return fs
}
