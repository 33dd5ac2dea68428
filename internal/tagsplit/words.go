package tagsplit

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"fmt"
	"hash/maphash"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// wordsGz is an English word list (SCOWL size 50 as shipped by Debian's
// wamerican, possessives removed), gzipped. It is the splitter's word
// knowledge for joins like "Paxosconsensus".
//
//go:embed words.txt.gz
var wordsGz []byte

// Word flags in a Dictionary.
const (
	wordLower   = 1 << iota // the list has the word in lowercase ("caching")
	wordProper              // the list has it capitalized ("Kafka", "Dean")
	wordAcronym             // the list has it in capitals ("NASA")
)

// Dictionary is a set of English words, keyed by their lowercase form:
// the words sorted in one string, found by binary search (about 1 MB,
// against 4 in a map of strings).
type Dictionary struct {
	blob  string   // the lowercase words, sorted, end to end
	start []uint32 // word k is blob[start[k]:start[k+1]]
	flag  []uint8  // word k's flags
	// slots is an open-addressing hash table of the words: k+1 for word
	// k at the slot its hash picks or the first free one after it, 0 for
	// none. A lookup is a hash and about one comparison, where the
	// binary search was 17 comparisons in a megabyte, most of them cache
	// misses; the splitter looks up several words for each candidate
	// tag, and the inflections of every unknown one (400 KB for 80,000
	// words).
	slots []uint32
	seed  maphash.Seed
}

// EnglishWords returns the embedded English word list.
func EnglishWords() (*Dictionary, error) {
	zr, err := gzip.NewReader(bytes.NewReader(wordsGz))
	if err != nil {
		return nil, fmt.Errorf("tagsplit: word list: %w", err)
	}
	words := make(map[string]uint8, 80000)
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		addWord(words, sc.Text())
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("tagsplit: word list: %w", err)
	}
	return newDictionary(words), nil
}

// addWord adds one word of the list to words, by its lowercase form.
func addWord(words map[string]uint8, w string) {
	if w == "" {
		return
	}
	lw := strings.ToLower(w)
	switch {
	case w == lw:
		words[lw] |= wordLower
	case isAllUpper(w):
		words[lw] |= wordAcronym
	default:
		words[lw] |= wordProper
	}
}

func newDictionary(words map[string]uint8) *Dictionary {
	keys := make([]string, 0, len(words))
	size := 0
	for w := range words {
		keys = append(keys, w)
		size += len(w)
	}
	slices.Sort(keys)
	var b strings.Builder
	b.Grow(size)
	d := &Dictionary{start: make([]uint32, 0, len(keys)+1), flag: make([]uint8, 0, len(keys))}
	for _, w := range keys {
		d.start = append(d.start, uint32(b.Len()))
		d.flag = append(d.flag, words[w])
		b.WriteString(w)
	}
	d.start = append(d.start, uint32(b.Len()))
	d.blob = b.String()
	slots := 1
	for slots < 2*len(keys) {
		slots *= 2
	}
	d.slots, d.seed = make([]uint32, slots), maphash.MakeSeed()
	for k := range keys {
		i := d.slot(d.at(k))
		for d.slots[i] != 0 {
			i = (i + 1) & (slots - 1)
		}
		d.slots[i] = uint32(k + 1)
	}
	return d
}

// at returns word k.
func (d *Dictionary) at(k int) string { return d.blob[d.start[k]:d.start[k+1]] }

// slot returns the slot of lw's hash.
func (d *Dictionary) slot(lw string) int {
	return int(maphash.String(d.seed, lw) & uint64(len(d.slots)-1))
}

// word returns the flags of the lowercase word lw, 0 if the list lacks it.
func (d *Dictionary) word(lw string) uint8 {
	for i := d.slot(lw); d.slots[i] != 0; i = (i + 1) & (len(d.slots) - 1) {
		if k := int(d.slots[i] - 1); d.at(k) == lw {
			return d.flag[k]
		}
	}
	return 0
}

// flags returns the flags of the lowercase word lw, trying common English
// inflections and derivations when the word itself is missing. derived is
// true when only a derived form matched.
func (d *Dictionary) flags(lw string) (f uint8, derived bool) {
	return d.flagsDepth(lw, 2)
}

func (d *Dictionary) flagsDepth(lw string, depth int) (f uint8, derived bool) {
	if f = d.word(lw); f != 0 {
		return f, false
	}
	if depth == 0 || utf8.RuneCountInString(lw) < 4 {
		return 0, false
	}
	for _, sx := range suffixes {
		if !strings.HasSuffix(lw, sx.strip) || len(lw)-len(sx.strip) < 3 {
			continue
		}
		stem := lw[:len(lw)-len(sx.strip)] + sx.add
		if f, _ := d.flagsDepth(stem, depth-1); f&wordLower != 0 {
			return wordLower, true
		}
		// Doubled consonant: "mapping" -> "map".
		if sx.add == "" && len(stem) > 3 && stem[len(stem)-1] == stem[len(stem)-2] {
			if f := d.word(stem[:len(stem)-1]) & wordLower; f != 0 {
				return f, true
			}
		}
	}
	for _, px := range prefixes {
		if strings.HasPrefix(lw, px) && len(lw)-len(px) >= 4 {
			if f, _ := d.flagsDepth(lw[len(px):], depth-1); f&wordLower != 0 {
				return wordLower, true
			}
		}
	}
	return 0, false
}

type suffix struct{ strip, add string }

var suffixes = []suffix{
	{"s", ""}, {"es", ""}, {"ies", "y"}, {"ed", ""}, {"ed", "e"}, {"ied", "y"},
	{"ing", ""}, {"ing", "e"}, {"er", ""}, {"er", "e"}, {"ers", ""}, {"ers", "e"},
	{"ly", ""}, {"ity", ""}, {"ity", "e"}, {"ability", "able"}, {"ibility", "ible"},
	{"ization", "ize"}, {"isation", "ise"}, {"ization", ""}, {"ation", "ate"}, {"ation", ""},
	{"ness", ""}, {"ment", ""}, {"ments", ""}, {"less", ""}, {"able", ""}, {"able", "e"},
	{"ize", ""}, {"ized", ""}, {"izing", ""}, {"ist", ""}, {"ism", ""}, {"al", ""},
}

var prefixes = []string{
	"re", "un", "pre", "non", "multi", "micro", "sub", "inter", "cross", "auto", "self",
	"hyper", "super", "over", "under", "de", "co", "meta", "mega", "giga", "tera", "cyber",
	"anti", "semi", "mis", "out", "up", "down", "back", "front", "end", "data", "web", "cloud",
}

func isAllUpper(s string) bool {
	hasLetter := false
	for _, r := range s {
		if unicode.IsLower(r) {
			return false
		}
		if unicode.IsUpper(r) {
			hasLetter = true
		}
	}
	return hasLetter
}
