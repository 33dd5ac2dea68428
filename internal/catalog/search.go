package catalog

import (
	"strings"
	"unicode"
)

// Search is a parsed full-text query: what people type, read the way they
// mean it. Words match by prefix ("kafk" finds Kafka); "quoted words" are a
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
			s.Terms = append(s.Terms, Term{Words: w, Prefix: !exclude, Exclude: exclude})
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
