package tagsplit

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math/bits"
	"slices"
	"strings"
	"testing"

	"cardex/internal/catalog"
	"cardex/internal/gen"
	"cardex/internal/listing"
)

// knownModel returns a trained model that knows tags (each counted n
// times, as tags already in the database are) and nothing else.
func knownModel(t *testing.T, p Params, n int, tags ...string) *Model {
	t.Helper()
	dict, err := EnglishWords()
	if err != nil {
		t.Fatal(err)
	}
	m := New(dict, p)
	for _, tag := range tags {
		m.AddKnown(tag, n)
	}
	m.Train(1)
	return m
}

func TestKnownSplit(t *testing.T) {
	m := knownModel(t, DefaultParams(), 5,
		"Distributed Systems", "Go", "Kafka", "Redis", "fault tolerance",
		"Data", "Database", "baseline", "line", "a", "aa", "aaa", "aaaa", "aaaaa", "aaaaaa")
	tests := []struct {
		glued string
		want  []string // nil: no known split, or more than one
	}{
		{"Distributed SystemsGoKafka", []string{"Distributed Systems", "Go", "Kafka"}},
		{"GoKafkaRedisfault tolerance", []string{"Go", "Kafka", "Redis", "fault tolerance"}},
		{"Kafka", []string{"Kafka"}},
		// Not in ascending order: no known split (the search says what).
		{"KafkaGo", nil},
		// A tag the model has not counted enough.
		{"GoZorblax", nil},
		// Two ways: Data|baseline and Database|line.
		{"Databaseline", nil},
		// A tag does not start or end with a space.
		{"Go Kafka", nil},
		{"", nil},
	}
	for _, tt := range tests {
		got, ok := m.knownSplit(tt.glued)
		if ok != (tt.want != nil) || !slices.Equal(got, tt.want) {
			t.Errorf("knownSplit(%q) = %q, %v; want %q", tt.glued, got, ok, tt.want)
		}
	}
	// Split takes the known split as certain, and searches the rest.
	if r := m.Fork().Split("GoKafkaRedis", "nothing about them"); !r.Certain || !slices.Equal(r.Tags, []string{"Go", "Kafka", "Redis"}) {
		t.Errorf("Split of known tags = %+v", r)
	}
}

// A string listed for a person to settle is searched even when known
// tags cut it in one way: its tags may be those of its uncertain split.
func TestUnsettledStringsAreSearched(t *testing.T) {
	dict, err := EnglishWords()
	if err != nil {
		t.Fatal(err)
	}
	model := func(unsettled ...string) *Model {
		m := New(dict, DefaultParams())
		m.AddKnown("Go", 5)
		m.AddKnown("Kafka", 5)
		for _, g := range unsettled {
			m.AddUnsettled(g)
		}
		m.Train(1)
		return m
	}
	if _, ok := model().knownSplit("GoKafka"); !ok {
		t.Fatal("GoKafka has no known split: the test shows nothing")
	}
	m := model("GoKafka")
	if tags, ok := m.knownSplit("GoKafka"); ok {
		t.Errorf("an unsettled string split by known tags: %q", tags)
	}
	if tags, ok := m.Fork().knownSplit("GoKafka"); ok {
		t.Errorf("a fork split an unsettled string by known tags: %q", tags)
	}
	if _, ok := m.knownSplit("KafkaGo"); ok {
		t.Error("KafkaGo split by known tags: not in order")
	}
}

// A string that known tags cut in exponentially many ways up to a point
// where none fits is given up within maxKnownSteps (without the bound,
// this test does not end).
func TestKnownSplitBounded(t *testing.T) {
	var tags []string
	for n := 1; n <= 40; n++ {
		tags = append(tags, strings.Repeat("a", n))
	}
	m := knownModel(t, DefaultParams(), 5, tags...)
	s := strings.Repeat("a", 400) + "b"
	if got, ok := m.knownSplit(s); ok {
		t.Errorf("knownSplit of a's then b = %q", got)
	}
	k := knownWalk{kt: m.knownTags, s: s, budget: maxKnownSteps}
	if k.from(0, ""); k.budget >= 0 || k.found != 0 {
		t.Errorf("the walk ended with %d steps left and %d splits found: want it stopped by its bound", k.budget, k.found)
	}
}

func TestKnownCount(t *testing.T) {
	p := DefaultParams()
	p.KnownCount = 6
	m := knownModel(t, p, 5, "Go", "Kafka")
	if got, ok := m.knownSplit("GoKafka"); ok {
		t.Errorf("tags counted 5 times known with KnownCount 6: %q", got)
	}
	p.KnownCount = 0
	if m := knownModel(t, p, 100, "Go", "Kafka"); m.knownTags != nil {
		t.Error("KnownCount 0 made a trie")
	}
}

