package tagsplit

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// spellCostOf is the spell cost of t summed over its words at once, the
// definition spelling.cost computes incrementally.
func spellCostOf(m *Model, t string) float64 {
	words := strings.Split(t, " ")
	cost := 0.0
	for k, w := range words {
		if w == "" {
			return math.Inf(1)
		}
		cost += m.wordCost(w)
		if k > 0 {
			cost += m.p.WordJoin
		}
	}
	if len(words) == 1 && (stopWords[strings.ToLower(t)] || (utf8.RuneCountInString(t) == 1 && !m.lexWords[t])) {
		cost += m.p.StopTag
	}
	return cost
}

// A spelling walked end by end gives every candidate the cost of summing
// its words at once, to the bit: search's choices do not depend on how
// the cost was added up.
func TestSpellingMatchesTheSumOverWords(t *testing.T) {
	dict, err := EnglishWords()
	if err != nil {
		t.Fatal(err)
	}
	m := New(dict, DefaultParams())
	m.AddLexicon("Distributed Systems")
	for _, s := range []string{
		"Distributed SystemsRound Robinfault tolerance",
		"Code AuthorizationEILCPNATLSrate consistencyserialization",
		"a  bThe ofTo",       // a double space, stop words
		"Kafka消息队列 MQ x",     // CJK, a lone rune
		"ÎN THE Multi‑layer", // lowercasing that changes lengths
		"Ｋelvin \u212A the",
	} {
		for i := range len(s) {
			if !utf8.RuneStart(s[i]) || s[i] == ' ' {
				continue
			}
			sp := spelling{m: m, s: s, scanned: i, wstart: i}
			for j := i + 1; j <= len(s); j++ {
				if (j < len(s) && !utf8.RuneStart(s[j])) || s[j-1] == ' ' {
					continue
				}
				got, want := sp.cost(j), spellCostOf(m, s[i:j])
				if math.Float64bits(got) != math.Float64bits(want) {
					t.Errorf("%q: cost %v, summed over its words %v", s[i:j], got, want)
				}
			}
		}
	}
}

// spelling checks stop words only up to 4*maxStopWord bytes.
func TestMaxStopWord(t *testing.T) {
	for w := range stopWords {
		if len(w) > maxStopWord {
			t.Errorf("stop word %q is longer than maxStopWord (%d)", w, maxStopWord)
		}
	}
}

// The dictionary's hash table finds every word with its flags, and no
// other string.
func TestDictionaryFindsEachWord(t *testing.T) {
	d, err := EnglishWords()
	if err != nil {
		t.Fatal(err)
	}
	for k := range d.flag {
		if got := d.word(d.at(k)); got != d.flag[k] {
			t.Fatalf("word %q: flags %d, want %d", d.at(k), got, d.flag[k])
		}
		if d.at(k) != "" && d.word(d.at(k)+"qx") != 0 {
			t.Fatalf("%q found, not a word", d.at(k)+"qx")
		}
	}
	if empty := newDictionary(map[string]uint8{}); empty.word("a") != 0 {
		t.Fatal("an empty dictionary has a word")
	}
}

// A long string's search does not leave its big buffers to the model;
// an ordinary one's are kept for the next search.
func TestSearchKeepsNoBigScratch(t *testing.T) {
	dict, err := EnglishWords()
	if err != nil {
		t.Fatal(err)
	}
	m := New(dict, DefaultParams())
	m.Train(1)
	m.Split("Distributed SystemsKafka", "")
	if m.scratch == nil {
		t.Fatal("an ordinary search kept no scratch")
	}
	m.Split(strings.Repeat("aB", 30_000), "")
	if m.scratch != nil && cap(m.scratch.hyps) > maxScratchHyps {
		t.Fatalf("a 60,000-byte string left %d hyps in the scratch", cap(m.scratch.hyps))
	}
}

// camelHumps cuts by byte offsets; runeHumps, the rune by rune way it
// was written before, is the reference: the two must cut every word at
// the same places.
func TestCamelHumpsCutsAsRunesDo(t *testing.T) {
	words := []string{"", "a", "A", "HAProxy", "MySQL", "iOS", "macOS", "DevOps", "K8sKafka", "APMAlerting",
		"ÉtéÀÉclair", "ĲsselŒuvre", "中文API", "gRPC", "eBPFMap", "ABC", "abcDEFgh", "Résumé‑Builder"}
	r := rand.New(rand.NewPCG(3, 9))
	alphabet := []rune("aBcDÉéŒœ中1‑ ")
	for range 20_000 {
		rs := make([]rune, r.IntN(12))
		for k := range rs {
			rs[k] = alphabet[r.IntN(len(alphabet))]
		}
		words = append(words, string(rs))
	}
	for _, w := range words {
		got, want := camelHumps(nil, w), runeHumps(w)
		if !slices.Equal(got, want) {
			t.Fatalf("camelHumps(%q) = %q, runeHumps = %q", w, got, want)
		}
	}
	if got := camelHumps(nil, "HAProxy"); !slices.Equal(got, []string{"HA", "Proxy"}) {
		t.Errorf(`camelHumps("HAProxy") = %q, want ["HA" "Proxy"]`, got)
	}
	// Not UTF-8: a bad byte is a rune of its own, kept as it is.
	if got := camelHumps(nil, "ab\xffCd\xffEF"); !slices.Equal(got, []string{"ab\xff", "Cd\xff", "EF"}) {
		t.Errorf(`camelHumps("ab\xffCd\xffEF") = %q`, got)
	}
}

// runeHumps cuts w at its inner capitals rune by rune.
func runeHumps(w string) []string {
	rs := []rune(w)
	var out []string
	start := 0
	for i := 1; i < len(rs); i++ {
		prevUpper, curUpper := unicode.IsUpper(rs[i-1]), unicode.IsUpper(rs[i])
		nextLower := i+1 < len(rs) && unicode.IsLower(rs[i+1])
		if (!prevUpper && curUpper) || (prevUpper && curUpper && nextLower) {
			out = append(out, string(rs[start:i]))
			start = i
		}
	}
	return append(out, string(rs[start:]))
}

// inText finds every word of the prose observed, through textFrom's
// buckets once the model is frozen, and no other: words observed after
// Train are found too.
func TestInTextFindsTheProseWords(t *testing.T) {
	dict, err := EnglishWords()
	if err != nil {
		t.Fatal(err)
	}
	m := New(dict, DefaultParams())
	r := rand.New(rand.NewPCG(4, 4))
	word := func() string {
		b := make([]byte, 4+r.IntN(8))
		for k := range b {
			b[k] = 'a' + byte(r.IntN(26))
		}
		return string(b)
	}
	var seen []string
	for range 30_000 {
		w := word()
		seen = append(seen, w)
		m.ObserveText("Zz " + w + ".")
	}
	m.Train(0)
	if m.textFrom == nil || len(m.textSorted) < 29_000 {
		t.Fatalf("not indexed: %d hashes, textFrom %v", len(m.textSorted), m.textFrom != nil)
	}
	late := word() + "late"
	m.ObserveText(late)
	for _, w := range append(seen, late) {
		if !m.inText(w) {
			t.Fatalf("inText(%q) = false for an observed word", w)
		}
	}
	m.Train(0) // merges the late word into the sorted hashes
	for _, w := range append(seen, late) {
		if !m.inText(w) {
			t.Fatalf("inText(%q) = false after the second freeze", w)
		}
	}
	for range 30_000 {
		w := word() + "x1" // never observed: a digit
		if m.inText(w) {
			t.Fatalf("inText(%q) = true for a word never observed", w)
		}
	}
}
