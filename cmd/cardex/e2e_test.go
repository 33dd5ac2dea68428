package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// End-to-end test budget: the whole test, and one step of it (a click and
// the page it loads, or one read of the page).
const (
	e2eTimeout     = 60 * time.Second
	e2eStepTimeout = 15 * time.Second
	e2eHealthWait  = 10 * time.Second
)

// e2eViewport is a window size the walk is done at. Mobile viewports honour
// the page's <meta name="viewport">, as a phone does.
type e2eViewport struct {
	name          string
	width, height int64
	mobile        bool
}

var e2eViewports = []e2eViewport{
	{name: "desktop", width: 1280, height: 900},
	{name: "360", width: 360, height: 800, mobile: true},
}

// TestE2EBrowse starts the real program (import, then serve on a free port)
// and walks through it in headless Chromium as a person would: home, a tag
// on a card, a source, page 2, removing a filter chip, an article and a
// related article. It checks the URL and the cards at every step, and
// saves a full-page screenshot of each step at each viewport under
// data/screenshots/ (ignored build output, like the rest of data/).
//
// Without a browser the test is skipped, except under CI=true, where a
// missing browser is a failure.
func TestE2EBrowse(t *testing.T) {
	browser := e2eFindBrowser()
	if browser == "" {
		msg := "no Chromium or Chrome on PATH (looked for chromium, chromium-browser, google-chrome); install chromium to run the browser test"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), e2eTimeout)
	t.Cleanup(cancel)

	base := e2eStartServer(t, ctx)
	browserCtx := e2eStartBrowser(t, ctx, browser)
	shots := e2eScreenshotDir(t)

	for _, vp := range e2eViewports {
		t.Run(vp.name, func(t *testing.T) {
			// Each viewport gets its own tab of the one browser.
			tab, closeTab := chromedp.NewContext(browserCtx)
			defer closeTab()
			// The first run on a context opens its tab for the life of the
			// context of that run, so it gets no step timeout.
			if err := chromedp.Do(tab); err != nil {
				t.Fatalf("open a tab: %v", err)
			}
			console := e2eWatchConsole(tab)
			w := &e2eWalker{t: t, ctx: tab, base: base, vp: vp, dir: shots}
			opts := []chromedp.EmulateViewportOption{chromedp.EmulatePortrait}
			if vp.mobile {
				opts = append(opts, chromedp.EmulateMobile)
			}
			w.do("set the viewport", chromedp.EmulateViewport(vp.width, vp.height, opts...))
			w.walk()
			closeTab()
			// The app has no script, so the console only gets the
			// browser's complaints: a resource that failed to load, a
			// style or script the Content-Security-Policy blocked.
			for _, m := range console() {
				t.Errorf("browser console: %s %s: %s", m.Type, m.URL, m.Text)
			}
		})
	}
	t.Logf("end-to-end walk took %v", time.Since(start).Round(time.Millisecond))
}

