package sqlite

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode"
)

func TestClusterStories(t *testing.T) {
	type card struct{ title, summary string }
	tests := []struct {
		name  string
		cards []card
		want  []int64 // the story of each card; card i has id i+1
	}{
		{"alone", []card{{"Kafka Consumer Groups", "a"}}, []int64{1}},
		{"equal titles, summaries unlike", []card{
			{"How Vipshop’s Three‑Tier Monitoring System Keeps Services Running Smoothly", "one text"},
			{"how vipshop's three-tier monitoring  system keeps services running smoothly", "something else entirely"},
		}, []int64{1, 1}},
		{"U+202F and U+00A0 are spaces", []card{{"Etcd\u202fLeader\u00a0Election", "x"}, {"etcd leader election", "y"}}, []int64{1, 1}},
		{"every dash is a hyphen", []card{
			{"Real\u2010time\u2011joins\u2012and\u2013more\u2014now", "x"}, {"real-time-joins-and-more-now", "y"},
		}, []int64{1, 1}},
		{"near titles, equal summaries", []card{
			{"Lessons From Scaling Our Search Platform", "We grew the index tenfold."},
			{"Lessons From Scaling Our Search Cluster", "we grew the  index tenfold."},
		}, []int64{1, 1}},
		{"near titles, alike summaries", []card{
			{"Lessons From Scaling Our Search Platform", "how we sharded the search index and cut latency"},
			{"Lessons From Scaling Our Search Cluster", "sharding the search index cut our latency in half"},
		}, []int64{1, 1}},
		{"near titles, unlike summaries", []card{
			{"Lessons From Scaling Our Search Platform", "how we sharded the search index and cut latency"},
			{"Lessons From Scaling Our Search Cluster", "a hiring story: five engineers, two quarters"},
		}, []int64{1, 2}},
		{"titles too far apart, same summary", []card{
			{"Notes About Building A Metrics Pipeline", "same"}, {"Notes About Building A Logging System", "same"},
		}, []int64{1, 2}},
		{"exactly 0.7 counts", []card{ // 7 shared words of 10
			{"a b c d e f g h i", "s"}, {"a b c d e f g j", "s"},
		}, []int64{1, 1}},
		{"a word moved is the same word set", []card{
			{"Redis Cluster Tuning Guide", "s"}, {"Tuning Guide: Redis Cluster", "s"},
		}, []int64{1, 1}},
		{"a story is a chain of pairs", []card{
			{"other", "z"},
			{"one two three four five six seven eight nine ten", "s"},
			{"one two three four five six seven eight nine eleven", "s"},
			{"one two three four five six seven eight twelve eleven", "s"},
		}, []int64{1, 2, 2, 2}},
		{"empty titles meet only as equals", []card{{"", "s"}, {"…", "s"}, {"", "t"}}, []int64{1, 2, 1}},
		{"CJK", []card{{"分布式系统设计", "s"}, {"分布式系统设计", "t"}, {"分布式系统", "s"}}, []int64{1, 1, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var cards []storyCard
			summaries := map[int64]string{}
			for i, c := range tt.cards {
				cards = append(cards, storyCard{ID: int64(i + 1), Title: c.title})
				summaries[int64(i+1)] = c.summary
			}
			got, _, err := clusterSlice(cards, func(id int64) (string, error) { return summaries[id], nil })
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("stories = %v, want %v", got, tt.want)
			}
		})
	}
}

