package catalog_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"cardex/internal/catalog"
)

func TestParseQueryValid(t *testing.T) {
	tests := []struct {
		name, raw string
		wantURL   string
	}{
		{"empty", "", "/"},
		{"one tag", "tag=kafka", "/tags/kafka"},
		{"tags sorted and deduped", "tag=redis&tag=kafka&tag=redis", "/tags/kafka?tag=redis"},
		{"defaults dropped", "page=1&per=20&sort=newest", "/"},
		{"source route", "source=21cto&page=2", "/sources/21cto?page=2"},
		{"tag wins over source", "source=21cto&tag=kafka", "/tags/kafka?source=21cto"},
		{"year archive", "from=2016&to=2016", "/archive/2016"},
		{"month archive", "from=2016-05&to=2016-05", "/archive/2016/05"},
		{"date range", "from=2015-09&to=2016", "/?from=2015-09&to=2016"},
		{"any and not", "any=rabbitmq&any=kafka&not=distributed-systems", "/?any=kafka&any=rabbitmq&not=distributed-systems"},
		{"blank values ignored", "tag=&tag=+", "/"},
		{"sort and per", "sort=oldest&per=50", "/?per=50&sort=oldest"},
		{"unknown params ignored", "utm_source=x", "/"},
		{"names become slugs", "tag=Distributed+Systems&source=21CTO", "/tags/distributed-systems?source=21cto"},
		{"injection is just a slug", "tag='+OR+1=1--", "/tags/or-1-1"},
		{"collapse=1", "collapse=1", "/?collapse=1"},
		{"collapse=true", "collapse=true", "/?collapse=1"},
		{"collapse=on, as a checkbox sends it", "tag=kafka&collapse=on", "/tags/kafka?collapse=1"},
		{"collapse spaced", "collapse=+1+", "/?collapse=1"},
		{"collapse=0", "collapse=0", "/"},
		{"collapse=false", "collapse=false&source=21cto", "/sources/21cto"},
		{"collapse empty", "collapse=", "/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, _ := url.ParseQuery(tt.raw)
			q, err := catalog.ParseQuery(v)
			if err != nil {
				t.Fatalf("ParseQuery(%q): %v", tt.raw, err)
			}
			if got := q.URL(""); got != tt.wantURL {
				t.Errorf("URL = %q, want %q", got, tt.wantURL)
			}
		})
	}
}

func TestParseQueryInvalid(t *testing.T) {
	tests := []struct{ raw, field, reason string }{
		{"page=0", "page", "out of range"},
		{"page=-1", "page", "out of range"},
		{"page=abc", "page", "not a whole number"},
		{"page=1e18", "page", "not a whole number"},
		{"page=99999999999999999999", "page", "not a whole number"},
		{"page=1&page=2", "page", "given 2 times"},
		{"per=5", "per", "out of range"},
		{"per=101", "per", "out of range"},
		{"sort=random", "sort", "not an order"},
		{"from=2016-13", "from", "not a date"},
		{"from=May+2016", "from", "not a date"},
		{"to=2016-02-30", "to", "not a date"},
		{"from=2017&to=2016", "to", "before"},
		{"tag=%21%21", "tag", "names nothing"},
		{"tag=%00", "tag", "control characters"},
		{"tag=%FF%FE", "tag", "not valid UTF-8"},
		{"source=%E2%80%AEabc", "source", "control characters"},
		{"tag=" + strings.Repeat("a", 8192), "tag", "bytes long"},
		{strings.Repeat("tag=a&", 21), "tag", "limit is 20"},
		{"collapse=2", "collapse", "not a switch"},
		{"collapse=yes", "collapse", "not a switch"},
		{"collapse=TRUE", "collapse", "not a switch"},
		{"collapse=1&collapse=1", "collapse", "given 2 times"},
		{"collapse=%00", "collapse", "control characters"},
	}
	for _, tt := range tests {
		t.Run(tt.raw[:min(len(tt.raw), 30)], func(t *testing.T) {
			v, _ := url.ParseQuery(tt.raw)
			_, err := catalog.ParseQuery(v)
			var ie *catalog.InvalidError
			if !errors.As(err, &ie) || !errors.Is(err, catalog.ErrInvalid) {
				t.Fatalf("err = %v, want an InvalidError", err)
			}
			if ie.Field != tt.field || !strings.Contains(ie.Reason, tt.reason) {
				t.Errorf("got %s: %s; want %s: …%s…", ie.Field, ie.Reason, tt.field, tt.reason)
			}
		})
	}
}

