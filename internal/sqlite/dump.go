package sqlite

import (
	"context"
	"fmt"
	"io"
	"strings"
)

// Dump writes every table's schema and rows in a stable order: two
// databases with the same content give the same dump. Tests compare dumps
// to prove that a failed import changed nothing.
func (s *Store) Dump(ctx context.Context, w io.Writer) error {
	rows, err := s.db.QueryContext(ctx, `SELECT name, sql FROM sqlite_master WHERE type = 'table' AND sql IS NOT NULL ORDER BY name`)
	if err != nil {
		return err
	}
	type table struct{ name, sql string }
	var tables []table
	for rows.Next() {
		var t table
		if err := rows.Scan(&t.name, &t.sql); err != nil {
			rows.Close()
			return err
		}
		tables = append(tables, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, t := range tables {
		if strings.HasPrefix(t.name, "sqlite_") || t.name == "schema_migrations" {
			continue
		}
		fmt.Fprintf(w, "%s;\n", t.sql)
		if strings.Contains(t.sql, "USING fts5vocab(") {
			// Its rows are read from the search index, dumped with it (its
			// shadow tables): cards_fts_vocab's words, and cards_fts_instance,
			// which would repeat every place of every word.
			continue
		}
		// The table name comes from sqlite_master, not from input.
		r, err := s.db.QueryContext(ctx, `SELECT * FROM "`+strings.ReplaceAll(t.name, `"`, `""`)+`" ORDER BY 1, 2`)
		if err != nil {
			return err
		}
		cols, _ := r.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for r.Next() {
			if err := r.Scan(ptrs...); err != nil {
				r.Close()
				return err
			}
			for i, v := range vals {
				if b, ok := v.([]byte); ok {
					v = string(b)
				}
				if i > 0 {
					io.WriteString(w, "\t")
				}
				fmt.Fprintf(w, "%q", fmt.Sprint(v))
			}
			io.WriteString(w, "\n")
		}
		r.Close()
		if err := r.Err(); err != nil {
			return err
		}
	}
	return nil
}
