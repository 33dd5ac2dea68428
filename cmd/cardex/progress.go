package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// progress reports an import's progress: a self-rewriting line on a
// terminal, plain lines (one per file, and one per 50,000 cards) otherwise.
type progress struct {
	w     io.Writer
	tty   bool
	quiet bool
	cards int
	start time.Time
	last  time.Time
}

func newProgress(w io.Writer, quiet bool) *progress {
	tty := false
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	now := time.Now()
	return &progress{w: w, tty: tty, quiet: quiet, start: now, last: now}
}

func (p *progress) say(format string, args ...any) {
	if p.quiet {
		return
	}
	p.clear()
	fmt.Fprintf(p.w, format+"\n", args...)
}

// warn prints a problem, even when quiet.
func (p *progress) warn(format string, args ...any) {
	p.clear()
	fmt.Fprintf(p.w, format+"\n", args...)
}

func (p *progress) card() {
	p.cards++
	if p.quiet {
		return
	}
	if p.tty {
		if now := time.Now(); now.Sub(p.last) > 200*time.Millisecond {
			p.last = now
			fmt.Fprintf(p.w, "\r%d cards (%.0f/s)  ", p.cards, float64(p.cards)/now.Sub(p.start).Seconds())
		}
		return
	}
	if p.cards%50000 == 0 {
		fmt.Fprintf(p.w, "%d cards\n", p.cards)
	}
}

func (p *progress) file(path string, cards, rejected int) {
	if p.quiet {
		return
	}
	p.clear()
	fmt.Fprintf(p.w, "%s: %d cards", filepath.Base(path), cards)
	if rejected > 0 {
		fmt.Fprintf(p.w, ", %d rejected", rejected)
	}
	fmt.Fprintln(p.w)
}

func (p *progress) clear() {
	if p.tty && p.cards > 0 {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

func (p *progress) done() { p.clear() }

// phase reports a step of the import that has ended and how long it took.
func (p *progress) phase(name string, took time.Duration) {
	switch {
	case took >= 10*time.Second:
		took = took.Round(100 * time.Millisecond)
	case took >= 10*time.Millisecond:
		took = took.Round(time.Millisecond)
	}
	p.say("%s: %s", name, took)
}

// ensureDir creates the directory that will hold path.
func ensureDir(path string) error {
	return os.MkdirAll(filepath.Dir(path), 0o755)
}