// ReferenceStories is the reference of the story rule, written apart from
// clusterStories: the rule applied to every pair, with its own
// normalization, and the groups closed by flooding. Card i has id i+1.
// It is exported for the tests of package sqlite_test.
func ReferenceStories(titles, summaries []string) []int64 {
	fold := strings.NewReplacer("\u2010", "-", "\u2011", "-", "\u2012", "-", "\u2013", "-", "\u2014", "-",
		"\u2018", "'", "\u2019", "'", "\u201c", `"`, "\u201d", `"`, "\u202f", " ", "\u00a0", " ")
	words := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, w := range strings.FieldsFunc(strings.ToLower(fold.Replace(s)), func(r rune) bool {
			return !unicode.IsLetter(r) && !unicode.IsDigit(r)
		}) {
			m[w] = true
		}
		return m
	}
	jac := func(a, b map[string]bool) float64 {
		both := 0
		for w := range a {
			if b[w] {
				both++
			}
		}
		if len(a)+len(b) == 0 {
			return 0
		}
		return float64(both) / float64(len(a)+len(b)-both)
	}
	norm := func(s string) string { return strings.Join(strings.Fields(strings.ToLower(fold.Replace(s))), " ") }
	n := len(titles)
	type text struct {
		norm  string
		words map[string]bool
	}
	var ts, ss []text
	for i := range n {
		ts = append(ts, text{norm(titles[i]), words(titles[i])})
		ss = append(ss, text{norm(summaries[i]), words(summaries[i])})
	}
	same := func(i, j int) bool {
		if ts[i].norm == ts[j].norm {
			return true
		}
		return jac(ts[i].words, ts[j].words) >= 0.7-1e-12 &&
			(ss[i].norm == ss[j].norm || jac(ss[i].words, ss[j].words) >= 0.3-1e-12)
	}
	story := make([]int64, n)
	for i := range story {
		story[i] = int64(i + 1)
	}
	for changed := true; changed; {
		changed = false
		for i := range n {
			for j := range n {
				if story[j] < story[i] && same(i, j) {
					story[i], changed = story[j], true
				}
			}
		}
	}
	return story
}

// syntheticCards makes n cards whose titles draw words from a Zipf-like
// vocabulary of vocab words, with one in every dupEvery a variant of an
// earlier card (a word changed or moved, the spelling of dashes and quotes
// changed).
func syntheticCards(n, dupEvery, vocab int, seed uint64) (titles, summaries []string) {
	r := rand.New(rand.NewPCG(seed, 1))
	zipf := rand.NewZipf(r, 1.1, 1, uint64(vocab))
	word := func() string { return fmt.Sprintf("w%d", zipf.Uint64()) }
	sentence := func(k int) []string {
		s := make([]string, k)
		for i := range s {
			s[i] = word()
		}
		return s
	}
	for i := range n {
		if i > 0 && i%dupEvery == 0 {
			j := r.IntN(i)
			t := strings.Fields(titles[j])
			switch r.IntN(3) {
			case 0:
				t[r.IntN(len(t))] = word()
			case 1:
				r.Shuffle(len(t), func(a, b int) { t[a], t[b] = t[b], t[a] })
			}
			s := strings.Fields(summaries[j])
			for k := range s {
				if r.IntN(4) == 0 {
					s[k] = word()
				}
			}
			titles = append(titles, strings.ReplaceAll(strings.Join(t, " "), "-", "\u2011"))
			summaries = append(summaries, strings.Join(s, "\u202f"))
			continue
		}
		t := sentence(4 + r.IntN(9))
		if r.IntN(3) == 0 {
			t[0] += "-" + word()
		}
		titles = append(titles, strings.Join(t, " "))
		summaries = append(summaries, strings.Join(sentence(20+r.IntN(20)), " "))
	}
	return titles, summaries
}

// Prefix filtering finds every pair the rule joins: on random cards the
// stories are those of the all-pairs reference.
func TestClusterStoriesMatchesAllPairs(t *testing.T) {
	for seed := range uint64(5) {
		titles, summaries := syntheticCards(600, 7, 2000, seed)
		var cards []storyCard
		for i, ti := range titles {
			cards = append(cards, storyCard{ID: int64(i + 1), Title: ti})
		}
		got, _, err := clusterSlice(cards, func(id int64) (string, error) { return summaries[id-1], nil })
		if err != nil {
			t.Fatal(err)
		}
		want := ReferenceStories(titles, summaries)
		multi := 0
		for i := range want {
			if want[i] != int64(i+1) {
				multi++
			}
			if got[i] != want[i] {
				t.Errorf("seed %d: card %d (%q) in story %d, want %d", seed, i+1, titles[i], got[i], want[i])
			}
		}
		if multi < 50 {
			t.Errorf("seed %d: only %d cards share a story: the test data is too easy", seed, multi)
		}
	}
}

