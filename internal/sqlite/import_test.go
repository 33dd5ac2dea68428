package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cardex/internal/catalog"
	"cardex/internal/sqlite"
	"cardex/internal/sqlite/sqlitetest"
)

// MustOpenDB opens a fresh database in a temporary directory.
func MustOpenDB(tb testing.TB) (*sqlite.Store, string) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "cardex.db")
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s, path
}

func testCard(i int) catalog.Card {
	title := fmt.Sprintf("Card number %d", i)
	return catalog.Card{
		File: "gen.txt", Line: 4 + 11*i,
		Source: fmt.Sprintf("Source %d", i%7), Date: time.Date(2016, 1, 1+i%28, 0, 0, 0, 0, time.UTC), Category: "Backend",
		Title: title, Summary: "A summary with ‑ and ’ and 分布式.", Glued: "Distributed SystemsKafka",
		Tags: []string{"Distributed Systems", "Kafka"}, Likes: i, Minutes: 3,
		Raw: "raw " + title + "\n",
	}
}

func importCards(s *sqlite.Store, n int, failAt int) (catalog.ImportStats, error) {
	return s.Import(context.Background(), func(im *sqlite.Import) error {
		if err := im.BeginPage("gen.txt"); err != nil {
			return err
		}
		for i := range n {
			if i == failAt {
				return errors.New("forced failure")
			}
			if err := im.AddCard(testCard(i), catalog.SplitResult{Tags: testCard(i).Tags, Certain: true}); err != nil {
				return err
			}
		}
		return im.EndPage(catalog.PageHeader{Total: n, Number: 1, Of: 1, Raw: "Tagged articles\n"}, "sha")
	})
}

func dump(tb testing.TB, s *sqlite.Store) string {
	tb.Helper()
	var b strings.Builder
	if err := s.Dump(context.Background(), &b); err != nil {
		tb.Fatal(err)
	}
	return b.String()
}

// A failure in the middle of an import leaves the database exactly as it
// was before the import started.
func TestImportAtomic(t *testing.T) {
	s, _ := MustOpenDB(t)
	if _, err := importCards(s, 50, -1); err != nil {
		t.Fatal(err)
	}
	before := dump(t, s)
	if _, err := importCards(s, 200, 120); err == nil || err.Error() != "forced failure" {
		t.Fatalf("err = %v, want the forced failure", err)
	}
	if after := dump(t, s); after != before {
		t.Error("the failed import left changes behind")
	}
	v, err := s.Version(context.Background())
	if err != nil || v != 1 {
		t.Errorf("version = %d, %v; want 1", v, err)
	}
}

func TestImportCountsAndIdempotency(t *testing.T) {
	s, _ := MustOpenDB(t)
	st, err := importCards(s, 30, -1)
	if err != nil {
		t.Fatal(err)
	}
	if st.New != 30 || st.Read != 30 || st.Tags != 2 || st.Pages != 1 || st.Version != 1 {
		t.Errorf("first import: %+v", st)
	}
	before := dump(t, s)
	st, err = importCards(s, 30, -1)
	if err != nil {
		t.Fatal(err)
	}
	if st.New != 0 || st.Unchanged != 30 || st.Updated != 0 || st.Version != 1 {
		t.Errorf("second import: %+v", st)
	}
	if dump(t, s) != before {
		t.Error("importing the same cards again changed the database")
	}
}

