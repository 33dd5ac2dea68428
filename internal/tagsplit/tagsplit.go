// Package tagsplit splits the glued tag strings of listing pages
// ("Distributed SystemsRound Robinfault tolerance") into tags.
//
// The split is a search for the most probable sequence of tags under a
// unigram model, in the spirit of MDL word segmentation (Goldwater et al.'s
// Dirichlet-process unigram model): a tag seen n times in the corpus costs
// about -log(n/N); a tag never seen costs a "new tag" price plus the cost of
// spelling it out word by word (dictionary words are cheap, unknown words
// cost by their length, shapes that are usually two glued tags, like
// "DockerKafka" or "APMAlerting", cost more). Two hard rules prune the
// search: tags never start or end with a space, and within a card the tags
// are in strictly ascending code-point order.
//
// Evidence comes from a curated lexicon, the tags already in the database,
// and the corpus being imported, which Train re-segments a few times so
// that tags recurring across cards become cheap. Words of the card's own
// title and summary make a tag that appears there cheaper.
package tagsplit

import (
	"bufio"
	"cmp"
	"hash/maphash"
	"io"
	"math"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"cardex/internal/catalog"
)

// Params are the model's weights, in nats. The zero value is not useful;
// use DefaultParams.
type Params struct {
	Alpha              float64 // concentration: how readily a new tag is believed
	PriorMass          float64 // tag occurrences assumed seen before any evidence, so that a new tag is never free
	LexiconCount       float64 // pseudo-count of each lexicon tag
	LexiconWord        float64 // cost of a word that a lexicon tag uses verbatim
	DictWord           float64 // cost of an English word
	DerivedWord        float64 // cost of an inflected or derived English word
	ProperWord         float64 // cost of a capitalized name the word list has
	Acronym            float64 // cost of an all-capitals word of 2–5 letters
	UnknownBase        float64 // base cost of a word nobody knows
	UnknownPerRune     float64 // plus this per rune
	LowerUnknownBase   float64 // base cost of an unknown lowercase word (rarer than names)
	NamePerRune        float64 // per-rune cost of an unknown capitalized name
	CamelJoin          float64 // cost of each inner capital of a word ("DevOps")
	Compound           float64 // cost of running two English words together ("backend")
	UpperLowerBoundary float64 // cost of a tag boundary between a capital and a lowercase letter
	LowerLowerBoundary float64 // cost of a tag boundary between two lowercase letters
	StopTag            float64 // extra cost of a tag that is one function word ("My", "We")
	WordJoin           float64 // cost of each space inside a tag
	ContextBonus       float64 // cost taken off a tag that the card's own text mentions
	TextWord           float64 // cost of a word the corpus's titles and summaries use
	UncertainBelow     float64 // a split whose runner-up is closer than this is reported
	KnownCount         float64 // a tag counted this often once trained is known: a string made of known tags in one way only is split so, unsearched (0: always search)
	Beam               int     // hypotheses kept per position
	MaxTagBytes        int
}

// DefaultParams returns the weights tuned on the seed and the development
// listings (see internal/tagsplit/testdata).
func DefaultParams() Params {
	return Params{
		Alpha:              1,
		PriorMass:          200,
		LexiconCount:       2,
		LexiconWord:        6,
		DictWord:           9,
		DerivedWord:        10.5,
		ProperWord:         10,
		Acronym:            10,
		UnknownBase:        3,
		UnknownPerRune:     3.3,
		LowerUnknownBase:   5,
		NamePerRune:        2.5,
		CamelJoin:          9,
		Compound:           8,
		UpperLowerBoundary: 4,
		LowerLowerBoundary: 1,
		StopTag:            12,
		WordJoin:           0.5,
		ContextBonus:       4,
		TextWord:           7,
		UncertainBelow:     3,
		KnownCount:         1,
		Beam:               6,
		MaxTagBytes:        96,
	}
}

// Model holds the evidence for splitting. Use New, then Observe and Train.
// A Model is not safe for concurrent use.
//
// Its corpus is stored compactly, for the importer streams in bounded
// memory: each glued string once, its split as cut offsets into it (tags
// are substrings of the string, so none is stored apart), and the words of
// titles and summaries as hashes.
type Model struct {
	p        Params
	dict     *Dictionary
	lexWords map[string]bool    // words of lexicon tags, exact case
	lexLower map[string]bool    // the same, lowercased
	prior    map[string]float64 // lexicon and database counts
	counts   map[string]float64 // prior plus the corpus's current segmentation
	// counted has the bit countedBit(t) set for every t counts has ever
	// held: a clear bit says counts[t] is 0 without the map lookup,
	// which for the search's candidates (nearly all of them no tag) was
	// 1.2 s of the 1M import's CPU. A shared slice: only Train and the
	// priors write it, before any Fork.
	counted []uint64
	total   float64
	// corpus indexes entries by glued string while the corpus is
	// observed; Train sorts entries by string and drops it.
	corpus  map[string]int32
	entries []entry
	cuts    []uint16 // the entries' splits (entry.seg)
	alts    []alt    // the entries' close calls (entry.alt)
	altCuts []uint16 // the close calls' splits (alt.seg)
	trained bool     // Train's last round ran
	// knownTags are the tags counted at least KnownCount times once
	// trained (see knownSplit); nil before Train.
	knownTags *knownTags
	// unsettled are the glued strings whose split a person has yet to
	// settle (AddUnsettled): always searched, never split by knownTags.
	unsettled map[string]bool
	// text holds the words of the corpus's titles and summaries, exact
	// case, by hash: a set while they are observed, then a sorted slice
	// (200,000 words in 1.6 MB).
	text       map[uint64]struct{}
	textSorted []uint64
	// textFrom[b] is where the hashes of textSorted whose top bits are b
	// begin (up to textFrom[b+1]): a lookup searches a few of them, not
	// all 200,000, whose binary search was 9 s of the CPU of a 1M-card
	// import.
	textFrom []uint32
	textSeed maphash.Seed
	wcost    wordCache[float64] // word costs
	known    wordCache[bool]    // knownWord answers
	tagBuf   []string           // scratch for adjust
	pairs    *bytePairs         // search's: the byte pairs of its context
	scratch  *searchScratch     // search's buffers, reused from one search to the next
	// logNorm and logAlpha are tagCost's logarithms that no candidate
	// changes, set by search: log(total+PriorMass+Alpha) and log(Alpha).
	logNorm, logAlpha float64
}

