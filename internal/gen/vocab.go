package gen

import (
	"strconv"
	"strings"

	"cardex/internal/catalog"
)

// Vocabulary is the corpus's fixed cast: its tags and sources, each list in
// popularity order (index 0 is drawn most often), and its categories. It
// depends only on the seed and the sizes, not on the number of cards.
type Vocabulary struct {
	Tags       []string
	Sources    []string
	Categories []string
}

// tag styles, in the proportions of the aggregator's tags.
const (
	styleTitleMulti = iota // "Distributed Systems"
	styleLowerMulti        // "load balancing"
	styleSingle            // "Scalability", "caching"
	styleAcronym           // "HDFS", "DBaaS"
	styleCamel             // "ClickHouse", "VornikDB"
	styleName              // "Kafka", "Jeff Dean"
	styleMixed             // "IM architecture", "Kafka Alternative", "Java 8"
)

var (
	styleWeights    = []int{30, 20, 8, 10, 12, 12, 8}
	topStyleWeights = []int{40, 8, 22, 12, 8, 10, 0} // the 300 most popular tags
)

// NewVocabulary returns the vocabulary of seed with the given numbers of
// tags and sources. Names are unique up to case, spacing and punctuation
// (the importer would merge such spellings as aliases).
func NewVocabulary(seed uint64, tags, sources int) *Vocabulary {
	r := newRNG(seed, 1)
	v := &Vocabulary{Categories: categories}
	seen := map[string]bool{}
	unique := func(name string) bool {
		k := compactKey(name)
		if k == "" || seen[k] {
			return false
		}
		seen[k] = true
		return true
	}
	for len(v.Tags) < tags {
		var name string
		switch n := len(v.Tags); {
		case n < 40:
			name = popularTagName(r)
		case n < 300:
			name = tagName(r, r.weighted(topStyleWeights))
		default:
			name = tagName(r, r.weighted(styleWeights))
		}
		if unique(name) {
			v.Tags = append(v.Tags, name)
		}
	}
	clear(seen)
	for len(v.Sources) < sources {
		if name := sourceName(r); unique(name) {
			v.Sources = append(v.Sources, name)
		}
	}
	return v
}

// compactKey is what the importer compares to find aliases: the slug
// without its hyphens.
func compactKey(name string) string {
	return strings.ReplaceAll(catalog.Slugify(name), "-", "")
}

// popularTagName names one of the most popular tags, which on the
// aggregator are broad: "Backend", "Distributed Systems", "SQL".
func popularTagName(r rng) string {
	switch x := r.float(); {
	case x < 0.45:
		return pick(r, tagQualifiers) + " " + pick(r, tagHeads)
	case x < 0.8:
		return pick(r, tagHeads)
	default:
		return pick(r, acronyms)
	}
}

func tagName(r rng, style int) string {
	switch style {
	case styleTitleMulti:
		if r.chance(0.12) {
			return pick(r, tagQualifiers) + " " + pick(r, tagQualifiers) + " " + pick(r, tagHeads)
		}
		return pick(r, tagQualifiers) + " " + pick(r, tagHeads)
	case styleLowerMulti:
		if r.chance(0.1) {
			return pick(r, lowerMods) + " " + pick(r, lowerMods) + " " + pick(r, lowerHeads)
		}
		return pick(r, lowerMods) + " " + pick(r, lowerHeads)
	case styleSingle:
		if r.chance(0.5) {
			return pick(r, lowerHeads)
		}
		return pick(r, tagHeads)
	case styleAcronym:
		switch x := r.float(); {
		case x < 0.3:
			return pick(r, acronyms)
		case x < 0.4:
			return letters(r, 2, 3) + "aaS"
		case x < 0.5:
			return letters(r, 2, 3) + pick(r, camelSuffixes)
		default:
			return letters(r, 2, 5)
		}
	case styleCamel:
		if r.chance(0.5) {
			return pick(r, camelPrefixes) + pick(r, camelSuffixes)
		}
		return name(r, 2) + pick(r, camelSuffixes)
	case styleName:
		switch x := r.float(); {
		case x < 0.2:
			return pick(r, firstNames) + " " + pick(r, lastNames)
		case x < 0.5:
			return name(r, 3)
		default:
			return name(r, 2)
		}
	default: // styleMixed
		switch x := r.float(); {
		case x < 0.3:
			return pick(r, acronyms) + " " + pick(r, lowerHeads)
		case x < 0.55:
			return name(r, 2) + " " + pick(r, tagHeads)
		case x < 0.7:
			return pick(r, acronyms) + " " + pick(r, tagHeads)
		case x < 0.85:
			return name(r, 2) + " " + strconv.Itoa(r.between(2, 12))
		default:
			return pick(r, tagQualifiers) + " as a " + pick(r, []string{"Service", "Platform", "Product", "Library"})
		}
	}
}

// letters spells an acronym of lo to hi capitals.
func letters(r rng, lo, hi int) string {
	b := make([]byte, r.between(lo, hi))
	for i := range b {
		b[i] = byte('A' + r.intn(26))
	}
	return string(b)
}

// name spells a capitalized name of up to syllables syllables ("Talumo").
func name(r rng, syllables int) string {
	var b strings.Builder
	n := r.between(2, syllables)
	for i := range n {
		b.WriteString(pick(r, onsets))
		b.WriteString(pick(r, nuclei))
		if i == n-1 && r.chance(0.5) {
			b.WriteString(pick(r, codas))
		}
	}
	s := b.String()
	return strings.ToUpper(s[:1]) + s[1:]
}

func sourceName(r rng) string {
	switch x := r.float(); {
	case x < 0.3:
		return pick(r, sourceMods) + " " + pick(r, sourceHeads)
	case x < 0.5:
		return name(r, 3) + " " + pick(r, []string{"Tech", "Engineering", "Tech Team", "Cloud Developer", "Technology", "Developers", "R&D"})
	case x < 0.6:
		return letters(r, 3, 5)
	case x < 0.7:
		return letters(r, 2, 4) + " " + pick(r, []string{"Plus", "Notes", "Club", "Daily", "Talk"})
	case x < 0.8:
		return pick(r, sourceMods) + " and " + pick(r, sourceMods)
	case x < 0.9:
		return pick(r, firstNames) + " " + pick(r, lastNames)
	default:
		return "The " + pick(r, sourceMods) + " " + pick(r, sourceHeads)
	}
}

// entity returns the name of the company or product number k: names are a
// function of k, so that they cost no memory, and most are rare.
func entity(seed uint64, k int) string {
	r := newRNG(seed^0x5eed, uint64(k)+1<<40)
	switch x := r.float(); {
	case x < 0.55:
		return name(r, 3)
	case x < 0.75:
		return pick(r, camelPrefixes) + name(r, 2)
	case x < 0.85:
		return name(r, 2) + pick(r, camelSuffixes)
	case x < 0.95:
		return strconv.Itoa(r.between(2, 999)) + " " + name(r, 2)
	default:
		return letters(r, 2, 4)
	}
}

// jargon returns the jargon word number k, lowercase: a function of k, as
// entity is. Different k may spell the same word.
func jargon(seed uint64, k int) string {
	r := newRNG(seed^0x1a76, uint64(k)+1<<41)
	var b strings.Builder
	if r.chance(0.5) {
		b.WriteString(pick(r, jargonPrefixes))
	}
	b.WriteString(pick(r, jargonRoots))
	b.WriteString(pick(r, jargonSuffixes))
	if r.chance(0.3) {
		b.WriteByte('-')
		b.WriteString(pick(r, jargonTails))
	}
	return b.String()
}
