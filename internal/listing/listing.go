// Package listing reads the aggregator's plain-text listing pages into
// catalog cards. It knows the page format and nothing about storage: every
// problem comes back as a Diagnostic naming FILE:LINE.
//
// A page is a header ("Tagged articles", "N articles", "Page P of Q")
// followed by cards. A card is: the source twice (avatar text, then name),
// "Mon D, YYYY · Category", a blank line, the title, a blank line, the
// summary, a blank line, the tags glued together, "N likes · M min read",
// and the title again. Cards without a source have only the blank line
// before the title.
package listing

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"cardex/internal/catalog"
)

// MaxLineBytes is the longest line a listing may have. Real lines are a few
// hundred bytes; anything longer is not a listing.
const MaxLineBytes = 64 << 10

// Diagnostic is a problem found at File:Line.
type Diagnostic struct {
	File    string
	Line    int
	Message string
}

func (d Diagnostic) Error() string { return fmt.Sprintf("%s:%d: %s", d.File, d.Line, d.Message) }

// ErrNotListing wraps the Diagnostic for input that cannot be a listing page
// at all (binary data, invalid UTF-8, overlong lines). The whole file is
// rejected.
var ErrNotListing = errors.New("not a listing page")

// FileError is a problem that rejects a whole file.
type FileError struct{ Diagnostic }

func (e *FileError) Unwrap() error { return ErrNotListing }

var (
	reTotal = regexp.MustCompile(`^([0-9][0-9,]*) articles?$`)
	rePage  = regexp.MustCompile(`^Page ([0-9]+) of ([0-9]+)$`)
	reStats = regexp.MustCompile(`^([0-9][0-9,]*) likes? · ([0-9]+) min read$`)
	reDate  = regexp.MustCompile(`^([A-Z][a-z]{2}) ([0-9]{1,2}), ([0-9]{4})(?: · (.*))?$`)
	// Near misses, matched only to say precisely what is wrong.
	reLooseStats = regexp.MustCompile(`^(\S+) likes? · (\S+) min read$`)
	reLooseDate  = regexp.MustCompile(`^[A-Z][a-z]{2} [0-9]{1,2}, [0-9]{4}\b`)
)

// Reader reads cards from one listing page, one at a time, holding at most
// one card in memory.
type Reader struct {
	name    string
	br      *bufio.Reader
	line    int       // lines read from br so far
	ahead   []rawLine // look-ahead, read but not consumed
	buf     []byte    // the line being read, kept between lines
	parts   []string  // the lines of the card being read (readCard)
	header  catalog.PageHeader
	started bool
	done    bool
	warn    []Diagnostic
	// err is the first read error (a *FileError): once a line could not
	// be read, no later line is, so the error cannot be skipped over.
	err error
	sum hash.Hash // of the lines read, normalized (see ContentSHA256)
}

type rawLine struct {
	text string // without the line ending
	raw  string // as read, normalized to end in "\n" unless it is the last line
	num  int
	eof  bool // true when no line could be read
}

// NewReader returns a Reader of the page in r; name is used in diagnostics.
func NewReader(r io.Reader, name string) *Reader {
	return &Reader{name: name, br: bufio.NewReaderSize(r, 64<<10), sum: sha256.New()}
}

// ContentSHA256 returns the hex SHA-256 of the lines read so far as the
// Reader normalizes them: LF line endings and no byte-order mark. After
// Next returned io.EOF it identifies the page's content, so the same page
// saved with CRLF line endings or a BOM has the same sum.
func (r *Reader) ContentSHA256() string { return hex.EncodeToString(r.sum.Sum(nil)) }

// Header returns the page header. It is valid after the first call to Next.
func (r *Reader) Header() catalog.PageHeader { return r.header }

// Warnings returns the non-fatal problems seen so far and clears them.
func (r *Reader) Warnings() []Diagnostic {
	w := r.warn
	r.warn = nil
	return w
}

// Next returns the next card. It returns io.EOF after the last card. A
// *Diagnostic error means one card was malformed and skipped; reading can go
// on with the next call. A *FileError means the file is not a listing page;
// reading stops.
func (r *Reader) Next() (catalog.Card, error) {
	if r.done {
		return catalog.Card{}, io.EOF
	}
	if !r.started {
		r.started = true
		if err := r.readHeader(); err != nil {
			r.done = true
			return catalog.Card{}, err
		}
	}
	for {
		l, err := r.peek()
		if err != nil {
			r.done = true
			return catalog.Card{}, err
		}
		if l.eof {
			r.done = true
			return catalog.Card{}, io.EOF
		}
		if l.text == "" {
			// A blank line starts a card without a source, unless more
			// blank lines or the end of the file follow it.
			if nl, err := r.peekAt(1); err == nil && (nl.eof || nl.text == "") {
				r.next()
				continue
			}
		}
		c, err := r.readCard()
		if r.err != nil {
			r.done = true
			return catalog.Card{}, r.err
		}
		return c, err
	}
}

