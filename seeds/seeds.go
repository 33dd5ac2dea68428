// Package seeds embeds the curated data that ships with cardex: the tag
// lexicon and the Markdown descriptions of tags (tags/{slug}.md). The
// listing pages in this folder are the default data that `make run`
// imports; they are read from disk, not embedded.
package seeds

import "embed"

// FS holds lexicon.tags and tags/*.md.
//
//go:embed lexicon.tags tags
var FS embed.FS
