package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"sync"
	"time"

	"cardex/internal/catalog"
	"cardex/internal/listing"
	"cardex/internal/sqlite"
	"cardex/internal/tagsplit"
	"cardex/seeds"
)

// newSplitter builds the tag splitter: the embedded lexicon, an optional
// extra lexicon file, what the database knows (its tags, and the splits
// a person has yet to settle), and then the corpus of paths.
func newSplitter(lexiconFile string, known func(*tagsplit.Model) error, paths []string) (*tagsplit.Model, error) {
	dict, err := tagsplit.EnglishWords()
	if err != nil {
		return nil, err
	}
	m := tagsplit.New(dict, tagsplit.DefaultParams())
	lf, err := seeds.FS.Open("lexicon.tags")
	if err != nil {
		return nil, err
	}
	defer lf.Close()
	if err := m.ReadLexicon(lf); err != nil {
		return nil, err
	}
	if lexiconFile != "" {
		f, err := os.Open(lexiconFile)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if err := m.ReadLexicon(f); err != nil {
			return nil, fmt.Errorf("%s: %w", lexiconFile, err)
		}
	}
	if known != nil {
		if err := known(m); err != nil {
			return nil, err
		}
	}
	if err := listing.Observe(nil, paths, m); err != nil {
		return nil, err
	}
	m.Train(2)
	return m, nil
}

func (e environment) parse(args []string) error {
	fs := e.flags("parse", "usage: cardex parse [--lexicon FILE] FILE|DIR...\n\nPrints each card as one JSON object per line; diagnostics go to stderr as FILE:LINE: message.")
	lexicon := fs.String("lexicon", "", "an extra lexicon file (one tag per line)")
	if err := fs.Parse(args); err != nil {
		return exitError{code: 2}
	}
	paths, err := listing.Expand(fs.Args())
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		fs.Usage()
		return exitError{code: 2}
	}
	m, err := newSplitter(*lexicon, nil, paths)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(e.stdout)
	enc.SetEscapeHTML(false)
	bad := 0
	for _, p := range paths {
		page, err := listing.ReadFile(nil, p, m, func(c catalog.Card, _ catalog.SplitResult) error {
			return enc.Encode(listing.JSONCardOf(c))
		}, func(d listing.Diagnostic) { fmt.Fprintln(e.stderr, d.Error()) })
		bad += page.Rejected
		var fe *listing.FileError
		if errors.As(err, &fe) {
			fmt.Fprintln(e.stderr, fe.Error())
			bad++
			continue
		}
		if err != nil {
			return err
		}
	}
	if bad > 0 {
		return exitError{code: 1, msg: fmt.Sprintf("%d card(s) or file(s) could not be parsed", bad)}
	}
	return nil
}

