//go:build !linux || !cgo

package main

// Elsewhere malloc is not glibc's, and its arenas are left alone (see
// malloc_linux.go).
