package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestVersionOf(t *testing.T) {
	for _, c := range []struct{ etag, want string }{
		{`"v1-2bd198619875be56"`, "v1"},
		{`"v12.dn5d67tsw9kg-3be065a4a96aa0ff"`, "v12"},
		{`W/"v3-00"`, "v3"},
		{`"abc"`, "-"},
		{``, "-"},
	} {
		if got := versionOf(c.etag); got != c.want {
			t.Errorf("versionOf(%q) = %q, want %q", c.etag, got, c.want)
		}
	}
}

func TestReplaceSection(t *testing.T) {
	p := filepath.Join(t.TempDir(), "d.md")
	if err := os.WriteFile(p, []byte("# T\n\nbefore\n<!-- demo:start -->\nold\nlines\n<!-- demo:end -->\nafter\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := replaceSection(p, "new\n\n"); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	if want := "# T\n\nbefore\n<!-- demo:start -->\nnew\n<!-- demo:end -->\nafter\n"; string(b) != want {
		t.Errorf("got %q, want %q", b, want)
	}
	os.WriteFile(p, []byte("no markers\n"), 0o644)
	if err := replaceSection(p, "x"); err == nil {
		t.Error("a file without markers: no error")
	}
}