// walk is the person's path through the site.
func (w *e2eWalker) walk() {
	t := w.t

	// 1. The home page lists every article.
	w.open("/")
	home := w.look()
	w.wantURL(home, "/", nil)
	if home.Title != "cardex: all articles" {
		t.Errorf("home: title %q, want %q", home.Title, "cardex: all articles")
	}
	w.wantSentence(home, "92 articles", false)
	w.wantCards(home, 20)
	w.shot("01-home")

	// 2. A tag on the first card narrows the list to that tag.
	w.click("the Distributed Systems tag of the first card",
		`(//main//article`+xpClass("card")+`)[1]//ul`+xpClass("tags")+`//a[normalize-space()="Distributed Systems"]`)
	tag := w.look()
	w.wantURL(tag, "/tags/distributed-systems", nil)
	w.wantSentence(tag, "91 articles tagged Distributed Systems", false)
	w.wantCards(tag, 20)
	w.shot("02-tag")

	// 3. A source adds a second filter. With the seed data the ninth card
	// of this page is from 21CTO, so this clicks the source link of a
	// card; the sidebar's facet link is only the fallback for data where
	// no card on the first page is from 21CTO.
	if slices.Contains(tag.Sources, "21CTO") {
		w.click("the 21CTO source link of a card",
			`(//main//article`+xpClass("card")+`//a`+xpClass("source")+`[normalize-space()="21CTO"])[1]`)
	} else {
		t.Logf("no card on %s is from 21CTO; using the sidebar facet", tag.URL.RequestURI())
		w.click("the 21CTO facet in the sidebar",
			`//aside//a[span`+xpClass("name")+`[normalize-space()="21CTO"]]`)
	}
	src := w.look()
	w.wantURL(src, "/tags/distributed-systems", url.Values{"source": {"21cto"}})
	w.wantSentence(src, "41 articles tagged Distributed Systems, from 21CTO", true)
	w.wantCards(src, 20)
	w.wantAllFrom(src, "21CTO")
	w.wantPagination(src, "Page 1 of 3")
	w.shot("03-source")

	// 4. Page 2 of the same listing.
	w.click(`the pagination link "2"`,
		`//nav`+xpClass("pagination")+`//a[normalize-space()="2"]`)
	page2 := w.look()
	w.wantURL(page2, "/tags/distributed-systems", url.Values{"source": {"21cto"}, "page": {"2"}})
	w.wantSentence(page2, "41 articles tagged Distributed Systems, from 21CTO", true)
	w.wantCards(page2, 20)
	w.wantAllFrom(page2, "21CTO")
	w.wantPagination(page2, "Page 2 of 3")
	if slices.Equal(page2.Titles, src.Titles) {
		t.Errorf("page 2 shows the same titles as page 1")
	}
	for _, u := range page2.Links {
		if slices.Contains(src.Links, u) {
			t.Errorf("page 2 repeats a card of page 1: %s", u)
		}
	}
	w.shot("04-page2")

	// 5. Removing the tag chip keeps the source and goes back to page 1.
	w.click(`the remove link of the chip "Tag: Distributed Systems"`,
		`//ul`+xpClass("chips")+`/li[contains(normalize-space(), "Tag: Distributed Systems")]//a`)
	chip := w.look()
	w.wantURL(chip, "/sources/21cto", nil)
	w.wantSentence(chip, "41 articles, from 21CTO", false)
	w.wantCards(chip, 20)
	w.wantAllFrom(chip, "21CTO")
	w.wantPagination(chip, "Page 1 of 3")
	if want := []string{"Source: 21CTO"}; !slices.Equal(chip.Chips, want) {
		t.Errorf("chips after removing the tag: %q, want %q", chip.Chips, want)
	}
	w.shot("05-chip-removed")

	// 6. An article, from its title on the first card.
	if len(chip.Titles) == 0 {
		t.Fatal("no card to open")
	}
	w.click("the title of the first card", `(//main//div`+xpClass("cards")+`/article`+xpClass("card")+`)[1]/h2/a`)
	art := w.look()
	w.wantArticle(art, chip.Titles[0])
	w.shot("06-article")

	// 7. The first related article.
	if len(art.Related) == 0 {
		t.Fatal("the article lists no related articles")
	}
	w.click("the title of the first related article",
		`(//section`+xpClass("related")+`//article`+xpClass("card")+`/h2/a)[1]`)
	rel := w.look()
	w.wantArticle(rel, art.Related[0])
	if rel.URL.Path == art.URL.Path {
		t.Errorf("the related article is the article itself: %s", rel.URL.Path)
	}
	w.shot("07-related")

	// 8. Type a search into the box in the header and press Enter.
	ctx, cancel := w.step()
	resp, err := chromedp.RunResponse(ctx, chromedp.SendKeys(chromedp.CSS("input#q"), "kafka"+kb.Enter))
	cancel()
	if err != nil || resp == nil || resp.Status != http.StatusOK {
		t.Fatalf("%s: search: %v %v", w.vp.name, resp, err)
	}
	found := w.look()
	w.wantURL(found, "/", url.Values{"q": {"kafka"}})
	if !strings.Contains(found.Sentence, "matching “kafka”") || len(found.Titles) == 0 {
		t.Errorf("search results: %q, %d cards", found.Sentence, len(found.Titles))
	}
	if found.Marks == 0 {
		t.Error("no <mark> highlights in the search results")
	}
	w.shot("08-search")

	// 9. Narrow to the Kafka tag from the sidebar, then widen with a
	// facet's "+N" link: the results grow by exactly N.
	w.click(`the sidebar's "Kafka" tag`, `//aside//ul`+xpClass("tagfacet")+`/li/a[span[@class="name"]="Kafka"]`)
	narrowed := w.look()
	w.wantURL(narrowed, "/tags/kafka", url.Values{"q": {"kafka"}})
	before := leadingNumber(t, narrowed.Sentence)
	ctx, cancel = w.step()
	plus, err := chromedp.Run(ctx, chromedp.Text(`(//aside//a`+xpClass("or")+`)[1]`))
	cancel()
	if err != nil {
		t.Fatalf("%s: no +N link in the sidebar: %v", w.vp.name, err)
	}
	n, err := strconv.Atoi(strings.TrimPrefix(strings.TrimSpace(plus), "+"))
	if err != nil || n <= 0 {
		t.Fatalf("%s: +N link text %q", w.vp.name, plus)
	}
	w.click(`the first "+N" link`, `(//aside//a`+xpClass("or")+`)[1]`)
	widened := w.look()
	if widened.URL.Query()["any"] == nil || widened.URL.Query().Get("q") != "kafka" {
		t.Errorf("+N link went to %s, want an any= group that keeps q", widened.URL)
	}
	if after := leadingNumber(t, widened.Sentence); after != before+n {
		t.Errorf("+%d took %d results to %d", n, before, after)
	}
	w.shot("09-or-facet")
}