// On generated cards whose strings the model did not train on, the known
// splits are right at least as often as the search is on the same cards,
// and they are most of what a big import splits.
func TestKnownSplitAccuracy(t *testing.T) {
	cards, want := GeneratedCards(t, 20_000, 5)
	dict, err := EnglishWords()
	if err != nil {
		t.Fatal(err)
	}
	const trained = 5_000
	m := New(dict, DefaultParams())
	TrainOnCards(m, cards, trained)
	searched := m.Fork()
	searched.knownTags = nil
	known := m.Fork()
	var hits, knownRight, searchRight int
	for i := trained; i < len(cards); i++ {
		c := cards[i]
		if m.lookup(c.Glued) != nil {
			continue
		}
		tags, ok := known.knownSplit(c.Glued)
		if !ok {
			continue
		}
		hits++
		if slices.Equal(tags, want[i]) {
			knownRight++
		}
		if slices.Equal(searched.Split(c.Glued, c.Title+"\n"+c.Summary).Tags, want[i]) {
			searchRight++
		}
	}
	t.Logf("%d of %d unseen cards split by known tags: %d right, the search %d", hits, len(cards)-trained, knownRight, searchRight)
	if hits < (len(cards)-trained)/3 {
		t.Errorf("known splits for %d of %d cards: want a third or more", hits, len(cards)-trained)
	}
	if knownRight < searchRight {
		t.Errorf("known splits right for %d cards, the search for %d", knownRight, searchRight)
	}
}

// GeneratedCards reads n generated cards of seed, with the tags the
// generator glued for each.
func GeneratedCards(tb testing.TB, n int, seed uint64) (cards []catalog.Card, truth [][]string) {
	tb.Helper()
	var pages []*bytes.Buffer
	var tl bytes.Buffer
	if _, err := gen.Generate(gen.Config{Cards: n, Seed: seed}, gen.Output{
		Create: func(string) (io.WriteCloser, error) {
			pages = append(pages, new(bytes.Buffer))
			return nopCloser{pages[len(pages)-1]}, nil
		},
		Truth: &tl,
		Path:  func(string) string { return "" },
	}); err != nil {
		tb.Fatal(err)
	}
	dec := json.NewDecoder(&tl)
	for {
		var line struct{ Tags []string }
		if err := dec.Decode(&line); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			tb.Fatal(err)
		}
		truth = append(truth, line.Tags)
	}
	for _, p := range pages {
		r := listing.NewReader(p, "gen.txt")
		for {
			c, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				tb.Fatal(err)
			}
			cards = append(cards, c)
		}
	}
	if len(cards) != len(truth) {
		tb.Fatalf("%d cards read, %d in the truth", len(cards), len(truth))
	}
	return cards, truth
}

// TrainOnCards trains m as an import does: on the glued strings of the
// first trained cards, and the words of every card's title and summary.
func TrainOnCards(m *Model, cards []catalog.Card, trained int) {
	for i, c := range cards {
		if i < trained {
			m.Observe(c.Glued)
		}
		m.ObserveText(c.Title)
		m.ObserveText(c.Summary)
	}
	m.Train(2)
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// The trie holds exactly the known tags: every prefix of one is a path
// from the root, every tag ends at a node marked so, and nothing else is
// there: tags that are prefixes of others, share prefixes, differ only
// in case or in their last byte, or are not ASCII.
func TestKnownTagsTrie(t *testing.T) {
	tags := []string{"Go", "Golang", "Gold", "go", "Kafka", "Kafka Streams", "K8s", "a", "ab", "abc", "abd",
		"z", "Z", "ÿ", "中文", "中国", "non‑breaking", "\u202fx", "Redis", "Redisson"}
	m := knownModel(t, DefaultParams(), 5, tags...)
	kt := m.knownTags
	if kt == nil {
		t.Fatal("no trie")
	}
	known, prefixes := map[string]bool{}, map[string]bool{}
	for _, tag := range tags {
		if !m.sureTag(tag) { // "\u202fx" begins with a space: never known
			continue
		}
		known[tag] = true
		for i := 1; i <= len(tag); i++ {
			prefixes[tag[:i]] = true
		}
	}
	probes := append([]string{"G", "Gol", "Golan", "Golangs", "Kafka S", "K", "K9", "abe", "b", "y", "中", "中\xe5", "Red", "Redisso", "Redissons", "\u202f", "x", "GO"}, tags...)
	for _, s := range probes {
		node, reached := uint32(0), true
		for i := 0; i < len(s) && reached; i++ {
			node, reached = kt.step(node, s[i])
		}
		if reached != prefixes[s] {
			t.Errorf("%q: reached %v, want %v", s, reached, prefixes[s])
			continue
		}
		if reached && kt.tag[node] != known[s] {
			t.Errorf("%q: ends a tag %v, want %v", s, kt.tag[node], known[s])
		}
	}
}

// Every tag with a count has its bit in counted (tagCost skips the
// count of a tag whose bit is clear), after priors and after training,
// which moves counts between tags; and the bits are not all set.
func TestCountedCoversCounts(t *testing.T) {
	m := knownModel(t, DefaultParams(), 3, "Go", "Kafka", "Distributed Systems")
	for _, g := range []string{"GoKafka", "Distributed SystemsGoRedis", "CachingKafkaRust", "ABACEncryptionTime Availability", "中文Go"} {
		m.Observe(g)
	}
	m.Train(2)
	if len(m.counts) < 8 {
		t.Fatalf("%d counts; the test needs the tags training adds", len(m.counts))
	}
	for tag := range m.counts {
		if !m.mayBeCounted(tag) {
			t.Errorf("%q has a count (%v) but its bit is clear", tag, m.counts[tag])
		}
	}
	set := 0
	for _, w := range m.counted {
		set += bits.OnesCount64(w)
	}
	if set > 2*len(m.counts) {
		t.Errorf("%d bits set for %d counted tags", set, len(m.counts))
	}
}
