package server

import (
	"strconv"
	"strings"
	"testing"
)

func TestPaginate(t *testing.T) {
	urlFor := func(n int) string { return "/p" + strconv.Itoa(n) }
	render := func(p pagination) string {
		var b []string
		for _, it := range p.Items {
			switch {
			case it.Number == 0:
				b = append(b, "…")
			case it.Current:
				b = append(b, "["+strconv.Itoa(it.Number)+"]")
			default:
				b = append(b, strconv.Itoa(it.Number))
			}
		}
		return strings.Join(b, " ")
	}
	tests := []struct {
		page, pages int
		want        string
	}{
		{1, 1, ""},
		{1, 2, "[1] 2"},
		{1, 10, "[1] 2 3 … 10"},
		{5, 10, "1 2 3 4 [5] 6 7 … 10"},
		{6, 12, "1 … 4 5 [6] 7 8 … 12"},
		{10, 10, "1 … 8 9 [10]"},
		{4, 7, "1 2 3 [4] 5 6 7"},
	}
	for _, tt := range tests {
		p := paginate(tt.page, tt.pages, false, urlFor)
		if got := render(p); got != tt.want {
			t.Errorf("paginate(%d, %d) = %q, want %q", tt.page, tt.pages, got, tt.want)
		}
	}
	// Every bar up to 40 pages is the one the first version laid out by
	// looking at every page number.
	for pages := 1; pages <= 40; pages++ {
		for page := 1; page <= pages; page++ {
			if got, want := render(paginate(page, pages, false, urlFor)), render(paginateEveryPage(page, pages, urlFor)); got != want {
				t.Errorf("paginate(%d, %d) = %q, want %q", page, pages, got, want)
			}
		}
	}
	p := paginate(1, 5, false, urlFor)
	if p.First != "" || p.Prev != "" || p.Next != "/p2" || p.Last != "/p5" {
		t.Errorf("first page links: %+v", p)
	}
	p = paginate(5, 5, false, urlFor)
	if p.First != "/p1" || p.Prev != "/p4" || p.Next != "" || p.Last != "" {
		t.Errorf("last page links: %+v", p)
	}
	// A listing counted up to a bound (more): no last page, an ellipsis
	// past the last page known, and a next page only up to it.
	for _, tt := range []struct {
		page, pages int
		want        string
		next        string
	}{
		{1, 100, "[1] 2 3 …", "/p2"},
		{100, 101, "1 … 98 99 [100] 101 …", "/p101"},
		{150, 150, "1 … 148 149 [150] …", ""},
		{1, 1, "[1] …", ""},
	} {
		p := paginate(tt.page, tt.pages, true, urlFor)
		if got := render(p); got != tt.want || p.Next != tt.next || p.Last != "" || !p.More {
			t.Errorf("paginate(%d, %d, more) = %q, next %q, last %q; want %q, next %q, no last", tt.page, tt.pages, got, p.Next, p.Last, tt.want, tt.next)
		}
	}
}

func TestFuncs(t *testing.T) {
	for _, tt := range []struct {
		n    int
		word string
		want string
	}{{1, "article", "1 article"}, {0, "article", "0 articles"}, {1234, "like", "1,234 likes"}, {2, "category", "2 categories"}} {
		if got := plural(tt.n, tt.word); got != tt.want {
			t.Errorf("plural(%d, %q) = %q, want %q", tt.n, tt.word, got, tt.want)
		}
	}
	if got := formatNumber(-1234567); got != "-1,234,567" {
		t.Errorf("formatNumber = %q", got)
	}
}

// paginateEveryPage is the first version of paginate's bar, which looked
// at every page number: the reference the faster one is checked against.
func paginateEveryPage(page, pages int, urlFor func(int) string) pagination {
	p := pagination{Page: page, Pages: pages}
	if pages <= 1 {
		return p
	}
	show := func(n int) bool { return n == 1 || n == pages || (n >= page-2 && n <= page+2) }
	for n := 1; n <= pages; n++ {
		switch {
		case show(n):
			p.Items = append(p.Items, pageItem{Number: n, URL: urlFor(n), Current: n == page})
		case n == page-3 && n == 2, n == page+3 && n == pages-1:
			p.Items = append(p.Items, pageItem{Number: n, URL: urlFor(n)})
		case len(p.Items) > 0 && p.Items[len(p.Items)-1].Number != 0:
			p.Items = append(p.Items, pageItem{})
		}
	}
	return p
}
