package server

// pageItem is one entry of a pagination bar: a page number, or an
// ellipsis (Number 0).
type pageItem struct {
	Number  int
	URL     string
	Current bool
}

// pagination is what the pagination partial shows.
type pagination struct {
	Page, Pages             int
	More                    bool   // there may be pages past Pages (a listing counted up to a bound)
	First, Prev, Next, Last string // "" when not applicable
	Items                   []pageItem
}

// paginate lays out a bar for page of pages: the first and last pages,
// the pages within two of the current one, and an ellipsis for each gap
// of more than one page. With more, pages is the last page known to
// exist and there may be others past it (ArticlePage.More): the bar has
// no last page and ends with an ellipsis. urlFor gives a page's URL. It
// is a pure function.
func paginate(page, pages int, more bool, urlFor func(int) string) pagination {
	p := pagination{Page: page, Pages: pages, More: more}
	if pages <= 1 && !more {
		return p
	}
	if page > 1 {
		p.First, p.Prev = urlFor(1), urlFor(page-1)
	}
	if page < pages {
		p.Next = urlFor(page + 1)
		if !more {
			p.Last = urlFor(pages)
		}
	}
	// The numbers shown, in order: the first, the last, the current one
	// and two either side, and a lone page between those and the first
	// or last (shown rather than an ellipsis). Only these are visited, so
	// a bar costs the same on page 25,000 of 50,000 as on page 1.
	shown := make([]int, 0, 9)
	add := func(n int) {
		if n >= 1 && n <= pages && (len(shown) == 0 || n > shown[len(shown)-1]) {
			shown = append(shown, n)
		}
	}
	add(1)
	if page-3 == 2 {
		add(2)
	}
	for n := page - 2; n <= page+2; n++ {
		add(n)
	}
	if !more {
		if page+3 == pages-1 {
			add(pages - 1)
		}
		add(pages)
	}
	for i, n := range shown {
		if i > 0 && n > shown[i-1]+1 {
			p.Items = append(p.Items, pageItem{}) // an ellipsis for the gap
		}
		p.Items = append(p.Items, pageItem{Number: n, URL: urlFor(n), Current: n == page})
	}
	if more {
		p.Items = append(p.Items, pageItem{}) // and pages past the last known
	}
	return p
}
