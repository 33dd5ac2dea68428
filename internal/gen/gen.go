// Package gen writes a deterministic synthetic corpus in the listing
// format, for benchmarks at any size: the same Config gives the same bytes.
//
// The corpus looks like a crawl of the aggregator's tag pages. About 20,000
// tags have Zipf popularity; the most popular ones get a listing of their
// own ("Tagged articles", "N articles", "Page P of Q", then cards, newest
// first), and every card of a listing carries the listing's tag plus two to
// five more, drawn half from tags that go with it and half from all tags by
// popularity. Sources (about 5,000) are Zipf too; about 5% of the cards have
// no source (and so no date or category), and about 1% retell the card
// before them from another source (the same story). Titles and summaries
// are built from small word lists, names of products and companies spelled
// from syllables, with U+2011 hyphens, curly quotes and em dashes as on the
// real pages.
//
// Generation streams: one card is in memory at a time.
package gen

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"cardex/internal/catalog"
)

// Defaults for the zero fields of Config.
const (
	DefaultPerPage = 100
	DefaultTags    = 20_000
	DefaultSources = 5_000
	// cardsPerListing is the mean size of a listing: the number of tags
	// with a listing of their own is Cards / cardsPerListing.
	cardsPerListing = 200
	// entities is how many company and product names titles draw from.
	entities = 300_000
)

// The date range of the corpus: ten years, fixed so that output does not
// depend on the day it is made.
var lastDay = time.Date(2025, time.June, 30, 0, 0, 0, 0, time.UTC)

const spanDays = 3652

// Config says what to generate.
type Config struct {
	Cards   int    // cards in all
	Seed    uint64 // the same seed gives the same corpus
	PerPage int    // cards per page; 0 means DefaultPerPage
	Tags    int    // distinct tags; 0 means DefaultTags
	Sources int    // distinct sources; 0 means DefaultSources
}

func (c Config) withDefaults() Config {
	if c.PerPage <= 0 {
		c.PerPage = DefaultPerPage
	}
	if c.Tags <= 0 {
		c.Tags = DefaultTags
	}
	if c.Sources <= 0 {
		c.Sources = DefaultSources
	}
	return c
}

// Output receives the corpus.
type Output struct {
	// Create opens the listing page called name ("kafka-page-3.txt") for
	// writing. Generate closes it.
	Create func(name string) (io.WriteCloser, error)
	// Truth, when not nil, receives one JSON line per card, in output
	// order: {"file": Path(name), "line": N, "tags": [...]}, where line is
	// the card's first line (its blank line when it has no source), as
	// catalog.Card.Line counts.
	Truth io.Writer
	// Path names a file in Truth; nil means the name itself.
	Path func(name string) string
}

// Dir is an Output writing the pages into dir, which must exist, and
// naming them dir/name in the truth.
func Dir(dir string) Output {
	return Output{
		Create: func(name string) (io.WriteCloser, error) {
			f, err := os.Create(filepath.Join(dir, name))
			if err != nil {
				return nil, err
			}
			return &bufferedFile{f, bufio.NewWriterSize(f, 256<<10)}, nil
		},
		Path: func(name string) string { return filepath.Join(dir, name) },
	}
}

type bufferedFile struct {
	f *os.File
	*bufio.Writer
}