func (r *Reader) readHeader() error {
	l, err := r.peek()
	if err != nil {
		return err
	}
	if l.eof {
		return &FileError{Diagnostic{r.name, 1, "empty file: no header and no cards"}}
	}
	if l.text != "Tagged articles" {
		r.warn = append(r.warn, Diagnostic{r.name, l.num, `no page header (expected "Tagged articles")`})
		return nil
	}
	var raw strings.Builder
	raw.WriteString(r.next().raw)
	l, err = r.peek()
	if err != nil {
		return err
	}
	if m := reTotal.FindStringSubmatch(l.text); m != nil {
		r.header.Total = atoi(m[1])
		raw.WriteString(r.next().raw)
	} else {
		r.warn = append(r.warn, Diagnostic{r.name, l.num, `header: expected "N articles"`})
	}
	l, err = r.peek()
	if err != nil {
		return err
	}
	if m := rePage.FindStringSubmatch(l.text); m != nil {
		r.header.Number, r.header.Of = atoi(m[1]), atoi(m[2])
		raw.WriteString(r.next().raw)
		if r.header.Number < 1 || r.header.Number > r.header.Of {
			r.warn = append(r.warn, Diagnostic{r.name, l.num, fmt.Sprintf("header: page %d of %d is out of range", r.header.Number, r.header.Of)})
		}
	} else {
		r.warn = append(r.warn, Diagnostic{r.name, l.num, `header: expected "Page P of Q"`})
	}
	r.header.Raw = raw.String()
	return nil
}

// readCard reads one card starting at the next line. On a malformed card it
// skips to the line after the card's closing title (or to the next line that
// plausibly starts a card) and returns a *Diagnostic. After a read error it
// returns that error (a *FileError), with r.err set.
func (r *Reader) readCard() (catalog.Card, error) {
	var c catalog.Card
	first, _ := r.peek()
	c.File, c.Line = r.name, first.num
	// The card's lines, joined once at the end: one allocation of the
	// card's size, where a growing builder made several.
	parts := r.parts[:0]
	defer func() { clear(parts); r.parts = parts[:0] }()
	take := func() rawLine {
		l := r.next()
		parts = append(parts, l.raw)
		return l
	}
	fail := func(l rawLine, format string, args ...any) (catalog.Card, error) {
		if r.err != nil {
			// The line could not be read: the file is rejected, and
			// the card's problem is only a symptom of that.
			return catalog.Card{}, r.err
		}
		line := l.num
		msg := fmt.Sprintf(format, args...)
		if l.eof {
			// There is no line l: name the card that is cut off, and
			// where the file ends.
			line = c.Line
			msg = fmt.Sprintf("the card is cut off by the end of the file after line %d: %s", l.num-1, msg)
		}
		if err := r.resync(c.Title); err != nil {
			return catalog.Card{}, err
		}
		return catalog.Card{}, &Diagnostic{r.name, line, msg}
	}
	// blank consumes a blank line; ok is false, and nothing is consumed,
	// when the next line is not blank (or is the end of the file).
	blank := func() (rawLine, bool) {
		l, err := r.peek()
		if err != nil || l.eof || l.text != "" {
			return l, false
		}
		take()
		return l, true
	}
	// text returns the next line if it has text, without consuming it.
	text := func() (rawLine, bool) {
		l, err := r.peek()
		if err != nil || l.eof || l.text == "" {
			return l, false
		}
		return l, true
	}

	if first.text != "" {
		avatar := take()
		name, ok := text()
		if !ok {
			return fail(name, "expected the source name repeated after the source line")
		}
		if reDate.MatchString(name.text) {
			return fail(name, "expected the source name repeated, found a date line")
		}
		take()
		c.Source = name.text
		if avatar.text != name.text {
			r.warn = append(r.warn, Diagnostic{r.name, name.num, fmt.Sprintf("source %q differs from its avatar text %q", name.text, avatar.text)})
		}
		dl, ok := text()
		if !ok {
			return fail(dl, "expected a date line (\"Mon D, YYYY · Category\")")
		}
		date, cat, err := parseDateLine(dl.text)
		if err != nil {
			return fail(dl, "%v", err)
		}
		take()
		c.Date, c.Category = date, cat
	}
	if l, ok := blank(); !ok {
		return fail(l, "expected a blank line before the title")
	}
	tl, ok := text()
	if !ok {
		return fail(tl, "expected the title")
	}
	if reStats.MatchString(tl.text) {
		return fail(tl, "expected the title, found a stats line")
	}
	take()
	c.Title = tl.text
	if l, ok := blank(); !ok {
		return fail(l, "expected a blank line after the title")
	}
	sl, ok := text()
	if !ok {
		return fail(sl, "expected the summary")
	}
	take()
	c.Summary = sl.text
	if l, ok := blank(); !ok {
		return fail(l, "expected a blank line after the summary")
	}
	gl, ok := text()
	if !ok {
		return fail(gl, "expected the tags line")
	}
	if reStats.MatchString(gl.text) {
		return fail(gl, "the card has no tags line")
	}
	take()
	c.Glued = gl.text
	st, ok := text()
	if !ok {
		return fail(st, "expected the stats line (\"N likes · M min read\")")
	}
	likes, minutes, err := parseStats(st.text)
	if err != nil {
		return fail(st, "%v", err)
	}
	take()
	c.Likes, c.Minutes = likes, minutes
	// The closing title is checked before it is consumed: when it is
	// missing, the next line starts the next card, which must not be lost.
	rt, ok := text()
	switch {
	case ok && rt.text == c.Title:
		take()
	case rt.eof || r.err != nil:
		return fail(rt, "expected the title repeated after the stats line")
	case r.atCardStart(true):
		return fail(rt, "the card has no closing title (its title repeated after the stats line); the next card starts here")
	case !ok:
		return fail(rt, "expected the title repeated after the stats line, found a blank line")
	default:
		return fail(rt, "the title after the stats line differs from the card's title %q", clip(c.Title))
	}
	c.Raw = strings.Join(parts, "")
	return c, nil
}

