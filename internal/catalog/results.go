package catalog

import "time"

// ArticlePage is one page of a listing.
type ArticlePage struct {
	Query Query
	Total int // articles matching the query, on all pages; with More, a lower bound
	// More is set when more than Total articles match: a listing that no
	// count kept at import answers is counted live up to a bound, and
	// past it only its pages are read, as they are asked for.
	More bool
	// HasNext is set, with More, when a page follows this one (the store
	// reads a row more than the page to know).
	HasNext  bool
	Articles []Article
	// Resolved names of the slugs in Query, for headings and chips.
	Names map[string]Ref // key: "tag:" + slug, "source:" + slug, "category:" + slug
	// Unranked is set when the query asked for relevance but its search
	// has too many matches to rank (the search's own, whatever the other
	// filters keep): the results are listed newest first instead.
	Unranked bool
}

// Pages returns how many pages the listing has (at least 1); with More,
// how many its Total fills, and there are more.
func (p ArticlePage) Pages() int {
	per := p.Query.EffectivePer()
	return max(1, (p.Total+per-1)/per)
}

// Facets summarizes the result set of a query, for the sidebar.
type Facets struct {
	Tags       []TagFacet
	Common     []TagFacet // tags on nearly every result (≥ 90%), shown apart so they do not crowd out the rest
	Sources    []Ref
	Categories []Ref
	Years      []Ref // Name and Slug are the year ("2016")
	// Sample is 0 when the counts are over every result; otherwise they
	// are over the Sample newest results only (a very large result set).
	Sample int
}

// TagFacet is a tag in the sidebar with what choosing it would do.
type TagFacet struct {
	Ref         // Count: results that carry the tag (the AND count)
	Active bool // already one of the query's AND tags
	// Or is how many results adding the tag to the query's "any" group
	// would add; Not is how many results excluding it would remove.
	Or, Not int
}

// TagSort orders the tag index.
type TagSort string

// Tag index orders.
const (
	TagsByCount TagSort = "count"
	TagsByName  TagSort = "name"
)

// SourceSummary is a row of the source index.
type SourceSummary struct {
	Ref
	First, Last time.Time // dates of the source's oldest and newest articles
	TopTags     []Ref
}

// ArchiveMonth counts the articles of one month.
type ArchiveMonth struct {
	Year  int
	Month time.Month
	Count int
}

// ArticleDetail is everything the article page shows.
type ArticleDetail struct {
	Article
	Related   []Article // most shared tags, rare tags weighing more
	SameStory []Article // the same or a near-same title from other sources
}

// TagLift is a tag that goes with another one, and how strongly: Together
// is how many articles carry both, and Lift how many times more often
// that happens than if the two tags were independent,
// P(A∧B) / (P(A)·P(B)). Count is how many articles carry the tag.
type TagLift struct {
	Ref
	Together int
	Lift     float64
}

// SitemapEntry is one page the sitemap lists: an article (Article and
// Title set) or a listing (Route set, Article 0). LastMod is the date of
// the article, or of a listing's newest article; zero when unknown.
type SitemapEntry struct {
	Article int64
	Title   string
	Route   Route
	LastMod time.Time
}
