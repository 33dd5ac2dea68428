package sqlite

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
)

// Page anchors. An OFFSET skips rows one by one: the middle page of a big
// listing walks half of it on every request (at 1M cards, 4 ms for the
// biggest tag, 27 ms for a big search, 66 ms for two big tags, whose
// every skipped row is a probe for the second tag). On a read-only store,
// the first request for a page deep inside a listing instead walks the
// listing once and keeps every step-th row of it, its anchors; every
// later page of that listing seeks to the anchor at or before it and
// skips fewer than step rows. The first and last pages never need them:
// window reads the second half of a listing from its end.
const (
	// anchorStep is the anchors' spacing, the default page size, so that
	// a default page starts at an anchor. A listing longer than
	// anchorStep*anchorsMaxRows is anchored more sparsely (by a multiple
	// of anchorStep), so that no listing keeps more than anchorsMaxRows
	// anchors (about 100 KB; Store.anchorRows, which tests lower).
	anchorStep     = 20
	anchorsMaxRows = 4096
	// anchorFrom is how deep a page must be, from either end of its
	// listing, before anchors are worth a walk of the whole listing.
	anchorFrom = 10 * anchorStep
	// anchorsMax bounds the listings whose anchors are remembered.
	anchorsMax = 256
)

// anchors are every step-th row of a listing in its order: rows[i] is row
// i*step (0-based).
type anchors struct {
	step int
	rows []anchor
}

// anchor is a row of a listing: a card id and its date (a feed), or a
// search index rowid (a search; published unused).
type anchor struct {
	id        int64
	published sql.NullString
}

// at returns the anchor at or before row offset and how many rows lie
// between them.
func (a anchors) at(offset int) (anchor, int) {
	i := min(offset/a.step, len(a.rows)-1)
	return a.rows[i], offset - i*a.step
}

// useAnchors reports whether a page at offset of a listing of total rows
// is read from anchors: on a read-only store (which remembers them), for
// a page at least anchorFrom rows from both ends.
func (s *Store) useAnchors(offset, total int) bool {
	return s.readOnly && offset >= anchorFrom && total-offset >= anchorFrom
}

// anchorsOf returns the anchors of the listing that query (with args)
// lists in order, a row at a time (its id, then for a feed its date),
// walking it the first time only. key names the listing.
func (s *Store) anchorsOf(ctx context.Context, total int, query string, args ...any) (anchors, error) {
	key := []byte(query)
	for _, a := range args {
		key = fmt.Appendf(key, "\x00%T:%#v", a, a) // typed and quoted: no two argument lists alike
	}
	return remember(s, &s.anchorMemo, fmt.Sprintf("%x", sha256.Sum256(key)), func() (anchors, error) {
		step, most := anchorStep, s.anchorRows
		if total > anchorStep*most {
			step = (total + most - 1) / most
			step = (step + anchorStep - 1) / anchorStep * anchorStep
		}
		a := anchors{step: step}
		rows, err := s.db.QueryContext(ctx, query, args...)
		if err != nil {
			return a, err
		}
		defer rows.Close()
		cols, err := rows.Columns()
		if err != nil {
			return a, err
		}
		// Dates repeat: one string per date, shared by its anchors.
		dates := map[string]string{}
		var skip sql.RawBytes
		for n := 0; rows.Next(); n++ {
			var r anchor
			dest := []any{&r.id, &skip}[:len(cols)]
			if len(cols) == 2 && n%step == 0 {
				dest[1] = &r.published
			}
			if err := rows.Scan(dest...); err != nil {
				return a, err
			}
			if n%step != 0 {
				continue
			}
			if r.published.Valid {
				d, ok := dates[r.published.String]
				if !ok {
					d = r.published.String
					dates[d] = d
				}
				r.published.String = d
			}
			a.rows = append(a.rows, r)
		}
		if err := rows.Err(); err != nil {
			return a, err
		}
		if len(a.rows) == 0 {
			return a, fmt.Errorf("listing of %d rows has none", total)
		}
		return a, nil
	})
}
