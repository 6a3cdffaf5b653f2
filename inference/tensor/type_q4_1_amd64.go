package tensor

import "burrow/inference/gguf"

func init() {
	registerFast(gguf.TypeQ4_1, rowKernels{dot: dotQ4_1Fast})
}

//go:noescape
func dotQ4_1AVX2(w, x *byte, nb int) float32

// dotQ4_1Fast is dotQ4_1Plain in AVX2 assembly.
func dotQ4_1Fast(w, x []byte, nb int) float32 {
	if nb <= 0 {
		return 0
	}
	_, _ = w[nb*q4_1BlockSize-1], x[nb*q8_1BlockSize-1]
	return dotQ4_1AVX2(&w[0], &x[0], nb)
}
