//go:build unix

package quantize

import (
	"os"

	"golang.org/x/sys/unix"

	"burrow/inference/gguf"
)

// releasePages drops a finished tensor's pages from this process's mapping
// (they stay in the page cache), so resident memory does not grow with the
// input file: a 6 GB F32 model is read with the footprint of one tensor.
func releasePages(f *gguf.File, t *gguf.TensorInfo) {
	b := f.Bytes()
	pg := int64(os.Getpagesize())
	lo := (f.Layout.DataOffset + t.Offset) / pg * pg
	hi := min(int64(len(b)), (f.Layout.DataOffset+t.Offset+t.Size+pg-1)/pg*pg)
	if lo < hi {
		unix.Madvise(b[lo:hi], unix.MADV_DONTNEED)
	}
}
