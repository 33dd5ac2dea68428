package main

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// memoryBar is issue 6's bar for an import's peak RSS: what shows that the
// importer streams.
const memoryBar = 64_000_000

// randomBytes is the size of the random input of point 3: 100 MiB.
const randomBytes = 100 << 20

// bigInput is point 3: a 100 MB listing imports with bounded memory, and
// 100 MB of random bytes is rejected within seconds, also with bounded
// memory.
func (s *soak) bigInput() error {
	s.say("==> 3. big input: one >= 100 MB listing, then 100 MiB of random bytes")
	corpus, err := s.corpus(s.cfg.bigCards, s.cfg.seed, 100)
	if err != nil {
		return err
	}
	// One file, as the issue says: the generated pages' cards under one
	// header. A page of 190,000 cards is the hardest case for memory
	// (per-page state has no page end to be released at).
	big := filepath.Join(s.run, "big-listing.txt")
	size, files, err := joinPages(corpus, big, s.cfg.bigCards)
	if err != nil {
		return err
	}
	defer os.Remove(big)
	db, err := s.freshCopy(filepath.Join(s.run, "big"))
	if err != nil {
		return err
	}
	s.say("    $ %s import -q --db %s %s   (%s: the cards of %d generated pages)", s.cfg.cardex, db, big, mb(size), files)
	res, err := s.execute("import big listing", s.cfg.cardex, "import", "-q", "--db", db, big)
	if err != nil {
		return err
	}
	s.say("%s", indent(firstLines(res.stdout, 2)))
	s.record("3", fmt.Sprintf("import of one %s listing (%d cards)", mb(size), s.cfg.bigCards),
		fmt.Sprintf("exit %d in %s (CPU %s, %.0f cards/s)", res.code, secs(res.wall), secs(res.cpu), float64(s.cfg.bigCards)/res.wall.Seconds()),
		"exit 0, input ≥ 100 MB", res.code == 0 && size >= 100_000_000)
	s.record("3", "peak RSS of that import (rusage)", mb(res.maxRSS), "≤ 64 MB", res.maxRSS <= memoryBar)

	// 100 MiB of random bytes from a seeded generator.
	random := filepath.Join(s.run, "random-100MiB.txt")
	if err := writeRandom(random, randomBytes, s.cfg.seed); err != nil {
		return err
	}
	db, err = s.freshCopy(filepath.Join(s.run, "random"))
	if err != nil {
		return err
	}
	baseDump, err := s.dumpSHA256(s.base)
	if err != nil {
		return err
	}
	s.say("    $ %s import -q --db %s %s", s.cfg.cardex, db, random)
	if res, err = s.execute("import random bytes", s.cfg.cardex, "import", "-q", "--db", db, random); err != nil {
		return err
	}
	s.rejected("100 MiB of random bytes", db, baseDump, res)
	if err := os.Remove(random); err != nil {
		return err
	}

	// Random bytes fail at the first invalid UTF-8 sequence; random text
	// (valid UTF-8, short lines, no card in it) must be read to its end.
	text := filepath.Join(s.run, "random-text-100MiB.txt")
	if err := writeRandomText(text, randomBytes, s.cfg.seed); err != nil {
		return err
	}
	if db, err = s.freshCopy(filepath.Join(s.run, "random-text")); err != nil {
		return err
	}
	s.say("    $ %s import -q --db %s %s", s.cfg.cardex, db, text)
	if res, err = s.execute("import random text", s.cfg.cardex, "import", "-q", "--db", db, text); err != nil {
		return err
	}
	s.rejected("100 MiB of random text lines (valid UTF-8)", db, baseDump, res)
	return os.Remove(text)
}