// The serving handle cannot write.
func TestReadOnlyRejectsWrites(t *testing.T) {
	s, path := MustOpenDB(t)
	if _, err := importCards(s, 3, -1); err != nil {
		t.Fatal(err)
	}
	s.Close() // a published database is closed (sealed) before serving
	ro, err := sqlite.OpenReadOnly(context.Background(), path, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if _, err := importCards(ro, 3, -1); err == nil {
		t.Error("import through the read-only handle succeeded")
	}
}

func TestFTS5Compiled(t *testing.T) {
	s, _ := MustOpenDB(t)
	ok, err := s.FTS5Available(context.Background())
	if err != nil || !ok {
		t.Fatalf("FTS5 not available (%v): build with -tags sqlite_fts5 (make does)", err)
	}
}

func BenchmarkImport(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		s, _ := MustOpenDB(b)
		b.StartTimer()
		if _, err := importCards(s, 1000, -1); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(1000, "cards/op")
}

// A read-only store reads the file its path named when it was opened,
// on every connection, even once an import has published another file at
// the path: its memos describe the first file.
func TestReadOnlyStoreKeepsItsFile(t *testing.T) {
	ctx := context.Background()
	path := generatedDB(t, generated(30))
	s := sqlitetest.OpenReadOnly(t, path) // two connections
	if err := os.Rename(generatedDB(t, generated(50)), path); err != nil {
		t.Fatal(err)
	}
	// The walk holds one connection; the page asked for meanwhile needs
	// the other.
	var totals []int
	err := s.EachArticle(ctx, catalog.Query{}, func(catalog.Article) error {
		if len(totals) < 3 {
			page, err := s.Articles(ctx, catalog.Query{})
			if err != nil {
				return err
			}
			totals = append(totals, page.Total)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range totals {
		if n != 30 {
			t.Fatalf("totals read while a walk held a connection: %v, want 30 (the file the store opened)", totals)
		}
	}
}

// A card keeps every tag it carries, however many: the tags are stored
// in statements of a bounded number of rows.
func TestCardWithManyTags(t *testing.T) {
	c := testCard(1)
	c.Tags = nil
	for i := range 150 {
		c.Tags = append(c.Tags, fmt.Sprintf("Tag %03d", i))
	}
	c.Tags = append(c.Tags, "tag 007") // the same tag as "Tag 007"
	path := filepath.Join(t.TempDir(), "many.db")
	sqlitetest.ImportCards(t, path, []catalog.Card{c})
	s := sqlitetest.OpenReadOnly(t, path)
	var n, last, seventh int
	if err := sqlite.QueryRowForTest(s, `SELECT count(*), max(position), (SELECT position FROM card_tags ct JOIN tags t ON t.id = ct.tag_id WHERE t.slug = 'tag-007') FROM card_tags`, &n, &last, &seventh); err != nil {
		t.Fatal(err)
	}
	if n != 150 || last != 149 || seventh != 7 {
		t.Fatalf("%d tags stored, last at %d, tag 007 at %d; want 150, 149 and 7", n, last, seventh)
	}
}

// A summary packed ahead (on another goroutine) is stored as packed; one
// packed from other text than the card's is packed again, never stored.
func TestAddPackedCard(t *testing.T) {
	s, _ := MustOpenDB(t)
	cards := []catalog.Card{testCard(0), testCard(1), testCard(2)}
	cards[1].Summary = "Another summary, long enough to be worth packing: packing, packing, packing."
	cards[2].Summary = ""
	// The last one's is the zero PackedSummary, as of an empty summary.
	packed := []sqlite.PackedSummary{sqlite.PackSummary(cards[0].Summary), sqlite.PackSummary("not this card's summary"), {}}
	if _, err := s.Import(context.Background(), func(im *sqlite.Import) error {
		if err := im.BeginPage("gen.txt"); err != nil {
			return err
		}
		for i, c := range cards {
			if err := im.AddPackedCard(c, catalog.SplitResult{Tags: c.Tags, Certain: true}, packed[i]); err != nil {
				return err
			}
		}
		return im.EndPage(catalog.PageHeader{Total: len(cards), Number: 1, Of: 1, Raw: "Tagged articles\n"}, "sha")
	}); err != nil {
		t.Fatal(err)
	}
	for id, c := range cards {
		a, err := s.Article(context.Background(), int64(id+1))
		if err != nil {
			t.Fatal(err)
		}
		if a.Title != c.Title || a.Summary != c.Summary {
			t.Errorf("card %d stored as %q: %q, want %q: %q", id+1, a.Title, a.Summary, c.Title, c.Summary)
		}
	}
}

// An import's sort threads (Import.SortThreads) end with it: the store's
// connection sorts on its own thread again after.
func TestSortThreadsEndWithTheImport(t *testing.T) {
	s, _ := MustOpenDB(t)
	if _, err := s.Import(context.Background(), func(im *sqlite.Import) error {
		im.SortThreads = 2
		return sqlite.PageImport("gen.txt", "sha", testCard(0))(im)
	}); err != nil {
		t.Fatal(err)
	}
	var threads int
	if err := sqlite.QueryRowForTest(s, `PRAGMA threads`, &threads); err != nil || threads != 0 {
		t.Fatalf("PRAGMA threads after the import: %d (%v), want 0", threads, err)
	}
}
