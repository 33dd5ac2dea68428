package sqlite

import (
	"database/sql"
	"encoding/binary"
	"hash/maphash"
)

// cardFilter is a Bloom filter of the keys (source, date, title) of the
// cards an import stored. An import into an empty database keeps one: a
// card whose key it does not hold is new, so the importer skips its
// lookup among the stored cards (cardBySource), which was 7% of the CPU
// of an import of 1M cards. A key it holds may still be new (a false
// positive): the lookup runs and finds nothing, as it would have.
type cardFilter struct {
	bits []uint64
	seed maphash.Seed
}

// cardFilterBits is the filter's size: 1 MiB. With cardFilterProbes
// probes it answers "maybe" for about 2% of new keys after 1M cards, and
// for few of them below that.
const (
	cardFilterBits   = 1 << 23
	cardFilterProbes = 4
)

func newCardFilter() *cardFilter {
	return &cardFilter{bits: make([]uint64, cardFilterBits/64), seed: maphash.MakeSeed()}
}

func (f *cardFilter) hash(source sql.NullInt64, published sql.NullString, title string) uint64 {
	var h maphash.Hash
	h.SetSeed(f.seed)
	var buf [1 + binary.MaxVarintLen64]byte
	flags := byte(0)
	if source.Valid {
		flags |= 1
	}
	if published.Valid {
		flags |= 2
	}
	h.Write(binary.AppendVarint(append(buf[:0], flags), source.Int64))
	h.WriteString(published.String)
	h.WriteByte(0)
	h.WriteString(title)
	return h.Sum64()
}

// probes returns the bits of a key's probes (double hashing: h1 + i*h2).
func (f *cardFilter) probes(source sql.NullInt64, published sql.NullString, title string) [cardFilterProbes]uint64 {
	h := f.hash(source, published, title)
	h1, h2 := h, h>>32|1
	var bits [cardFilterProbes]uint64
	for i := range bits {
		bits[i] = (h1 + uint64(i)*h2) % cardFilterBits
	}
	return bits
}

func (f *cardFilter) add(source sql.NullInt64, published sql.NullString, title string) {
	for _, bit := range f.probes(source, published, title) {
		f.bits[bit/64] |= 1 << (bit % 64)
	}
}

// mayHold reports whether a card with this key may have been added; false
// means it was not.
func (f *cardFilter) mayHold(source sql.NullInt64, published sql.NullString, title string) bool {
	for _, bit := range f.probes(source, published, title) {
		if f.bits[bit/64]&(1<<(bit%64)) == 0 {
			return false
		}
	}
	return true
}
