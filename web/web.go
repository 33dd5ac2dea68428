// Package web embeds cardex's templates, static assets and docs.
package web

import "embed"

// FS holds templates/, static/ and docs/.
//
//go:embed templates static docs
var FS embed.FS
