package catalog

import (
	"reflect"
	"testing"
)

// What people type, read as they mean it: bare words of three letters
// or more are prefixes, shorter ones whole words, as are quoted phrases
// and excluded words; the last word of a hyphenated one decides.
func TestParseSearch(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []Term
	}{
		{"kafk", []Term{{Words: []string{"kafk"}, Prefix: true}}},
		{"ai go s", []Term{{Words: []string{"ai"}}, {Words: []string{"go"}}, {Words: []string{"s"}}}},
		{"Kafka Go", []Term{{Words: []string{"kafka"}, Prefix: true}, {Words: []string{"go"}}}},
		{"秒 数据", []Term{{Words: []string{"秒"}}, {Words: []string{"数据"}}}},
		{"データ", []Term{{Words: []string{"データ"}, Prefix: true}}},
		{"multi-layer e-c", []Term{{Words: []string{"multi", "layer"}, Prefix: true}, {Words: []string{"e", "c"}}}},
		{`"message queue" -rabbit -ai`, []Term{{Words: []string{"message", "queue"}}, {Words: []string{"rabbit"}, Exclude: true}, {Words: []string{"ai"}, Exclude: true}}},
		{`"go"`, []Term{{Words: []string{"go"}}}},
		{" - -- ", nil},
	} {
		if got := ParseSearch(tc.in).Terms; !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseSearch(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}
