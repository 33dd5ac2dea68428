package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cardex/internal/catalog"
	"cardex/migrations"
)

// A database made before migration 0011 keeps every card's lines in
// cards.raw and a key column. Opening it migrates it: the cards whose
// fields print their lines lose the copy, the others keep it, every page
// still exports byte for byte, and foreign keys are on again after the
// table was rebuilt with them off.
func TestMigrationCompactsCardText(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite3", "file:"+path+"?_foreign_keys=on")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	old := &Store{db: db}
	if _, err := db.ExecContext(ctx, `CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	names, err := fs.Glob(migrations.FS, "[0-9][0-9][0-9][0-9]_*.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if n >= "0011" {
			break
		}
		if err := old.applyMigration(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	const (
		printed = "Architect\nArchitect\nMay 16, 2016 · Operations\n\nA Title\n\nA summary.\n\nDistributed SystemsKafka\n3 likes · 15 min read\nA Title\n"
		// A thousands separator: the fields print "1204 likes".
		asRead   = "\nOther Title\n\nAnother summary.\n\nKafka\n1,204 likes · 2 min read\nOther Title\n"
		header   = "Tagged articles\n2 articles\nPage 1 of 1\n"
		oldPrint = "Architect\nArchitect\nMay 16, 2016 · Operations\n\nA Title\n\nAn older summary.\n\nDistributed SystemsKafka\n3 likes · 15 min read\nA Title\n"
	)
	for _, q := range []string{
		`INSERT INTO sources (id, name, slug) VALUES (1, 'Architect', 'architect')`,
		`INSERT INTO categories (id, name, slug) VALUES (1, 'Operations', 'operations')`,
		`INSERT INTO tags (id, name, slug) VALUES (1, 'Distributed Systems', 'distributed-systems'), (2, 'Kafka', 'kafka')`,
		`INSERT INTO cards (id, key, title, summary, source_id, category_id, published, likes, read_minutes, glued, raw, file, line, seq)
		 VALUES (1, 'Architect` + "\x1f" + `2016-05-16` + "\x1f" + `A Title', 'A Title', 'A summary.', 1, 1, '2016-05-16', 3, 15, 'Distributed SystemsKafka', '` + printed + `', 'p.txt', 4, 1),
		        (2, '` + "\x1f\x1f" + `Other Title', 'Other Title', 'Another summary.', NULL, NULL, NULL, 1204, 2, 'Kafka', '` + asRead + `', 'p.txt', 15, 2)`,
		`INSERT INTO card_tags (card_id, tag_id, position, published) VALUES (1, 1, 0, '2016-05-16'), (1, 2, 1, '2016-05-16'), (2, 2, 0, NULL)`,
		`INSERT INTO pages (id, tag, number, of_pages, total, header, file, sha256, imported_at) VALUES (1, 'Kafka', 1, 1, 2, '` + header + `', 'p.txt', '', '')`,
		// The page shows the card's older text (migration 0009), then its
		// own text twice ('').
		`INSERT INTO page_cards (page_id, position, card_id, line, raw) VALUES (1, 1, 1, 4, '` + oldPrint + `'), (1, 2, 1, 4, ''), (1, 3, 2, 15, '')`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var raws []string
	rows, err := s.db.QueryContext(ctx, `SELECT raw FROM cards ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var r string
		rows.Scan(&r)
		raws = append(raws, r)
	}
	rows.Close()
	if len(raws) != 2 || raws[0] != "" || raws[1] != asRead {
		t.Errorf("cards.raw after the migration = %q, want the first cleared and the second kept", raws)
	}
	var b strings.Builder
	if err := s.ExportPage(ctx, "kafka", 1, &b); err != nil {
		t.Fatal(err)
	}
	if want := header + oldPrint + printed + asRead; b.String() != want {
		t.Errorf("export after the migration:\n%q\nwant\n%q", b.String(), want)
	}
	var fk bool
	if err := s.db.QueryRowContext(ctx, `PRAGMA foreign_keys`).Scan(&fk); err != nil || !fk {
		t.Errorf("foreign keys after the migration: %v, %v; want on", fk, err)
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO card_tags (card_id, tag_id, position) VALUES (99, 1, 0)`); err == nil {
		t.Error("a card tag of a card that does not exist was stored: foreign keys are not enforced")
	}
	var hits int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM cards_fts WHERE cards_fts MATCH 'summary'`).Scan(&hits); err != nil || hits != 2 {
		t.Errorf("search index after the migration: %d hits for 'summary', %v; want 2", hits, err)
	}
}

