package gen

import (
	"fmt"
	"strconv"
	"strings"
)

// Title templates. Slots: {T} and {U} two of the card's tags, {E} a company
// or product, {A} an adjective, {N} a noun, {G} a gerund, {V} a verb,
// {K} a small number, {S} a closing phrase, {Y} a year.
var titleTemplates = []string{
	"How {E} {V} a {A} {T} {N}",
	"{G} a {A} {N} with {T} and {U} at {E}",
	"{T} in Practice: {G} a {A} {N} at {E}",
	"Understanding {A} {T}: {K} Lessons from {E}",
	"Why {E} Moved from {T} to {U}",
	"{K} Ways to Improve {T} {N} Performance in {A} Systems",
	"Inside {E}’s {A} {T} {N}",
	"{G} {A} {T} {S}: Lessons from {E}",
	"From {T} to {U}: How {E} {V} Its {N}",
	"The Evolution of {E}’s {T} {N}",
	"Deep Dive into {T}: {E}’s {A} {N} Design",
	"{T} vs {U}: Choosing the Right {N} for {A} Workloads",
	"What We Learned {G} a {A} {T} {N} {S}",
	"Designing {E}’s {A} {N} on {T}: Architecture and Trade-offs",
	"{E} {N} Architecture: {G} {T} for {K} Million Users",
	"Lessons from {G} a {A} {T} {N} at {E}",
	"Best Practices for {T} in {A} {N} Environments at {E}",
	"Troubleshooting {A} {T}: A {N} Case Study from {E}",
	"An Introduction to {T} and {U} for {A} {N} Engineers",
	"{A} {T}: How {E} Cut {N} Latency by {K}%",
	"Rethinking {T} at {E} — {A} {N} Patterns That Work",
	"{E} Open-Sources Its {A} {T} {N}",
	"A Year of {T} at {E}: {G} the {N} {S}",
	"{T} Explained: From Basics to {E}’s {A} {N}",
	"How We {V} Our {A} {T} {N} in {Y}",
}

// writer builds one card's text; hyph is the hyphen its text words use.
type writer struct {
	r     rng
	seed  uint64
	ents  zipf
	hyph  string
	b     strings.Builder
	words int
}

// word writes a list word, its hyphens as w.hyph.
func (w *writer) word(s string) {
	if w.hyph != "-" && strings.Contains(s, "-") {
		s = strings.ReplaceAll(s, "-", w.hyph)
	}
	w.b.WriteString(s)
}

func (w *writer) entity() string { return entity(w.seed, w.ents.draw(w.r)) }

// jargon returns a jargon word, capitalized when title is set.
func (w *writer) jargon(title bool) string {
	j := jargon(w.seed, w.ents.draw(w.r))
	if title {
		return strings.ToUpper(j[:1]) + j[1:]
	}
	return j
}

// fill writes template t with the card's tags.
func (w *writer) fill(t string, tags []string) {
	first := pick(w.r, tags)
	second := pick(w.r, tags)
	for second == first && len(tags) > 1 {
		second = pick(w.r, tags)
	}
	for {
		i := strings.IndexByte(t, '{')
		if i < 0 {
			w.word(t)
			return
		}
		w.word(t[:i])
		switch t[i+1] {
		case 'T':
			w.b.WriteString(first)
		case 'U':
			w.b.WriteString(second)
		case 'E':
			w.b.WriteString(w.entity())
		case 'A':
			if w.r.chance(0.4) {
				w.word(w.jargon(true))
			} else {
				w.word(pick(w.r, titleAdjectives))
			}
		case 'N':
			if w.r.chance(0.4) {
				w.word(w.jargon(true))
			} else {
				w.word(pick(w.r, titleNouns))
			}
		case 'G':
			w.word(pick(w.r, titleGerunds))
		case 'V':
			w.word(pick(w.r, titleVerbs))
		case 'K':
			w.b.WriteString(strconv.Itoa(w.r.between(2, 12)))
		case 'S':
			w.word(pick(w.r, titleSuffixes))
		case 'Y':
			w.b.WriteString(strconv.Itoa(w.r.between(2015, 2025)))
		}
		t = t[i+3:]
	}
}

// title returns a title of 6 to 14 words.
func (w *writer) title(tags []string) string {
	for try := 0; ; try++ {
		w.b.Reset()
		w.fill(pick(w.r, titleTemplates), tags)
		for n := countWords(w.b.String()); n < 6; n = countWords(w.b.String()) {
			w.b.WriteByte(' ')
			w.word(pick(w.r, titleSuffixes))
		}
		s := w.b.String()
		if n := countWords(s); n <= 14 {
			return s
		}
		if try == 5 {
			return strings.Join(strings.Fields(s)[:14], " ")
		}
	}
}

// summary returns a summary of 25 to 60 words.
func (w *writer) summary(tags []string) string {
	w.b.Reset()
	w.words = 0
	target := w.r.between(25, 48)
	w.add(pick(w.r, summaryOpeners))
	w.add(" " + w.entity() + " " + pick(w.r, summaryVerbs))
	adj := pick(w.r, summaryAdjectives)
	w.add(" " + article(adj) + " " + adj + " " + pick(w.r, tags) + " " + strings.ToLower(pick(w.r, titleNouns)))
	for w.words < target {
		switch w.r.intn(9) {
		case 0, 1:
			w.add(", covering " + w.noun() + ", " + w.noun() + ", and " + w.noun())
		case 2:
			w.add(" using " + pick(w.r, tags) + " and " + pick(w.r, tags))
		case 3:
			w.add("—" + pick(w.r, summaryAsides) + "—and")
			w.add(" " + w.noun())
		case 4:
			w.add(", " + fmt.Sprintf(pick(w.r, summaryOutcomes), w.r.between(2, 90)))
		case 5:
			w.add(". It also compares " + pick(w.r, tags) + " with " + w.entity())
		case 6:
			w.add(", and the “" + pick(w.r, quotedTerms) + "” approach behind it")
		case 7:
			w.add(", with lessons on " + w.noun() + " and " + w.noun())
		default:
			w.add(", describing " + w.entity() + "’s " + pick(w.r, summaryAdjectives) + " " + w.noun())
		}
	}
	w.b.WriteByte('.')
	return w.b.String()
}

// noun returns a noun phrase of a summary.
func (w *writer) noun() string {
	if w.r.chance(0.4) {
		return w.jargon(false)
	}
	return pick(w.r, summaryNouns)
}

// add writes a piece of the summary and counts the summary's words (a
// piece may continue the word before it: ", covering").
func (w *writer) add(s string) {
	w.word(s)
	w.words = countWords(w.b.String())
}

func article(word string) string {
	if strings.ContainsRune("aeiou", rune(word[0])) {
		return "an"
	}
	return "a"
}

// countWords counts the runs of non-space bytes.
func countWords(s string) int {
	n, in := 0, false
	for i := 0; i < len(s); i++ {
		sp := s[i] == ' '
		if !sp && !in {
			n++
		}
		in = !sp
	}
	return n
}
