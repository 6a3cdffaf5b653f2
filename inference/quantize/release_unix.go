//go:build unix

package quantize

import (
	"os"

	"golang.org/x/sys/unix"

	"burrow/inference/gguf"
)

// releasePages drops n bytes of the mapping from off (rounded out to
// pages) from this process's memory once they are converted; the pages
// stay in the page cache. So resident memory does not grow with the input:
// a 6 GB model is read with the footprint of one chunk, not of the file
// or of its biggest tensor.
func releasePages(f *gguf.File, off, n int64) {
	b := f.Bytes()
	pg := int64(os.Getpagesize())
	lo := max(0, off/pg*pg)
	hi := min(int64(len(b)), (off+n+pg-1)/pg*pg)
	if lo < hi {
		unix.Madvise(b[lo:hi], unix.MADV_DONTNEED)
	}
}
