package tagsplit

import (
	"unicode"
	"unicode/utf8"
)

// knownTags is a byte trie of the tags the model is sure of: those it
// counts at least Params.KnownCount times once trained. A glued string
// that can be cut into such tags, in ascending order, in exactly one way
// is split that way without a search (see Model.knownSplit).
//
// At 1M cards nearly every glued string is new to the model (it trains
// on MaxCorpusStrings of them), and the search over a hundred candidates
// per string was a third of the import's CPU; most of those strings are
// made of tags the corpus has already shown many times, and the search
// then picks exactly those.
type knownTags struct {
	next map[uint64]uint32 // node<<8 | byte: the child node
	tag  []bool            // node ends a tag
}

// maxKnownSteps bounds the trie steps knownSplit takes for one string:
// a hostile string of one letter repeated, with tags "a", "aa", "aaa"…
// known, has exponentially many cuts.
const maxKnownSteps = 4096

// buildKnown makes the trie of the tags counted at least KnownCount
// times; none when KnownCount is 0.
func (m *Model) buildKnown() {
	m.knownTags = nil
	if m.p.KnownCount <= 0 {
		return
	}
	kt := &knownTags{next: map[uint64]uint32{}, tag: []bool{false}}
	for t, c := range m.counts {
		if c < m.p.KnownCount || !m.sureTag(t) {
			continue
		}
		node := uint32(0)
		for i := 0; i < len(t); i++ {
			k := uint64(node)<<8 | uint64(t[i])
			child, ok := kt.next[k]
			if !ok {
				child = uint32(len(kt.tag))
				kt.next[k] = child
				kt.tag = append(kt.tag, false)
			}
			node = child
		}
		kt.tag[node] = true
	}
	m.knownTags = kt
}

// sureTag reports whether t may be a known tag at all: a tag the search
// could return (no space at either end, not too long, valid UTF-8).
func (m *Model) sureTag(t string) bool {
	if t == "" || len(t) > m.p.MaxTagBytes || !utf8.ValidString(t) {
		return false
	}
	first, _ := utf8.DecodeRuneInString(t)
	last, _ := utf8.DecodeLastRuneInString(t)
	return !unicode.IsSpace(first) && !unicode.IsSpace(last)
}

// knownSplit returns the split of s into known tags in strictly ascending
// order, if there is exactly one; ok is false if there is none, more than
// one, the string is too tangled to tell within maxKnownSteps, or a
// person has yet to settle its split (see AddUnsettled).
func (m *Model) knownSplit(s string) (tags []string, ok bool) {
	kt := m.knownTags
	if kt == nil || s == "" || m.unsettled[s] {
		return nil, false
	}
	k := knownWalk{kt: kt, s: s, budget: maxKnownSteps}
	k.from(0, "")
	if k.found != 1 || k.budget < 0 {
		return nil, false
	}
	tags = make([]string, 0, len(k.best)+1)
	from := 0
	for _, c := range k.best {
		tags = append(tags, s[from:c])
		from = c
	}
	return tags, true
}

// knownWalk is knownSplit's depth-first search over the trie.
type knownWalk struct {
	kt     *knownTags
	s      string
	budget int
	found  int   // complete splits found (the walk stops at 2)
	cuts   []int // the current split's tag ends
	best   []int // the first complete split's tag ends
}

func (k *knownWalk) from(i int, last string) {
	if i == len(k.s) {
		if k.found++; k.found == 1 {
			k.best = append(k.best[:0], k.cuts...)
		}
		return
	}
	node := uint32(0)
	for j := i; j < len(k.s) && k.found < 2; j++ {
		if k.budget--; k.budget < 0 {
			return
		}
		child, ok := k.kt.next[uint64(node)<<8|uint64(k.s[j])]
		if !ok {
			return
		}
		node = child
		if t := k.s[i : j+1]; k.kt.tag[node] && t > last {
			k.cuts = append(k.cuts, j+1)
			k.from(j+1, t)
			k.cuts = k.cuts[:len(k.cuts)-1]
		}
	}
}
