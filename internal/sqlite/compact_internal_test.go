package sqlite

import (
	"context"
	"database/sql"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

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
