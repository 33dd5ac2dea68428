// Package memo keeps things for reuse. Map is a small map of results that
// is emptied, all at once, when it holds Max of them: the store's memos
// (totals, sidebars, page anchors of listings) and the server's rendered
// sidebars. It is meant for results that cannot change while they are kept
// (a read-only dataset), so it never expires one; and for few,
// cheap-to-recompute ones, so it keeps no order and evicts everything when
// full. FreeList keeps reusable values (compressors, buffers).
package memo

import "sync"

// Map is a memo of values by key. Its zero value with Max set is ready
// to use; it is safe for concurrent use.
type Map[V any] struct {
	Max int // how many values it holds before it is emptied

	mu sync.Mutex
	m  map[string]V
}

// Get returns the value kept for key.
func (c *Map[V]) Get(key string) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[key]
	return v, ok
}

// Put keeps v for key, emptying the map first if it is full.
func (c *Map[V]) Put(key string, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= c.Max {
		c.m = map[string]V{}
	}
	c.m[key] = v
}

// Clear empties the map.
func (c *Map[V]) Clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m = nil
}

// Values returns the values kept, in no order.
func (c *Map[V]) Values() []V {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]V, 0, len(c.m))
	for _, v := range c.m {
		out = append(out, v)
	}
	return out
}

// FreeList keeps up to its capacity of values for reuse (make it with
// make(FreeList[T], n)). Unlike a sync.Pool, a collection leaves it alone:
// under a soft memory limit the collector runs often, and a pooled value
// (a megabyte of DEFLATE state, a page's buffer) was then often made
// anew, its allocation bringing the next collection nearer.
type FreeList[T any] chan T

// Take returns a kept value, or ok false when there is none.
func (f FreeList[T]) Take() (v T, ok bool) {
	select {
	case v = <-f:
		return v, true
	default:
		return v, false
	}
}

// Give keeps v, unless the list is full.
func (f FreeList[T]) Give(v T) {
	select {
	case f <- v:
	default:
	}
}
