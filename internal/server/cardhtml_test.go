package server

import (
	"context"
	"html/template"
	"strings"
	"testing"
	"time"

	"cardex/internal/catalog"
	"cardex/internal/sqlite/sqlitetest"
)

// cardTemplateSpec is the card as an html/template: the Go renderer
// (cardhtml.go) must write exactly what it renders.
const cardTemplateSpec = `{{define "card"}}
<article class="card">
  <h2><a href="{{.URL}}">{{marked .Title .MarkedTitle}}</a></h2>
  {{- template "cardbody" .}}
</article>
{{end}}

{{define "cardbody"}}
  <p class="meta">
    {{- if .Source}}<a class="source" href="{{.SourceURL}}">{{.Source.Name}}</a>{{else}}<span class="source none">No source</span>{{end}}
    {{- if not .Date.IsZero}} · <time datetime="{{isoDate .Date}}">{{date .Date}}</time>{{end}}
    {{- if .Category}} · <a class="category" href="{{.CategoryURL}}">{{.Category.Name}}</a>{{end}}
  </p>
  <p class="summary">{{marked .Summary .MarkedSummary}}</p>
  {{- with .AlsoBy}}
  <p class="also">Also published by {{range $i, $l := .}}{{if $i}}, {{end}}<a href="{{$l.URL}}">{{$l.Text}}</a>{{end}}</p>
  {{- end}}
  {{- if .Tags}}
  <ul class="tags" aria-label="Tags">
    {{- range .Tags}}
    <li><a href="{{.URL}}"{{if .Active}} aria-current="true"{{end}}>{{.Name}}</a></li>
    {{- end}}
  </ul>
  {{- end}}
  <p class="stats"><span>{{plural .Likes "like"}}</span> · <span>{{.ReadMinutes}} min read</span></p>
{{end}}`

// The Go card renderer writes what the template writes, byte for byte:
// for every card of the seed under several queries (links that refine
// them, highlights of a search, a card with other sources), and for
// hostile text and URLs.
func TestCardHTMLIsTheTemplate(t *testing.T) {
	spec := template.Must(template.New("spec").Funcs(template.FuncMap{
		"marked": marked, "plural": plural, "date": formatDate,
		"isoDate": func(t time.Time) string { return t.Format(time.DateOnly) },
	}).Parse(cardTemplateSpec))
	var cards []cardView
	st := sqlitetest.SeedStore(t)
	for _, q := range []catalog.Query{
		{Per: 100}, {Tags: []string{"kafka"}, Per: 100}, {Q: "vipshop"}, {Q: "kafk"}, {Source: "21cto", Any: []string{"kafka", "rabbitmq"}, Per: 100},
	} {
		page, err := st.Articles(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range page.Articles {
			cards = append(cards, newCardView(q, a))
		}
	}
	hostile := []string{`<script>alert(1)</script>`, `"quoted" & 'single' + plus`, "nul\x00byte", "秒杀 — “curly” ‑ nb", `</title><img src=x onerror=alert(1)>`}
	urls := []string{"javascript:alert(1)", "JavaScript:x", "data:text/html,x", "/tags/a b?x='y'&z=(1)+2", "/q?%41%zz%", "http://e.com/ü?a=\"b\"", "mailto:a@b.c", "/a:b", "//evil.com/x", "/tags/c++", "HTTPS://e.com/x", "httpſ://e.com/x"}
	for i, h := range hostile {
		a := catalog.Article{ID: int64(i + 1), Title: h, Summary: h + " summary", Likes: i * 1001, ReadMinutes: i,
			Source: &catalog.Ref{Name: h, Slug: "s"}, Category: &catalog.Ref{Name: h, Slug: "c"},
			Date: time.Date(2016, 5, 22, 0, 0, 0, 0, time.UTC), MarkedSummary: "\x01" + h + "\x02 tail\x01"}
		c := cardView{Article: a, URL: urls[i%len(urls)], SourceURL: urls[(i+1)%len(urls)], CategoryURL: urls[(i+2)%len(urls)],
			AlsoBy: []link{{URL: urls[(i+3)%len(urls)], Text: h}, {URL: urls[(i+4)%len(urls)], Text: "b"}}}
		for j, u := range urls {
			c.Tags = append(c.Tags, cardTag{Name: h, URL: u, Active: j%2 == 0})
		}
		cards = append(cards, c)
	}
	cards = append(cards, cardView{Article: catalog.Article{ID: 99, Title: "No source, date or category"}, URL: "/articles/99/x"})
	if len(cards) < 100 {
		t.Fatalf("only %d cards", len(cards))
	}
	for _, c := range cards {
		for name, got := range map[string]template.HTML{"card": c.HTML(), "cardbody": c.BodyHTML()} {
			var want strings.Builder
			if err := spec.ExecuteTemplate(&want, name, c); err != nil {
				t.Fatal(err)
			}
			if g, w := string(got), want.String(); g != w {
				i := 0
				for i < len(g) && i < len(w) && g[i] == w[i] {
					i++
				}
				t.Fatalf("card %d, %s: differs at byte %d:\ngot  %q\nwant %q", c.ID, name, i, g[max(0, i-60):min(len(g), i+60)], w[max(0, i-60):min(len(w), i+60)])
			}
		}
	}
}
