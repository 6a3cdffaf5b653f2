package tensor

import "burrow/inference/gguf"

func init() {
	registerFast(gguf.TypeQ5_1, rowKernels{dot: dotQ5_1Fast})
}

//go:noescape
func dotQ5_1AVX2(w, x *byte, nb int) float32

// dotQ5_1Fast is dotQ5_1Plain in AVX2 assembly.
func dotQ5_1Fast(w, x []byte, nb int) float32 {
	if nb <= 0 {
		return 0
	}
	_, _ = w[nb*q5_1BlockSize-1], x[nb*q8_1BlockSize-1]
	return dotQ5_1AVX2(&w[0], &x[0], nb)
}