func (b *bufferedFile) Close() error {
	err := b.Flush()
	if cerr := b.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Stats describes a generated corpus.
type Stats struct {
	Cards      int
	Files      int
	Listings   int // tags with pages of their own
	NoSource   int // cards without a source
	SameStory  int // cards that retell the card before them
	Tags       int // distinct tags on the cards
	Sources    int // distinct sources on the cards
	Biggest    string
	BiggestLen int // cards in the biggest listing
}

// Listing is one tag's pages in the plan of a corpus.
type Listing struct {
	Tag   string // the tag every card of the listing carries
	Rank  int    // the tag's popularity rank (index in Vocabulary.Tags)
	Cards int
}

// Plan returns the vocabulary and the listings that Generate writes for
// cfg, in the order it writes them, without generating any card.
func Plan(cfg Config) (*Vocabulary, []Listing) {
	cfg = cfg.withDefaults()
	v := NewVocabulary(cfg.Seed, cfg.Tags, cfg.Sources)
	return v, listings(cfg, v)
}

// listings splits cfg.Cards among the most popular tags, Zipf-like.
func listings(cfg Config, v *Vocabulary) []Listing {
	h := min(max(cfg.Cards/cardsPerListing, 1), len(v.Tags))
	w := make([]float64, h)
	sum := 0.0
	for i := range w {
		w[i] = 1 / float64(i+1)
		sum += w[i]
	}
	out := make([]Listing, h)
	left := cfg.Cards
	for i := range out {
		n := int(math.Floor(float64(cfg.Cards) * w[i] / sum))
		out[i] = Listing{Tag: v.Tags[i], Rank: i, Cards: n}
		left -= n
	}
	for i := 0; left > 0; i, left = (i+1)%h, left-1 {
		out[i].Cards++
	}
	return slices.DeleteFunc(out, func(l Listing) bool { return l.Cards == 0 })
}

// Generate writes the corpus of cfg to out.
func Generate(cfg Config, out Output) (Stats, error) {
	cfg = cfg.withDefaults()
	if cfg.Cards < 1 {
		return Stats{}, fmt.Errorf("gen: cards must be at least 1, not %d", cfg.Cards)
	}
	if cfg.Tags < 6 || cfg.Sources < 2 {
		return Stats{}, fmt.Errorf("gen: need at least 6 tags and 2 sources")
	}
	v := NewVocabulary(cfg.Seed, cfg.Tags, cfg.Sources)
	g := &generator{
		cfg:      cfg,
		v:        v,
		out:      out,
		tagZipf:  newZipf(len(v.Tags), 1),
		srcZipf:  newZipf(len(v.Sources), 1),
		catZipf:  newZipf(len(v.Categories), 0.8),
		usedTags: make([]bool, len(v.Tags)),
		usedSrc:  make([]bool, len(v.Sources)),
		slugs:    make([]string, len(v.Tags)),
		buf:      make([]byte, 0, 4096),
	}
	if out.Truth != nil {
		g.truthLines = json.NewEncoder(out.Truth)
		g.truthLines.SetEscapeHTML(false)
	}
	for i, t := range v.Tags {
		g.slugs[i] = catalog.Slugify(t)
	}
	for _, l := range listings(cfg, v) {
		if err := g.listing(l); err != nil {
			return g.stats, err
		}
		g.stats.Listings++
		if l.Cards > g.stats.BiggestLen {
			g.stats.Biggest, g.stats.BiggestLen = l.Tag, l.Cards
		}
	}
	for _, u := range g.usedTags {
		if u {
			g.stats.Tags++
		}
	}
	for _, u := range g.usedSrc {
		if u {
			g.stats.Sources++
		}
	}
	return g.stats, nil
}

type generator struct {
	cfg                       Config
	v                         *Vocabulary
	out                       Output
	tagZipf, srcZipf, catZipf zipf
	usedTags, usedSrc         []bool
	slugs                     []string
	buf                       []byte
	truthLines                *json.Encoder
	stats                     Stats
}

// card is one generated card.
type card struct {
	source, category string
	date             time.Time
	title, summary   string
	tags             []string // names, strictly ascending
	likes, minutes   int
}

// neighbors is how many tags "go with" a listing's tag.
const neighbors = 30

func (g *generator) listing(l Listing) error {
	r := newRNG(g.cfg.Seed, 1<<20+uint64(l.Rank))
	near := make([]int, neighbors)
	for i := range near {
		near[i] = g.tagZipf.draw(r)
	}
	nearZipf := newZipf(neighbors, 1)
	mainCategory := g.catZipf.draw(r)
	w := &writer{r: r, seed: g.cfg.Seed, ents: newZipf(entities, 0.8)}
	pages := (l.Cards + g.cfg.PerPage - 1) / g.cfg.PerPage
	var prev card
	idx := make([]int, 0, 6)
	for p := 1; p <= pages; p++ {
		name := g.slugs[l.Rank] + "-page-" + strconv.Itoa(p) + ".txt"
		f, err := g.out.Create(name)
		if err != nil {
			return err
		}
		path := name
		if g.out.Path != nil {
			path = g.out.Path(name)
		}
		noun := "articles"
		if l.Cards == 1 {
			noun = "article"
		}
		b := fmt.Appendf(g.buf[:0], "Tagged articles\n%d %s\nPage %d of %d", l.Cards, noun, p, pages)
		line := 3
		for i := (p - 1) * g.cfg.PerPage; i < min(p*g.cfg.PerPage, l.Cards); i++ {
			var c card
			x := (float64(i) + r.float()) / float64(l.Cards)
			date := lastDay.AddDate(0, 0, -int(math.Pow(x, 1.5)*float64(spanDays)))
			if prev.source != "" && r.chance(0.01) {
				// The same story from another source.
				c = prev
				c.source = g.source(r)
				for c.source == prev.source {
					c.source = g.source(r)
				}
				c.date = date
				c.likes, c.minutes = likes(r), prev.minutes
				g.stats.SameStory++
				prev = card{} // a retelling is not retold: its source could be the first card's
			} else {
				c = g.card(r, w, l.Rank, near, nearZipf, mainCategory, idx)
				c.date = date
				prev = c
			}
			b = append(b, '\n')
			line++
			if g.truthLines != nil {
				if err := g.truthLines.Encode(truth{File: path, Line: line, Tags: c.tags}); err != nil {
					return err
				}
			}
			var n int
			b, n = appendCard(b, c)
			line += n - 1
			g.stats.Cards++
			if len(b) > 64<<10 {
				if _, err := f.Write(b); err != nil {
					f.Close()
					return err
				}
				b = b[:0]
			}
		}
		if _, err := f.Write(b); err != nil {
			f.Close()
			return err
		}
		g.buf = b[:0]
		if err := f.Close(); err != nil {
			return err
		}
		g.stats.Files++
	}
	return nil
}

type truth struct {
	File string   `json:"file"`
	Line int      `json:"line"`
	Tags []string `json:"tags"`
}

// source draws a source and records it as used.
func (g *generator) source(r rng) string {
	k := g.srcZipf.draw(r)
	g.usedSrc[k] = true
	return g.v.Sources[k]
}

// tagMix are the weights of 3, 4, 5 and 6 tags on a card.
var tagMix = []int{45, 30, 15, 10}

func (g *generator) card(r rng, w *writer, home int, near []int, nearZipf zipf, mainCategory int, idx []int) card {
	var c card
	if !r.chance(0.05) {
		c.source = g.source(r)
		cat := mainCategory
		if r.chance(0.4) {
			cat = g.catZipf.draw(r)
		}
		c.category = g.v.Categories[cat]
	} else {
		g.stats.NoSource++
	}
	idx = append(idx[:0], home)
	for k := 3 + r.weighted(tagMix); len(idx) < k; {
		t := g.tagZipf.draw(r)
		if r.chance(0.5) {
			t = near[nearZipf.draw(r)]
		}
		if !slices.Contains(idx, t) {
			idx = append(idx, t)
		}
	}
	c.tags = make([]string, len(idx))
	for i, t := range idx {
		c.tags[i] = g.v.Tags[t]
		g.usedTags[t] = true
	}
	slices.Sort(c.tags) // byte order is code-point order in UTF-8
	w.hyph = "\u2011"
	if r.chance(0.2) {
		w.hyph = "-"
	}
	c.title = w.title(c.tags)
	c.summary = w.summary(c.tags)
	c.likes = likes(r)
	c.minutes = readMinutes(r)
	return c
}

// likes is 0 for half of the cards and heavy-tailed (Pareto) above.
func likes(r rng) int {
	if r.chance(0.5) {
		return 0
	}
	return min(int(math.Pow(1-r.float(), -1/1.1)), 50_000)
}

// readMinutes is log-normal around 8 minutes, within 1 to 60.
func readMinutes(r rng) int {
	z := (r.float() + r.float() + r.float() + r.float() - 2) * math.Sqrt(3) // about N(0, 1)
	return min(max(int(math.Round(math.Exp(2.1+0.6*z))), 1), 60)
}

// appendCard appends c's lines, joined by newlines and without a final
// one (catalog.Card.AppendText prints them), and returns how many lines
// they are.
func appendCard(b []byte, c card) ([]byte, int) {
	n := 8
	if c.source != "" {
		n += 3
	}
	b = catalog.Card{Source: c.source, Date: c.date, Category: c.category, Title: c.title, Summary: c.summary,
		Glued: strings.Join(c.tags, ""), Likes: c.likes, Minutes: c.minutes}.AppendText(b)
	return b[:len(b)-1], n
}

// Version changes whenever the output for a given Config changes, so that
// cached corpora can be told apart.
const Version = 3