func (e environment) importCmd(args []string) error {
	fs := e.flags("import", "usage: cardex import [--db PATH] [--lexicon FILE] [--strict] FILE|DIR...")
	dbPath := fs.String("db", e.defaultDB(), "the SQLite database to import into (created if missing)")
	lexicon := fs.String("lexicon", "", "an extra lexicon file (one tag per line)")
	strict := fs.Bool("strict", false, "fail (and store nothing) if any card is malformed")
	quiet := fs.Bool("q", false, "no progress lines")
	resplit := fs.Bool("resplit", false, "split the tags of cards already stored again (after a lexicon change)")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the import to this file (for performance work)")
	memprofile := fs.String("memprofile", "", "write a heap profile to this file once the splitter has learned, before the first card is stored (for performance work)")
	if err := fs.Parse(args); err != nil {
		return exitError{code: 2}
	}
	paths, err := listing.Expand(fs.Args())
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		fs.Usage()
		return exitError{code: 2}
	}
	if err := ensureDir(*dbPath); err != nil {
		return err
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	// A soft memory limit for the importer, unless GOMEMLIMIT sets one.
	// Its live heap is at most about 20 MB on a 113 MB listing: the
	// splitter's compact, capped state (about 10 MB, and its trie of known
	// tags, about 35 bytes a byte of them: 4 MB for 20,000 tags) while
	// cards are read, then the stories' arrays (about 40 bytes a card);
	// without a limit the collector lets the heap reach twice that
	// between collections. With it, and SQLite's heap limited too, that import
	// peaks at about 55 MB of RSS (docs/reliability.md, point 3). The
	// limit grows with the input (importMemoryLimit), up to a bound, and
	// a big input gets more room while its cards are read: learning the
	// tags and the load, which parse every card and allocate alike (see
	// loadMemoryLimit).
	input := inputBytes(paths)
	defaultMemoryLimit(loadMemoryLimit(input))
	if *memprofile == "" {
		// No heap profile wanted: no sampling of allocations either (its
		// stack records were 1.7 MB of the importer's memory).
		runtime.MemProfileRate = 0
	}
	if err := sqlite.LimitHeap(e.ctx, importSQLiteHeap(input)); err != nil {
		return err
	}
	progress := newProgress(e.stderr, *quiet)
	var m *tagsplit.Model
	// The splitter learns from the tags already stored and from every file
	// being imported, before the first card is split.
	prepare := func(store *sqlite.Store) error {
		progress.say("reading %d file(s) to learn their tags", len(paths))
		start := time.Now()
		var err error
		m, err = newSplitter(*lexicon, func(m *tagsplit.Model) error {
			if err := store.TagCounts(e.ctx, m.AddKnown); err != nil {
				return err
			}
			unsettled, err := store.UncertainSplits(e.ctx)
			for _, u := range unsettled {
				m.AddUnsettled(u.Glued)
			}
			return err
		}, paths)
		if err != nil {
			return err
		}
		progress.phase("learning the tags", time.Since(start))
		if *memprofile == "" {
			return nil
		}
		return writeHeapProfile(*memprofile)
	}
	// Diagnostics are printed as they come (memory stays bounded on a file
	// full of errors); past maxDiags only their number is kept.
	const maxDiags = 200
	ndiags := 0
	diag := func(d listing.Diagnostic) {
		if ndiags++; ndiags <= maxDiags {
			progress.warn("%s", d.Error())
		}
	}
	stats, err := sqlite.ImportFile(e.ctx, *dbPath, prepare, func(im *sqlite.Import) error {
		im.Resplit = *resplit
		im.Phase = progress.phase
		// A big import computes its stories beside the search index,
		// after the sidebars (about 6 s less at 1M cards), where a small
		// one computes them after both, which keeps its peak of memory
		// lower (issue 6's bar); it reads the search index's rows on a
		// goroutine of their own, which only a big one gains by; and it
		// lets SQLite sort on every core.
		if input > bigInput {
			im.Big = true
			if n := runtime.GOMAXPROCS(0); n > 1 {
				im.SortThreads = min(n, 8) // measured with 2 on two cores
			}
		}
		start := time.Now()
		// The cards are read, split and stored under loadMemoryLimit, set
		// before the tags were learned; the steps after, which hold the
		// stories' arrays, get finishMemoryLimit.
		defer defaultMemoryLimit(finishMemoryLimit(input))
		// Reading and splitting run on their own goroutine, storing on
		// this one, so that the two use both cores. The reader sends
		// each step as a function that this goroutine runs, in order:
		// the import, the progress lines and the diagnostics keep one
		// writer each.
		ctx, cancel := context.WithCancel(e.ctx)
		defer cancel()
		steps := make(chan func() error, 256)
		readErr := make(chan error, 1)
		go func() {
			defer close(steps)
			readErr <- readPages(ctx, paths, m, steps, im, progress, diag, *strict)
		}()
		for step := range steps {
			if err := step(); err != nil {
				cancel()
				for range steps { // until the reader has stopped
				}
				return err
			}
		}
		if err := <-readErr; err != nil {
			return err
		}
		progress.done()
		progress.phase(fmt.Sprintf("reading, splitting and storing %d cards", progress.cards), time.Since(start))
		// Every card is split: the splitter (~10 MB) can go, and the
		// memory it and the parsing used goes back to the system, before
		// the importer computes stories and facets.
		m = nil
		debug.FreeOSMemory()
		return nil
	})
	progress.done()
	if ndiags > maxDiags {
		fmt.Fprintf(e.stderr, "… and %d more problems\n", ndiags-maxDiags)
	}
	if err != nil {
		var fe *listing.FileError
		if errors.As(err, &fe) {
			return fmt.Errorf("%w\nnothing was imported: the database is unchanged", fe)
		}
		return fmt.Errorf("import failed, the database is unchanged: %w", err)
	}
	store, err := sqlite.OpenReadOnly(e.ctx, *dbPath, 1)
	if err != nil {
		return err
	}
	defer store.Close()
	fmt.Fprintf(e.stdout, "imported %d file(s) into %s (dataset version %d)\n", stats.Files, *dbPath, stats.Version)
	fmt.Fprintf(e.stdout, "cards: %d read, %d new, %d unchanged, %d updated, %d rejected\n",
		stats.Read+stats.Rejected, stats.New, stats.Unchanged, stats.Updated, stats.Rejected)
	fmt.Fprintf(e.stdout, "tags: %d in all, %d new\n", stats.Tags, stats.NewTags)
	if stats.Uncertain > 0 {
		fmt.Fprintf(e.stdout, "uncertain splits: %d (list them with: cardex splits --db %s)\n", stats.Uncertain, *dbPath)
		us, err := store.UncertainSplits(e.ctx)
		if err == nil {
			for i, u := range us {
				if i == 10 {
					fmt.Fprintf(e.stdout, "  … and %d more\n", len(us)-i)
					break
				}
				fmt.Fprintf(e.stdout, "  %s: %q -> %s (or %s)\n", u.Example, u.Glued, strings.Join(u.Tags, " | "), strings.Join(u.Alternative, " | "))
			}
		}
	} else {
		fmt.Fprintln(e.stdout, "uncertain splits: 0")
	}
	e.printAliasSummary(store, stats, *dbPath)
	if stats.NotCompacted != "" {
		fmt.Fprintf(e.stdout, "note: the database was published without compacting it (%s): it is whole, only bigger than it needs to be\n", stats.NotCompacted)
	}
	return nil
}

