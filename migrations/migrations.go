// Package migrations embeds cardex's numbered SQL migrations. They are
// applied in order at open and recorded in schema_migrations; a migration
// that has landed is never edited, only followed by a new one.
package migrations

import "embed"

// FS holds the NNNN_name.sql files.
//
//go:embed *.sql
var FS embed.FS
