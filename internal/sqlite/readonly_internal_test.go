package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// The serving handle refuses writes at the SQLite level, whatever SQL
// reaches it.
func TestServingHandleCannotWrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.db")
	rw, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := rw.seal(context.Background(), false, ""); err != nil {
		t.Fatal(err)
	}
	rw.Close()
	ro, err := OpenReadOnly(context.Background(), path, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	for _, q := range []string{
		`INSERT INTO tags (name, slug) VALUES ('x', 'x')`,
		`UPDATE meta SET value = '9' WHERE key = 'version'`,
		`DELETE FROM cards`,
		`DROP TABLE cards`,
		`CREATE TABLE evil (x)`,
	} {
		if _, err := ro.db.ExecContext(context.Background(), q); err == nil {
			t.Errorf("%s: succeeded through the read-only handle", q)
		} else if !strings.Contains(err.Error(), "readonly") && !strings.Contains(err.Error(), "read-only") && !strings.Contains(err.Error(), "query_only") {
			t.Logf("%s: %v", q, err)
		}
	}
	v, err := ro.Version(context.Background())
	if err != nil || v != 0 {
		t.Errorf("version after the attempts = %d, %v", v, err)
	}
}
