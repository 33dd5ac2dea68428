package main

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestReplaceSection(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"replaces between the markers",
			"# P\n<!-- bench:quick:start -->\nold\n<!-- bench:quick:end -->\ntail\n",
			"# P\n<!-- bench:quick:start -->\nnew\n<!-- bench:quick:end -->\ntail\n"},
		{"leaves the other section alone",
			"<!-- bench:full:start -->\nfull\n<!-- bench:full:end -->\n<!-- bench:quick:start -->\nold\n<!-- bench:quick:end -->\n",
			"<!-- bench:full:start -->\nfull\n<!-- bench:full:end -->\n<!-- bench:quick:start -->\nnew\n<!-- bench:quick:end -->\n"},
		{"appends missing markers", "# P", "# P\n\n<!-- bench:quick:start -->\nnew\n<!-- bench:quick:end -->\n"},
		{"creates a document", "", "\n<!-- bench:quick:start -->\nnew\n<!-- bench:quick:end -->\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := replaceSection(tt.doc, "bench:quick", "new\n"); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestMedian(t *testing.T) {
	for _, tt := range []struct {
		xs   []float64
		want float64
	}{{[]float64{3, 1, 2}, 2}, {[]float64{4, 1, 3, 2}, 2.5}, {[]float64{7}, 7}} {
		if got := median(tt.xs); got != tt.want {
			t.Errorf("median(%v) = %v, want %v", tt.xs, got, tt.want)
		}
	}
	if !math.IsNaN(median(nil)) {
		t.Error("median of nothing is not NaN")
	}
}

func TestZipfIndex(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, s := range []float64{1, 1.5} {
		counts := make([]int, 50)
		for range 20000 {
			counts[zipfIndex(r, 50, s)]++
		}
		if counts[0] <= counts[1] || counts[1] <= counts[10] || counts[49] == 0 {
			t.Errorf("s=%v: counts %v do not fall like Zipf's", s, counts[:12])
		}
	}
	if zipfIndex(r, 1, 1) != 0 {
		t.Error("zipfIndex(1) != 0")
	}
}

func TestGoalsWithoutRounds(t *testing.T) {
	b := &bench{cfg: config{name: "quick", rounds: 3}}
	b.res.Cards = 100_000
	b.res.Import = importResult{Done: true, Wall: 2e9, MaxRSSKiB: 100 << 10, DBBytes: 50e6}
	md := b.markdown()
	for _, want := range []string{"not measured", "≤ 3.0 s (pro rata for 100,000 cards)", "| 5. importer max RSS | ≤ 200 MB | 100 MB |"} {
		if !strings.Contains(md, want) {
			t.Errorf("no %q in\n%s", want, md)
		}
	}
}
