package listing

import (
	"strings"
	"time"

	"cardex/internal/catalog"
)

// JSONCard is a card in the JSON Lines shape that `cardex parse` prints:
// source, date (YYYY-MM-DD) and category are null when the card has none.
type JSONCard struct {
	File        string   `json:"file"`
	Line        int      `json:"line"`
	Title       string   `json:"title"`
	Summary     string   `json:"summary"`
	Source      *string  `json:"source"`
	Date        *string  `json:"date"`
	Category    *string  `json:"category"`
	Tags        []string `json:"tags"`
	Likes       int      `json:"likes"`
	ReadMinutes int      `json:"read_minutes"`
}

// JSONCardOf returns c in the JSON Lines shape.
func JSONCardOf(c catalog.Card) JSONCard {
	j := JSONCard{File: c.File, Line: c.Line, Title: c.Title, Summary: c.Summary, Tags: c.Tags, Likes: c.Likes, ReadMinutes: c.Minutes}
	if c.Source != "" {
		j.Source = &c.Source
	}
	if c.HasDate() {
		d := c.Date.Format(time.DateOnly)
		j.Date = &d
	}
	if c.Category != "" {
		j.Category = &c.Category
	}
	return j
}

// Card returns the catalog card j describes; its glued tags line is the
// tags joined. A date that does not parse is left zero.
func (j JSONCard) Card() catalog.Card {
	c := catalog.Card{File: j.File, Line: j.Line, Title: j.Title, Summary: j.Summary, Tags: j.Tags,
		Glued: strings.Join(j.Tags, ""), Likes: j.Likes, Minutes: j.ReadMinutes}
	if j.Source != nil {
		c.Source = *j.Source
	}
	if j.Category != nil {
		c.Category = *j.Category
	}
	if j.Date != nil {
		c.Date, _ = time.Parse(time.DateOnly, *j.Date)
	}
	return c
}
