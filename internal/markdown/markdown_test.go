package markdown_test

import (
	"strings"
	"testing"

	"cardex/internal/markdown"
)

func TestRenderDropsRawHTMLAndUnsafeLinks(t *testing.T) {
	r := markdown.New()
	got, err := r.Render([]byte("# Hi\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) *ok*\n"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(got)
	for _, bad := range []string{"<script", "javascript:"} {
		if strings.Contains(s, bad) {
			t.Errorf("output contains %q: %s", bad, s)
		}
	}
	if !strings.Contains(s, "<em>ok</em>") || !strings.Contains(s, `<h1 id="hi">Hi</h1>`) {
		t.Errorf("output lacks the rendered Markdown: %s", s)
	}
}

func TestTitle(t *testing.T) {
	if got := markdown.Title([]byte("intro\n# The Title \nmore")); got != "The Title" {
		t.Errorf("Title = %q", got)
	}
}
