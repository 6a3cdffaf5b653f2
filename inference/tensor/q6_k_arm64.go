package tensor

import "burrow/inference/gguf"

// The NEON Q6_K kernel (q6_k_arm64.s, written by tools/gen-neon.py), in
// dotQ6_KPlain's float order: equal to it (and the AVX2 kernel) bit for bit.

func init() { registerNEON(gguf.TypeQ6_K, tiledRowKernels(dotQ6_KNEONRow, nil)) }

//go:noescape
func dotQ6_KNEON(w, x *byte, nb int) float32

func dotQ6_KNEONRow(w, x []byte, nb int) float32 {
	if wp, xp := dotArgs(w, x, nb, q6KBlockSize, q8KBlockSize); wp != nil {
		return dotQ6_KNEON(wp, xp, nb)
	}
	return 0
}
