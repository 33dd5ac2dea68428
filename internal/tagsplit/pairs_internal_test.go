package tagsplit

import "testing"

// bytePairs says no only for a string that cannot be in the text: every
// substring of the text passes, and a string with a pair of bytes the
// text lacks does not. Set again, it forgets the text before.
func TestBytePairs(t *testing.T) {
	var p bytePairs
	text := " how we run load balancing for a message queue "
	p.set(text)
	for i := range len(text) {
		for j := i; j <= len(text); j++ {
			if !p.has(text[i:j]) {
				t.Fatalf("%q, in the text, is said not to be", text[i:j])
			}
		}
	}
	for _, s := range []string{"kafka", "load balancer", "qq", "queue!"} {
		if p.has(s) {
			t.Errorf("%q has a pair the text lacks, and is said to be in it", s)
		}
	}
	p.set("kafka streams")
	if p.has("load") || !p.has("kafka") {
		t.Error("set again, the pairs are not the new text's")
	}
}