// rejected records the checks of an import that must fail fast, in
// bounded memory, and change nothing.
func (s *soak) rejected(what, db, baseDump string, res execResult) {
	// The error is the line cardex prefixes with its name; warnings about
	// single lines come before it.
	msg := firstLine(res.stderr)
	for _, line := range strings.Split(res.stderr, "\n") {
		if strings.HasPrefix(line, "cardex: ") {
			msg = line
			break
		}
	}
	s.say("%s", indent(firstLines(res.stderr, 3)))
	panicked := strings.Contains(res.stderr, "panic") || strings.Contains(res.stderr, "goroutine ")
	s.record("3", what+": rejected", fmt.Sprintf("exit %d in %s: %q", res.code, secs(res.wall), msg),
		"non-zero exit, a message, no panic, within 10 s", res.code > 0 && msg != "" && !panicked && res.wall <= 10*time.Second)
	s.record("3", what+": peak RSS", mb(res.maxRSS), "≤ 64 MB", res.maxRSS <= memoryBar)
	intact := s.intact(db, baseDump)
	left := temps(db)
	s.record("3", what+": the database after it", describeIntact(intact, left), "unchanged, no temp file", intact == nil && len(left) == 0)
}

const letters = "abcdefghijklmnopqrstuvwxyz"

// writeRandomText writes n bytes of lines of random lowercase words from
// a ChaCha8 stream seeded with seed.
func writeRandomText(path string, n int64, seed uint64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(seed, 3))
	w := bufio.NewWriterSize(f, 1<<20)
	line := make([]byte, 0, 256)
	for written := int64(0); written < n; {
		line = line[:0]
		for words := 1 + rng.IntN(16); words > 0; words-- {
			for l := 1 + rng.IntN(10); l > 0; l-- {
				line = append(line, letters[rng.IntN(len(letters))])
			}
			line = append(line, ' ')
		}
		line[len(line)-1] = '\n'
		line = line[:min(int64(len(line)), n-written)]
		if _, err := w.Write(line); err != nil {
			f.Close()
			return err
		}
		written += int64(len(line))
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// writeRandom writes n bytes from a ChaCha8 stream seeded with seed.
func writeRandom(path string, n int64, seed uint64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:8], seed)
	rng := rand.NewChaCha8(key)
	w := bufio.NewWriterSize(f, 1<<20)
	buf := make([]byte, 1<<20)
	for written := int64(0); written < n; written += int64(len(buf)) {
		rng.Read(buf)
		if _, err := w.Write(buf[:min(int64(len(buf)), n-written)]); err != nil {
			f.Close()
			return err
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// describeIntact says what an intact check and a temp-file listing found.
func describeIntact(err error, left []string) string {
	var parts []string
	if err == nil {
		parts = append(parts, "byte-identical, same dump, integrity_check ok")
	} else {
		parts = append(parts, "CHANGED: "+err.Error())
	}
	if len(left) == 0 {
		parts = append(parts, "no temp file")
	} else {
		parts = append(parts, fmt.Sprintf("temp files left: %s", strings.Join(left, ", ")))
	}
	return strings.Join(parts, "; ")
}

// indent indents text under a command line of the transcript.
func indent(text string) string {
	if text == "" {
		return "      (no output)"
	}
	return "      " + strings.ReplaceAll(text, "\n", "\n      ")
}

// joinPages writes the cards of every page in dir (generated listings:
// three header lines, then cards) into out as one listing page of cards
// cards, and returns its size and the number of pages read.
func joinPages(dir, out string, cards int) (size int64, pages int, err error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil {
		return 0, 0, err
	}
	f, err := os.Create(out)
	if err != nil {
		return 0, 0, err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintf(w, "Tagged articles\n%d articles\nPage 1 of 1\n", cards)
	for _, p := range paths {
		if err := appendCards(w, p); err != nil {
			return 0, 0, err
		}
	}
	if err := w.Flush(); err != nil {
		return 0, 0, err
	}
	info, err := f.Stat()
	if err != nil {
		return 0, 0, err
	}
	return info.Size(), len(paths), nil
}

// appendCards copies the lines of page p after its three header lines to
// w, ending with a newline.
func appendCards(w *bufio.Writer, p string) error {
	in, err := os.Open(p)
	if err != nil {
		return err
	}
	defer in.Close()
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 0; sc.Scan(); n++ {
		if n < 3 {
			continue
		}
		w.Write(sc.Bytes())
		w.WriteByte('\n')
	}
	return sc.Err()
}