func TestRouteApplyAndRefine(t *testing.T) {
	q := catalog.Route{Kind: "tags", Value: "kafka"}.Apply(catalog.Query{Tags: []string{"microservices"}, Page: 3})
	if got := q.URL(""); got != "/tags/kafka?page=3&tag=microservices" {
		t.Errorf("URL = %q", got)
	}
	r := q.Refine(func(q *catalog.Query) { q.Tags = catalog.Without(q.Tags, "kafka") })
	if got := r.URL(""); got != "/tags/microservices" {
		t.Errorf("after removing kafka (and back to page 1): %q", got)
	}
	if q.URL("") != "/tags/kafka?page=3&tag=microservices" {
		t.Error("Refine changed the original query")
	}
	if got := (catalog.Query{}).URL(".json"); got != "/index.json" {
		t.Errorf("URL(.json) = %q", got)
	}
}

func TestDateBound(t *testing.T) {
	for _, tt := range []struct{ in, first, last string }{
		{"2016", "2016-01-01", "2016-12-31"},
		{"2016-02", "2016-02-01", "2016-02-29"},
		{"2016-05-22", "2016-05-22", "2016-05-22"},
	} {
		d, err := catalog.ParseDateBound(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		if f, l := d.First().Format("2006-01-02"), d.Last().Format("2006-01-02"); f != tt.first || l != tt.last {
			t.Errorf("%s: %s..%s, want %s..%s", tt.in, f, l, tt.first, tt.last)
		}
	}
}

// The query string is untrusted: parsing never panics, and a query that
// parses encodes to a URL that parses back to the same query.
func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"tag=kafka&page=2", "from=2016&to=2016", "page=-1", "tag=%00", "any=a&any=b&not=c&sort=oldest&per=50", "%zz", "collapse=on&source=x",
		"tag=b&tag=a&any=c&any=e&not=d&source=s&category=c&from=2016&to=2017-05&q=x+y%26z&sort=oldest&per=50&collapse=1&page=3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		q, err := catalog.ParseQuery(v)
		if err != nil {
			if !errors.Is(err, catalog.ErrInvalid) {
				t.Fatalf("error %v is not ErrInvalid", err)
			}
			return
		}
		u := q.URL("")
		pu, err := url.Parse(u)
		if err != nil {
			t.Fatalf("URL %q does not parse: %v", u, err)
		}
		_ = pu
		back := q.Values().Encode()
		if enc := q.Encode(); enc != back {
			t.Fatalf("Encode %q, Values().Encode() %q", enc, back)
		}
		v2, _ := url.ParseQuery(back)
		q2, err := catalog.ParseQuery(v2)
		if err != nil {
			t.Fatalf("canonical %q does not parse back: %v", back, err)
		}
		if q2.URL("") != u {
			t.Fatalf("round trip: %q -> %q", u, q2.URL(""))
		}
	})
}

// Collapse survives the changes a listing makes to its query, and is
// encoded only when on.
func TestCollapseKept(t *testing.T) {
	q := catalog.Query{Tags: []string{"kafka"}, Collapse: true, Page: 2}
	tests := []struct {
		name, ext string
		q         catalog.Query
		want      string
	}{
		{"as is", "", q, "/tags/kafka?collapse=1&page=2"},
		{"refined", "", q.Refine(func(q *catalog.Query) { q.Sort = catalog.SortOldest }), "/tags/kafka?collapse=1&sort=oldest"},
		{"another page", "", q.WithPage(3), "/tags/kafka?collapse=1&page=3"},
		{"switched off", "", q.Refine(func(q *catalog.Query) { q.Collapse = false }), "/tags/kafka"},
		{"json", ".json", q, "/tags/kafka.json?collapse=1&page=2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.q.URL(tt.ext); got != tt.want {
				t.Errorf("URL = %q, want %q", got, tt.want)
			}
		})
	}
}
