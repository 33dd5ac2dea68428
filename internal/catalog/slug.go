package catalog

import (
	"strings"
	"unicode"
)

// Slugify turns a display name into a lowercase, readable URL slug:
// "Distributed Systems" -> "distributed-systems", "C++" -> "c-plus-plus",
// "Real‑time" (U+2011) -> "real-time". Latin diacritics are folded, letters of
// other scripts are kept as they are, and every other run of characters
// becomes one hyphen. It never returns "" for a name that has a letter or
// digit; for a name without any it returns "-".
func Slugify(name string) string {
	var b strings.Builder
	b.Grow(len(name))
	pendingHyphen := false
	word := func(s string) {
		if pendingHyphen && b.Len() > 0 {
			b.WriteByte('-')
		}
		pendingHyphen = false
		b.WriteString(s)
	}
	for _, r := range name {
		switch {
		case r == '+':
			pendingHyphen = true
			word("plus")
			pendingHyphen = true
		case r == '#':
			pendingHyphen = true
			word("sharp")
			pendingHyphen = true
		case r == '&':
			pendingHyphen = true
			word("and")
			pendingHyphen = true
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			word(FoldRune(r))
		default:
			pendingHyphen = true
		}
	}
	if b.Len() == 0 {
		return "-"
	}
	return b.String()
}

// FoldRune lowercases r and strips Latin diacritics ("É" -> "e", "ß" -> "ss").
func FoldRune(r rune) string {
	r = unicode.ToLower(r)
	if r < 0x80 {
		return string(r)
	}
	if s, ok := latinFold[r]; ok {
		return s
	}
	return string(r)
}

// latinFold maps the lowercase Latin letters with diacritics that appear in
// Western names to their base letters. It is a lookup table, not state.
var latinFold = map[rune]string{
	'à': "a", 'á': "a", 'â': "a", 'ã': "a", 'ä': "a", 'å': "a", 'ā': "a", 'ă': "a", 'ą': "a",
	'æ': "ae", 'ç': "c", 'ć': "c", 'č': "c", 'ď': "d", 'đ': "d",
	'è': "e", 'é': "e", 'ê': "e", 'ë': "e", 'ē': "e", 'ę': "e", 'ě': "e",
	'ì': "i", 'í': "i", 'î': "i", 'ï': "i", 'ī': "i", 'ı': "i",
	'ł': "l", 'ñ': "n", 'ń': "n", 'ň': "n",
	'ò': "o", 'ó': "o", 'ô': "o", 'õ': "o", 'ö': "o", 'ø': "o", 'ō': "o", 'ő': "o", 'œ': "oe",
	'ř': "r", 'ś': "s", 'š': "s", 'ş': "s", 'ß': "ss", 'ť': "t", 'ţ': "t",
	'ù': "u", 'ú': "u", 'û': "u", 'ü': "u", 'ū': "u", 'ů': "u", 'ű': "u",
	'ý': "y", 'ÿ': "y", 'ź': "z", 'ż': "z", 'ž': "z", 'þ': "th", 'ð': "d",
}
