//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package gguf

import (
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// evictPages drops the whole pages inside b, part of a read-only file
// mapping, from the process: the kernel may reclaim them, and a later read
// faults them back in from the file.
func evictPages(b []byte) {
	ps := uintptr(os.Getpagesize())
	if len(b) == 0 {
		return
	}
	start := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	lo := (start + ps - 1) &^ (ps - 1)
	hi := (start + uintptr(len(b))) &^ (ps - 1)
	if hi <= lo {
		return
	}
	_ = unix.Madvise(b[lo-start:hi-start], unix.MADV_DONTNEED) // a hint: failure only costs memory
}

// anonMemory is n bytes of zeroed anonymous memory outside the Go heap, and
// the function that returns it to the system.
func anonMemory(n int) ([]byte, func() error) {
	b, err := unix.Mmap(-1, 0, n, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		return make([]byte, n), nil
	}
	return b, func() error { return unix.Munmap(b) }
}
