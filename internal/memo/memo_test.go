package memo

import "testing"

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
