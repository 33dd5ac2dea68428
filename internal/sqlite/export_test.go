package sqlite

import (
	"context"

	"cardex/internal/catalog"
)

// LiveFacets is Facets counted over the cards, never read from
// listing_facets: the reference the stored sidebars are checked against.
func (s *Store) LiveFacets(ctx context.Context, q catalog.Query) (catalog.Facets, error) {
	return s.facets(ctx, q, false)
}

// PrefixWordsMax is the default of SetPrefixMax.
const PrefixWordsMax = prefixWordsMax

// Forget empties the store's memos (totals and sidebars of listings, the
// words of search prefixes), so that a benchmark times the queries, not a
// map lookup.
func (s *Store) Forget() {
	s.counts.forget()
	s.facetMemo.forget()
	s.prefixes.forget()
	s.relatedMemo.forget()
	s.anchorMemo.forget()
	s.rankMemo.forget()
}

// SetAnchorRows sets the most page anchors s keeps for a listing, so that
// a test can make a small listing's anchors sparse.
func SetAnchorRows(s *Store, n int) {
	s.anchorRows = n
	s.anchorMemo.forget()
}

// SetPrefixMax sets the most words s expands a search prefix into, so
// that a test on the small seed can leave a prefix to FTS5.
func SetPrefixMax(s *Store, n int) {
	s.prefixMax = n
	s.prefixes.forget()
}

// AnchoredListings returns how many listings s keeps page anchors for.
func AnchoredListings(s *Store) int {
	s.anchorMemo.mu.Lock()
	defer s.anchorMemo.mu.Unlock()
	n := 0
	for _, a := range s.anchorMemo.m {
		if a.rows != nil {
			n++
		}
	}
	return n
}

func (c *memo[V]) forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m = nil
}

// PrefixWords returns the words prefix was expanded into, nil when it was
// left to FTS5 or not looked up.
func PrefixWords(s *Store, prefix string) []string {
	w, _ := s.prefixWords(prefix)
	return w
}
