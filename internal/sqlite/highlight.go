package sqlite

import (
	"strings"
	"unicode/utf8"

	"cardex/internal/catalog"
)

// Search highlights are marked in Go when that gives exactly what FTS5's
// highlight() gives, which is nearly always. highlight() is costly for
// the searches cardex writes: every statement that calls it sets up the
// whole MATCH, an OR of up to 256 words for each expanded prefix, or the
// merge of every posting of a prefix left to FTS5, and then loads each
// phrase's positions for each row (at 1M cards, the 20 highlights of a
// page of "api stream tuning" took 77 ms, of a deep page of "code" 287
// ms). Marking in Go costs microseconds.
//
// markMatches follows the index's tokenizer (unicode61 remove_diacritics
// 2, migration 0011) and highlight()'s rules (fts5_aux.c):
//
//   - a token is a run of letters and digits; in ASCII text, a run of
//     [A-Za-z0-9], compared lowercased;
//   - an instance is a run of tokens equal to a term's words (the last
//     one may only start with the term's last word, when the term is a
//     prefix); instances of all the positive terms are taken in order
//     of their first token, and overlapping ones are merged;
//   - each merged instance is marked from its first token's first byte
//     to its last token's last byte.
//
// Text with a letter or digit outside ASCII (where the tokenizer's case
// folding and diacritic removal would have to be copied) and searches of
// such words are left to FTS5, as are a NUL byte and a token longer than
// maxMarkToken.

// maxMarkToken is the longest token markMatches compares itself.
const maxMarkToken = 256

// markMatches returns text with catalog.MarkStart and MarkEnd around the
// matches of the positive terms of s, as FTS5's highlight() would mark
// them; ok is false when it cannot tell (see above), and then FTS5 must.
func markMatches(text string, s catalog.Search) (marked string, ok bool) {
	type token struct{ start, end int }
	var toks []token
	for i := 0; i < len(text); {
		c := text[i]
		switch {
		case c == 0:
			return "", false // SQLite's text functions stop at a NUL
		case c >= 0x80:
			r, size := utf8.DecodeRuneInString(text[i:])
			if !markSeparator(r) {
				return "", false
			}
			i += size
		case isASCIIAlnum(c):
			j := i + 1
			for j < len(text) && isASCIIAlnum(text[j]) {
				j++
			}
			if j-i > maxMarkToken {
				return "", false
			}
			toks = append(toks, token{i, j})
			i = j
		default:
			i++
		}
	}
	// Instances as token ranges [first, last], in order of first token.
	type span struct{ first, last int }
	var spans []span
	for _, t := range s.Terms {
		if t.Exclude {
			continue
		}
		for _, w := range t.Words {
			if !isASCIIWord(w) {
				return "", false
			}
		}
	}
	for i := range toks {
		for _, t := range s.Terms {
			if t.Exclude || i+len(t.Words) > len(toks) {
				continue
			}
			match := true
			for k, w := range t.Words {
				tok := text[toks[i+k].start:toks[i+k].end]
				if t.Prefix && k == len(t.Words)-1 {
					match = len(tok) >= len(w) && strings.EqualFold(tok[:len(w)], w)
				} else {
					match = strings.EqualFold(tok, w)
				}
				if !match {
					break
				}
			}
			if match {
				spans = append(spans, span{i, i + len(t.Words) - 1})
			}
		}
	}
	if len(spans) == 0 {
		return text, true
	}
	var b strings.Builder
	b.Grow(len(text) + 2*len(spans))
	off := 0
	for k := 0; k < len(spans); {
		cur := spans[k]
		for k++; k < len(spans) && spans[k].first <= cur.last; k++ {
			cur.last = max(cur.last, spans[k].last)
		}
		start, end := toks[cur.first].start, toks[cur.last].end
		b.WriteString(text[off:start])
		b.WriteString(catalog.MarkStart)
		b.WriteString(text[start:end])
		b.WriteString(catalog.MarkEnd)
		off = end
	}
	b.WriteString(text[off:])
	return b.String(), true
}

func isASCIIAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// isASCIIWord reports whether a search word is ASCII letters and digits.
func isASCIIWord(w string) bool {
	for i := 0; i < len(w); i++ {
		if !isASCIIAlnum(w[i]) {
			return false
		}
	}
	return w != ""
}

// markSeparator reports whether r surely separates tokens: one of the
// punctuation marks and spaces listing text is full of (U+2011
// non-breaking hyphen, U+202F narrow no-break space, dashes, curly quotes,
// the ellipsis). Any other non-ASCII character may be a letter or digit
// (or is not UTF-8), and the caller leaves the text to FTS5.
func markSeparator(r rune) bool {
	switch r {
	case '\u2010', '\u2011', '\u2012', '\u2013', '\u2014', '\u2015', // hyphens and dashes
		'\u2018', '\u2019', '\u201C', '\u201D', // curly quotes
		'\u2026', '\u00A0', '\u202F', '\u2009', '\u200A', '\u00B7', '\u2022', // ellipsis, spaces, dots
		'\u00AB', '\u00BB', '\u2039', '\u203A': // guillemets
		return true
	}
	return false
}