// A word in more than storyCommonWord titles proposes no candidates: near
// titles that share only such words are not compared, so that they cost
// nothing however many they are, while a pair that shares a rarer word is
// found as before, and titles with the same words still meet.
func TestClusterStoriesCommonWords(t *testing.T) {
	var titles, summaries []string
	card := func(title, summary string) int {
		titles, summaries = append(titles, title), append(summaries, summary)
		return len(titles) - 1
	}
	// In every title, so in more than storyCommonWord.
	const common = "alpha beta gamma delta epsilon zeta eta theta"
	n := 3 * storyCommonWord
	for i := range n { // each pair of these is near (9 words of 11)
		card(fmt.Sprintf("%s iota w%d", common, i), fmt.Sprintf("s%d", i))
	}
	rareA := card(common+" kappa ra", "same summary")
	rareB := card(common+" kappa rb", "same summary")
	commonA := card(common+" iota lambda", "same summary")
	commonB := card(common+" iota mu", "same summary")
	wordsA := card(common+" iota", "same summary")
	wordsB := card("Iota, theta eta zeta epsilon delta gamma beta alpha", "same summary")
	equal := card(strings.ToUpper(common+" iota"), "unlike")

	var cards []storyCard
	for i, ti := range titles {
		cards = append(cards, storyCard{ID: int64(i + 1), Title: ti})
	}
	got, compared, err := clusterSlice(cards, func(id int64) (string, error) { return summaries[id-1], nil })
	if err != nil {
		t.Fatal(err)
	}
	if all := len(cards) * (len(cards) - 1) / 2; compared > 10 {
		t.Errorf("compared %d pairs, want a handful (all pairs: %d)", compared, all)
	}
	for i := range n {
		if got[i] != int64(i+1) {
			t.Fatalf("%q is in story %d: it has no like", titles[i], got[i])
		}
	}
	for _, tt := range []struct {
		what string
		a, b int
		same bool
	}{
		{"a shared rare word", rareA, rareB, true},
		{"common words only (the price of the cap)", commonA, commonB, false},
		{"the same words", wordsA, wordsB, true},
		{"equal titles", wordsA, equal, true},
	} {
		if same := got[tt.a] == got[tt.b]; same != tt.same {
			t.Errorf("%s: %q in story %d, %q in story %d", tt.what, titles[tt.a], got[tt.a], titles[tt.b], got[tt.b])
		}
	}
}

// A word proposes candidates when it is in storyCommonWord titles, not
// when it is in one more.
func TestClusterStoriesCommonWordEdge(t *testing.T) {
	const common = "alpha beta gamma delta epsilon zeta eta theta"
	for _, df := range []int{storyCommonWord, storyCommonWord + 1} {
		// The pair's prefixes are their own word, "edge" and common words.
		titles := []string{common + " edge a", common + " edge b"}
		for i := range storyCommonWord { // common words in more titles
			titles = append(titles, fmt.Sprintf("%s x%d y%d", common, i, i))
		}
		for i := range df - 2 {
			titles = append(titles, fmt.Sprintf("edge e%d f%d", i, i))
		}
		var cards []storyCard
		for i, ti := range titles {
			cards = append(cards, storyCard{ID: int64(i + 1), Title: ti})
		}
		got, _, err := clusterSlice(cards, func(id int64) (string, error) { return "same", nil })
		if err != nil {
			t.Fatal(err)
		}
		if same := got[0] == got[1]; same != (df <= storyCommonWord) {
			t.Errorf(`"edge" in %d titles: the pair in one story is %v`, df, same)
		}
	}
}

// BenchmarkClusterStories measures clustering 50,000 and 200,000 cards,
// one in ten a variant of another, with titles of 4 to 12 words drawn from
// a vocabulary of 200,000 words (like real titles, each has a rare word or
// two) and from one of 5,000 (nearly every title only common words: the
// worst case for prefix filtering, where posting lists grow with the
// number of cards).
func BenchmarkClusterStories(b *testing.B) {
	for _, n := range []int{50_000, 200_000} {
		for _, vocab := range []int{200_000, 5_000} {
			b.Run(fmt.Sprintf("cards=%d/vocab=%d", n, vocab), func(b *testing.B) {
				titles, summaries := syntheticCards(n, 10, vocab, 1)
				var cards []storyCard
				for i, ti := range titles {
					cards = append(cards, storyCard{ID: int64(i + 1), Title: ti})
				}
				for b.Loop() {
					calls := 0
					_, compared, err := clusterSlice(cards, func(id int64) (string, error) { calls++; return summaries[id-1], nil })
					if err != nil {
						b.Fatal(err)
					}
					b.ReportMetric(float64(compared), "compared/op")
					b.ReportMetric(float64(calls), "summaries/op")
				}
			})
		}
	}
}

