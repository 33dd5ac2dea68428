package catalog

import (
	"reflect"
	"testing"
)

// What people type, read as they mean it: bare words of three letters
// or more, or in CJK script, are prefixes, shorter ones whole words, as
// are quoted phrases
// and excluded words; the last word of a hyphenated one decides.
func TestParseSearch(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []Term
	}{
		{"kafk", []Term{{Words: []string{"kafk"}, Prefix: true}}},
		{"ai go s", []Term{{Words: []string{"ai"}}, {Words: []string{"go"}}, {Words: []string{"s"}}}},
		{"Kafka Go", []Term{{Words: []string{"kafka"}, Prefix: true}, {Words: []string{"go"}}}},
		{"秒 数据 카", []Term{{Words: []string{"秒"}, Prefix: true}, {Words: []string{"数据"}, Prefix: true}, {Words: []string{"카"}, Prefix: true}}},
		{"é 2a", []Term{{Words: []string{"é"}}, {Words: []string{"2a"}}}},
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

// Writing a query's URL leaves the query as it was: its lists are
// sorted and made unique in a copy, not in the caller's arrays.
func TestURLLeavesTheQuery(t *testing.T) {
	q := Query{Tags: []string{"b", "a", "a"}, Any: []string{"y", "x"}, Not: []string{"n", "n"}}
	if got, want := q.URL(""), "/tags/a?any=x&any=y&not=n&tag=b"; got != want {
		t.Errorf("URL %q, want %q", got, want)
	}
	q.Encode()
	if !reflect.DeepEqual(q.Tags, []string{"b", "a", "a"}) || !reflect.DeepEqual(q.Any, []string{"y", "x"}) || !reflect.DeepEqual(q.Not, []string{"n", "n"}) {
		t.Errorf("the query changed: %+v", q)
	}
}
