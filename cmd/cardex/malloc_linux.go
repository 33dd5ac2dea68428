//go:build linux && cgo

package main

/*
#include <malloc.h>
#include <stdlib.h>

// Runs when the program is loaded, before any thread exists: arenas made
// before a later mallopt would stay.
__attribute__((constructor)) static void cardex_limit_arenas(void) {
#if defined(__GLIBC__) && defined(M_ARENA_MAX)
	if (getenv("MALLOC_ARENA_MAX") == NULL) {
		mallopt(M_ARENA_MAX, 2);
	}
#endif
}
*/
import "C"

// glibc's malloc arenas are capped at two (unless MALLOC_ARENA_MAX says
// otherwise) by the constructor above, in every subcommand (musl and
// other C libraries have no arenas to cap, and are left alone). SQLite allocates with malloc from
// whichever threads Go runs its calls on, and glibc gives threads arenas
// of their own (up to eight per core), each keeping the memory freed in
// it: under the 1M-card bench mixes the server's peak RSS was 184–190 MB
// with the default arenas, 164 MB with mallopt called when serve starts
// (too late for the arenas already made), and 144–148 MB with two from
// the start, at the same req/s.