// maxSplitters bounds the goroutines that split tags during an import.
const maxSplitters = 4

// readPages reads and splits the cards of paths, in order, and sends
// what to do with each to steps: begin a page, store a card, report a
// problem, end the page. It stops when ctx is done.
//
// Splitting is most of the reading's work (a model trains on at most
// tagsplit.MaxCorpusStrings glued strings, and at 1M cards most strings
// are past them and searched for as they come), so it runs on a
// goroutine per core, each with a fork of the model, while this one
// parses. Those goroutines also pack each card's summary, which the
// storing goroutine did before (12 s of a 1M-card load's 36, the other
// core waiting). A card's step waits for its split: the steps stay in
// order.
func readPages(ctx context.Context, paths []string, m *tagsplit.Model, steps chan<- func() error,
	im *sqlite.Import, progress *progress, diag func(listing.Diagnostic), strict bool) error {
	send := func(step func() error) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		select {
		case steps <- step:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	type splitJob struct {
		card    catalog.Card
		split   catalog.SplitResult
		summary sqlite.PackedSummary
		done    chan struct{}
	}
	jobs := make(chan *splitJob, cap(steps))
	var splitters sync.WaitGroup
	defer func() {
		close(jobs)
		splitters.Wait()
	}()
	// Each fork keeps caches of its own (a few MB when full): a few
	// forks use the cores of a small machine without the memory growing
	// with a big one's.
	for range min(runtime.GOMAXPROCS(0), maxSplitters) {
		sp := m.Fork()
		splitters.Go(func() {
			for j := range jobs {
				if ctx.Err() == nil { // after a cancel, the steps are not run
					j.split = listing.SplitCard(sp, &j.card)
					j.summary = sqlite.PackSummary(j.card.Summary)
				}
				close(j.done)
			}
		})
	}
	for _, p := range paths {
		if err := send(func() error { return im.BeginPage(p) }); err != nil {
			return err
		}
		page, err := listing.ReadFile(nil, p, nil, func(c catalog.Card, _ catalog.SplitResult) error {
			j := &splitJob{card: c, done: make(chan struct{})}
			select {
			case jobs <- j:
			case <-ctx.Done():
				return ctx.Err()
			}
			return send(func() error {
				<-j.done
				progress.card()
				return im.AddPackedCard(j.card, j.split, j.summary)
			})
		}, func(d listing.Diagnostic) {
			send(func() error { diag(d); return nil })
		})
		if err != nil {
			return err
		}
		if err := send(func() error {
			if strict && page.Rejected > 0 {
				return fmt.Errorf("%s: %d malformed card(s) and --strict: nothing imported", p, page.Rejected)
			}
			im.CountRejected(page.Rejected)
			if err := im.EndPage(page.Header, page.SHA256); err != nil {
				return err
			}
			progress.file(p, page.Cards, page.Rejected)
			return nil
		}); err != nil {
			return err
		}
	}
	return nil
}

func (e environment) splits(args []string) error {
	fs := e.flags("splits", "usage: cardex splits [--db PATH]\n\nLists the tag splits the importer was not sure of: the glued tags, the split chosen, the runner-up, the margin and FILE:LINE of a card, closest calls first.")
	dbPath := fs.String("db", e.defaultDB(), "the SQLite database")
	if err := fs.Parse(args); err != nil {
		return exitError{code: 2}
	}
	store, err := openExisting(e, *dbPath)
	if err != nil {
		return err
	}
	defer store.Close()
	us, err := store.UncertainSplits(e.ctx)
	if err != nil {
		return err
	}
	for _, u := range us {
		fmt.Fprintf(e.stdout, "%s\t%s\t%s\t%.2f\t%s\n", u.Glued, strings.Join(u.Tags, " | "), strings.Join(u.Alternative, " | "), u.Margin, u.Example)
	}
	return nil
}

func (e environment) export(args []string) error {
	fs := e.flags("export", "usage: cardex export [--db PATH] --page N [--tag SLUG] | --list\n\nWrites a stored page back, byte for byte, or lists the stored pages.")
	dbPath := fs.String("db", e.defaultDB(), "the SQLite database")
	number := fs.Int("page", 0, "the page number to write")
	tag := fs.String("tag", "", "the slug of the page's tag, when pages of several tags have that number")
	list := fs.Bool("list", false, "list the stored pages instead")
	if err := fs.Parse(args); err != nil {
		return exitError{code: 2}
	}
	store, err := openExisting(e, *dbPath)
	if err != nil {
		return err
	}
	defer store.Close()
	if *list {
		pages, err := store.Pages(e.ctx)
		if err != nil {
			return err
		}
		for _, p := range pages {
			fmt.Fprintf(e.stdout, "%s\t%d of %d\t%d cards\t%s\n", catalog.Slugify(p.Tag), p.Number, p.Of, p.Cards, p.File)
		}
		return nil
	}
	if *number < 1 {
		fs.Usage()
		return exitError{code: 2}
	}
	var b strings.Builder
	err = store.ExportPage(e.ctx, *tag, *number, &b)
	switch {
	case errors.Is(err, catalog.ErrNotFound):
		return fmt.Errorf("no stored page %d%s (see cardex export --list)", *number, forTag(*tag))
	case err != nil:
		return err
	}
	_, err = io.WriteString(e.stdout, b.String())
	return err
}

func forTag(t string) string {
	if t == "" {
		return ""
	}
	return " for tag " + t
}

// openExisting opens a published database, read-only.
func openExisting(e environment, path string) (*sqlite.Store, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("no database at %s (import some pages first)", path)
	}
	return sqlite.OpenReadOnly(e.ctx, path, 1)
}

