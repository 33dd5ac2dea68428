package sqlite

import (
	"context"
	"fmt"
	"slices"
)

// Page anchors. An OFFSET skips rows one by one: the middle page of a big
// listing walks half of it on every request (at 1M cards, 4 ms for the
// biggest tag, 27 ms for a big search, 66 ms for two big tags, whose
// every skipped row is a probe for the second tag). On a read-only store,
// the second request for a page deep inside a listing instead walks the
// listing once and keeps every step-th row of it, its anchors; every
// later page of that listing seeks to the anchor at or before it and
// skips fewer than step rows (see anchorsFor). The first and last
// pages never need them: window reads the second half of a listing from its end.
const (
	// anchorStep is the anchors' spacing, the default page size, so that
	// a default page starts at an anchor. A listing longer than
	// anchorStep*anchorsMaxRows is anchored more sparsely (by a multiple
	// of anchorStep), so that no listing keeps more than anchorsMaxRows
	// anchors (16 KB; Store.anchorRows, which tests lower).
	anchorStep     = 20
	anchorsMaxRows = 2048
	// anchorFrom is how deep a page must be, from either end of its
	// listing, before anchors are worth a walk of the whole listing.
	anchorFrom = 10 * anchorStep
	// anchorsMax bounds the listings whose anchors are remembered: 4 MB
	// at most.
	anchorsMax = 256
)

// anchors are every step-th row of a listing: rows[i] is the id of row
// i*step (0-based), a card id for a feed (whose date the page query looks
// up) or a search index rowid for a search.
type anchors struct {
	step int
	rows []int64
}

// at returns the anchor at or before row offset and how many rows lie
// between them.
func (a anchors) at(offset int) (int64, int) {
	i := min(offset/a.step, len(a.rows)-1)
	return a.rows[i], offset - i*a.step
}

// anchorsFor returns the anchors of the listing that walk lists in
// order (a query and its arguments, one id a row), for a page at offset
// of its total rows; ok is false when the page is to be read without
// them. They are used on a read-only store (which remembers them), for a
// page at least anchorFrom rows from both ends, and from the second such
// request for the listing on: the first is read with an OFFSET, which
// skips fewer rows than the walk would read, so a listing asked for one
// deep page never pays for the walk. The memo marks that first request
// with anchors that have no rows.
func (s *Store) anchorsFor(ctx context.Context, offset, total int, walk func() (string, []any)) (_ anchors, ok bool, _ error) {
	if !s.readOnly || offset < anchorFrom || total-offset < anchorFrom {
		return anchors{}, false, nil
	}
	query, args := walk()
	key := listingKey(query, args)
	a, seen := s.anchorMemo.Get(key)
	switch {
	case !seen:
		s.anchorMemo.Put(key, anchors{})
		return anchors{}, false, nil
	case a.rows != nil:
		return a, true, nil
	}
	a, err := s.walkAnchors(ctx, total, query, args...)
	if err != nil {
		return anchors{}, false, err
	}
	s.anchorMemo.Put(key, a)
	return a, true, nil
}

// walkAnchors walks the listing that query lists and returns its anchors.
func (s *Store) walkAnchors(ctx context.Context, total int, query string, args ...any) (anchors, error) {
	step, most := anchorStep, s.anchorRows
	if total > anchorStep*most {
		step = (total + most - 1) / most
		step = (step + anchorStep - 1) / anchorStep * anchorStep
	}
	a := anchors{step: step, rows: make([]int64, 0, (total+step-1)/step)}
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return a, err
	}
	defer rows.Close()
	for n := 0; rows.Next(); n++ {
		if n%step != 0 {
			continue
		}
		var id int64
		if err := rows.Scan(&id); err != nil {
			return a, err
		}
		a.rows = append(a.rows, id)
	}
	if err := rows.Err(); err != nil {
		return a, err
	}
	if len(a.rows) == 0 {
		return a, fmt.Errorf("listing of %d rows has none", total)
	}
	a.rows = slices.Clip(a.rows)
	return a, nil
}
