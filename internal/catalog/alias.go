package catalog

import (
	"fmt"
	"strings"
)

// AliasKey is what two spellings of one tag have in common once case,
// Latin diacritics, punctuation and spacing are set aside: "Real-time
// Processing", "Realtime Processing" and "Real time processing" all give
// "realtimeprocessing". It is the slug without its hyphens, so "+", "#"
// and "&" still count ("C++" is "cplusplus", not "c"). A name without a
// letter or digit gives "".
func AliasKey(name string) string {
	return strings.ReplaceAll(Slugify(name), "-", "")
}

// MovedError says that a slug is an alias: the thing it names is now
// called To. The HTTP layer answers it with a permanent redirect.
type MovedError struct {
	Kind string // "tag"
	From string // the alias slug asked for
	To   string // the canonical slug
}

func (e *MovedError) Error() string {
	return fmt.Sprintf("%s %q is an alias of %q", e.Kind, e.From, e.To)
}