// parseStats parses "1,204 likes · 15 min read".
func parseStats(s string) (likes, minutes int, err error) {
	m := reStats.FindStringSubmatch(s)
	if m == nil {
		if m := reLooseStats.FindStringSubmatch(s); m != nil {
			if _, err := strconv.ParseUint(strings.ReplaceAll(m[1], ",", ""), 10, 63); err != nil {
				return 0, 0, fmt.Errorf("stats line: the likes count %q is not a whole number of 0 or more", clip(m[1]))
			}
			return 0, 0, fmt.Errorf("stats line: the read time %q is not a whole number of minutes", clip(m[2]))
		}
		return 0, 0, fmt.Errorf("expected the stats line (\"N likes · M min read\"), found %q", clip(s))
	}
	likes, err = strconv.Atoi(strings.ReplaceAll(m[1], ",", ""))
	if err != nil {
		return 0, 0, fmt.Errorf("stats line: the likes count %s is out of range", clip(m[1]))
	}
	minutes, err = strconv.Atoi(m[2])
	if err != nil {
		return 0, 0, fmt.Errorf("stats line: the read time %s is out of range", clip(m[2]))
	}
	return likes, minutes, nil
}

// resync skips the rest of a malformed card: up to and including the
// repeat of its title when that is known, and never past the start of the
// next card. Until the broken card's stats line has gone by, a blank line
// does not count as the start of a card: a card whose date line is broken
// would otherwise come back as a card without a source.
func (r *Reader) resync(title string) error {
	pastStats := title != ""
	for {
		if r.atCardStart(pastStats) {
			return nil
		}
		l, err := r.peek()
		if err != nil {
			return err
		}
		if l.eof {
			return nil
		}
		r.next()
		if reStats.MatchString(l.text) {
			pastStats = true
		}
		if title != "" && l.text == title {
			return nil
		}
	}
}

func (r *Reader) peek() (rawLine, error) { return r.peekAt(0) }

// peekAt returns the line k lines ahead without consuming anything.
func (r *Reader) peekAt(k int) (rawLine, error) {
	for len(r.ahead) <= k {
		if n := len(r.ahead); n > 0 && r.ahead[n-1].eof {
			return r.ahead[n-1], nil
		}
		if r.err != nil {
			return rawLine{}, r.err
		}
		l, err := r.read()
		if err != nil {
			r.err = err
			return l, err
		}
		r.ahead = append(r.ahead, l)
	}
	return r.ahead[k], nil
}

func (r *Reader) next() rawLine {
	l, _ := r.peek()
	if len(r.ahead) > 0 && !l.eof {
		// Shifted down, not resliced: a look-ahead of a few lines then
		// keeps one array for the whole file.
		n := copy(r.ahead, r.ahead[1:])
		r.ahead[n] = rawLine{} // not kept alive past its use
		r.ahead = r.ahead[:n]
	}
	return l
}

