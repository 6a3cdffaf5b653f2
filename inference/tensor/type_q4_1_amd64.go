package tensor

import "burrow/inference/gguf"

func init() {
	registerFast(gguf.TypeQ4_1, rowKernels{dot: dotQ4_1Fast})
}

//go:noescape
func dotQ4_1AVX2(w, x *byte, nb int) float32

// dotQ4_1Fast is dotQ4_1Plain in AVX2 assembly.
func dotQ4_1Fast(w, x []byte, nb int) float32 {
	if wp, xp := dotArgs(w, x, nb, q4_1BlockSize, q8_1BlockSize); wp != nil {
		return dotQ4_1AVX2(wp, xp, nb)
	}
	return 0
}