// maxScratchHyps bounds the hyps a search's scratch keeps for the next
// search: a real glued string has a few dozen places where a tag may
// start; a 64 KB one of a hostile file had 180,000 hyps (7 MB) per fork.
const maxScratchHyps = 1 << 14

// searchScratch holds what a search allocates, kept for the next one: a
// split of 1M cards made 265 MB of beams and 100 MB of boundary lists,
// which the collector then had to find.
type searchScratch struct {
	pos    []int   // boundaries
	starts []int   // boundaries' word starts
	beams  [][]hyp // one beam per position, each a window of hyps
	hyps   []hyp   // the beams' room, Beam per position
}

// bytePairs is a set of pairs of adjacent bytes of a text: a string with
// a pair that is not in the set is not in the text. Most candidate tags
// of a search are not in the card's text, and this says so in a few
// nanoseconds, where looking for them took a fifth of a split (see
// mentioned).
type bytePairs [1 << 16 / 64]uint64

// set makes p the pairs of text.
func (p *bytePairs) set(text string) {
	clear(p[:])
	for i := 0; i+1 < len(text); i++ {
		k := uint16(text[i])<<8 | uint16(text[i+1])
		p[k/64] |= 1 << (k % 64)
	}
}

// has reports whether every pair of adjacent bytes of s is in p.
func (p *bytePairs) has(s string) bool {
	for i := 0; i+1 < len(s); i++ {
		k := uint16(s[i])<<8 | uint16(s[i+1])
		if p[k/64]&(1<<(k%64)) == 0 {
			return false
		}
	}
	return true
}

// entry is one distinct glued string of the corpus.
type entry struct {
	key  string
	n    int32  // times observed
	seg  int32  // its current split: cut offsets at cuts[seg:seg+nseg-1]
	alt  int32  // its close calls: alts[alt:alt+nalt]
	nseg uint16 // tags in its split; 0: none
	nalt uint8  // close calls of the last round, kept when 2 or more
}

// alt is a close call: a split of an entry and its cost.
type alt struct {
	cost float64
	seg  int32 // cut offsets at altCuts[seg:seg+nseg-1]
	nseg uint16
}

// maxGluedBytes bounds the strings Train learns from: cut offsets are
// 16-bit. A real glued string is a few hundred bytes at most.
const maxGluedBytes = math.MaxUint16

// New returns a model with the word knowledge of dict and no tags known.
func New(dict *Dictionary, p Params) *Model {
	return &Model{
		p:        p,
		dict:     dict,
		lexWords: map[string]bool{},
		lexLower: map[string]bool{},
		prior:    map[string]float64{},
		counts:   map[string]float64{},
		counted:  make([]uint64, countedBits/64),
		corpus:   map[string]int32{},
		text:     map[uint64]struct{}{},
		textSeed: maphash.MakeSeed(),
	}
}

// ReadLexicon adds the tags of a lexicon file: one tag per line, blank lines
// and lines starting with '#' ignored.
func (m *Model) ReadLexicon(r io.Reader) error {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		t := strings.TrimSpace(sc.Text())
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		m.AddLexicon(t)
	}
	return sc.Err()
}

// AddLexicon adds one curated tag.
func (m *Model) AddLexicon(tag string) {
	m.addPrior(tag, m.p.LexiconCount)
	for _, w := range strings.Fields(tag) {
		m.lexWords[w] = true
		m.lexLower[strings.ToLower(w)] = true
	}
	m.wcost.reset()
	m.known.reset()
}

// AddUnsettled adds a glued string whose split was uncertain and is
// listed for a person to settle: its known tags are the ones that
// uncertain split stored, so they do not vouch for it; it is searched.
func (m *Model) AddUnsettled(glued string) {
	if m.unsettled == nil {
		m.unsettled = map[string]bool{}
	}
	m.unsettled[strings.Clone(glued)] = true
}

// AddKnown adds a tag already in the database, carried by n cards.
func (m *Model) AddKnown(tag string, n int) { m.addPrior(tag, float64(n)) }

func (m *Model) addPrior(tag string, n float64) {
	m.knownTags = nil // stale: Train makes it again
	m.prior[tag] += n
	m.counts[tag] += n
	m.markCounted(tag)
	m.total += n
}

// countedBits is the size of Model.counted: 2^18 bits (32 KiB), about a
// tenth of them set by the 20,000-odd tags of a big import.
const (
	countedLog  = 18
	countedBits = 1 << countedLog
)

// countedBit is t's bit in Model.counted: a hash of its length and five
// of its bytes (the first two, the middle one, the last two), which does
// not read the whole candidate.
func countedBit(t string) uint32 {
	n := len(t)
	if n == 0 {
		return 0
	}
	x := uint32(n)*0x9E3779B1 ^ uint32(t[0])<<8 ^ uint32(t[n-1])<<16 ^ uint32(t[n/2])<<24 // #nosec G115 -- a hash
	x ^= uint32(t[min(1, n-1)]) ^ uint32(t[max(n-2, 0)])<<4                               // #nosec G115 -- a hash
	x *= 0x85EBCA6B
	return x >> (32 - countedLog)
}

func (m *Model) markCounted(t string) {
	b := countedBit(t)
	m.counted[b/64] |= 1 << (b % 64)
}

// mayBeCounted reports false when counts[t] is surely 0.
func (m *Model) mayBeCounted(t string) bool {
	b := countedBit(t)
	return m.counted[b/64]&(1<<(b%64)) != 0
}

// Corpus bounds: past them the model learns from what it has (a sample
// of a huge import), and memory stays bounded whatever the input size.
const (
	MaxCorpusStrings = 60_000  // distinct glued strings trained on
	MaxTextWords     = 200_000 // distinct words of titles and summaries
	maxCacheEntries  = 20_000  // word-cost and known-word caches (each emptied when full)
)

