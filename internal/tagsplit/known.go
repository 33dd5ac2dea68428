package tagsplit

import (
	"cmp"
	"slices"
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
//
// The trie is arrays: a node's children are a run of edges sorted by
// byte, found by a short scan (nearly every node past the first few
// bytes has one child), and the root's by a table of all 256 bytes. A
// map of node<<8|byte to child, which it was built as before, was 2 s
// of the 1M import's CPU in lookups that missed the processor's caches.
type knownTags struct {
	root  [256]uint32 // the root's child by byte; 0: none (the root is no one's child)
	first []uint32    // by node: its first edge; its edges end where node+1's begin
	label []byte      // by edge: its byte
	child []uint32    // by edge: the node it leads to
	tag   []bool      // by node: the node ends a tag
}

// step returns the child of node by byte b, or false.
func (kt *knownTags) step(node uint32, b byte) (uint32, bool) {
	if node == 0 {
		c := kt.root[b]
		return c, c != 0
	}
	for e := kt.first[node]; e < kt.first[node+1]; e++ {
		if l := kt.label[e]; l >= b {
			return kt.child[e], l == b
		}
	}
	return 0, false
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
	// The tags in byte order make the nodes in depth-first order, and
	// each node's children in byte order: a node's edges are then
	// appended in order, after its parent's, as its children are made.
	var tags []string
	for t, c := range m.counts {
		if c >= m.p.KnownCount && m.sureTag(t) {
			tags = append(tags, t)
		}
	}
	slices.Sort(tags)
	type edge struct {
		from  uint32
		label byte
		to    uint32
	}
	var (
		edges []edge
		tag   = []bool{false}
		path  []uint32 // the nodes of the tag before, by depth
		prev  string
	)
	for _, t := range tags {
		common := 0
		for common < len(prev) && common < len(t) && prev[common] == t[common] {
			common++
		}
		path = path[:common]
		node := uint32(0)
		if common > 0 {
			node = path[common-1]
		}
		for i := common; i < len(t); i++ {
			child := uint32(len(tag)) // #nosec G115 -- nodes are bytes of tags, far under 2^32
			tag = append(tag, false)
			edges = append(edges, edge{node, t[i], child})
			path = append(path, child)
			node = child
		}
		tag[node] = true
		prev = t
	}
	// Edges by parent, then byte (stable: appended in byte order).
	slices.SortStableFunc(edges, func(a, b edge) int { return cmp.Compare(a.from, b.from) })
	kt := &knownTags{first: make([]uint32, len(tag)+1), label: make([]byte, len(edges)), child: make([]uint32, len(edges)), tag: tag}
	for i, e := range edges {
		if e.from == 0 {
			kt.root[e.label] = e.to
		}
		kt.label[i], kt.child[i] = e.label, e.to
		kt.first[e.from+1] = uint32(i + 1) // #nosec G115 -- as above
	}
	for n := 1; n < len(kt.first); n++ { // a node with no edges begins where the one before ends
		kt.first[n] = max(kt.first[n], kt.first[n-1])
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
		child, ok := k.kt.step(node, k.s[j])
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