// bigInput is where an import's input becomes big: past it the importer
// trades memory for time (more room for the collector and for SQLite,
// the stories beside the search index), within issue 5's 200 MB of RSS for
// 1M cards (597 MB of listings). Below it an import keeps to issue 6's
// 64 MB for a 113 MB listing.
const bigInput = 256 << 20

// pastBig is how far n bytes of listings are past bigInput (0 if not).
func pastBig(n int64) int64 { return max(0, n-bigInput) }

// importSQLiteHeap is the importer's soft limit on SQLite's own heap for
// n bytes of listings: 4 MiB, plus a 64th of the input past 256 MiB, up
// to 8 MiB (the 1M-card corpus gets 8 MiB, as every import did before).
// With its stories beside the sidebars' counts (e24327e computes a small
// import's after them), issue 6's 113 MB listing peaked at 58.5 and 60.1
// MB of RSS with 4 MiB, 61.1 and 62.4 MB with 8 MiB (runs alternated;
// bar: 64 MB), in the same 31-32 s.
func importSQLiteHeap(n int64) int64 {
	return min(4<<20+pastBig(n)/64, 8<<20)
}

// importMemoryLimit is the importer's default soft memory limit for n
// bytes of listings: 30 MiB, plus a 32nd of the input, up to 48 MiB.
// The live heap hardly grows with the input, but the collector runs each
// time the heap reaches the limit, so the room above the live heap sets
// how often: with 30 MiB, the import of 1M cards (597 MB of listings)
// spent 18% of its CPU collecting. With 48 MiB it took 8 min 39 s (user
// CPU 626 s) instead of 10 min 21 s (944 s) at fe9830f, and peaked at
// 125 MB of RSS (issue 5's bar: 200 MB), while a 113 MB listing gets
// 33.4 MiB and stays within issue 6's 64 MB (docs/reliability.md).
func importMemoryLimit(n int64) int64 {
	return min(30<<20+n/32, 48<<20)
}

