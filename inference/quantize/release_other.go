//go:build !unix

package quantize

import "burrow/inference/gguf"

// releasePages is a no-op where madvise is missing; the OS reclaims the
// mapped pages under pressure.
func releasePages(*gguf.File, int64, int64) {}
