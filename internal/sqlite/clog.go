package sqlite

/*
#cgo LDFLAGS: -lm
#include <math.h>
*/
import "C"

// cLog is C's log, which FTS5's bm25 takes of its idf: Go's math.Log may
// differ from it in the last bit, and scoreByLengths gives FTS5's scores
// to the bit.
func cLog(x float64) float64 { return float64(C.log(C.double(x))) }
