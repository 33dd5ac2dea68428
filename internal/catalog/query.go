package catalog

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Sort is a listing order.
type Sort string

// The listing orders. SortNewest is the default.
const (
	SortNewest    Sort = "newest"
	SortOldest    Sort = "oldest"
	SortLongest   Sort = "longest"  // read time, longest first
	SortShortest  Sort = "shortest" // read time, shortest first
	SortRelevance Sort = "relevance"
)

// Sorts lists the orders a user can choose, in menu order.
func Sorts() []Sort { return []Sort{SortNewest, SortOldest, SortLongest, SortShortest} }

// Paging bounds.
const (
	DefaultPer = 20
	MinPer     = 10
	MaxPer     = 100
	MaxPage    = 1_000_000
	maxValues  = 20  // values of one repeatable parameter
	maxValue   = 200 // bytes of one value
)

// Query is the one filter model: every listing page, and its JSON, Atom
// and CSV twins, is a Query rendered. Tags, Any, Not, Source and Category
// hold slugs. The zero Query (with Page 0 and Per 0 meaning the defaults)
// is "everything, newest first".
type Query struct {
	Tags     []string // all must match
	Any      []string // at least one must match
	Not      []string // none may match
	Source   string
	Category string
	From     DateBound // inclusive
	To       DateBound // inclusive
	Q        string    // full-text search, as typed (see ParseSearch)
	Sort     Sort      // "" means the default: relevance with Q, else newest
	Page     int       // 1-based; 0 means 1
	Per      int       // 0 means DefaultPer
	// Collapse lists one card per story (the same article from several
	// sources): the newest of the story's cards that match the filters.
	Collapse bool
}

// DateBound is a date given as YYYY, YYYY-MM or YYYY-MM-DD.
type DateBound struct {
	Text string // as canonicalized ("2016", "2016-05", "2016-05-22"); "" when unset
}

// IsZero reports whether the bound is unset.
func (d DateBound) IsZero() bool { return d.Text == "" }

// First returns the first day the bound covers.
func (d DateBound) First() time.Time {
	t, _ := d.parse()
	return t
}

// Last returns the last day the bound covers.
func (d DateBound) Last() time.Time {
	t, n := d.parse()
	switch n {
	case 4:
		return t.AddDate(1, 0, -1)
	case 7:
		return t.AddDate(0, 1, -1)
	}
	return t
}

func (d DateBound) parse() (time.Time, int) {
	for _, layout := range []string{"2006-01-02", "2006-01", "2006"} {
		if len(d.Text) == len(layout) {
			if t, err := time.Parse(layout, d.Text); err == nil {
				return t, len(layout)
			}
		}
	}
	return time.Time{}, 0
}

// ParseDateBound parses YYYY, YYYY-MM or YYYY-MM-DD.
func ParseDateBound(s string) (DateBound, error) {
	d := DateBound{Text: s}
	t, n := d.parse()
	if n == 0 || t.Format([]string{4: "2006", 7: "2006-01", 10: "2006-01-02"}[n]) != s {
		return DateBound{}, fmt.Errorf("%q is not a date: use YYYY, YYYY-MM or YYYY-MM-DD", clipValue(s))
	}
	if t.Year() < 1970 || t.Year() > 2999 {
		return DateBound{}, fmt.Errorf("year %d is out of range", t.Year())
	}
	return d, nil
}

// EffectiveSort returns the order in force.
func (q Query) EffectiveSort() Sort {
	if q.Sort == "" {
		return q.defaultSort()
	}
	return q.Sort
}

func (q Query) defaultSort() Sort {
	if q.Q != "" {
		return SortRelevance
	}
	return SortNewest
}

// Search returns the parsed full-text search.
func (q Query) Search() Search { return ParseSearch(q.Q) }

// EffectivePage returns the page number in force.
func (q Query) EffectivePage() int { return max(q.Page, 1) }

// EffectivePer returns the page size in force.
func (q Query) EffectivePer() int {
	if q.Per == 0 {
		return DefaultPer
	}
	return q.Per
}

// Offset returns how many results come before the page.
func (q Query) Offset() int { return (q.EffectivePage() - 1) * q.EffectivePer() }

// IsEmpty reports whether the query has no filter at all.
func (q Query) IsEmpty() bool {
	return len(q.Tags)+len(q.Any)+len(q.Not) == 0 && q.Source == "" && q.Category == "" && q.From.IsZero() && q.To.IsZero() && q.Q == ""
}

// ParseQuery reads a Query from URL parameters. Unknown parameters are
// ignored. An invalid value gives an *InvalidError naming the parameter.
func ParseQuery(v url.Values) (Query, error) {
	var q Query
	var err error
	if q.Tags, err = slugList(v, "tag"); err != nil {
		return q, err
	}
	if q.Any, err = slugList(v, "any"); err != nil {
		return q, err
	}
	if q.Not, err = slugList(v, "not"); err != nil {
		return q, err
	}
	if q.Source, err = oneSlug(v, "source"); err != nil {
		return q, err
	}
	if q.Category, err = oneSlug(v, "category"); err != nil {
		return q, err
	}
	for _, p := range []struct {
		name string
		dst  *DateBound
	}{{"from", &q.From}, {"to", &q.To}} {
		s, err := oneValue(v, p.name)
		if err != nil {
			return q, err
		}
		if s == "" {
			continue
		}
		d, err := ParseDateBound(s)
		if err != nil {
			return q, Invalid(p.name, "%v", err)
		}
		*p.dst = d
	}
	if !q.From.IsZero() && !q.To.IsZero() && q.From.First().After(q.To.Last()) {
		return q, Invalid("to", "%s is before from=%s", q.To.Text, q.From.Text)
	}
	if q.Q, err = searchParam(v); err != nil {
		return q, err
	}
	s, err := oneValue(v, "sort")
	if err != nil {
		return q, err
	}
	switch Sort(s) {
	case "":
	case SortNewest, SortOldest, SortLongest, SortShortest:
		q.Sort = Sort(s)
	case SortRelevance:
		if q.Q == "" {
			return q, Invalid("sort", "relevance needs a search: add q")
		}
		q.Sort = SortRelevance
	default:
		return q, Invalid("sort", "%q is not an order; use relevance, newest, oldest, longest or shortest", clipValue(s))
	}
	if q.Page, err = intParam(v, "page", 1, MaxPage); err != nil {
		return q, err
	}
	if q.Per, err = intParam(v, "per", MinPer, MaxPer); err != nil {
		return q, err
	}
	if q.Collapse, err = boolParam(v, "collapse"); err != nil {
		return q, err
	}
	q.normalize()
	return q, nil
}

// normalize puts the query in canonical form: sorted, deduplicated lists,
// defaults as zero values, and a tag in Tags never also in Any or Not.
func (q *Query) normalize() {
	for _, l := range []*[]string{&q.Tags, &q.Any, &q.Not} {
		// Sorted into a copy: q is often a copy of the caller's query
		// (URL, Encode… take it by value), whose slices share their
		// arrays, and sorting them in place changed the caller's query
		// (Compact zeroes the tail: {"x", "x"} became {"x", ""}).
		if !strictlySorted(*l) {
			*l = slices.Compact(slices.Sorted(slices.Values(*l)))
		}
		if len(*l) == 0 {
			*l = nil
		}
	}
	q.Q = strings.Join(strings.Fields(q.Q), " ")
	if q.Sort == q.defaultSort() {
		q.Sort = ""
	}
	if q.Page == 1 {
		q.Page = 0
	}
	if q.Per == DefaultPer {
		q.Per = 0
	}
}

// strictlySorted reports whether l is in order without repeats, as
// normalize leaves it (most queries' lists already are).
func strictlySorted(l []string) bool {
	for i := 1; i < len(l); i++ {
		if l[i-1] >= l[i] {
			return false
		}
	}
	return true
}

// MaxSearch is the longest search text accepted, in bytes.
const MaxSearch = 500

// searchParam reads q: any text is fine (it is never syntax), but it must
// be valid UTF-8 without control characters, and not too long.
func searchParam(v url.Values) (string, error) {
	vals := v["q"]
	if len(vals) > 1 {
		return "", Invalid("q", "given %d times; give it once", len(vals))
	}
	if len(vals) == 0 {
		return "", nil
	}
	s := strings.Join(strings.Fields(vals[0]), " ")
	switch {
	case len(s) > MaxSearch:
		return "", Invalid("q", "the search is %d bytes long; the limit is %d", len(s), MaxSearch)
	case !utf8.ValidString(s):
		return "", Invalid("q", "the search is not valid UTF-8")
	case strings.ContainsFunc(s, isControl):
		return "", Invalid("q", "the search contains control characters")
	}
	return s, nil
}

func isControl(r rune) bool {
	return r < 0x20 || r == 0x7f || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}

func oneValue(v url.Values, name string) (string, error) {
	vals := v[name]
	switch {
	case len(vals) == 0:
		return "", nil
	case len(vals) > 1:
		return "", Invalid(name, "given %d times; give it once", len(vals))
	}
	s := strings.TrimSpace(vals[0])
	if err := checkValue(name, s); err != nil {
		return "", err
	}
	return s, nil
}

func checkValue(name, s string) error {
	switch {
	case len(s) > maxValue:
		return Invalid(name, "value is %d bytes long; the limit is %d", len(s), maxValue)
	case !utf8.ValidString(s):
		return Invalid(name, "value is not valid UTF-8")
	case strings.ContainsFunc(s, func(r rune) bool {
		return r < 0x20 || r == 0x7f || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
	}):
		return Invalid(name, "value contains control characters")
	}
	return nil
}

func oneSlug(v url.Values, name string) (string, error) {
	s, err := oneValue(v, name)
	if err != nil || s == "" {
		return s, err
	}
	return toSlug(name, s)
}

func slugList(v url.Values, name string) ([]string, error) {
	vals := v[name]
	if len(vals) > maxValues {
		return nil, Invalid(name, "given %d times; the limit is %d", len(vals), maxValues)
	}
	var out []string
	for _, s := range vals {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if err := checkValue(name, s); err != nil {
			return nil, err
		}
		slug, err := toSlug(name, s)
		if err != nil {
			return nil, err
		}
		out = append(out, slug)
	}
	return out, nil
}

// toSlug accepts a slug or a name ("Kafka", "Distributed Systems") and
// returns the slug; a value with no letter or digit is invalid.
func toSlug(name, s string) (string, error) {
	slug := Slugify(s)
	if slug == "-" {
		return "", Invalid(name, "%q names nothing: use a slug like \"distributed-systems\"", clipValue(s))
	}
	if len(slug) > maxValue {
		// The slug is the canonical form, which links carry: "#" is
		// "-sharp-", so a name within the limit can give a slug past it.
		return "", Invalid(name, "value makes a slug of %d bytes; the limit is %d", len(slug), maxValue)
	}
	return slug, nil
}

func intParam(v url.Values, name string, lo, hi int) (int, error) {
	s, err := oneValue(v, name)
	if err != nil || s == "" {
		return 0, err
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, Invalid(name, "%q is not a whole number", clipValue(s))
	}
	if n < lo || n > hi {
		return 0, Invalid(name, "%d is out of range (%d to %d)", n, lo, hi)
	}
	return n, nil
}

// boolParam reads a switch: 1, true or on is true; 0, false, empty or
// absent is false.
func boolParam(v url.Values, name string) (bool, error) {
	s, err := oneValue(v, name)
	if err != nil {
		return false, err
	}
	switch s {
	case "1", "true", "on":
		return true, nil
	case "0", "false", "":
		return false, nil
	}
	return false, Invalid(name, "%q is not a switch; use 1 or 0", clipValue(s))
}

func clipValue(s string) string {
	if len(s) <= 40 {
		return s
	}
	cut := 40
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// Values encodes the query canonically: one order, no defaults. Encode
// the result with url.Values.Encode, which sorts by key.
func (q Query) Values() url.Values {
	q.normalize()
	v := url.Values{}
	for _, t := range q.Tags {
		v.Add("tag", t)
	}
	for _, t := range q.Any {
		v.Add("any", t)
	}
	for _, t := range q.Not {
		v.Add("not", t)
	}
	if q.Source != "" {
		v.Set("source", q.Source)
	}
	if q.Category != "" {
		v.Set("category", q.Category)
	}
	if !q.From.IsZero() {
		v.Set("from", q.From.Text)
	}
	if !q.To.IsZero() {
		v.Set("to", q.To.Text)
	}
	if q.Q != "" {
		v.Set("q", q.Q)
	}
	if q.Sort != "" {
		v.Set("sort", string(q.Sort))
	}
	if q.Per != 0 {
		v.Set("per", strconv.Itoa(q.Per))
	}
	if q.Collapse {
		v.Set("collapse", "1")
	}
	if q.Page > 1 {
		v.Set("page", strconv.Itoa(q.Page))
	}
	return v
}

// Route is a listing route with one filter fixed: "/", "/tags/{slug}",
// "/sources/{slug}", "/categories/{slug}", "/archive/{yyyy}" or
// "/archive/{yyyy}/{mm}".
type Route struct {
	Kind  string // "", "tags", "sources", "categories" or "archive"
	Value string // the slug, or "2016" or "2016/05"
}

// Path returns the route's path, e.g. "/tags/kafka".
func (r Route) Path() string {
	if r.Kind == "" {
		return "/"
	}
	return "/" + r.Kind + "/" + pathEscapeSlug(r.Value)
}

func pathEscapeSlug(s string) string {
	parts := strings.Split(s, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/")
}

// Apply adds the route's fixed filter to q.
func (r Route) Apply(q Query) Query {
	switch r.Kind {
	case "tags":
		q.Tags = append(slices.Clone(q.Tags), r.Value)
	case "sources":
		q.Source = r.Value
	case "categories":
		q.Category = r.Value
	case "archive":
		b := DateBound{Text: strings.ReplaceAll(r.Value, "/", "-")}
		q.From, q.To = b, b
	}
	q.normalize()
	return q
}

// CanonicalRoute picks the route that shows q with the least query
// string: the first tag, else the source, else the category, else a year
// or month from the dates, else "/". It returns the route and the query
// left for the query string.
func (q Query) CanonicalRoute() (Route, Query) {
	q.normalize()
	switch {
	case len(q.Tags) > 0:
		rest := q
		rest.Tags = q.Tags[1:]
		if len(rest.Tags) == 0 {
			rest.Tags = nil
		}
		return Route{"tags", q.Tags[0]}, rest
	case q.Source != "":
		rest := q
		rest.Source = ""
		return Route{"sources", q.Source}, rest
	case q.Category != "":
		rest := q
		rest.Category = ""
		return Route{"categories", q.Category}, rest
	case !q.From.IsZero() && q.From == q.To && len(q.From.Text) <= 7:
		rest := q
		rest.From, rest.To = DateBound{}, DateBound{}
		return Route{"archive", strings.ReplaceAll(q.From.Text, "-", "/")}, rest
	}
	return Route{}, q
}

// URL returns the canonical URL of q (a path and query, no host), with
// ext (".json", ".atom", ".csv" or "") added to the path.
func (q Query) URL(ext string) string {
	r, rest := q.CanonicalRoute()
	p := r.Path()
	if ext != "" {
		if p == "/" {
			p = "/index"
		}
		p += ext
	}
	if enc := rest.Encode(); enc != "" {
		return p + "?" + enc
	}
	return p
}

// Encode returns q.Values().Encode(), the same bytes, without building
// the map: a listing page writes a few hundred URLs.
func (q Query) Encode() string {
	q.normalize()
	var b strings.Builder
	add := func(k, v string) {
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(v))
	}
	// In the order of the keys, as url.Values.Encode sorts them.
	for _, t := range q.Any {
		add("any", t)
	}
	if q.Category != "" {
		add("category", q.Category)
	}
	if q.Collapse {
		add("collapse", "1")
	}
	if !q.From.IsZero() {
		add("from", q.From.Text)
	}
	for _, t := range q.Not {
		add("not", t)
	}
	if q.Page > 1 {
		add("page", strconv.Itoa(q.Page))
	}
	if q.Per != 0 {
		add("per", strconv.Itoa(q.Per))
	}
	if q.Q != "" {
		add("q", q.Q)
	}
	if q.Sort != "" {
		add("sort", string(q.Sort))
	}
	if q.Source != "" {
		add("source", q.Source)
	}
	for _, t := range q.Tags {
		add("tag", t)
	}
	if !q.To.IsZero() {
		add("to", q.To.Text)
	}
	return b.String()
}

// WithPage returns q on page n.
func (q Query) WithPage(n int) Query {
	q.Page = n
	q.normalize()
	return q
}

// Refine returns q changed by fn, back on page 1: changing a filter always
// returns to the first page.
func (q Query) Refine(fn func(*Query)) Query {
	q.Tags, q.Any, q.Not = slices.Clone(q.Tags), slices.Clone(q.Any), slices.Clone(q.Not)
	fn(&q)
	q.Page = 0
	q.normalize()
	return q
}

// OrGroup returns q with its "any" group explicit, the query that "+N"
// facet links extend: q itself when q.Any is set, or q with its single AND
// tag moved into Any (the same results). ok is false when there is no
// group to widen (no tags, or several AND tags and no Any).
func (q Query) OrGroup() (Query, bool) {
	switch {
	case len(q.Any) > 0:
		return q, true
	case len(q.Tags) == 1:
		g := q.Refine(func(g *Query) { g.Any, g.Tags = g.Tags, nil })
		g.Page = q.Page
		return g, true
	}
	return q, false
}

// HasTag reports whether slug is one of the AND tags.
func (q Query) HasTag(slug string) bool { return slices.Contains(q.Tags, slug) }

// Without returns s without v.
func Without(s []string, v string) []string {
	return slices.DeleteFunc(slices.Clone(s), func(x string) bool { return x == v })
}