// leadingNumber reads the count that starts a sentence ("7 articles …").
func leadingNumber(t *testing.T, s string) int {
	t.Helper()
	f := strings.Fields(s)
	if len(f) == 0 {
		t.Fatalf("empty sentence")
	}
	n, err := strconv.Atoi(strings.ReplaceAll(f[0], ",", ""))
	if err != nil {
		t.Fatalf("sentence %q does not start with a number", s)
	}
	return n
}

// e2eWalker drives one tab at one viewport.
type e2eWalker struct {
	t    *testing.T
	ctx  context.Context // the tab
	base string          // http://127.0.0.1:PORT
	vp   e2eViewport
	dir  string // where screenshots go
}

// step returns a context for one step of the walk.
func (w *e2eWalker) step() (context.Context, context.CancelFunc) {
	return context.WithTimeout(w.ctx, e2eStepTimeout)
}

// do runs actions that return nothing; a failure ends the walk.
func (w *e2eWalker) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	w.t.Helper()
	ctx, cancel := w.step()
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		w.t.Fatalf("%s: %s: %v", w.vp.name, what, err)
	}
}

// open loads path and checks that it answered 200.
func (w *e2eWalker) open(path string) {
	w.t.Helper()
	ctx, cancel := w.step()
	defer cancel()
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(w.base+path))
	if err != nil {
		w.t.Fatalf("%s: open %s: %v", w.vp.name, path, err)
	}
	if resp.Status != http.StatusOK {
		w.t.Fatalf("%s: open %s: status %d", w.vp.name, path, resp.Status)
	}
}