// Observe adds a glued string of the corpus being imported. Past
// MaxCorpusStrings distinct strings, new ones only count if already seen.
func (m *Model) Observe(glued string) {
	if len(glued) > maxGluedBytes {
		return
	}
	if m.corpus == nil { // observed again after Train
		m.corpus = make(map[string]int32, len(m.entries))
		for k, e := range m.entries {
			m.corpus[e.key] = int32(k)
		}
	}
	if k, ok := m.corpus[glued]; ok {
		m.entries[k].n++
	} else if len(m.entries) < MaxCorpusStrings {
		key := strings.Clone(glued) // not to keep the line it is cut from
		m.corpus[key] = int32(len(m.entries))
		m.entries = append(m.entries, entry{key: key, n: 1})
	}
}

// lookup returns the entry of glued, or nil.
func (m *Model) lookup(glued string) *entry {
	if m.corpus != nil {
		if k, ok := m.corpus[glued]; ok {
			return &m.entries[k]
		}
		return nil
	}
	k, ok := slices.BinarySearchFunc(m.entries, glued, func(e entry, g string) int { return strings.Compare(e.key, g) })
	if !ok {
		return nil
	}
	return &m.entries[k]
}

// ObserveText adds the words of a title or summary: a word that the
// corpus's own prose uses ("Vipshop", "HAProxy", "backend") is a word, not
// two tags glued together.
func (m *Model) ObserveText(s string) {
	if len(m.text)+len(m.textSorted) >= MaxTextWords {
		return // full: a word seen before or a new one, nothing changes
	}
	for _, w := range strings.FieldsFunc(s, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !isHyphen(r) && r != '.' && r != '+' && r != '#'
	}) {
		w = strings.TrimRight(w, ".-‑")
		if utf8.RuneCountInString(w) < 2 || len(w) > 40 {
			continue
		}
		if !m.inText(w) {
			if len(m.text)+len(m.textSorted) >= MaxTextWords {
				continue
			}
			m.wcost.forget(w)
			m.known.forget(w)
			if m.text == nil {
				m.text = map[uint64]struct{}{}
			}
			m.text[maphash.String(m.textSeed, w)] = struct{}{}
		}
	}
}

// inText reports whether the corpus's titles and summaries use w (by a
// 64-bit hash: a false yes is a chance of about one in 10^14 per word).
func (m *Model) inText(w string) bool {
	h := maphash.String(m.textSeed, w)
	if _, ok := m.text[h]; ok {
		return true
	}
	sorted := m.textSorted
	if m.textFrom != nil {
		b := h >> (64 - textFromBits)
		sorted = sorted[m.textFrom[b]:m.textFrom[b+1]]
	}
	_, ok := slices.BinarySearch(sorted, h)
	return ok
}

// textFromBits is how many top bits of a word's hash index textSorted:
// 2^16 buckets (256 KB) for up to MaxTextWords hashes, about three each.
const textFromBits = 16

// indexText makes textFrom for textSorted.
func (m *Model) indexText() {
	from := make([]uint32, 1<<textFromBits+1)
	k := 0
	for b := range from {
		for k < len(m.textSorted) && m.textSorted[k]>>(64-textFromBits) < uint64(b) {
			k++
		}
		from[b] = uint32(k)
	}
	m.textFrom = from
}

// freeze turns the observation structures into their sorted, compact
// forms: entries by glued string, the text words' hashes in a slice.
func (m *Model) freeze() {
	if m.corpus != nil {
		m.corpus = nil
		slices.SortFunc(m.entries, func(a, b entry) int { return strings.Compare(a.key, b.key) })
	}
	if len(m.text) > 0 {
		s := make([]uint64, 0, len(m.textSorted)+len(m.text))
		s = append(s, m.textSorted...)
		for h := range m.text {
			s = append(s, h)
		}
		slices.Sort(s)
		m.textSorted, m.text = s, nil
		m.indexText()
	}
}

// Train segments the observed corpus rounds times, each time with the
// counts of the previous round, leaving each string's own previous
// segmentation out while it is re-segmented.
func (m *Model) Train(rounds int) {
	m.freeze()
	m.alts, m.altCuts, m.trained = nil, nil, false
	for round := range rounds {
		last := round == rounds-1
		next := make([]uint16, 0, len(m.cuts))
		for k := range m.entries {
			e := &m.entries[k]
			n := float64(e.n)
			m.adjust(m.tags(e.key, m.cuts, e.seg, e.nseg), -n)
			want := 1
			if last {
				want = m.p.Beam
			}
			hyps := m.search(e.key, "", want)
			var tags []string
			if len(hyps) > 0 {
				tags = hyps[0].tags
			}
			e.seg, e.nseg, next = appendSplit(next, tags)
			e.alt, e.nalt = 0, 0
			// Only real close calls are kept: a string with one split in
			// reach has it as its split, and most strings have one.
			if calls := m.closeCalls(hyps); last && len(calls) > 1 {
				calls = calls[:min(len(calls), math.MaxUint8)]
				e.alt, e.nalt = int32(len(m.alts)), uint8(len(calls))
				for _, c := range calls {
					a := alt{cost: c.cost}
					a.seg, a.nseg, m.altCuts = appendSplit(m.altCuts, c.tags)
					m.alts = append(m.alts, a)
				}
			}
			m.adjust(tags, n)
		}
		m.cuts = next
	}
	m.trained = rounds > 0
	if m.trained {
		m.buildKnown()
	}
}

// Fork returns a splitter that shares m's trained state and has caches
// of its own, for splitting on several goroutines at once: a trained
// model's Split changes nothing but its caches (of word costs and known
// words, which are pure functions of the model), so m and its forks may
// Split at once as long as none of them observes or trains. It panics if
// m is not trained: an untrained model's Split changes its counts.
func (m *Model) Fork() *Model {
	if !m.trained || m.corpus != nil {
		panic("tagsplit: Fork of a model that is not trained")
	}
	f := *m
	f.wcost, f.known, f.tagBuf, f.pairs, f.scratch = wordCache[float64]{}, wordCache[bool]{}, nil, nil, nil
	return &f
}

