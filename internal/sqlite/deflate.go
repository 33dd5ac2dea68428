package sqlite

import (
	"encoding/binary"
	"math/bits"
)

// dictDeflater writes raw DEFLATE streams (RFC 1951) of short texts
// against one preset dictionary, in a single block of the fixed Huffman
// codes. It exists because every general encoder primes itself from the
// dictionary again for each text: klauspost's StatelessDeflate hashed the
// 8 KB dictionary on every call, and built a Huffman table for 300 bytes,
// most of the 11.5 µs a summary took, 11.5 s of CPU in an import of 1M
// cards. Here the dictionary's positions are hashed once, when the
// deflater is made; a call hashes only its own text, and tries up to
// dfMaxChain places of the dictionary for each match, with one byte of
// lazy matching. Fixed codes need no table in the stream: for a text of
// a few hundred bytes the table a general encoder writes costs about
// what its better codes save (figures at packText).
//
// A dictDeflater is read-only once made: safe on any number of
// goroutines at once.
type dictDeflater struct {
	dict []byte
	head []int32 // by hash of 4 bytes: the dictionary's last position with them, +1 (0: none)
	prev []int32 // by dictionary position: the one before it with the same hash, +1
}

const (
	dfHashBits  = 14
	dfTextBits  = 10 // a text's own positions, in a table small enough to clear per call
	dfMinMatch  = 4
	dfMaxMatch  = 258
	dfWindow    = 1 << 15
	dfMaxChain  = 16 // dictionary candidates tried per position
	dfGoodMatch = 16 // a match at least this long is taken without looking one byte on
)

func newDictDeflater(dict []byte) *dictDeflater {
	if len(dict) > dfWindow/2 {
		dict = dict[len(dict)-dfWindow/2:]
	}
	d := &dictDeflater{dict: dict, head: make([]int32, 1<<dfHashBits), prev: make([]int32, len(dict))}
	for p := 0; p+dfMinMatch <= len(dict); p++ {
		h := dfHash(binary.LittleEndian.Uint32(dict[p:]), dfHashBits)
		d.prev[p] = d.head[h]
		d.head[h] = int32(p + 1)
	}
	return d
}

func dfHash(u uint32, b uint) uint32 { return (u * 0x1e35a7bd) >> (32 - b) }

// matchLen returns how many bytes a and b share from their start, up to
// max.
func matchLen(a, b []byte, max int) int {
	n := min(len(a), len(b), max)
	i := 0
	for ; i+8 <= n; i += 8 {
		if x := binary.LittleEndian.Uint64(a[i:]) ^ binary.LittleEndian.Uint64(b[i:]); x != 0 {
			return i + bits.TrailingZeros64(x)/8
		}
	}
	for ; i < n && a[i] == b[i]; i++ {
	}
	return i
}

// longest returns the longest match for in[i:] (length, distance back
// from the text's position i in the window of the dictionary then the
// text), or a length of 0. th holds the text's earlier positions.
func (d *dictDeflater) longest(in []byte, i int, th *[1 << dfTextBits]int32) (int, int) {
	u := binary.LittleEndian.Uint32(in[i:])
	best, dist := 0, 0
	if c := int(th[dfHash(u, dfTextBits)]) - 1; c >= 0 && i-c <= dfWindow && binary.LittleEndian.Uint32(in[c:]) == u {
		best, dist = matchLen(in[c:], in[i:], dfMaxMatch), i-c
	}
	at := len(d.dict) + i // i's place in the window
	for p, n := int(d.head[dfHash(u, dfHashBits)])-1, 0; p >= 0 && n < dfMaxChain && at-p <= dfWindow; p, n = int(d.prev[p])-1, n+1 {
		if binary.LittleEndian.Uint32(d.dict[p:]) != u {
			continue
		}
		if l := matchLen(d.dict[p:], in[i:], dfMaxMatch); l > best {
			best, dist = l, at-p
			if l == dfMaxMatch {
				break
			}
		}
	}
	if best < dfMinMatch {
		return 0, 0
	}
	return best, dist
}

