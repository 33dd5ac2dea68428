package main

import "testing"

// The report keeps an import's step times, problems and summary, not its
// lines of progress.
func TestImportSummary(t *testing.T) {
	out := `reading 2 file(s) to learn their tags
learning the tags: 49.4s
a-page-1.txt: 100 cards
b-page-2.txt: 52 cards, 1 rejected
b-page-2.txt:7: expected the title
50000 cards
reading, splitting and storing 152 cards: 7m4.1s
search index: 1m8.6s
imported 2 file(s) into x.db (dataset version 1)
cards: 153 read, 152 new, 0 unchanged, 0 updated, 1 rejected`
	want := `reading 2 file(s) to learn their tags
learning the tags: 49.4s
b-page-2.txt:7: expected the title
reading, splitting and storing 152 cards: 7m4.1s
search index: 1m8.6s
imported 2 file(s) into x.db (dataset version 1)
cards: 153 read, 152 new, 0 unchanged, 0 updated, 1 rejected`
	if got := importSummary(out); got != want {
		t.Errorf("importSummary:\n%s\nwant\n%s", got, want)
	}
}
