package server

import "sync"

// sidebars keeps the rendered sidebars of listings. A listing's sidebar
// (its facets and "Goes with" links) is the same on every page of it:
// its links refine the listing and start again at page 1. Building and
// writing its 60 to 100 links was about a tenth of an uncached page's
// CPU, paid again for every page. The map is emptied when it holds max
// sidebars (about 10 KB each).
type sidebars struct {
	mu  sync.Mutex
	m   map[string]string
	max int
}

// sidebarsMax bounds the sidebars kept: about 1.3 MB.
const sidebarsMax = 128

func (c *sidebars) get(key string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h, ok := c.m[key]
	return h, ok
}

func (c *sidebars) put(key, html string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= c.max {
		c.m = map[string]string{}
	}
	c.m[key] = html
}