// clusterSlice runs clusterStories over cards, with their titles and the
// summaries summary gives, and returns their stories.
func clusterSlice(cards []storyCard, summary func(id int64) (string, error)) ([]int64, int, error) {
	titles := map[int64]string{}
	for _, c := range cards {
		titles[c.ID] = c.Title
	}
	title := func(id int64) (string, error) { return titles[id], nil }
	ids, stories, compared, err := clusterStories(storySize{}, slices.Values(cards), title, summary)
	if err == nil && !slices.Equal(ids, slices.Collect(func(yield func(int64) bool) {
		for _, c := range cards {
			if !yield(c.ID) {
				return
			}
		}
	})) {
		return nil, 0, fmt.Errorf("clusterStories returned ids %v, not the cards' in order", ids)
	}
	return stories, compared, err
}

// mayShare is a filter in front of jaccardAtLeast: it must never turn
// away a pair that reaches the threshold, and it should turn away most
// of those that share nothing.
func TestMayShareNeverRejectsAMatch(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 8))
	set := func(n, vocab int) ([]int32, uint32) {
		s := make([]int32, n)
		for k := range s {
			s[k] = int32(r.IntN(vocab))
		}
		slices.Sort(s)
		s = slices.Compact(s)
		var m uint32
		for _, w := range s {
			m |= wordBit(w)
		}
		return s, m
	}
	matches, turnedAway, disjoint := 0, 0, 0
	for range 200_000 {
		vocab := 10 + r.IntN(200)
		a, _ := set(r.IntN(14), vocab)
		b, mb := set(r.IntN(14), vocab)
		if r.IntN(2) == 0 { // a variant of a: near pairs are the ones to keep
			b = slices.Clone(a)
			for range r.IntN(3) {
				if len(b) > 0 && r.IntN(2) == 0 {
					b = slices.Delete(b, 0, 1)
				}
				b = append(b, int32(r.IntN(vocab)))
			}
			slices.Sort(b)
			b = slices.Compact(b)
			mb = 0
			for _, w := range b {
				mb |= wordBit(w)
			}
		}
		may := mayShare(a, mb, len(b), storyTitleJaccard)
		if jaccardAtLeast(a, b, storyTitleJaccard) {
			matches++
			if !may {
				t.Fatalf("mayShare turned away %v and %v, whose Jaccard reaches the threshold", a, b)
			}
		}
		shared := 0
		for _, w := range a {
			if _, ok := slices.BinarySearch(b, w); ok {
				shared++
			}
		}
		if shared == 0 && len(a) > 1 && len(b) > 1 {
			disjoint++
			if !may {
				turnedAway++
			}
		}
	}
	if matches < 1000 {
		t.Fatalf("only %d pairs reached the threshold: the test proves little", matches)
	}
	if turnedAway*10 < disjoint*8 {
		t.Errorf("mayShare turned away %d of %d pairs that share no word, want most", turnedAway, disjoint)
	}
}

// ratio.shared is the Jaccard rule said as a count: sets of sizes na and
// nb sharing both elements reach t exactly when both ≥ t.shared(na, nb).
func TestRatioSharedIsTheJaccardRule(t *testing.T) {
	for _, r := range []ratio{storyTitleJaccard, storySummaryJaccard, {1, 2}, {1, 1}} {
		for na := range 25 {
			for nb := range 25 {
				for both := range min(na, nb) + 1 {
					union := na + nb - both
					reaches := union > 0 && both*r.den >= r.num*union
					if got := both >= r.shared(na, nb); got != reaches {
						t.Fatalf("%d/%d: sizes %d and %d sharing %d: shared says %v, the rule %v", r.num, r.den, na, nb, both, got, reaches)
					}
				}
			}
		}
	}
}
