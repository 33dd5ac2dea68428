package sqlite

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"cardex/internal/catalog"
)

// When the sidebars cannot be counted (here their scratch database's
// name is taken by a folder), the import fails, says why, leaves the
// published database as it was and no file of its own behind.
func TestParallelFinishFailureLeavesTheDatabase(t *testing.T) {
	for _, big := range []bool{false, true} { // a big import's finish reads the index's rows beside it, and computes the stories sooner
		t.Run("big "+strconv.FormatBool(big), func(t *testing.T) { parallelFinishFailure(t, big) })
	}
}

func parallelFinishFailure(t *testing.T, big bool) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "cardex.db")
	importOne := func(title string) error {
		_, err := ImportFile(ctx, path, nil, func(im *Import) error {
			im.Big = big
			return oneCardPage(title)(im)
		})
		return err
	}
	if err := importOne("First"); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	base, err := filepath.Abs(tempPrefix(path) + strconv.Itoa(os.Getpid()))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(base+"-sidebars", "taken"), 0o755); err != nil {
		t.Fatal(err)
	}
	err = importOne("Second")
	if err == nil || !strings.Contains(err.Error(), "sidebars") || !strings.Contains(err.Error(), "is a directory") {
		t.Fatalf("the import with no room for its sidebars: %v; want an error that says so", err)
	}
	t.Logf("the import failed with: %v", err)
	after, rerr := os.ReadFile(path)
	if rerr != nil || string(after) != string(before) {
		t.Fatalf("the published database changed after a failed import (%v)", rerr)
	}
	os.RemoveAll(base + "-sidebars")
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".import-") {
			t.Errorf("%s left behind (the import failed with: %v)", e.Name(), err)
		}
	}
}

// Rows of the search index that end early, because their reader failed,
// fail the import with the reader's error: never an index with cards
// missing. A reader that cannot find a card's tag says which.
func TestSearchIndexRowsEndingEarly(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cardex.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rows := make(chan []searchRow, 1)
	rows <- []searchRow{{seq: 1, title: "Only one"}}
	close(rows)
	failed := errors.New("the snapshot went away")
	_, err = s.Import(ctx, func(im *Import) error {
		return im.fillSearchIndex(rows, func() error { return failed })
	})
	if !errors.Is(err, failed) || !strings.Contains(err.Error(), "search index") {
		t.Fatalf("an import whose index rows ended early: %v; want the reader's error", err)
	}

	snap := filepath.Join(t.TempDir(), "snap.db")
	w, err := Open(ctx, snap)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Import(ctx, oneCardPage("T")); err != nil {
		t.Fatal(err)
	}
	if _, err := w.db.ExecContext(ctx, `PRAGMA foreign_keys = OFF; DELETE FROM tags WHERE name = 'B'`); err != nil {
		t.Fatal(err)
	}
	w.Close()
	out := make(chan []searchRow)
	go func() {
		for range out {
		}
	}()
	if err := readSearchRows(ctx, snap, searchRun, out); err == nil || !strings.Contains(err.Error(), "names tag") {
		t.Fatalf("rows of a card whose tag is gone: %v; want an error that says so", err)
	}
}

// oneCardPage imports a page of one card titled title, tagged A and B,
// its title standing for the file's hash.
func oneCardPage(title string) func(*Import) error {
	return func(im *Import) error {
		if err := im.BeginPage("p.txt"); err != nil {
			return err
		}
		c := catalog.Card{File: "p.txt", Line: 4, Source: "S", Date: time.Date(2020, 1, 2, 0, 0, 0, 0, time.UTC), Category: "C",
			Title: title, Summary: "A summary.", Glued: "AB", Tags: []string{"A", "B"}, Likes: 1, Minutes: 2, Raw: title + "\n"}
		if err := im.AddCard(c, catalog.SplitResult{Tags: c.Tags, Certain: true}); err != nil {
			return err
		}
		return im.EndPage(catalog.PageHeader{Total: 1, Number: 1, Of: 1, Raw: "Tagged articles\n"}, title)
	}
}
