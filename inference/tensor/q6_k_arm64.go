package tensor

import "burrow/inference/gguf"

// The NEON Q6_K kernel (q6_k_arm64.s, written by tools/gen-neon.py), in
// dotQ6_KPlain's float order: equal to it (and the AVX2 kernel) bit for bit.

func init() { registerNEON(gguf.TypeQ6_K, kqRowKernels(dotQ6_KNEONRow, nil)) }

//go:noescape
func dotQ6_KNEON(w, x *byte, nb int) float32

func dotQ6_KNEONRow(w, x []byte, nb int) float32 {
	if nb <= 0 {
		return 0
	}
	_, _ = w[nb*q6KBlockSize-1], x[nb*q8KBlockSize-1]
	return dotQ6_KNEON(&w[0], &x[0], nb)
}
