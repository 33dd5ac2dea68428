package sqlite_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"cardex/internal/catalog"
	"cardex/internal/sqlite"
	"cardex/internal/sqlite/sqlitetest"
)

// An import through ImportFile counts the stories and the sidebars from a
// snapshot beside the search index (finishInParallel); an import into a
// store opened directly does it all in order in one transaction. Both
// store the same database, a re-import included.
func TestParallelFinishStoresWhatTheOrderedOneDoes(t *testing.T) {
	ctx := context.Background()
	cards := generated(3000)
	// Retold cards (the same title from another source) make stories.
	for i := 0; i < 600; i += 5 {
		c := cards[i]
		c.Source, c.Line = "retold", 100_000+i
		cards = append(cards, c)
	}
	dir := t.TempDir()
	ordered, parallel, beside := filepath.Join(dir, "ordered.db"), filepath.Join(dir, "parallel.db"), filepath.Join(dir, "beside.db")
	importFile := func(importFile func(context.Context, string, func(*sqlite.Store) error, func(*sqlite.Import) error) (catalog.ImportStats, error),
		path string, cards []catalog.Card) []string {
		t.Helper()
		var phases []string
		_, err := importFile(ctx, path, nil, func(im *sqlite.Import) error {
			im.Phase = func(name string, _ time.Duration) { phases = append(phases, name) }
			im.Big = path == beside
			if path == beside {
				im.SortThreads = 2 // what a big import on two cores gets
			}
			if err := im.BeginPage("cards.txt"); err != nil {
				return err
			}
			for _, c := range cards {
				if err := im.AddCard(c, catalog.SplitResult{Tags: c.Tags, Certain: true}); err != nil {
					return err
				}
			}
			return im.EndPage(catalog.PageHeader{Total: len(cards), Number: 1, Of: 1, Raw: "Tagged articles\n"}, "cards")
		})
		if err != nil {
			t.Fatal(err)
		}
		return phases
	}
	compare := func(when string) {
		t.Helper()
		a := dumpAt(t, ordered)
		for _, path := range []string{parallel, beside} {
			if b := dumpAt(t, path); !bytes.Equal(a, b) {
				t.Fatalf("%s: %s differs from the ordered import (%d and %d bytes of dump)", when, filepath.Base(path), len(a), len(b))
			}
		}
	}

	if phases := importFile(sqlite.ImportFileInOrder, ordered, cards); slices.ContainsFunc(phases, func(p string) bool { return strings.HasPrefix(p, "sidebars, beside") }) {
		t.Fatalf("ImportFileInOrder finished in parallel: phases %v", phases)
	}
	// The stories after the sidebars, or beside them.
	if phases := importFile(sqlite.ImportFile, parallel, cards); !slices.Contains(phases, "sidebars, beside the search index") ||
		!slices.Contains(phases, "stories, after the search index") || !slices.Contains(phases, "search index") {
		t.Fatalf("ImportFile did not finish in parallel, the stories after the search index and the sidebars: phases %v", phases)
	}
	if phases := importFile(sqlite.ImportFile, beside, cards); !slices.Contains(phases, "stories, beside the search index, after the sidebars") ||
		!slices.Contains(phases, "search index, its rows read beside it") {
		t.Fatalf("ImportFile with Big did not compute the stories beside the search index and read its rows beside it: phases %v", phases)
	}
	compare("first import")
	if n := countRows(t, parallel, `SELECT count(*) FROM listing_facets`); n == 0 {
		t.Fatal("no sidebars stored")
	}
	if n := countRows(t, parallel, `SELECT count(DISTINCT story) FROM cards WHERE story IS NOT NULL`); n < 100 {
		t.Fatalf("%d stories stored, want the 120 retold ones", n)
	}

	// A second page with other likes and new cards: updates, new stories.
	more := slices.Clone(cards[:200])
	for i := range more {
		more[i].Likes += 1000
	}
	more = append(more, generated(3100)[3000:]...)
	importFile(sqlite.ImportFileInOrder, ordered, more)
	importFile(sqlite.ImportFile, parallel, more)
	importFile(sqlite.ImportFile, beside, more)
	compare("re-import")
}

// A big import reads the search index's rows in runs of cards in their
// own order, each run sent in the order of the index's rowid, so FTS5
// writes a segment at each run's end (readSearchRows). Merged, the index
// holds the same words at the same places as one fed in rowid order, and
// passes FTS5's own check against its content.
func TestSearchIndexFedInRuns(t *testing.T) {
	ctx := context.Background()
	cards := generated(3000) // their dates are not in the order they come in
	dir := t.TempDir()
	entries := func(path string, run int) []string {
		t.Helper()
		_, err := sqlite.ImportFile(ctx, path, nil, func(im *sqlite.Import) error {
			if run > 0 {
				im.Big = true
				sqlite.SetSearchRun(im, run)
			}
			return sqlite.PageImport("cards.txt", "cards", cards...)(im)
		})
		if err != nil {
			t.Fatal(err)
		}
		s, err := sqlite.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if err := sqlite.ExecForTest(s, `INSERT INTO cards_fts (cards_fts, rank) VALUES ('integrity-check', 1)`); err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		e, err := sqlite.SearchIndexEntries(s)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	want := entries(filepath.Join(dir, "ordered.db"), 0)
	for _, run := range []int{1, 97, 1000} {
		got := entries(filepath.Join(dir, fmt.Sprintf("run-%d.db", run)), run)
		if !slices.Equal(got, want) {
			t.Fatalf("the index fed in runs of %d cards: %d entries, want the %d of the index fed in order", run, len(got), len(want))
		}
	}
}

var timestamp = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z`)

// dumpAt dumps the database at path, its import times blanked.
func dumpAt(t *testing.T, path string) []byte {
	t.Helper()
	return timestamp.ReplaceAll([]byte(sqlitetest.Dump(t, path)), []byte("TIME"))
}

func countRows(t *testing.T, path, query string) int {
	t.Helper()
	s := sqlitetest.OpenReadOnly(t, path)
	var n int
	if err := sqlite.QueryRowForTest(s, query, &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// The import builds the search index by inserting the cards in the order
// of its rowid, not with FTS5's 'rebuild' (see indexSteps). The index
// must hold the same words at the same places either way.
func TestSearchIndexBuiltAsRebuildWould(t *testing.T) {
	ctx := context.Background()
	cards := generated(2000) // their dates are not in the order they come in
	for i := range cards {
		cards[i].Summary += " Ünïcode “quoted” non‑breaking 中文 words."
	}
	path := generatedDB(t, cards)
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	built, err := sqlite.SearchIndexEntries(s)
	if err != nil {
		t.Fatal(err)
	}
	if err := sqlite.RebuildSearchIndex(s); err != nil {
		t.Fatal(err)
	}
	rebuilt, err := sqlite.SearchIndexEntries(s)
	if err != nil {
		t.Fatal(err)
	}
	if len(rebuilt) < 2000*10 {
		t.Fatalf("the rebuilt index has %d entries, too few for 2,000 cards", len(rebuilt))
	}
	if !slices.Equal(built, rebuilt) {
		for i := range min(len(built), len(rebuilt)) {
			if built[i] != rebuilt[i] {
				t.Fatalf("the import's index differs from a rebuild's at entry %d: %q, want %q (%d and %d entries)", i, built[i], rebuilt[i], len(built), len(rebuilt))
			}
		}
		t.Fatalf("the import's index has %d entries, a rebuild's %d", len(built), len(rebuilt))
	}
}
