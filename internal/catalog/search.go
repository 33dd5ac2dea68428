package catalog

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Search is a parsed full-text query: what people type, read the way they
// mean it. Words of three letters or more, or in CJK script, match by
// prefix ("kafk" finds Kafka, "秒" 秒杀; "go" is only the word go);
// "quoted words" are a
// phrase; -word excludes; a hyphenated word ("multi-layer", with any dash)
// is a phrase of its parts. Every other character is text, never syntax.
type Search struct {
	Terms []Term
}

// Term is one thing to find (or, when Exclude, to leave out).
type Term struct {
	Words   []string // lowercased; letters and digits only
	Prefix  bool     // the last word may be the start of a longer word (not in "quoted phrases")
	Exclude bool
}

// IsEmpty reports whether there is nothing to search for.
func (s Search) IsEmpty() bool { return len(s.Terms) == 0 }

// HasPositive reports whether some term must match (not only exclusions).
func (s Search) HasPositive() bool {
	for _, t := range s.Terms {
		if !t.Exclude {
			return true
		}
	}
	return false
}

// prefixMin is the fewest letters (or digits) a bare word's last word
// has for the word to match as a prefix. At 1M generated cards "s" and
// "a" start thousands of the index's words, more than are looked up one
// by one (sqlite's prefixWordsMax), so FTS5 merged all their postings
// for each statement: 1–3 s a listing. Not for a word in Chinese,
// Japanese or Korean script, which the index does not split into words
// (a run of them is one token: "秒" finds "秒杀" as a prefix only), and
// where most words are of one or two characters.
const prefixMin = 3

// IsCJK reports whether r is of a script written without spaces between
// words (Han, Hiragana, Katakana) or Hangul: text the search index keeps
// as one token a run, and the tag splitter tells apart.
func IsCJK(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul)
}

// ParseSearch reads a search box's text.
func ParseSearch(q string) Search {
	var s Search
	inQuote := false
	for i, part := range strings.Split(q, `"`) {
		if i > 0 {
			inQuote = !inQuote
		}
		if inQuote {
			if w := searchWords(part); len(w) > 0 {
				s.Terms = append(s.Terms, Term{Words: w})
			}
			continue
		}
		for _, f := range strings.Fields(part) {
			exclude := false
			if rest, ok := strings.CutPrefix(f, "-"); ok && rest != "" {
				exclude, f = true, rest
			}
			w := searchWords(f)
			if len(w) == 0 {
				continue
			}
			// A bare word, or a hyphenated one, may be the start of a longer
			// word: "kafk" finds Kafka, "multi-layer" finds multi‑layered.
			// Not a word of one or two letters (but in CJK scripts):
			// someone who types "ai", "go" or "s" means that word, and as
			// a prefix it starts so many words of the index that a search
			// of it took seconds at 1M cards (see prefixMin).
			last := w[len(w)-1]
			prefix := !exclude && (utf8.RuneCountInString(last) >= prefixMin || strings.ContainsFunc(last, IsCJK))
			s.Terms = append(s.Terms, Term{Words: w, Prefix: prefix, Exclude: exclude})
		}
	}
	return s
}

// searchWords splits text into lowercase runs of letters and digits, the
// way the full-text index tokenizes: dashes (including U+2011), quotes and
// every other mark separate words.
func searchWords(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsNumber(r)
	})
}