// deflate appends to dst the raw DEFLATE stream of in, which must be
// under 2 GiB (a summary is one line of a listing, at most 64 KiB).
func (d *dictDeflater) deflate(dst, in []byte) []byte {
	var th [1 << dfTextBits]int32
	w := bitWriter{out: dst}
	w.bits(3, 3) // BFINAL, BTYPE 01: fixed codes
	note := func(j int) {
		if j+dfMinMatch <= len(in) {
			th[dfHash(binary.LittleEndian.Uint32(in[j:]), dfTextBits)] = int32(j + 1) // #nosec G115 -- in is under 2 GiB (deflate's doc)
		}
	}
	for i := 0; i < len(in); {
		if i+dfMinMatch > len(in) {
			w.literal(in[i])
			i++
			continue
		}
		l, dist := d.longest(in, i, &th)
		if l > 0 && l < dfGoodMatch && i+1+dfMinMatch <= len(in) {
			// One byte on may start a longer match (lazy matching).
			note(i)
			if l2, d2 := d.longest(in, i+1, &th); l2 > l {
				w.literal(in[i])
				i++
				l, dist = l2, d2
			}
		}
		if l == 0 {
			note(i)
			w.literal(in[i])
			i++
			continue
		}
		w.match(l, dist)
		for j := i; j < i+l; j++ {
			note(j)
		}
		i += l
	}
	w.code(fixedLit[256])
	return w.flush()
}

// A fixed Huffman code: its bits already reversed, as DEFLATE writes
// them from the least significant bit, and its length.
type hcode struct {
	bits uint16
	n    uint8
}

var fixedLit = func() (t [286]hcode) {
	for s := range t {
		var c, n int
		switch {
		case s < 144:
			c, n = 0x30+s, 8
		case s < 256:
			c, n = 0x190+s-144, 9
		case s < 280:
			c, n = s-256, 7
		default:
			c, n = 0xc0+s-280, 8
		}
		t[s] = fixedCode(c, n)
	}
	return t
}()

// fixedDist are the distance codes: every one 5 bits long.
var fixedDist = func() (t [30]hcode) {
	for c := range t {
		t[c] = fixedCode(c, 5)
	}
	return t
}()

// fixedCode is code c of n bits (n ≤ 9), reversed.
func fixedCode(c, n int) hcode {
	return hcode{bits.Reverse16(uint16(c)) >> (16 - n), uint8(n)} // #nosec G115 -- codes of at most 9 bits
}

type bitWriter struct {
	out []byte
	acc uint64
	n   uint
}

func (w *bitWriter) bits(v uint64, n uint) {
	w.acc |= v << w.n
	w.n += n
	for w.n >= 8 {
		w.out = append(w.out, byte(w.acc)) // #nosec G115 -- the low 8 bits are the next byte out
		w.acc >>= 8
		w.n -= 8
	}
}

func (w *bitWriter) code(c hcode) { w.bits(uint64(c.bits), uint(c.n)) }

func (w *bitWriter) literal(b byte) { w.code(fixedLit[b]) }

// match writes a length (3–258) and a distance (1–32768).
func (w *bitWriter) match(length, dist int) {
	switch l := length - 3; {
	case l < 8:
		w.code(fixedLit[257+l])
	case length == 258:
		w.code(fixedLit[285])
	default:
		nb := bits.Len(uint(l)) - 1
		w.code(fixedLit[257+4*(nb-1)+(l>>(nb-2))&3])
		w.bits(uint64(l&(1<<(nb-2)-1)), uint(nb-2)) // #nosec G115 -- the extra bits of a length of 11 to 257
	}
	d := dist - 1
	if d < 4 {
		w.code(fixedDist[d])
		return
	}
	nb := bits.Len(uint(d)) - 1
	w.code(fixedDist[2*nb+(d>>(nb-1))&1])
	w.bits(uint64(d&(1<<(nb-1)-1)), uint(nb-1)) // #nosec G115 -- the extra bits of a distance of 5 to 32768
}

func (w *bitWriter) flush() []byte {
	if w.n > 0 {
		w.out = append(w.out, byte(w.acc)) // #nosec G115 -- the last bits, under 8
	}
	return w.out
}