// appendSplit appends the inner cut offsets of tags (contiguous
// substrings of one string, in order) to cuts.
func appendSplit(cuts []uint16, tags []string) (seg int32, nseg uint16, out []uint16) {
	seg = int32(len(cuts))
	off := 0
	for k, t := range tags {
		off += len(t)
		if k < len(tags)-1 {
			cuts = append(cuts, uint16(off))
		}
	}
	return seg, uint16(len(tags)), cuts
}

// tags returns the split of key stored at cuts[seg:], in m.tagBuf: valid
// until the next call.
func (m *Model) tags(key string, cuts []uint16, seg int32, nseg uint16) []string {
	m.tagBuf = appendTags(m.tagBuf[:0], key, cuts, seg, nseg)
	return m.tagBuf
}

// appendTags appends the tags of key's split stored at cuts[seg:] to out.
func appendTags(out []string, key string, cuts []uint16, seg int32, nseg uint16) []string {
	if nseg == 0 {
		return out
	}
	from := 0
	for _, c := range cuts[seg : seg+int32(nseg)-1] {
		out = append(out, key[from:c])
		from = int(c)
	}
	return append(out, key[from:])
}

// closeCalls keeps the splits that a card's own text could still promote
// over the best one: those within the largest possible context bonus,
// plus the uncertainty margin.
func (m *Model) closeCalls(hyps []scored) []scored {
	if len(hyps) == 0 {
		return nil
	}
	reach := m.p.UncertainBelow + m.p.ContextBonus*float64(len(hyps[0].tags)+2)
	k := 1
	for k < len(hyps) && hyps[k].cost-hyps[0].cost <= reach {
		k++
	}
	return slices.Clip(hyps[:k])
}

func (m *Model) adjust(tags []string, n float64) {
	for _, t := range tags {
		m.counts[t] += n
		if m.counts[t] <= 1e-9 {
			delete(m.counts, t)
		} else {
			m.markCounted(t)
		}
		m.total += n
	}
}

// Result is the split of one glued string.
type Result = catalog.SplitResult

// Split splits glued into tags. context is the card's title and summary,
// whose words make tags they mention more likely. The result is always a
// strictly ascending list whose concatenation is glued; if no such split
// exists (the string is not sorted), it is the whole string as one tag and
// not certain.
//
// For a string of the trained corpus, Split only re-ranks the close calls
// of the last training round (scored without the string's own evidence)
// by the card's text: it does not search again and does not change the
// model, so it may be called from several goroutines at once. A string
// new to a trained model that is made of known tags (see knownTags) in
// one ascending way only is split that way, certain, without a search
// or its context.
func (m *Model) Split(glued, context string) Result {
	var hyps []scored
	e := m.lookup(glued)
	if e == nil && m.trained {
		// Made of known tags in one way only: that split, certain.
		if tags, ok := m.knownSplit(glued); ok {
			return Result{Tags: tags, Certain: true}
		}
	}
	switch {
	case e != nil && m.trained && e.nalt > 1:
		cached := make([]scored, e.nalt)
		for k, a := range m.alts[e.alt : e.alt+int32(e.nalt)] {
			cached[k] = scored{cost: a.cost, tags: appendTags(nil, e.key, m.altCuts, a.seg, a.nseg)}
		}
		hyps = m.rerank(cached, normalizeContext(context))
	case e != nil && m.trained && e.nseg > 0:
		// Trained, with no close call: the split of the last round.
		hyps = []scored{{tags: appendTags(nil, e.key, m.cuts, e.seg, e.nseg)}}
	default:
		// Leave the string's own training segmentation out, as Train does,
		// so that it does not vouch for itself.
		if e != nil {
			n := float64(e.n)
			own := appendTags(nil, e.key, m.cuts, e.seg, e.nseg)
			m.adjust(own, -n)
			defer m.adjust(own, n)
		}
		hyps = m.search(glued, normalizeContext(context), 2)
	}

	if len(hyps) == 0 {
		return Result{Tags: []string{glued}, Certain: false}
	}
	r := Result{Tags: hyps[0].tags, Certain: true}
	if len(hyps) > 1 {
		r.Margin = hyps[1].cost - hyps[0].cost
		if r.Margin < m.p.UncertainBelow {
			r.Certain = false
			r.Alternative = hyps[1].tags
		}
	}
	return r
}

// hyp is a partial split ending at a candidate position: its cost, its
// last tag (for the ordering rule) and a back pointer to the hypothesis it
// extends, so that no tag list is copied during the search.
type hyp struct {
	cost float64
	last string // the last tag, a substring of the input
	from int    // index of the position the last tag starts at
	prev int    // index of the extended hypothesis in that position's beam
}

// rerank takes the context bonus off each split's cost for every tag the
// card's text mentions, and returns them best first.
func (m *Model) rerank(hyps []scored, ctx string) []scored {
	if ctx == "" || len(hyps) < 2 {
		return hyps
	}
	out := make([]scored, len(hyps))
	for k, h := range hyps {
		out[k] = h
		for _, t := range h.tags {
			if mentions(ctx, t) {
				out[k].cost -= m.p.ContextBonus
			}
		}
	}
	slices.SortStableFunc(out, func(a, b scored) int { return cmp.Compare(a.cost, b.cost) })
	return out
}

// scored is a complete split with its cost.
type scored struct {
	cost float64
	tags []string
}

