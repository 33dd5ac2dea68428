// Package sqlitetest builds real SQLite databases for tests: the seed page's
// 92 cards, as the hand-checked golden file has them, in a temp dir.
package sqlitetest

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"cardex/internal/catalog"
	"cardex/internal/listing"
	"cardex/internal/sqlite"
)

// GoldenPath is the golden file of the seed page: every field of its 92
// cards, checked by hand.
func GoldenPath() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "cmd", "cardex", "testdata", "seed.golden.jsonl")
}

// GoldenCard is one line of the golden file, in the JSON Lines shape that
// `cardex parse` prints.
type GoldenCard = listing.JSONCard

// ReadJSONL reads cards in the shape of GoldenCard, one JSON object a line,
// from r. It fails the test on a line that does not decode.
func ReadJSONL(tb testing.TB, r io.Reader) []GoldenCard {
	tb.Helper()
	var out []GoldenCard
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var g GoldenCard
		if err := json.Unmarshal(sc.Bytes(), &g); err != nil {
			tb.Fatalf("%v: %s", err, sc.Text())
		}
		out = append(out, g)
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// Golden reads the golden file. It fails the test on a date that is not a
// valid YYYY-MM-DD day.
func Golden(tb testing.TB) []GoldenCard {
	tb.Helper()
	f, err := os.Open(GoldenPath())
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	out := ReadJSONL(tb, f)
	for _, g := range out {
		if g.Date == nil {
			continue
		}
		if _, err := time.Parse(time.DateOnly, *g.Date); err != nil {
			tb.Fatalf("%s:%d: %v", g.File, g.Line, err)
		}
	}
	return out
}

// ImportCards stores cards, with the tags each carries, as the one page of
// the database at path, which it creates if need be.
func ImportCards(tb testing.TB, path string, cards []catalog.Card) {
	tb.Helper()
	importPage(tb, path, "cards.txt", catalog.PageHeader{Total: len(cards), Number: 1, Of: 1, Raw: "Tagged articles\n"}, "cards", cards)
}

// importPage stores cards, with the tags each carries, as the page file
// with header h of the database at path.
func importPage(tb testing.TB, path, file string, h catalog.PageHeader, sha256 string, cards []catalog.Card) {
	tb.Helper()
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		tb.Fatal(err)
	}
	defer s.Close()
	_, err = s.Import(context.Background(), func(im *sqlite.Import) error {
		if err := im.BeginPage(file); err != nil {
			return err
		}
		for _, c := range cards {
			if err := im.AddCard(c, catalog.SplitResult{Tags: c.Tags, Certain: true}); err != nil {
				return err
			}
		}
		return im.EndPage(h, sha256)
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// SeedDB writes a database holding the seed's cards into a temp dir and
// returns its path.
func SeedDB(tb testing.TB) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "cardex.db")
	var cards []catalog.Card
	for _, g := range Golden(tb) {
		cards = append(cards, g.Card())
	}
	importPage(tb, path, "seeds/distributed-systems-page-21.txt",
		catalog.PageHeader{Total: 2122, Number: 21, Of: 22, Raw: "Tagged articles\n2122 articles\nPage 21 of 22\n"}, "golden", cards)
	return path
}

// SeedStore opens the seed database read-only, as the server does.
func SeedStore(tb testing.TB) *sqlite.Store {
	tb.Helper()
	return OpenReadOnly(tb, SeedDB(tb))
}

// OpenReadOnly opens the database at path read-only, as the server does,
// and closes it when the test ends.
func OpenReadOnly(tb testing.TB, path string) *sqlite.Store {
	tb.Helper()
	s, err := sqlite.OpenReadOnly(context.Background(), path, 2)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// Dump returns a stable text dump of the database at path (see
// sqlite.Store.Dump): two databases with the same content dump alike.
func Dump(tb testing.TB, path string) string {
	tb.Helper()
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		tb.Fatal(err)
	}
	defer s.Close()
	var b strings.Builder
	if err := s.Dump(context.Background(), &b); err != nil {
		tb.Fatal(err)
	}
	return b.String()
}
