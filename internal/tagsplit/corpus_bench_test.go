package tagsplit_test

import (
	"testing"

	"cardex/internal/listing"
	"cardex/internal/tagsplit"
)

// BenchmarkSplitUnseen splits generated cards whose glued strings the
// model did not train on, each in the context of its own title and
// summary: what the importer does for most cards of a big import (at 1M
// cards it trains on tagsplit.MaxCorpusStrings strings and searches the
// rest). The model trains on the first 10,000 cards' strings and learns
// the words of all 50,000; the caches see 40,000 cards' strings go by, as
// an import's do. One op is one card.
func BenchmarkSplitUnseen(b *testing.B) {
	cards, _ := tagsplit.GeneratedCards(b, 50_000, 3)
	m := newModel(b, true)
	const trained = 10_000
	tagsplit.TrainOnCards(m, cards, trained)
	sp := m.Fork()
	unseen := cards[trained:]
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		c := &unseen[i%len(unseen)]
		listing.SplitCard(sp, c)
	}
}
