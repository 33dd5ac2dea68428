package sqlite

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"cardex/internal/catalog"
)

// ImportFile publishes a bulk import compacted into a new file (VACUUM
// INTO) with a rollback journal, leaves no temporary file, and publishes
// nothing (the published file stays byte for byte as it was) from an
// import that fails half way or is cancelled during its load.
func TestImportFilePublishes(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cardex.db")
	page := func(n int, fail error) func(*Import) error {
		return func(im *Import) error {
			if err := im.BeginPage(fmt.Sprintf("p-%d.txt", n)); err != nil {
				return err
			}
			for i := range 200 {
				c := catalog.Card{Source: fmt.Sprintf("Author %d", i%7), Category: "Operations",
					Title: fmt.Sprintf("Title %d of page %d", i, n), Summary: longSummary,
					Glued: "Kafka", Tags: []string{"Kafka"}, Likes: i, Minutes: 2,
					Date: time.Date(2016, 5, 1+i%28, 0, 0, 0, 0, time.UTC)}
				c.Raw = c.Text()
				if err := im.AddCard(c, catalog.SplitResult{Tags: c.Tags, Certain: true}); err != nil {
					return err
				}
			}
			if fail != nil {
				return fail
			}
			return im.EndPage(catalog.PageHeader{Total: 200, Number: 1, Of: 1, Raw: "Tagged articles\n"}, "x")
		}
	}
	leftovers := func() {
		t.Helper()
		if left, _ := filepath.Glob(tempPrefix(path) + "*"); len(left) > 0 {
			t.Errorf("temporary files left: %v", left)
		}
	}
	stats, err := ImportFile(ctx, path, nil, page(1, nil))
	if err != nil {
		t.Fatal(err)
	}
	if stats.New != 200 || stats.NotCompacted != "" {
		t.Fatalf("import: %+v, want 200 new cards, compacted", stats)
	}
	leftovers()
	s, err := OpenReadOnly(ctx, path, 1)
	if err != nil {
		t.Fatal(err)
	}
	var (
		check, mode string
		free, cards int
	)
	if err := s.db.QueryRowContext(ctx, `SELECT (SELECT integrity_check FROM pragma_integrity_check), (SELECT journal_mode FROM pragma_journal_mode),
		(SELECT freelist_count FROM pragma_freelist_count), (SELECT count(*) FROM cards)`).Scan(&check, &mode, &free, &cards); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if check != "ok" || mode != "delete" || free != 0 || cards != 200 {
		t.Errorf("published file: integrity %q, journal mode %q, %d free pages, %d cards; want ok, delete, 0, 200", check, mode, free, cards)
	}

	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	stop := errors.New("stop")
	if _, err := ImportFile(ctx, path, nil, page(2, stop)); !errors.Is(err, stop) {
		t.Fatalf("failed import: %v, want %v", err, stop)
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Error("a failed import changed the published file")
	}
	leftovers()

	// Cancelled during the load, whose statements run under a context
	// that cannot be: nothing is published either.
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if _, err := ImportFile(cctx, path, nil, func(im *Import) error {
		err := page(3, nil)(im)
		cancel()
		return err
	}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled import: %v, want %v", err, context.Canceled)
	}
	if after, err = os.ReadFile(path); err != nil || !bytes.Equal(before, after) {
		t.Errorf("a cancelled import changed the published file (%v)", err)
	}
	leftovers()
}

// A database named by a relative path that begins with "file:" is a file
// of that name, not a URI: the import compacts it and publishes it there.
func TestImportFileNamedLikeAURI(t *testing.T) {
	t.Chdir(t.TempDir())
	path := "file:x.db"
	stats, err := ImportFile(context.Background(), path, nil, func(im *Import) error {
		if err := im.BeginPage("p.txt"); err != nil {
			return err
		}
		c := catalog.Card{Source: "Author", Title: "A title", Summary: longSummary, Glued: "Kafka", Tags: []string{"Kafka"}}
		c.Raw = c.Text()
		if err := im.AddCard(c, catalog.SplitResult{Tags: c.Tags, Certain: true}); err != nil {
			return err
		}
		return im.EndPage(catalog.PageHeader{Total: 1, Number: 1, Of: 1, Raw: "Tagged articles\n"}, "x")
	})
	if err != nil || stats.New != 1 || stats.NotCompacted != "" {
		t.Fatalf("import into %s: %+v, %v; want 1 new card, compacted", path, stats, err)
	}
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{"file:x.db", "file:x.db.lock"}; !slices.Equal(names, want) {
		t.Errorf("files after the import: %q, want %q", names, want)
	}
}