// atCardStart reports whether the next lines look like the start of a
// card: the source twice and a date line, or a blank line, title, blank,
// summary, blank, tags and stats line.
func (r *Reader) atCardStart(blankStart bool) bool {
	var ls [7]rawLine
	for k := range ls {
		l, err := r.peekAt(k)
		if err != nil {
			return false
		}
		ls[k] = l
	}
	if ls[0].eof {
		return false
	}
	if ls[0].text != "" && ls[1].text == ls[0].text && reDate.MatchString(ls[2].text) {
		return true
	}
	return blankStart && ls[0].text == "" && ls[1].text != "" && ls[2].text == "" && ls[3].text != "" &&
		ls[4].text == "" && ls[5].text != "" && reStats.MatchString(ls[6].text)
}

// read reads one line, enforcing MaxLineBytes, UTF-8 and no NUL bytes, and
// normalizing CRLF to LF and dropping a leading BOM.
func (r *Reader) read() (rawLine, error) {
	buf := r.buf[:0]
	for {
		chunk, err := r.br.ReadSlice('\n')
		buf = append(buf, chunk...)
		if len(buf) > MaxLineBytes+2 {
			return rawLine{}, &FileError{Diagnostic{r.name, r.line + 1, fmt.Sprintf("line is longer than %d KiB; this is not a listing page", MaxLineBytes>>10)}}
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil && err != io.EOF {
			return rawLine{}, &FileError{Diagnostic{r.name, r.line + 1, "read error: " + err.Error()}}
		}
		if len(buf) == 0 && err == io.EOF {
			return rawLine{eof: true, num: r.line + 1}, nil
		}
		break
	}
	r.buf = buf // kept, grown, for the next line: what follows copies out of it
	r.line++
	line := buf
	if r.line == 1 {
		line = bytes.TrimPrefix(line, []byte("\uFEFF"))
	}
	hasNL := bytes.HasSuffix(line, []byte("\n"))
	text := bytes.TrimSuffix(line, []byte("\n"))
	text = bytes.TrimSuffix(text, []byte("\r"))
	if i := bytes.IndexByte(text, 0); i >= 0 {
		return rawLine{}, &FileError{Diagnostic{r.name, r.line, "NUL byte in line: this is binary data, not a listing page"}}
	}
	if !utf8.Valid(text) {
		return rawLine{}, &FileError{Diagnostic{r.name, r.line, "invalid UTF-8: listing pages are UTF-8 text"}}
	}
	r.sum.Write(text)
	if !hasNL {
		t := string(text)
		return rawLine{text: t, raw: t, num: r.line}, nil
	}
	r.sum.Write(newline)
	raw := string(append(text, '\n')) // one string for both: text is raw without its "\n"
	return rawLine{text: raw[:len(text)], raw: raw, num: r.line}, nil
}

var newline = []byte("\n")

var months = map[string]time.Month{
	"Jan": time.January, "Feb": time.February, "Mar": time.March, "Apr": time.April,
	"May": time.May, "Jun": time.June, "Jul": time.July, "Aug": time.August,
	"Sep": time.September, "Oct": time.October, "Nov": time.November, "Dec": time.December,
}

// parseDateLine parses "May 22, 2016 · Big Data".
func parseDateLine(s string) (time.Time, string, error) {
	m := reDate.FindStringSubmatch(s)
	if m == nil {
		if reLooseDate.MatchString(s) {
			return time.Time{}, "", fmt.Errorf("date line: expected \" · \" between the date and the category, found %q", clip(s))
		}
		return time.Time{}, "", fmt.Errorf("expected a date line like \"May 22, 2016 · Category\", found %q", clip(s))
	}
	mon, ok := months[m[1]]
	if !ok {
		return time.Time{}, "", fmt.Errorf("unknown month %q in date line", m[1])
	}
	day, year := atoi(m[2]), atoi(m[3])
	d := time.Date(year, mon, day, 0, 0, 0, 0, time.UTC)
	if d.Day() != day || d.Month() != mon || year < 1970 {
		return time.Time{}, "", fmt.Errorf("no such date: %s %d, %d", m[1], day, year)
	}
	if !strings.Contains(s, " · ") {
		return time.Time{}, "", fmt.Errorf("date line has no \" · Category\" after the date")
	}
	cat := m[4]
	if strings.TrimSpace(cat) == "" {
		return time.Time{}, "", fmt.Errorf("date line has an empty category")
	}
	return d, cat, nil
}

func atoi(s string) int {
	n, err := strconv.Atoi(strings.ReplaceAll(s, ",", ""))
	if err != nil {
		return -1
	}
	return n
}

func clip(s string) string {
	if len(s) <= 60 {
		return s
	}
	cut := 60
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