// search returns up to n complete splits of s, best first.
func (m *Model) search(s, ctx string, n int) []scored {
	if s == "" {
		return nil
	}
	if m.scratch == nil {
		m.scratch = new(searchScratch)
	}
	m.logNorm, m.logAlpha = math.Log(m.total+m.p.PriorMass+m.p.Alpha), math.Log(m.p.Alpha)
	pos := m.boundaries(s)
	// The context's byte pairs (see mentioned), and the candidates'
	// lowercase for mentions cut from s's: the same bytes when s is
	// ASCII (lowercasing and the hyphens' mapping keep each byte in
	// place). Lowercasing each candidate on its own was a quarter of a
	// split in context.
	lower := ""
	if ctx != "" {
		if m.pairs == nil {
			m.pairs = new(bytePairs)
		}
		m.pairs.set(ctx)
		if isASCII(s) {
			lower = strings.ToLower(s)
		}
	}
	// Each position's beam is a window of Beam hyps in one buffer:
	// insertHyp never grows a beam past Beam, so it never reallocates.
	sc, width := m.scratch, max(m.p.Beam, 1)
	if need := len(pos) * width; cap(sc.hyps) < need {
		sc.hyps = make([]hyp, need)
	}
	beams := slices.Grow(sc.beams[:0], len(pos))[:len(pos)]
	for b := range beams {
		beams[b] = sc.hyps[b*width : b*width : (b+1)*width]
	}
	sc.beams = beams
	beams[0] = append(beams[0], hyp{prev: -1})
	for a := range pos {
		if len(beams[a]) == 0 {
			continue
		}
		i := pos[a]
		// A tag neither starts nor ends with white space (any, not only
		// ' ': "\v" alone is no tag).
		if r, _ := utf8.DecodeRuneInString(s[i:]); i < len(s) && unicode.IsSpace(r) {
			continue
		}
		sp := spelling{m: m, s: s, scanned: i, wstart: i}
		for b := a + 1; b < len(pos); b++ {
			j := pos[b]
			if j-i > m.p.MaxTagBytes {
				break
			}
			t := s[i:j]
			if r, _ := utf8.DecodeLastRuneInString(t); unicode.IsSpace(r) {
				continue
			}
			c := math.Inf(1)
			for k, h := range beams[a] {
				if h.last != "" && t <= h.last {
					continue
				}
				if math.IsInf(c, 1) {
					lt := ""
					if lower != "" {
						lt = lower[i:j]
					}
					c = m.tagCost(t, sp.cost(j), ctx != "" && m.mentioned(ctx, t, lt))
					if j < len(s) {
						ra, _ := utf8.DecodeLastRuneInString(t)
						rb, _ := utf8.DecodeRuneInString(s[j:])
						c += m.boundaryCost(ra, rb)
					}
				}
				beams[b] = insertHyp(beams[b], hyp{cost: h.cost + c, last: t, from: a, prev: k}, m.p.Beam)
			}
		}
	}
	end := beams[len(pos)-1]
	out := make([]scored, 0, min(n, len(end)))
	for k := range min(n, len(end)) {
		out = append(out, scored{cost: end[k].cost, tags: unwind(beams, len(pos)-1, k)})
	}
	if cap(sc.hyps) > maxScratchHyps {
		m.scratch = nil // a rare long string made it big: not kept for the next
	}
	return out
}

// unwind follows the back pointers of beams[b][k] to its tag list.
func unwind(beams [][]hyp, b, k int) []string {
	var rev []string
	for b > 0 {
		h := beams[b][k]
		rev = append(rev, h.last)
		b, k = h.from, h.prev
	}
	slices.Reverse(rev)
	return rev
}

// boundaries returns the byte offsets where a tag may start or end: 0,
// len(s), and the places between two non-space runes where glued tags
// meet in practice. A case rise ("Systems|Flume"), the end of an acronym
// ("CDN|Distributed", "CDN|caching"), any place next to a digit, a mark or
// CJK, and, between two lowercase letters, only where an English or known
// word ends ("Systems|caching", "availability|load"). Pruning the rest is
// what keeps the search linear in practice. The result is in the
// scratch's buffer (search makes it first), valid until the next search.
func (m *Model) boundaries(s string) []int {
	sc := m.scratch
	pos, starts := append(sc.pos[:0], 0), sc.starts[:0]
	var prev, prev2 rune = ' ', ' '
	// starts are the places in the current run of letters where a word
	// naturally starts: the run's start, a capital after a lowercase
	// letter, and the last capital of an acronym before a lowercase letter.
	for i, r := range s {
		alnum, prevAlnum := unicode.IsLetter(r) || unicode.IsDigit(r), unicode.IsLetter(prev) || unicode.IsDigit(prev)
		if !alnum {
			starts = starts[:0]
		} else if !prevAlnum || (unicode.IsUpper(r) && !unicode.IsUpper(prev)) {
			starts = append(starts, i)
		}
		if i > 0 && !unicode.IsSpace(prev) && !unicode.IsSpace(r) {
			pl, pu, rl, ru := unicode.IsLower(prev), unicode.IsUpper(prev), unicode.IsLower(r), unicode.IsUpper(r)
			ok := false
			switch {
			case (pl || unicode.IsDigit(prev)) && ru: // Systems|Flume, Web3|Kafka
				ok = true
			case pu && ru: // inside a capitals run: CDN|JMS, APM|Alerting
				ok = true
			case pu && rl: // a word ending in a capital, then a lowercase word: CDN|caching, SaaS|design
				switch {
				case unicode.IsLower(prev2):
					// "SaaS|design", not "R|ecommendation": after a rise
					// the capital may end a word only if a word follows.
					ok = m.wordStartsAt(s, i)
				default:
					ok = !unicode.IsSpace(prev2) && i > utf8.RuneLen(prev)
				}
				if unicode.IsUpper(prev2) {
					// "APMAlerting": the A of Alerting starts a word.
					_, size := utf8.DecodeLastRuneInString(s[:i])
					starts = append(starts, i-size)
				}
			case pl && rl: // two lowercase words: Systems|caching
				ok = m.wordEndsAt(s, starts, i) || m.wordStartsAt(s, i)
			case !(pl || pu) || !(rl || ru): // digits, marks, CJK
				ok = true
			}
			if ok {
				pos = append(pos, i)
			}
		}
		prev2, prev = prev, r
	}
	sc.pos, sc.starts = append(pos, len(s)), starts
	return sc.pos
}

// A boundary between two lowercase letters needs a word on one side: a
// known word of at least minLeftWord letters (minKnownWord for words of the
// lexicon or of the corpus's prose) from a natural word start up to it, or
// a known word of at least minKnownWord letters from it to the end of its
// lowercase run. Short dictionary words are everywhere ("arc", "hit") and
// would make every position a candidate.
const (
	minLeftWord  = 5
	minKnownWord = 3
)