// click waits until the element that xpath selects is visible, clicks it,
// and waits for the page it leads to, which must answer 200.
func (w *e2eWalker) click(what, xpath string) {
	w.t.Helper()
	ctx, cancel := w.step()
	defer cancel()
	// The wait is separate from the click so that a missing element is
	// reported as such, not as a page that never loaded.
	if err := chromedp.Do(ctx, chromedp.WaitVisible(xpath)); err != nil {
		w.t.Fatalf("%s: %s is not on the page (%s): %v", w.vp.name, what, xpath, err)
	}
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(xpath, chromedp.NodeVisible))
	if err != nil {
		w.t.Fatalf("%s: click %s: %v", w.vp.name, what, err)
	}
	if resp == nil || resp.Status != http.StatusOK {
		status := 0
		if resp != nil {
			status = int(resp.Status)
		}
		w.t.Fatalf("%s: click %s: status %d", w.vp.name, what, status)
	}
}

// xpClass is an XPath predicate for an element with the CSS class c.
func xpClass(c string) string {
	return fmt.Sprintf(`[contains(concat(" ", normalize-space(@class), " "), " %s ")]`, c)
}

// e2ePage is what a person sees on a page, read once it is loaded.
type e2ePage struct {
	URL         *url.URL `json:"-"`
	Title       string   `json:"title"`
	H1          []string `json:"h1"`
	Sentence    string   `json:"sentence"`
	Pagination  string   `json:"pagination"`
	Chips       []string `json:"chips"`
	Titles      []string `json:"titles"`      // the listing's cards, in order
	Links       []string `json:"links"`       // their article URLs
	Sources     []string `json:"sources"`     // their sources ("" for none)
	Related     []string `json:"related"`     // titles of section.related's cards
	Marks       int      `json:"marks"`       // search highlights
	ScrollWidth int64    `json:"scrollWidth"` // of the document
}

// e2eReadPage reads the page in the browser. The app has no JavaScript;
// only the test evaluates some, through DevTools.
const e2eReadPage = `(() => {
	const text = (e) => e ? e.textContent.replace(/\s+/g, " ").trim() : "";
	const all = (sel) => [...document.querySelectorAll(sel)];
	const cards = all("main .cards > article.card");
	return {
		title: document.title,
		h1: all("h1").map(text),
		sentence: text(document.querySelector("p.sentence")),
		pagination: text(document.querySelector("nav.pagination > p")),
		chips: all("ul.chips > li:not(.clear)").map(li => text(li).replace(/\s*✕$/, "")),
		titles: cards.map(c => text(c.querySelector("h2"))),
		links: cards.map(c => c.querySelector("h2 a")?.getAttribute("href") ?? ""),
		sources: cards.map(c => text(c.querySelector("a.source"))),
		related: all("section.related article.card h2").map(text),
		marks: all("main mark").length,
		scrollWidth: document.documentElement.scrollWidth,
	};
})()`

// look reads the current page, waiting first for its main landmark.
func (w *e2eWalker) look() e2ePage {
	w.t.Helper()
	ctx, cancel := w.step()
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("main h1"))); err != nil {
		w.t.Fatalf("%s: the page has no visible main h1: %v", w.vp.name, err)
	}
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		w.t.Fatalf("%s: location: %v", w.vp.name, err)
	}
	u, err := url.Parse(loc)
	if err != nil {
		w.t.Fatalf("%s: location %q: %v", w.vp.name, loc, err)
	}
	p, err := chromedp.Run(ctx, chromedp.Evaluate[e2ePage](e2eReadPage))
	if err != nil {
		w.t.Fatalf("%s: read %s: %v", w.vp.name, loc, err)
	}
	p.URL = u
	// A page wider than the viewport scrolls sideways; one pixel is
	// rounding.
	if p.ScrollWidth > w.vp.width+1 {
		w.t.Errorf("%s: %s is %d px wide, wider than the %d px viewport: it scrolls sideways",
			w.vp.name, u.RequestURI(), p.ScrollWidth, w.vp.width)
	}
	return p
}

// shot saves a full-page screenshot as NAME-VIEWPORT.png.
func (w *e2eWalker) shot(name string) {
	w.t.Helper()
	ctx, cancel := w.step()
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		w.t.Fatalf("%s: screenshot %s: %v", w.vp.name, name, err)
	}
	file := filepath.Join(w.dir, name+"-"+w.vp.name+".png")
	if err := os.WriteFile(file, png, 0o644); err != nil {
		w.t.Fatal(err)
	}
}

