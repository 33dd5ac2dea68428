package gen

import (
	"math"
	"math/rand/v2"
)

// rng is the generator's source of randomness: PCG from math/rand/v2,
// whose output is specified, with the derived draws (ints, floats, Zipf)
// computed here, so that a seed gives the same corpus whatever Go release
// builds it.
type rng struct{ src *rand.PCG }

// newRNG returns the stream number stream of seed. Streams are
// independent: the vocabulary and each listing have their own, so that
// one does not shift when another changes.
func newRNG(seed, stream uint64) rng {
	return rng{rand.NewPCG(seed, splitmix(stream^0x9e3779b97f4a7c15))}
}

// splitmix scrambles x (SplitMix64's finalizer).
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// intn returns a number in [0, n); n must be positive. The modulo bias is
// below 2^-40 for the n used here.
func (r rng) intn(n int) int { return int(r.src.Uint64() % uint64(n)) }

// between returns a number in [lo, hi].
func (r rng) between(lo, hi int) int { return lo + r.intn(hi-lo+1) }

// float returns a number in [0, 1).
func (r rng) float() float64 { return float64(r.src.Uint64()>>11) / (1 << 53) }

// chance reports true with probability p.
func (r rng) chance(p float64) bool { return r.float() < p }

// pick returns a random element of list.
func pick[T any](r rng, list []T) T { return list[r.intn(len(list))] }

// weighted returns i with probability w[i] / sum(w).
func (r rng) weighted(w []int) int {
	sum := 0
	for _, x := range w {
		sum += x
	}
	x := r.intn(sum)
	for i, v := range w {
		if x < v {
			return i
		}
		x -= v
	}
	return len(w) - 1
}

// zipf draws ranks 0..n-1 with P(k) roughly proportional to 1/(k+1)^s, by
// inverting the continuous power law: no table, O(1) per draw.
type zipf struct {
	n   int
	s   float64
	top float64 // (n+1)^(1-s) - 1, or ln(n+1) when s == 1
}

func newZipf(n int, s float64) zipf {
	z := zipf{n: n, s: s}
	if s == 1 {
		z.top = math.Log(float64(n) + 1)
	} else {
		z.top = math.Pow(float64(n)+1, 1-s) - 1
	}
	return z
}

func (z zipf) draw(r rng) int {
	u := r.float()
	var x float64
	if z.s == 1 {
		x = math.Exp(u * z.top)
	} else {
		x = math.Pow(u*z.top+1, 1/(1-z.s))
	}
	k := int(x) - 1
	return min(max(k, 0), z.n-1)
}