// wordEndsAt reports whether a known word runs from one of the natural
// word starts to byte offset i.
func (m *Model) wordEndsAt(s string, starts []int, i int) bool {
	for k := len(starts) - 1; k >= 0 && k >= len(starts)-3; k-- {
		w := s[starts[k]:i]
		// A special word is a known word: from minLeftWord runes on,
		// knownWord (cached) says all.
		if n := utf8.RuneCountInString(w); n >= minLeftWord && m.knownWord(w) || n >= minKnownWord && n < minLeftWord && m.specialWord(w) {
			return true
		}
	}
	return false
}

// specialWord reports whether w is a word of the lexicon or of the
// corpus's own prose (any case).
func (m *Model) specialWord(w string) bool {
	return m.lexWords[w] || m.inText(w) || m.lexLower[strings.ToLower(w)]
}

// wordStartsAt reports whether the lowercase letters from byte offset i
// to the end of their run are a known word.
func (m *Model) wordStartsAt(s string, i int) bool {
	end := i
	for end < len(s) {
		r, size := utf8.DecodeRuneInString(s[end:])
		if !unicode.IsLower(r) {
			break
		}
		end += size
	}
	w := s[i:end]
	n := utf8.RuneCountInString(w)
	if n <= 3 && end < len(s) {
		// A short lowercase prefix on capitals or digits ("iOS", "eBPF",
		// "gRPC", "lz4") starts a word the lexicon or the prose knows.
		if r, _ := utf8.DecodeRuneInString(s[end:]); unicode.IsUpper(r) || unicode.IsDigit(r) {
			j := end
			for j < len(s) {
				r, size := utf8.DecodeRuneInString(s[j:])
				if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
					break
				}
				if j > end && unicode.IsLower(r) {
					break
				}
				j += size
			}
			for k := j; k > end; {
				if m.specialWord(s[i:k]) {
					return true
				}
				_, size := utf8.DecodeLastRuneInString(s[:k])
				k -= size
			}
		}
	}
	return n >= minKnownWord && m.knownWord(w)
}

// knownWord reports whether w is a word the model knows (any case).
func (m *Model) knownWord(w string) bool {
	if k, ok := m.known.get(w); ok {
		return k
	}
	k := m.lookupWord(w)
	m.known.put(w, k)
	return k
}

func (m *Model) lookupWord(w string) bool {
	if utf8.RuneCountInString(w) < 2 {
		return false
	}
	if m.lexWords[w] || m.inText(w) {
		return true
	}
	lw := strings.ToLower(w)
	if m.lexLower[lw] {
		return true
	}
	f, _ := m.dict.flags(lw)
	return f != 0
}

func insertHyp(hs []hyp, h hyp, k int) []hyp {
	i := sort.Search(len(hs), func(i int) bool { return hs[i].cost > h.cost })
	if i >= k {
		return hs
	}
	if len(hs) < k {
		hs = append(hs, hyp{})
	}
	copy(hs[i+1:], hs[i:])
	hs[i] = h
	return hs
}

// tagCost is -log P(tag) under the Dirichlet-process unigram model, less
// the context bonus when the card's text mentions the tag; base is its
// spellCost. It reads the logarithms search sets.
func (m *Model) tagCost(t string, base float64, mentioned bool) float64 {
	// -log((c + alpha*exp(-base)) / (total + alpha)), computed stably.
	num := m.logAlpha - base // logAdd(log 0, b) is b: most candidates are no tag
	if m.mayBeCounted(t) {
		if c := m.counts[t]; c != 0 {
			num = logAdd(math.Log(c), num)
		}
	}
	cost := m.logNorm - num
	if mentioned {
		cost -= m.p.ContextBonus
	}
	return cost
}

// mentioned reports whether ctx, the context of a search whose byte
// pairs m.pairs holds, mentions the candidate t, whose mentionForm is lt
// (or "": worked out here). A candidate with a pair of bytes ctx lacks is
// not in it, which the pairs say in a few nanoseconds.
func (m *Model) mentioned(ctx, t, lt string) bool {
	if lt == "" {
		lt = mentionForm(t)
	}
	return m.pairs.has(lt) && mentionsLower(ctx, lt)
}

func logAdd(a, b float64) float64 {
	if math.IsInf(a, -1) {
		return b
	}
	if math.IsInf(b, -1) {
		return a
	}
	if a < b {
		a, b = b, a
	}
	return a + math.Log1p(math.Exp(b-a))
}

// The spell cost of a tag nobody has seen: its words, the spaces between
// them, and a penalty for tags that are a lone function word. Words are
// cut at ' '; a tag with an empty word (two spaces) costs +Inf.
//
// search costs the candidates that start at one place in order of their
// end, and each is the one before it and a few more bytes: a spelling
// adds up the words as the ends pass them, so that a candidate looks up
// only its last word. It adds the same numbers in the same order as a
// sum over the candidate's words would, so the cost is the same to the
// bit.
type spelling struct {
	m       *Model
	s       string  // the glued string
	scanned int     // s is read up to here
	wstart  int     // where the word being read starts
	words   int     // the words before it
	done    float64 // their cost, with the spaces between them
}

// cost returns the spell cost of s[start:end], for an end past the ends
// asked before; end must not follow a space.
func (sp *spelling) cost(end int) float64 {
	m := sp.m
	for k := strings.IndexByte(sp.s[sp.scanned:end], ' '); k >= 0; k = strings.IndexByte(sp.s[sp.scanned:end], ' ') {
		w := sp.s[sp.wstart : sp.scanned+k]
		if w == "" {
			sp.done = math.Inf(1) // double space: so is every longer candidate
		} else {
			sp.done += m.wordCost(w)
			if sp.words > 0 {
				sp.done += m.p.WordJoin
			}
		}
		sp.words++
		sp.scanned += k + 1
		sp.wstart = sp.scanned
	}
	sp.scanned = end
	if math.IsInf(sp.done, 1) {
		return sp.done
	}
	cost := sp.done + m.wordCost(sp.s[sp.wstart:end])
	if sp.words > 0 {
		return cost + m.p.WordJoin
	}
	// A stop word is at most maxStopWord bytes once lowercased, and
	// lowercasing makes no rune more than 3 bytes shorter.
	if t := sp.s[sp.wstart:end]; len(t) <= 4*maxStopWord {
		if stopWords[strings.ToLower(t)] || (utf8.RuneCountInString(t) == 1 && !m.lexWords[t]) {
			cost += m.p.StopTag
		}
	}
	return cost
}

