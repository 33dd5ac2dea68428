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
	First, Prev, Next, Last string // "" when not applicable
	Items                   []pageItem
}

// paginate lays out a bar for page of pages: the first and last pages,
// the pages within two of the current one, and an ellipsis for each gap
// of more than one page. urlFor gives a page's URL. It is a pure function.
func paginate(page, pages int, urlFor func(int) string) pagination {
	p := pagination{Page: page, Pages: pages}
	if pages <= 1 {
		return p
	}
	if page > 1 {
		p.First, p.Prev = urlFor(1), urlFor(page-1)
	}
	if page < pages {
		p.Next, p.Last = urlFor(page+1), urlFor(pages)
	}
	show := func(n int) bool { return n == 1 || n == pages || (n >= page-2 && n <= page+2) }
	for n := 1; n <= pages; n++ {
		switch {
		case show(n):
			p.Items = append(p.Items, pageItem{Number: n, URL: urlFor(n), Current: n == page})
		case n == page-3 && n == 2, n == page+3 && n == pages-1:
			// A gap of one page: show the page rather than an ellipsis.
			p.Items = append(p.Items, pageItem{Number: n, URL: urlFor(n)})
		case len(p.Items) > 0 && p.Items[len(p.Items)-1].Number != 0:
			p.Items = append(p.Items, pageItem{})
		}
	}
	return p
}
