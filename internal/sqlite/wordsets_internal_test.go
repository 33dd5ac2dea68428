package sqlite

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// placesOf lists the places in every set of in and none of out, after
// to last, up to n, as a test of each place does.
func TestPlacesOf(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	set := func(size int, density float64) bitSet {
		s := make(bitSet, size)
		for p := range size * 64 {
			if r.Float64() < density {
				s.add(uint32(p)) // #nosec G115 -- p < 320
			}
		}
		return s
	}
	for range 300 {
		size := 1 + r.IntN(5)
		in := []bitSet{set(size, 0.7)}
		if r.IntN(2) == 0 {
			in = append(in, set(size, 0.6))
		}
		var out []bitSet
		if r.IntN(2) == 0 {
			out = append(out, set(size-r.IntN(size), 0.3)) // (a shorter set: no place past its end)
		}
		after, last := uint32(r.IntN(size*64)), uint32(r.IntN(size*64+10))
		n := 1 + r.IntN(200)
		var want []uint32
		for p := after + 1; p <= last && len(want) < n; p++ {
			if !slices.ContainsFunc(in, func(s bitSet) bool { return !s.has(p) }) && !slices.ContainsFunc(out, func(s bitSet) bool { return s.has(p) }) {
				want = append(want, p)
			}
		}
		if got := placesOf(nil, in, out, after, last, n); !slices.Equal(got, want) {
			t.Fatalf("after %d, last %d, n %d: %v, want %v", after, last, n, got, want)
		}
	}
}