// wantURL checks that the page is on the site at path, with exactly the
// query parameters query (none when nil), in any order.
func (w *e2eWalker) wantURL(p e2ePage, path string, query url.Values) {
	w.t.Helper()
	if p.URL.Host != strings.TrimPrefix(w.base, "http://") {
		w.t.Errorf("%s: left the site: %s", w.vp.name, p.URL)
	}
	if p.URL.Path != path {
		w.t.Errorf("%s: at %s, want path %s", w.vp.name, p.URL.RequestURI(), path)
	}
	if got := p.URL.Query(); !maps.EqualFunc(got, query, slices.Equal) {
		w.t.Errorf("%s: at %s, want query %q", w.vp.name, p.URL.RequestURI(), query.Encode())
	}
}

// wantSentence checks the page's explaining sentence: all of it when exact,
// else its start.
func (w *e2eWalker) wantSentence(p e2ePage, want string, exact bool) {
	w.t.Helper()
	if exact && p.Sentence != want || !exact && !strings.HasPrefix(p.Sentence, want) {
		w.t.Errorf("%s: %s says %q, want %q", w.vp.name, p.URL.RequestURI(), p.Sentence, want)
	}
}

func (w *e2eWalker) wantCards(p e2ePage, n int) {
	w.t.Helper()
	if len(p.Titles) != n {
		w.t.Errorf("%s: %s shows %d cards, want %d", w.vp.name, p.URL.RequestURI(), len(p.Titles), n)
	}
	for i, title := range p.Titles {
		if title == "" || p.Links[i] == "" {
			w.t.Errorf("%s: %s: card %d has no title link", w.vp.name, p.URL.RequestURI(), i+1)
		}
	}
}

func (w *e2eWalker) wantAllFrom(p e2ePage, source string) {
	w.t.Helper()
	for i, s := range p.Sources {
		if s != source {
			w.t.Errorf("%s: %s: card %d (%q) is from %q, want %q", w.vp.name, p.URL.RequestURI(), i+1, p.Titles[i], s, source)
		}
	}
}

func (w *e2eWalker) wantPagination(p e2ePage, want string) {
	w.t.Helper()
	if p.Pagination != want {
		w.t.Errorf("%s: %s: pagination says %q, want %q", w.vp.name, p.URL.RequestURI(), p.Pagination, want)
	}
}

var articlePath = regexp.MustCompile(`^/articles/[1-9][0-9]*/[^/]+$`)

// wantArticle checks an article page: its URL, and one h1 with its title.
func (w *e2eWalker) wantArticle(p e2ePage, title string) {
	w.t.Helper()
	if !articlePath.MatchString(p.URL.Path) || p.URL.RawQuery != "" {
		w.t.Errorf("%s: at %s, want /articles/ID/SLUG", w.vp.name, p.URL.RequestURI())
	}
	if want := []string{title}; !slices.Equal(p.H1, want) {
		w.t.Errorf("%s: %s has h1 %q, want exactly %q", w.vp.name, p.URL.RequestURI(), p.H1, want)
	}
	if !strings.Contains(p.Title, title) {
		w.t.Errorf("%s: %s is titled %q, want the article's title %q in it", w.vp.name, p.URL.RequestURI(), p.Title, title)
	}
}

// e2eWatchConsole collects the console messages of the tab that are
// warnings, errors or exceptions. The returned func waits until the tab is
// closed, then returns them.
func e2eWatchConsole(tab context.Context) func() []chromedp.ConsoleMessage {
	msgs := chromedp.Console(tab) // subscribes now, before any page loads
	var bad []chromedp.ConsoleMessage
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range msgs {
			if err != nil {
				return // the tab is closed
			}
			if strings.HasSuffix(m.URL, "/favicon.ico") {
				continue // asked for by the browser itself; see failedRequests
			}
			switch m.Type {
			case chromedp.ConsoleWarning, chromedp.ConsoleError, chromedp.ConsoleException:
				bad = append(bad, m)
			}
		}
	}()
	return func() []chromedp.ConsoleMessage {
		<-done
		return bad
	}
}

