package sqlite

import (
	"errors"
	"math/bits"
)

// inflateFixed decodes what dictDeflater writes: a raw DEFLATE stream
// (RFC 1951) against a preset dictionary whose blocks use the fixed
// Huffman codes. It appends the text to dst, which must not share
// memory with dict. ok is false, with nothing decoded, when the stream
// has a block of another kind (stored, or with codes of its own, as
// older encoders wrote): the caller then reads it with compress/flate,
// which reads any stream. It fails past limit bytes of text, and on a
// stream that is not valid DEFLATE, where compress/flate fails too.
//
// compress/flate spent most of an unpack setting up its reader and
// going through io.Reader a few bytes at a time: 1.75 µs a summary, about
// 3 s of each 1M-card import's search index. BenchmarkTextCodec's unpack
// and unpack-reference compare the two in one run.
func inflateFixed(dst, src, dict []byte, limit int) (out []byte, ok bool, err error) {
	out = dst
	base := len(dst)
	if len(dict) > 1<<15 { // a window of 32 KiB, as compress/flate keeps
		dict = dict[len(dict)-1<<15:]
	}
	var (
		acc  uint64 // bits not yet used, the next one lowest
		n    uint   // how many
		next int    // the next byte of src to load
	)
	// need makes sure that n ≥ k (k ≤ 32), or fails at the end of src.
	need := func(k uint) bool {
		for n < k {
			if next == len(src) {
				return false
			}
			acc |= uint64(src[next]) << n
			next++
			n += 8
		}
		return true
	}
	take := func(k uint) uint32 {
		v := uint32(acc & (1<<k - 1)) // #nosec G115 -- at most 32 bits
		acc >>= k
		n -= k
		return v
	}
	for {
		if !need(3) {
			return dst, true, errInflateShort
		}
		final := take(1)
		switch take(2) {
		case 1: // fixed codes
		case 0, 2:
			return dst, false, nil
		default:
			return dst, true, errors.New("inflate: a block of the reserved type 3")
		}
		for {
			// A symbol's code is 7 to 9 bits: look at 9, or at what is
			// left at the end of the stream.
			need(9)
			e := fixedLitDecode[acc&(1<<9-1)]
			if e.n == 0 { // the codes of 286 and 287, which no stream may use
				return dst, true, errors.New("inflate: an invalid length code")
			}
			if uint(e.n) > n {
				return dst, true, errInflateShort
			}
			take(uint(e.n))
			sym := int(e.sym)
			if sym < 256 {
				if len(out)-base >= limit {
					return dst, true, errInflateLimit
				}
				out = append(out, byte(sym)) // #nosec G115 -- a literal, under 256
				continue
			}
			if sym == 256 {
				break
			}
			l := lengthBase[sym-257]
			if x := lengthExtra[sym-257]; x > 0 {
				if !need(uint(x)) {
					return dst, true, errInflateShort
				}
				l += int(take(uint(x)))
			}
			if !need(5) {
				return dst, true, errInflateShort
			}
			dc := bits.Reverse8(uint8(take(5))) >> 3 // #nosec G115 -- 5 bits
			if dc > 29 {
				return dst, true, errors.New("inflate: an invalid distance code")
			}
			d := distBase[dc]
			if x := distExtra[dc]; x > 0 {
				if !need(uint(x)) {
					return dst, true, errInflateShort
				}
				d += int(take(uint(x)))
			}
			have := len(out) - base
			if d > have+len(dict) {
				return dst, true, errors.New("inflate: a distance before the start of the window")
			}
			if have+l > limit {
				return dst, true, errInflateLimit
			}
			if d > have { // from the dictionary first
				from := dict[len(dict)-(d-have):]
				k := min(l, len(from))
				out = append(out, from[:k]...)
				l -= k
				if l == 0 {
					continue
				}
				// The rest comes from the text, from its first byte on.
				d = len(out) - base
			}
			start := len(out) - d
			if d >= l {
				out = append(out, out[start:start+l]...)
				continue
			}
			for i := range l { // overlapping: each byte may be one just written
				out = append(out, out[start+i])
			}
		}
		if final == 1 {
			return out, true, nil
		}
	}
}

var (
	errInflateShort = errors.New("inflate: the stream ends inside a block")
	errInflateLimit = errors.New("inflate: more text than the limit")
)

// fixedLitDecode maps the next 9 bits of a stream (the first one
// lowest) to the fixed literal/length code they begin with: its symbol
// and its length in bits. The codes of 286 and 287, which are valid
// codes of no symbol, stay zero: a length of 0.
var fixedLitDecode = func() (t [1 << 9]struct {
	sym uint16
	n   uint8
}) {
	for s, c := range fixedLit {
		for hi := 0; hi < 1<<(9-c.n); hi++ {
			e := &t[int(c.bits)|hi<<c.n]
			e.sym, e.n = uint16(s), c.n // #nosec G115 -- symbols under 288
		}
	}
	return t
}()

// The lengths of symbols 257 to 285 and the distances of codes 0 to 29:
// each a base and a number of extra bits (RFC 1951, 3.2.5).
var (
	lengthBase  = [29]int{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lengthExtra = [29]uint8{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	distBase    = [30]int{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	distExtra   = [30]uint8{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
)
