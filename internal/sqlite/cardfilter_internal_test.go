package sqlite

import (
	"database/sql"
	"fmt"
	"testing"
)

// The filter never forgets a key it was given (a card stored twice would
// be the price), and says "maybe" for few keys it was not given.
func TestCardFilter(t *testing.T) {
	f := newCardFilter()
	key := func(i int) (sql.NullInt64, sql.NullString, string) {
		src := sql.NullInt64{Int64: int64(i % 5000), Valid: i%9 != 0}
		day := sql.NullString{String: fmt.Sprintf("2020-01-%02d", 1+i%28), Valid: i%13 != 0}
		return src, day, fmt.Sprintf("Title number %d", i)
	}
	const n = 300_000
	for i := range n {
		f.add(key(i))
	}
	for i := range n {
		if !f.mayHold(key(i)) {
			t.Fatalf("key %d was added but the filter does not hold it", i)
		}
	}
	maybe := 0
	for i := n; i < 2*n; i++ {
		if f.mayHold(key(i)) {
			maybe++
		}
	}
	// About 0.1% in theory at 300k keys.
	if rate := float64(maybe) / n; rate > 0.005 {
		t.Errorf("false positives: %d of %d new keys (%.2f%%), want under 0.5%%", maybe, n, 100*rate)
	}
	// The same title and date without a source, or without a date, is
	// another key: each such variant of an added key is as new as any.
	variants := []struct {
		name string
		of   func(sql.NullInt64, sql.NullString) (sql.NullInt64, sql.NullString)
	}{
		{"with its source's validity flipped", func(s sql.NullInt64, d sql.NullString) (sql.NullInt64, sql.NullString) {
			s.Valid = !s.Valid
			return s, d
		}},
		{"with its date's validity flipped", func(s sql.NullInt64, d sql.NullString) (sql.NullInt64, sql.NullString) {
			d.Valid = !d.Valid
			return s, d
		}},
	}
	for _, v := range variants {
		maybe := 0
		for i := range n {
			src, day, title := key(i)
			src, day = v.of(src, day)
			if f.mayHold(src, day, title) {
				maybe++
			}
		}
		if rate := float64(maybe) / n; rate > 0.005 {
			t.Errorf("a card %s: %d of %d keys held (%.2f%%), want under 0.5%%", v.name, maybe, n, 100*rate)
		}
	}
}
