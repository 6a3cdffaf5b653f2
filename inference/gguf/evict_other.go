//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package gguf

// evictPages does nothing where the file is read into memory or the
// mapping has no cheap way to drop pages (Windows).
func evictPages(b []byte) {}

// anonMemory is n bytes from the Go heap here.
func anonMemory(n int) ([]byte, func() error) { return make([]byte, n), nil }