// e2eFindBrowser returns the path of a Chromium or Chrome, or "".
func e2eFindBrowser() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// e2eStartServer imports the seeds into a fresh database, runs
// "cardex serve" on a free port until the test ends, and returns its base
// URL once /healthz answers.
func e2eStartServer(t *testing.T, ctx context.Context) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "cardex.db")
	noEnv := func(string) string { return "" }
	var out bytes.Buffer
	if err := run(ctx, []string{"import", "-q", "--db", db, "../../seeds"}, noEnv, strings.NewReader(""), &out, &out); err != nil {
		t.Fatalf("import: %v\n%s", err, out.String())
	}

	// A free port: the kernel picks one, and serve takes it right after.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	serveCtx, stop := context.WithCancel(ctx)
	log := new(e2eLog)
	done := make(chan error, 1)
	go func() {
		done <- run(serveCtx, []string{"serve", "--db", db, "--addr", addr}, noEnv, strings.NewReader(""), log, log)
	}()
	t.Cleanup(func() {
		// Shut the server down and wait for run to return.
		stop()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(shutdownTimeout + time.Second):
			t.Errorf("serve did not return within %v of its context ending", shutdownTimeout+time.Second)
		}
		if bad := log.failedRequests(); len(bad) > 0 {
			t.Errorf("the server answered requests of the walk with errors:\n%s", strings.Join(bad, "\n"))
		}
		if t.Failed() {
			t.Logf("server log:\n%s", log.String())
		}
	})

	base := "http://" + addr
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(e2eHealthWait)
	for {
		select {
		case err := <-done:
			t.Fatalf("serve returned before it was healthy: %v\n%s", err, log.String())
		default:
		}
		resp, err := client.Get(base + "/healthz")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET /healthz did not answer 200 within %v (last error: %v)\n%s", e2eHealthWait, err, log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// e2eStartBrowser starts a headless browser with a fresh profile, and
// returns a chromedp context for it. The browser stops at the end of the
// test, before the server shuts down.
func e2eStartBrowser(t *testing.T, ctx context.Context, execPath string) context.Context {
	t.Helper()
	out := new(e2eLog)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(execPath),
		chromedp.Headless,
		chromedp.NoSandbox, // CI runs as root
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.CombinedOutput(out),
	)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc() // waits for the browser to exit
		if t.Failed() {
			t.Logf("browser output:\n%s", out.String())
		}
	})
	// The first run starts the browser; it lives as long as browserCtx.
	if err := chromedp.Do(browserCtx); err != nil {
		t.Fatalf("start %s: %v\n%s", execPath, err, out.String())
	}
	return browserCtx
}

// e2eScreenshotDir returns data/screenshots/ in the repository, creating it.
func e2eScreenshotDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join("..", "..", "data", "screenshots")
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		dir = filepath.Join(filepath.Dir(file), "..", "..", "data", "screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return filepath.Clean(dir)
}

// e2eLog is the server's log, shared by goroutines (a syncBuffer).
type e2eLog struct{ syncBuffer }

// failedRequests returns the access-log lines of responses with status
// 400 or more: every link, stylesheet and page of the walk must work. A
// browser asks for /favicon.ico by itself; cardex has none, which is fine.
func (l *e2eLog) failedRequests() []string {
	var bad []string
	for line := range strings.Lines(l.String()) {
		var r struct {
			Msg    string `json:"msg"`
			Path   string `json:"path"`
			Status int    `json:"status"`
		}
		if json.Unmarshal([]byte(line), &r) != nil || r.Msg != "request" {
			continue
		}
		if r.Status >= 400 && r.Path != "/favicon.ico" {
			bad = append(bad, strings.TrimSpace(line))
		}
	}
	return bad
}