// wordCache memoizes a pure function of a word (of the model as it
// stands), emptied when it holds maxCacheEntries words. (Two generations,
// the old one read while the new one filled, kept the words in steady
// use, but their maps were 9 MB more of live heap for the importer of
// issue 6's 113 MB listing, whose bar is 64 MB of RSS.)
type wordCache[V any] struct{ m map[string]V }

func (c *wordCache[V]) get(w string) (V, bool) {
	v, ok := c.m[w]
	return v, ok
}

func (c *wordCache[V]) put(w string, v V) {
	if c.m == nil {
		c.m = make(map[string]V)
	} else if len(c.m) >= maxCacheEntries {
		// Emptied, its room kept: it fills again within a few hundred
		// cards, and growing a new map to maxCacheEntries each time
		// was nearly half of what a split allocated.
		clear(c.m)
	}
	c.m[strings.Clone(w)] = v // w is cut from a card's line
}

func (c *wordCache[V]) forget(w string) { delete(c.m, w) }

func (c *wordCache[V]) reset() { c.m = nil }

// wordCost is the cost of one space-free word.
func (m *Model) wordCost(w string) float64 {
	if c, ok := m.wcost.get(w); ok {
		return c
	}
	c := m.computeWordCost(w)
	m.wcost.put(w, c)
	return c
}

func (m *Model) computeWordCost(w string) float64 {
	p := m.p
	if m.lexWords[w] {
		return p.LexiconWord
	}
	// Hyphenated words cost their parts ("Real-time", "multi‑layer").
	if strings.IndexFunc(w, isHyphen) >= 0 {
		parts := strings.FieldsFunc(w, isHyphen)
		c := 0.5
		for _, part := range parts {
			c += m.wordCost(part)
		}
		if len(parts) == 0 {
			c += p.UnknownBase + p.UnknownPerRune*float64(utf8.RuneCountInString(w))
		}
		return c
	}
	c := m.shapeCost(w)
	if m.inText(w) {
		c = math.Min(c, p.TextWord)
	}
	return c
}

// shapeCost is the cost of a word by what it looks like and which word
// lists have it.
func (m *Model) shapeCost(w string) float64 {
	p := m.p
	lw := strings.ToLower(w)
	runes := utf8.RuneCountInString(w)
	switch shape(w) {
	case shapeLower:
		if m.lexLower[lw] {
			return p.LexiconWord + 0.5
		}
		if f, derived := m.dict.flags(lw); f&wordLower != 0 {
			if derived {
				return p.DerivedWord
			}
			return p.DictWord
		}
		return math.Min(p.LowerUnknownBase+p.UnknownPerRune*float64(runes), m.compoundCost(lw))
	case shapeCapital:
		if m.lexLower[lw] {
			return p.LexiconWord + 0.5
		}
		f, derived := m.dict.flags(lw)
		switch {
		case f&wordLower != 0 && !derived:
			return p.DictWord + 0.5
		case f&wordProper != 0:
			return p.ProperWord
		case f != 0:
			return p.DerivedWord + 0.5
		}
		return p.UnknownBase + p.NamePerRune*float64(runes) + math.Max(0, float64(runes-8))
	case shapeUpper:
		if m.lexLower[lw] {
			return p.LexiconWord + 1
		}
		switch {
		case runes == 1:
			return p.Acronym + 4
		case runes <= 3:
			return p.Acronym
		case runes <= 5:
			return p.Acronym + 1.5*float64(runes-3)
		}
		if f, _ := m.dict.flags(lw); f != 0 {
			return p.Acronym + 1
		}
		return p.UnknownBase + p.UnknownPerRune*float64(runes)
	case shapeXaaS:
		return p.Acronym
	case shapeCamel:
		// An inner capital: "DevOps", "MySQL", "iOS", "HAProxy". Cost the
		// humps as words plus a join, so that two unknown capitalized
		// names glued together read as two tags unless evidence says
		// otherwise.
		var buf [8]string
		return m.humpCost(camelHumps(buf[:0], w))
	case shapeDigits:
		// "K8s", "Web3", "IPv6", "P2C"; a longer run with inner capitals
		// is costed hump by hump ("K8sKafka").
		var buf [8]string
		if humps := camelHumps(buf[:0], w); len(humps) > 1 && runes > 6 {
			return m.humpCost(humps)
		}
		// "Resilience4j", "lz4", "v2": letter runs as words (short ones
		// as abbreviations), digit runs cheap, and a little per change.
		runs := letterDigitRuns(w)
		c := float64(len(runs) - 1)
		for _, run := range runs {
			r, _ := utf8.DecodeRuneInString(run)
			switch {
			case unicode.IsDigit(r):
				c += 2
			case utf8.RuneCountInString(run) <= 3:
				c += 4
			default:
				c += m.wordCost(run)
			}
		}
		return math.Min(c, p.UnknownBase+p.UnknownPerRune*float64(runes))
	case shapeCJK:
		return 2.5 * float64(runes)
	}
	return p.UnknownBase + p.UnknownPerRune*float64(runes)
}

// humpCost is the cost of a word made of camel humps.
func (m *Model) humpCost(humps []string) float64 {
	c := m.p.CamelJoin * float64(len(humps)-1)
	for k, h := range humps {
		if k == 0 && utf8.RuneCountInString(h) <= 3 && shape(h) == shapeLower {
			c += 4 // "i" of iOS, "mac" of macOS
			continue
		}
		c += m.wordCost(h)
	}
	return c
}

