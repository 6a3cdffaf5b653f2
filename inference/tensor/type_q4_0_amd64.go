package tensor

import "burrow/inference/gguf"

func init() {
	registerFast(gguf.TypeQ4_0, rowKernels{dot: dotQ4_0Fast})
}

//go:noescape
func dotQ4_0AVX2(w, x *byte, nb int) float32

// dotQ4_0Fast is dotQ4_0Plain in AVX2 assembly.
func dotQ4_0Fast(w, x []byte, nb int) float32 {
	if nb <= 0 {
		return 0
	}
	_, _ = w[nb*q4_0BlockSize-1], x[nb*q8BlockSize-1]
	return dotQ4_0AVX2(&w[0], &x[0], nb)
}
