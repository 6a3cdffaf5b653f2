package tensor

import "burrow/inference/gguf"

func init() {
	registerFast(gguf.TypeQ5_0, rowKernels{dot: dotQ5_0Fast})
}

//go:noescape
func dotQ5_0AVX2(w, x *byte, nb int) float32

// dotQ5_0Fast is dotQ5_0Plain in AVX2 assembly.
func dotQ5_0Fast(w, x []byte, nb int) float32 {
	if nb <= 0 {
		return 0
	}
	_, _ = w[nb*q5_0BlockSize-1], x[nb*q8BlockSize-1]
	return dotQ5_0AVX2(&w[0], &x[0], nb)
}