// letterDigitRuns cuts w where letters and digits meet: "lz4" -> lz, 4.
func letterDigitRuns(w string) []string {
	var out []string
	start, prevDigit := 0, false
	for i, r := range w {
		d := unicode.IsDigit(r)
		if i > 0 && d != prevDigit {
			out = append(out, w[start:i])
			start = i
		}
		prevDigit = d
	}
	return append(out, w[start:])
}

// compoundCost is the cost of a word read as two English words run
// together ("backend", "bigtable"), or +Inf.
func (m *Model) compoundCost(lw string) float64 {
	best := math.Inf(1)
	for i := 3; i <= len(lw)-3; i++ {
		if !utf8.RuneStart(lw[i]) {
			continue
		}
		a, da := m.dict.flags(lw[:i])
		b, db := m.dict.flags(lw[i:])
		if a&wordLower == 0 || b&wordLower == 0 || da || db {
			continue
		}
		best = math.Min(best, 2*m.p.DictWord+m.p.Compound)
	}
	return best
}

// camelHumps cuts a word at its inner capitals: "HAProxy" -> HA, Proxy;
// "MySQL" -> My, SQL; "iOS" -> i, OS. It appends the humps to out, as
// substrings of w: a word is costed for most candidate tags of a split,
// and copying its runes and each hump was a quarter of what a split
// allocated. A byte that is not UTF-8 is a rune of its own, no capital.
func camelHumps(out []string, w string) []string {
	start, prevUpper := 0, false
	for i, r := range w {
		curUpper := unicode.IsUpper(r)
		if i > 0 && curUpper {
			_, size := utf8.DecodeRuneInString(w[i:])
			next, _ := utf8.DecodeRuneInString(w[i+size:])
			if !prevUpper || unicode.IsLower(next) {
				out = append(out, w[start:i])
				start = i
			}
		}
		prevUpper = curUpper
	}
	return append(out, w[start:])
}

// boundaryCost is the price of a tag boundary between runes a and b: an
// acronym glued to a lowercase word ("EVC|ache") is rarer than a lowercase
// word glued to a capital ("Systems|Flume").
func (m *Model) boundaryCost(a, b rune) float64 {
	switch {
	case unicode.IsUpper(a) && unicode.IsLower(b):
		return m.p.UpperLowerBoundary
	case unicode.IsLower(a) && unicode.IsLower(b):
		return m.p.LowerLowerBoundary
	}
	return 0
}

type wordShape int

const (
	shapeOther   wordShape = iota
	shapeLower             // "caching"
	shapeCapital           // "Kafka"
	shapeUpper             // "CDN"
	shapeXaaS              // "DBaaS", "SaaS"
	shapeCamel             // "DevOps", "MySQL", "iOS", "DockerKafka"
	shapeDigits            // "Web3", "5G", "2.0"
	shapeCJK               // "分布式"
)

func shape(w string) wordShape {
	var upper, lower, digit, cjk, other int
	for _, r := range w {
		switch {
		case catalog.IsCJK(r):
			cjk++
		case unicode.IsUpper(r):
			upper++
		case unicode.IsLower(r):
			lower++
		case unicode.IsDigit(r):
			digit++
		default:
			other++
		}
	}
	switch {
	case cjk > 0 && upper+lower+digit == 0:
		return shapeCJK
	case cjk > 0:
		return shapeOther
	case digit > 0:
		return shapeDigits
	case other > 0:
		return shapeOther
	case upper == 0:
		return shapeLower
	case lower == 0:
		return shapeUpper
	}
	if strings.HasSuffix(w, "aaS") && upper >= 2 {
		return shapeXaaS
	}
	rs := []rune(w)
	k := 1
	for k < len(rs) && unicode.IsLower(rs[k]) {
		k++
	}
	if k == len(rs) && unicode.IsUpper(rs[0]) {
		return shapeCapital
	}
	return shapeCamel
}

func isHyphen(r rune) bool {
	return r == '-' || r == '\u2011' || r == '\u2010' || r == '\u2013'
}

// maxStopWord is the length in bytes of the longest stop word.
const maxStopWord = 4

var stopWords = map[string]bool{
	"a": true, "an": true, "and": true, "as": true, "at": true, "be": true, "by": true,
	"for": true, "from": true, "in": true, "is": true, "it": true, "my": true, "no": true,
	"not": true, "of": true, "on": true, "or": true, "so": true, "the": true, "to": true,
	"up": true, "we": true, "with": true, "you": true, "your": true, "our": true, "me": true,
	"us": true, "he": true, "she": true, "they": true, "this": true, "that": true, "do": true,
	"if": true, "into": true, "its": true, "new": true, "out": true, "are": true,
}

// normalizeContext lowercases text and turns dash variants into '-' so that
// mentions can find tags in it.
func normalizeContext(s string) string {
	if s == "" {
		return ""
	}
	return " " + strings.Map(func(r rune) rune {
		if isHyphen(r) {
			return '-'
		}
		if r == '\u202F' || r == '\u00A0' {
			return ' '
		}
		return unicode.ToLower(r)
	}, s) + " "
}

// mentions reports whether ctx (from normalizeContext) has tag t as a whole
// word or phrase.
func mentions(ctx, t string) bool { return mentionsLower(ctx, mentionForm(t)) }

// mentionForm is t as mentions matches it: lowercase, its hyphens '-'.
func mentionForm(t string) string {
	return strings.ToLower(strings.Map(func(r rune) rune {
		if isHyphen(r) {
			return '-'
		}
		return r
	}, t))
}

// isASCII reports whether s is all ASCII.
func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// mentionsLower is mentions of a tag already in mentionForm.
func mentionsLower(ctx, lt string) bool {
	for off := 0; ; {
		i := strings.Index(ctx[off:], lt)
		if i < 0 {
			return false
		}
		i += off
		before, _ := utf8.DecodeLastRuneInString(ctx[:i])
		after, _ := utf8.DecodeRuneInString(ctx[i+len(lt):])
		if !isWordRune(before) && !isWordRune(after) {
			return true
		}
		off = i + 1
	}
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
