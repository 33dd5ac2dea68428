// Package catalog holds cardex's domain types: the cards parsed from listing
// pages, the articles stored from them, the one query model every listing
// and format goes through, and the error kinds that the HTTP layer maps to
// status codes. It depends on the standard library only.
package catalog

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Card is one article card as it appears on a listing page, before storage.
// Source, Category and Date are empty (zero) on the cards that carry no
// source block. Text fields hold the bytes exactly as the page had them.
type Card struct {
	File     string    // the file the card was read from
	Line     int       // 1-based line of the card's first line in File
	Source   string    // author account; "" when the card has none
	Date     time.Time // publication date (UTC midnight); zero when absent
	Category string    // "" when absent
	Title    string
	Summary  string
	Glued    string   // the tags line exactly as printed, tags glued together
	Tags     []string // Glued split into tags, strictly ascending
	Likes    int
	Minutes  int    // read time in minutes
	Raw      string // the card's lines exactly as read, each ending in "\n"
}

// HasDate reports whether the card carries a date line.
func (c Card) HasDate() bool { return !c.Date.IsZero() }

// Text returns the card's lines as a listing page prints them from its
// fields, each ending in "\n": the source block when the card has a source,
// then the title, summary, tags line, stats line and the title again. For
// nearly every card read from a page this is Raw, byte for byte, so the
// store keeps Raw only where it differs (a stats line with a thousands
// separator, "1 like", an avatar text unlike the source name).
func (c Card) Text() string {
	return string(c.AppendText(make([]byte, 0, 2*len(c.Source)+2*len(c.Title)+len(c.Summary)+len(c.Glued)+len(c.Category)+64)))
}

// AppendText appends Text to b: the one printer of the listing format
// (the generator writes its pages with it too).
func (c Card) AppendText(b []byte) []byte {
	if c.Source != "" {
		b = append(b, c.Source...)
		b = append(b, '\n')
		b = append(b, c.Source...)
		b = append(b, '\n')
		b = c.Date.AppendFormat(b, "Jan 2, 2006")
		b = append(b, " · "...)
		b = append(b, c.Category...)
		b = append(b, '\n')
	}
	b = append(b, '\n')
	b = append(b, c.Title...)
	b = append(b, "\n\n"...)
	b = append(b, c.Summary...)
	b = append(b, "\n\n"...)
	b = append(b, c.Glued...)
	b = append(b, '\n')
	b = strconv.AppendInt(b, int64(c.Likes), 10)
	b = append(b, " likes · "...)
	b = strconv.AppendInt(b, int64(c.Minutes), 10)
	b = append(b, " min read\n"...)
	b = append(b, c.Title...)
	return append(b, '\n')
}

// PageHeader is the header of a listing page: "Tagged articles",
// "2122 articles", "Page 21 of 22".
type PageHeader struct {
	Total  int    // articles under the page's tag, as the header says
	Number int    // this page's number, 1-based
	Of     int    // how many pages the tag has
	Raw    string // the header lines exactly as read, each ending in "\n"
}

// Article is a stored card, as the site shows it.
type Article struct {
	ID           int64
	Title        string
	Summary      string
	Source       *Ref // nil when the card has no source
	Category     *Ref // nil when the card has no category
	Date         time.Time
	Tags         []Ref
	Likes        int
	ReadMinutes  int
	DuplicateOf  int64 // the story (its smallest card id) when the story has other cards; 0 if none
	OtherSources []Ref // the sources of the story's other cards, each once, by name, without Source
	// With a search, Title and Summary with each match between
	// MarkStart and MarkEnd; "" otherwise.
	MarkedTitle, MarkedSummary string
}

// Search-match markers in Article.MarkedTitle and MarkedSummary.
const (
	MarkStart = "\x01"
	MarkEnd   = "\x02"
)

// Slug returns the article's URL slug, derived from its title.
func (a Article) Slug() string { return Slugify(a.Title) }

// Ref names a tag, source or category: its display name, its URL slug and,
// where known, how many articles carry it.
type Ref struct {
	Name  string
	Slug  string
	Count int
}

// Error kinds. The HTTP layer maps each to one status code.
var (
	ErrNotFound = errors.New("not found")
	ErrInvalid  = errors.New("invalid input")
	ErrTimeout  = errors.New("query took too long")
)

// InvalidError says which input was wrong and why. It matches ErrInvalid
// with errors.Is.
type InvalidError struct {
	Field  string // the query parameter, or FILE:LINE for listing input
	Reason string
}

func (e *InvalidError) Error() string { return fmt.Sprintf("%s: %s", e.Field, e.Reason) }

// Is makes errors.Is(err, ErrInvalid) true for every InvalidError.
func (e *InvalidError) Is(target error) bool { return target == ErrInvalid }

// Invalid returns an InvalidError for field.
func Invalid(field, format string, args ...any) error {
	return &InvalidError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// SplitResult is how a glued tag string was split.
type SplitResult struct {
	Tags []string
	// Certain is false when another split came close; Alternative is then
	// the runner-up and Margin how much less probable it was (in nats).
	Certain     bool
	Alternative []string
	Margin      float64
}

// ImportStats is the summary of one import.
type ImportStats struct {
	Files     int // files read
	Pages     int // pages stored or replaced
	Read      int // cards read
	New       int // cards stored for the first time
	Unchanged int // cards already stored exactly so
	Updated   int // cards stored before whose fields changed
	Rejected  int // cards that could not be parsed
	Tags      int // distinct tags in the database after the import
	NewTags   int // tags the import added
	Uncertain int // distinct glued strings whose split was not certain
	Version   int64
	// NotCompacted says why the database was published without the
	// compaction a bulk import asks for ("" when it was compacted or
	// did not need to be).
	NotCompacted string

	// Aliases is how many tags are, after the import, aliases merged into
	// another spelling of the same tag ("Realtime Processing" into
	// "Real-time Processing"); AliasProposals how many pairs of tags look
	// alike but were left apart for a person to check.
	Aliases        int
	AliasProposals int
}
