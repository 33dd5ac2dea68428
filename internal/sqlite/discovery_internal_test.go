package sqlite

import (
	"fmt"
	"slices"
	"testing"
)

// proposeAliases finds each kind of near spelling once, by its rule, and
// nothing else: a letter changed, dropped or added, a plural, and not a
// digit changed or a key too short to tell.
func TestProposeAliasesRules(t *testing.T) {
	names := []string{
		"Kubernetes", "Kubernets", // a letter dropped
		"Observability", "Observabilaty", "Observabiloty", // letters changed: three pairs
		"Microservice", "Microservices", // plural
		"Python2", "Python3", // a version, not a typo
		"Redis", "Redux", // too short to tell
		"Grafana", "Prometheus", // unrelated
	}
	// The spelling on more cards comes first.
	var tags []aliasTag
	for i, n := range names {
		tags = append(tags, aliasTag{id: int64(i + 1), name: n, slug: n, cards: 10 - i%3})
	}
	var got []string
	for _, p := range proposeAliases(tags) {
		got = append(got, fmt.Sprintf("%s~%s: %s", p.a.name, p.b.name, p.reason))
	}
	want := []string{
		"Kubernetes~Kubernets: one letter apart",
		"Microservices~Microservice: plural",
		"Observabilaty~Observability: one letter apart",
		"Observabilaty~Observabiloty: one letter apart",
		"Observabiloty~Observability: one letter apart",
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("proposals:\n%q\nwant\n%q", got, want)
	}
}