// An import into an empty database drops the indexes its load does not
// read and makes them again at the end: the schema after it is the schema
// the migrations made, and a failed import leaves them in place.
func TestDeferredIndexesComeBack(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	indexes := func() string {
		var b strings.Builder
		rows, err := s.db.QueryContext(ctx, `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var name, def string
			rows.Scan(&name, &def)
			b.WriteString(def + ";\n")
		}
		return b.String()
	}
	want := indexes()
	if !strings.Contains(want, "card_tags_feed") || !strings.Contains(want, "cards_published") {
		t.Fatalf("the migrated schema lacks the deferred indexes:\n%s", want)
	}
	card := func(title string) catalog.Card {
		c := catalog.Card{Source: "Architect", Category: "Operations", Title: title, Summary: longSummary,
			Glued: "Kafka", Tags: []string{"Kafka"}, Likes: 1, Minutes: 2, Date: time.Date(2016, 5, 16, 0, 0, 0, 0, time.UTC)}
		c.Raw = c.Text()
		return c
	}
	// A failed import: its dropped indexes come back with the rollback.
	if _, err := s.Import(ctx, func(im *Import) error {
		if err := im.BeginPage("p.txt"); err != nil {
			return err
		}
		if err := im.AddCard(card("A"), catalog.SplitResult{Tags: []string{"Kafka"}, Certain: true}); err != nil {
			return err
		}
		return errors.New("stop")
	}); err == nil {
		t.Fatal("the import did not fail")
	}
	if got := indexes(); got != want {
		t.Errorf("indexes after a failed import:\n%s\nwant\n%s", got, want)
	}
	// An import that stores no card, changed or not: cards_seq, made
	// after the order step, comes back too.
	for _, raw := range []string{"Tagged articles\n", "Tagged articles\n"} {
		if _, err := s.Import(ctx, func(im *Import) error {
			if err := im.BeginPage("empty.txt"); err != nil {
				return err
			}
			return im.EndPage(catalog.PageHeader{Total: 0, Number: 1, Of: 1, Raw: raw}, "empty")
		}); err != nil {
			t.Fatal(err)
		}
		if got := indexes(); got != want {
			t.Errorf("indexes after an import of no card:\n%s\nwant\n%s", got, want)
		}
	}
	if _, err := s.Import(ctx, func(im *Import) error {
		// The indexes the load reads are there during it.
		for _, name := range []string{"cards_source", "cards_sourceless", "page_cards_card"} {
			var n int
			if err := im.tx.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = ?`, name).Scan(&n); err != nil || n != 1 {
				t.Errorf("index %s during the load of an empty database: %d, %v; want it there", name, n, err)
			}
		}
		if err := im.BeginPage("p.txt"); err != nil {
			return err
		}
		for _, title := range []string{"A", "B", "A"} {
			if err := im.AddCard(card(title), catalog.SplitResult{Tags: []string{"Kafka"}, Certain: true}); err != nil {
				return err
			}
		}
		return im.EndPage(catalog.PageHeader{Total: 3, Number: 1, Of: 1, Raw: "Tagged articles\n"}, "x")
	}); err != nil {
		t.Fatal(err)
	}
	if got := indexes(); got != want {
		t.Errorf("indexes after an import into an empty database:\n%s\nwant\n%s", got, want)
	}
	var cards int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM cards`).Scan(&cards); err != nil || cards != 2 {
		t.Errorf("%d cards stored (%v), want 2: a card read twice is one card", cards, err)
	}
	var packed int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM cards WHERE typeof(summary) = 'blob' AND card_unpack(summary) = ?`, longSummary).Scan(&packed); err != nil || packed != 2 {
		t.Errorf("%d of 2 summaries stored packed and unpacking to the text (%v)", packed, err)
	}
}

const longSummary = "The article explains how a team rebuilt its ingestion pipeline on Kafka, describing the consumers, covering back-pressure, retries and the outbox pattern, with lessons on operating it."