// loadMemoryLimit is the importer's soft memory limit while it reads,
// splits and stores the cards of n bytes of listings: importMemoryLimit,
// plus an eighth of the input past 256 MiB, up to 96 MiB. Reading and
// splitting allocate about 30 KB a card, nearly all of it garbage at
// once, and the collector runs each time the heap reaches the limit:
// with 48 MiB over a live heap of about 25 MB, a 1M-card import collected
// some 1,500 times, 34 s of its CPU. A big import can afford the room
// within issue 5's 200 MB of RSS; a small one (issue 6's 113 MB listing:
// 64 MB of RSS) gets none.
func loadMemoryLimit(n int64) int64 {
	return min(importMemoryLimit(n)+pastBig(n)/8, 96<<20)
}

// finishMemoryLimit is the importer's soft memory limit for the steps
// after the load, for n bytes of listings: importMemoryLimit, plus a
// quarter of the input past 256 MiB, up to 128 MiB. The stories' arrays
// are live all through their computation, about 100 bytes a card (90 MB
// at 1M cards), above importMemoryLimit's 48 MiB: the collector then ran
// without pause and found nothing to free. The stories of the 1M bench
// database (storiesOf, alone) took 22.5 s and 4,984 collections under
// 48 MiB, 13.2 s and 2,477 under 96 MiB, 9.4 s and 17 under 128 MiB (130
// MB of RSS), 10.5 s and 9 with no limit (205 MB). A small import (issue
// 6's 113 MB listing: 64 MB of RSS) gets no more than importMemoryLimit.
func finishMemoryLimit(n int64) int64 {
	return min(importMemoryLimit(n)+pastBig(n)/4, 128<<20)
}

// inputBytes is the size of the files at paths (those it cannot stat
// count for nothing: reading them will say what is wrong).
func inputBytes(paths []string) int64 {
	var n int64
	for _, p := range paths {
		if st, err := os.Stat(p); err == nil {
			n += st.Size()
		}
	}
	return n
}

// defaultMemoryLimit sets the Go runtime's soft memory limit to n bytes,
// unless the GOMEMLIMIT environment variable sets one.
func defaultMemoryLimit(n int64) {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(n)
	}
}

// writeHeapProfile writes the heap profile, after a collection so that it
// shows what is live.
func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	runtime.GC()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
