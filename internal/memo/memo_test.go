package memo

import (
	"runtime"
	"testing"
)

// A Map keeps what is put in it until it holds Max values; the next Put
// empties it first.
func TestMapEmptiesWhenFull(t *testing.T) {
	m := Map[int]{Max: 2}
	if _, ok := m.Get("a"); ok {
		t.Fatal("a new map has a value")
	}
	m.Put("a", 1)
	m.Put("b", 2)
	if v, ok := m.Get("a"); !ok || v != 1 {
		t.Fatalf(`Get("a") = %d, %v; want 1, true`, v, ok)
	}
	m.Put("b", 3) // full: emptied before b is kept again
	if _, ok := m.Get("a"); ok {
		t.Fatal(`"a" is still kept after the map filled up`)
	}
	if v, ok := m.Get("b"); !ok || v != 3 || len(m.Values()) != 1 {
		t.Fatalf(`after the map filled up: Get("b") = %d, %v, %d values; want 3, true, 1`, v, ok, len(m.Values()))
	}
	m.Clear()
	if len(m.Values()) != 0 {
		t.Fatal("Clear left values")
	}
}

// A FreeList gives back what it was given, up to its capacity, and says
// when it has nothing; a collection does not empty it.
func TestFreeListKeepsUpToItsCapacity(t *testing.T) {
	f := make(FreeList[*int], 2)
	if _, ok := f.Take(); ok {
		t.Fatal("a new free list has a value")
	}
	a, b, c := new(int), new(int), new(int)
	f.Give(a)
	f.Give(b)
	f.Give(c) // full: dropped
	runtime.GC()
	got := map[*int]bool{}
	for range 3 {
		if v, ok := f.Take(); ok {
			got[v] = true
		}
	}
	if len(got) != 2 || !got[a] || !got[b] {
		t.Fatalf("took back %d values (a %v, b %v, c %v); want a and b", len(got), got[a], got[b], got[c])
	}
}
