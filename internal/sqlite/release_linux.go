//go:build linux && cgo

package sqlite

/*
#include <malloc.h>

static void cardex_trim(void) {
#if defined(__GLIBC__)
	malloc_trim(0);
#endif
}
*/
import "C"

import "runtime/debug"

// releaseMemory gives the memory the import's steps freed back to the
// system before the next one holds much: a collection and the Go heap's
// free pages, and what SQLite freed, which stays in glibc's arenas (and
// counts in the RSS) until malloc_trim.
func releaseMemory() {
	debug.FreeOSMemory()
	C.cardex_trim()
}
