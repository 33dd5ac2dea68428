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
