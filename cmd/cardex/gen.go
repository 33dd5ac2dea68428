package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"cardex/internal/gen"
)

// gen writes a synthetic corpus of listing pages (see internal/gen).
func (e environment) gen(args []string) error {
	fs := e.flags("gen", "usage: cardex gen --cards N [--seed S] [--out DIR] [--per-page P] [--truth FILE]\n\nWrites a deterministic synthetic corpus in the listing format, for benchmarks.")
	cards := fs.Int("cards", 10_000, "cards to generate")
	seed := fs.Uint64("seed", 1, "the seed: the same seed and sizes give the same bytes")
	out := fs.String("out", "data/gen", "the directory to write the pages into (created; must hold no .txt file)")
	perPage := fs.Int("per-page", gen.DefaultPerPage, "cards per page")
	truth := fs.String("truth", "", "also write each card's true tags to this file, as JSON lines {file, line, tags}")
	if err := fs.Parse(args); err != nil {
		return exitError{code: 2}
	}
	if fs.NArg() > 0 || *cards < 1 || *perPage < 1 {
		fs.Usage()
		return exitError{code: 2}
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	// Pages of another corpus left in the directory would be imported
	// with this one.
	if old, err := filepath.Glob(filepath.Join(*out, "*.txt")); err != nil || len(old) > 0 {
		return fmt.Errorf("%s already holds listing pages (%d .txt files): give an empty or new directory", *out, len(old))
	}
	o := gen.Dir(*out)
	var tw *bufio.Writer
	if *truth != "" {
		f, err := os.Create(*truth)
		if err != nil {
			return err
		}
		defer f.Close()
		tw = bufio.NewWriterSize(f, 1<<20)
		o.Truth = tw
	}
	start := time.Now()
	st, err := gen.Generate(gen.Config{Cards: *cards, Seed: *seed, PerPage: *perPage}, o)
	if err != nil {
		return err
	}
	if tw != nil {
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	fmt.Fprintf(e.stdout, "wrote %d cards in %d files (%d listings; biggest %q, %d cards) to %s in %.1fs\n",
		st.Cards, st.Files, st.Listings, st.Biggest, st.BiggestLen, *out, time.Since(start).Seconds())
	fmt.Fprintf(e.stdout, "tags: %d used; sources: %d used; cards without a source: %d; same story retold: %d\n",
		st.Tags, st.Sources, st.NoSource, st.SameStory)
	return nil
}
