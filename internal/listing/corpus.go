package listing

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"cardex/internal/catalog"
)

// Observer learns from every card of the corpus before any is split: the
// tag splitter counts glued strings and the words of titles and summaries.
type Observer interface {
	Observe(glued string)
	ObserveText(text string)
}

// Splitter splits a card's glued tags; context is its title and summary.
type Splitter interface {
	Split(glued, context string) catalog.SplitResult
}

// SplitCard splits c's glued tags with sp, in the context of its title and
// summary, and sets c.Tags.
func SplitCard(sp Splitter, c *catalog.Card) catalog.SplitResult {
	split := sp.Split(c.Glued, c.Title+"\n"+c.Summary)
	c.Tags = split.Tags
	return split
}

// Expand turns the command-line arguments into the listing files to read:
// files as given, directories as their *.txt files in name order (not
// recursing into subdirectories).
func Expand(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", a, errors.Unwrap(err))
		}
		if !st.IsDir() {
			out = append(out, a)
			continue
		}
		entries, err := os.ReadDir(a)
		if err != nil {
			return nil, err
		}
		var names []string
		for _, e := range entries {
			if e.Type().IsRegular() && strings.HasSuffix(e.Name(), ".txt") {
				names = append(names, filepath.Join(a, e.Name()))
			}
		}
		sort.Strings(names)
		out = append(out, names...)
	}
	return out, nil
}

// Observe reads every card of the files and feeds obs, in order.
// Malformed cards are skipped here; ReadFile reports them. Parsing was
// most of it (4.1 s of CPU at 1M cards against obs's 0.8 s), so the
// files are parsed on observeParsers goroutines, each file's cards
// handed over in batches through a queue of its own, and obs learns on
// this one from the files in order. A queue holds a few batches, so a
// huge file is parsed ahead by a few batches only, not held whole.
func Observe(fsys fs.FS, paths []string, obs Observer) error {
	type file struct {
		batches chan []catalog.Card
		err     error // set before batches is closed
	}
	files := make([]*file, len(paths))
	for i := range files {
		files[i] = &file{batches: make(chan []catalog.Card, 4)}
	}
	free := make(chan []catalog.Card, 4*observeParsers+2)
	next := make(chan int)
	done := make(chan struct{})
	var parsers sync.WaitGroup
	defer parsers.Wait()
	defer close(done) // first: a parser waiting to hand a batch over stops
	stopped := func() bool {
		select {
		case <-done:
			return true
		default:
			return false
		}
	}
	for range observeParsers {
		parsers.Go(func() {
			var batch []catalog.Card // taken from free when the first card comes
			for i := range next {
				f := files[i]
				send := func() bool {
					select {
					case f.batches <- batch:
						batch = nil
						return true
					case <-done:
						return false
					}
				}
				if !stopped() {
					f.err = observeFile(fsys, paths[i], func(c catalog.Card) bool {
						if batch == nil {
							select {
							case batch = <-free:
								batch = batch[:0]
							default:
								batch = make([]catalog.Card, 0, observeBatch)
							}
						}
						if batch = append(batch, c); len(batch) == observeBatch {
							return send() && !stopped()
						}
						return true
					})
					if len(batch) > 0 && !stopped() {
						send()
					}
				}
				close(f.batches)
			}
		})
	}
	go func() {
		defer close(next)
		for i := range files {
			if stopped() {
				return
			}
			select {
			case next <- i:
			case <-done:
				return
			}
		}
	}()
	for _, f := range files {
		for batch := range f.batches {
			for _, c := range batch {
				obs.Observe(c.Glued)
				obs.ObserveText(c.Title)
				obs.ObserveText(c.Summary)
			}
			clear(batch) // not to keep the lines the cards are cut from
			select {
			case free <- batch:
			default:
			}
		}
		if f.err != nil {
			return f.err
		}
	}
	return nil
}

// observeParsers is how many goroutines parse files for Observe.
const observeParsers = 2

// observeBatch is how many cards Observe hands over at a time.
const observeBatch = 256

// observeFile reads the cards of one file and passes each to fn, until
// fn returns false.
func observeFile(fsys fs.FS, path string, fn func(catalog.Card) bool) error {
	f, err := open(fsys, path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := NewReader(f, path)
	for {
		c, err := r.Next()
		if err == io.EOF {
			return nil
		}
		var fe *FileError
		if errors.As(err, &fe) {
			return nil // ReadFile will report it
		}
		if err != nil {
			continue
		}
		if !fn(c) {
			return nil
		}
	}
}

// Page is what ReadFile learned of one file besides its cards.
type Page struct {
	File     string
	Header   catalog.PageHeader
	SHA256   string // of the file's content, normalized (see Reader.ContentSHA256)
	Cards    int    // cards read
	Rejected int    // malformed cards skipped
}

// Visitor receives each card of a file in order, tags split. If it returns
// an error, reading stops with that error.
type Visitor func(c catalog.Card, split catalog.SplitResult) error

// ReadFile reads one listing file, splits each card's tags with sp, and
// calls visit for each card. With a nil sp the cards are not split (visit
// gets no tags and a zero SplitResult), for a caller that splits them
// itself. Malformed cards are reported to diag and skipped. A *FileError
// means the whole file is not a listing page.
func ReadFile(fsys fs.FS, path string, sp Splitter, visit Visitor, diag func(Diagnostic)) (Page, error) {
	page := Page{File: path}
	f, err := open(fsys, path)
	if err != nil {
		return page, err
	}
	defer f.Close()
	r := NewReader(f, path)
	for {
		c, err := r.Next()
		for _, w := range r.Warnings() {
			diag(w)
		}
		if err == io.EOF {
			break
		}
		var d *Diagnostic
		if errors.As(err, &d) {
			page.Rejected++
			diag(*d)
			continue
		}
		if err != nil {
			return page, err
		}
		page.Cards++
		var split catalog.SplitResult
		if sp != nil {
			split = SplitCard(sp, &c)
		}
		if err := visit(c, split); err != nil {
			return page, err
		}
	}
	page.Header = r.Header()
	if page.Cards == 0 && page.Rejected == 0 {
		if page.Header.Raw == "" {
			return page, &FileError{Diagnostic{path, 1, "no header and no cards: this is not a listing page"}}
		}
		// A page that says "Page 21 of 22" and lists nothing is a download
		// cut off after its header; storing it would store an empty page.
		line := strings.Count(page.Header.Raw, "\n") + 1
		return page, &FileError{Diagnostic{path, line, "no cards after the page header: the page is empty or cut off"}}
	}
	if page.Rejected > page.Cards {
		return page, &FileError{Diagnostic{path, 1, fmt.Sprintf("%d of %d cards are malformed: this does not look like a listing page", page.Rejected, page.Cards+page.Rejected)}}
	}
	page.SHA256 = r.ContentSHA256()
	return page, nil
}

func open(fsys fs.FS, path string) (io.ReadCloser, error) {
	if fsys == nil {
		return os.Open(path) // #nosec G304 -- cardex reads the listing files its user names: reading them is its job
	}
	return fsys.Open(path)
}
