package tagsplit_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"cardex/internal/catalog"
	"cardex/internal/gen"
	"cardex/internal/listing"
)

// BenchmarkSplitUnseen splits generated cards whose glued strings the
// model did not train on, each in the context of its own title and
// summary: what the importer does for most cards of a big import (at 1M
// cards it trains on tagsplit.MaxCorpusStrings strings and searches the
// rest). The model trains on the first 10,000 cards' strings and learns
// the words of all 50,000; the caches see 40,000 cards' strings go by, as
// an import's do. One op is one card.
func BenchmarkSplitUnseen(b *testing.B) {
	var cards []catalog.Card
	var pages []*bytes.Buffer
	if _, err := gen.Generate(gen.Config{Cards: 50_000, Seed: 3}, gen.Output{
		Create: func(string) (io.WriteCloser, error) {
			pages = append(pages, new(bytes.Buffer))
			return nopCloser{pages[len(pages)-1]}, nil
		},
	}); err != nil {
		b.Fatal(err)
	}
	for _, p := range pages {
		r := listing.NewReader(p, "bench.txt")
		for {
			c, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err == nil {
				cards = append(cards, c)
			}
		}
	}
	if len(cards) < 45_000 {
		b.Fatalf("only %d cards read", len(cards))
	}
	m := newModel(b, true)
	const trained = 10_000
	for i, c := range cards {
		if i < trained {
			m.Observe(c.Glued)
		}
		m.ObserveText(c.Title)
		m.ObserveText(c.Summary)
	}
	m.Train(2)
	sp := m.Fork()
	unseen := cards[trained:]
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		c := &unseen[i%len(unseen)]
		listing.SplitCard(sp, c)
	}
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }
