package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// target is a path of the URL mix and the status it must get.
type target struct {
	path, kind string
	want       int
}

// indexEntry is an entry of /tags.json, /sources.json, /categories.json or
// /archive.json.
type indexEntry struct {
	Name  string `json:"name"`
	Slug  string `json:"slug"`
	URL   string `json:"url"`
	Count int    `json:"count"`
}

// listingJSON is the part of a JSON listing the soak reads.
type listingJSON struct {
	Total    int  `json:"total"`
	More     bool `json:"more"` // Total is a lower bound: the page may hold up to Per whatever it says
	Page     int  `json:"page"`
	Pages    int  `json:"pages"`
	Per      int  `json:"per"`
	Articles []struct {
		ID    int64  `json:"id"`
		URL   string `json:"url"`
		Title string `json:"title"`
	} `json:"articles"`
}

// urlMix builds point 7's URL set from what the server holds: indexes,
// listings of tags, sources, categories and months (first, second, middle
// and last pages, HTML, JSON and Atom), tag combinations (AND, OR, NOT),
// searches, articles, every page of the home listing at 10 per page and of
// the biggest tag (more pages than the response cache holds), pages past
// the end (404), unknown names (404) and invalid parameters (400).
func (s *soak) urlMix(base string) ([]target, error) {
	c := newClient(30*time.Second, true)
	defer c.CloseIdleConnections()
	var tags, sources, categories, months []indexEntry
	for _, x := range []struct {
		path string
		key  string
		into *[]indexEntry
	}{{"/tags.json", "tags", &tags}, {"/sources.json", "sources", &sources}, {"/categories.json", "categories", &categories}, {"/archive.json", "archive", &months}} {
		var m map[string][]indexEntry
		if err := s.getJSON(c, base+x.path, &m); err != nil {
			return nil, err
		}
		*x.into = m[x.key]
		sort.SliceStable(*x.into, func(i, j int) bool { return (*x.into)[i].Count > (*x.into)[j].Count })
	}
	if len(tags) < 4 || len(sources) < 2 || len(categories) < 1 || len(months) < 1 {
		return nil, fmt.Errorf("the database is too small for the URL mix: %d tags, %d sources", len(tags), len(sources))
	}
	rng := rand.New(rand.NewPCG(s.cfg.seed, 7))
	pick := func(es []indexEntry, top, random int) []indexEntry {
		out := append([]indexEntry(nil), es[:min(top, len(es))]...)
		for range random {
			if len(es) > top {
				out = append(out, es[top+rng.IntN(len(es)-top)])
			}
		}
		return out
	}
	var out []target
	add := func(kind string, want int, paths ...string) {
		for _, p := range paths {
			out = append(out, target{path: p, kind: kind, want: want})
		}
	}
	add("index", 200, "/", "/tags", "/tags.json", "/tags?sort=name", "/sources", "/sources.json", "/categories", "/categories.json",
		"/archive", "/archive.json", "/about", "/docs", "/opensearch.xml", "/healthz")
	// The stylesheet, by the (fingerprinted) name the home page links to.
	if _, _, page, err := get(s.ctx, c, base+"/"); err == nil {
		if m := staticRe.Find(page); m != nil {
			add("index", 200, string(m))
		}
	}

	// Listings: the route's own, then combinations.
	var listings []string
	for _, t := range pick(tags, 8, 8) {
		listings = append(listings, "/tags/"+t.Slug)
	}
	for _, e := range pick(sources, 4, 4) {
		listings = append(listings, "/sources/"+e.Slug)
	}
	for _, e := range pick(categories, 4, 0) {
		listings = append(listings, "/categories/"+e.Slug)
	}
	for _, e := range pick(months, 2, 2) {
		listings = append(listings, e.URL, e.URL[:len("/archive/2016")])
	}
	t0, t1, t2 := tags[0].Slug, tags[1].Slug, tags[2].Slug
	var home listingJSON
	if err := s.getJSON(c, base+"/index.json", &home); err != nil {
		return nil, err
	}
	word := "data"
	if len(home.Articles) > 0 {
		for _, w := range strings.Fields(home.Articles[0].Title) {
			if len(w) > 4 {
				word = strings.ToLower(strings.Trim(w, ".,:;!?\"'()"))
				break
			}
		}
	}
	listings = append(listings, "/",
		"/tags/"+t0+"?tag="+t1, "/tags/"+t0+"?tag="+t1+"&tag="+t2,
		"/?any="+t0+"&any="+t1, "/?any="+t1+"&any="+t2+"&not="+t0,
		"/tags/"+t0+"?not="+t1, "/tags/"+t1+"?source="+sources[0].Slug,
		"/categories/"+categories[0].Slug+"?tag="+t0,
		"/?q="+url.QueryEscape(word), "/?q="+url.QueryEscape(word)+"&sort=newest",
		"/tags/"+t0+"?from=2016&to=2018", "/?collapse=1", "/?sort=oldest", "/?sort=longest&per=50")
	for _, l := range listings {
		var first listingJSON
		if err := s.getJSON(c, base+jsonTwin(l), &first); err != nil {
			return nil, err
		}
		p := max(first.Pages, 1)
		if first.More {
			// Counted up to the store's bound: the last page is found.
			var err error
			if p, err = s.lastPage(c, base+jsonTwin(l), p); err != nil {
				return nil, err
			}
		}
		add("listing", 200, l, jsonTwin(l))
		if strings.HasPrefix(l, "/tags/") && !strings.Contains(l, "?") {
			add("listing", 200, l+".atom")
		}
		if p >= 2 {
			add("listing", 200, withPage(l, 2))
		}
		if p >= 4 {
			add("deep page", 200, withPage(l, p/2))
		}
		if p >= 2 {
			add("deep page", 200, withPage(l, p), withPage(jsonTwin(l), p))
		}
		add("past the end", 404, withPage(l, p+1), withPage(jsonTwin(l), p+1))
	}
	for _, a := range home.Articles {
		add("article", 200, a.URL)
	}

	// Every page of two long listings: more distinct responses than the
	// response cache keeps, so the store is queried throughout.
	var home10, big listingJSON
	if err := s.getJSON(c, base+"/index.json?per=10", &home10); err != nil {
		return nil, err
	}
	if err := s.getJSON(c, base+"/tags/"+t0+".json", &big); err != nil {
		return nil, err
	}
	for p := 1; p <= home10.Pages; p++ {
		add("every page", 200, "/?page="+strconv.Itoa(p)+"&per=10")
	}
	for p := 1; p <= big.Pages; p++ {
		add("every page", 200, withPage("/tags/"+t0, p))
	}

	add("unknown name", 404, "/tags/zz-no-such-tag", "/sources/zz-nobody", "/categories/zz-none", "/articles/999999999",
		"/no/such/page", "/tags/"+t0+"?tag=zz-no-such-tag", "/static/nothing.css")
	add("invalid parameter", 400, "/?page=0", "/?page=-1", "/?page=abc", "/?page=1e18", "/?page=99999999999999999999",
		"/?per=5", "/?per=1000", "/?sort=bogus", "/?from=2016-13", "/?to=yesterday", "/?tag=%00", "/?q=%FF%FE",
		"/index.json?page=0", "/tags/"+t0+"?page=1&page=2", "/?collapse=maybe", "/tags/"+t0+".json?per=abc")
	return out, nil
}

var staticRe = regexp.MustCompile(`/static/[A-Za-z0-9._-]+\.css`)

// jsonTwin is the JSON URL of a listing.
func jsonTwin(l string) string {
	path, query, _ := strings.Cut(l, "?")
	if path == "/" {
		path = "/index"
	}
	if query != "" {
		return path + ".json?" + query
	}
	return path + ".json"
}

// withPage adds page=n to a listing URL.
func withPage(l string, n int) string {
	if strings.Contains(l, "?") {
		return l + "&page=" + strconv.Itoa(n)
	}
	return l + "?page=" + strconv.Itoa(n)
}

// lastPage returns the last page of the JSON listing at u (a URL with
// its query) that has more articles than its total says, past known, a
// page known to exist: the last page that answers 200 (a page past the
// end is a 404, the empty one after the last too), found by doubling,
// then halving.
func (s *soak) lastPage(c *http.Client, u string, known int) (int, error) {
	exists := func(page int) (bool, error) {
		code, _, _, err := get(s.ctx, c, withPage(u, page))
		return code == http.StatusOK, err
	}
	lo, hi := known, 2*known // lo exists; hi, once found, does not
	for {
		ok, err := exists(hi)
		if err != nil {
			return 0, err
		}
		if !ok {
			break
		}
		lo, hi = hi, 2*hi
	}
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		ok, err := exists(mid)
		if err != nil {
			return 0, err
		}
		if ok {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo, nil
}

func (s *soak) getJSON(c *http.Client, url string, v any) error {
	code, _, body, err := get(s.ctx, c, url)
	if err != nil {
		return err
	}
	if code != http.StatusOK {
		return fmt.Errorf("GET %s: %d", url, code)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	return nil
}

// checkMix fetches every target but the "every page" ones (of which every
// 25th) with 8 clients, and returns those whose status is not the one
// expected. It also opens every connection of the server's SQLite pool.
func (s *soak) checkMix(base string, mix []target) (checked int, wrong []string) {
	c := newClient(30*time.Second, true)
	defer c.CloseIdleConnections()
	jobs := make(chan target)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range jobs {
				code, _, _, err := get(s.ctx, c, base+t.path)
				mu.Lock()
				checked++
				if err != nil || code != t.want {
					wrong = append(wrong, fmt.Sprintf("%s: %d, want %d (%s) %v", t.path, code, t.want, t.kind, err))
				}
				mu.Unlock()
			}
		}()
	}
	for i, t := range mix {
		if t.kind == "every page" && i%25 != 0 {
			continue
		}
		select {
		case jobs <- t:
		case <-s.ctx.Done():
		}
	}
	close(jobs)
	wg.Wait()
	sort.Strings(wrong)
	return checked, wrong
}

// describeMix counts the targets by kind.
func describeMix(mix []target) string {
	n := map[string]int{}
	var kinds []string
	for _, t := range mix {
		if n[t.kind] == 0 {
			kinds = append(kinds, t.kind)
		}
		n[t.kind]++
	}
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		parts[i] = fmt.Sprintf("%d %s", n[k], k)
	}
	return strings.Join(parts, ", ")
}
