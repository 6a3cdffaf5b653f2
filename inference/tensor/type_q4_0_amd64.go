package tensor

import "burrow/inference/gguf"

func init() {
	registerFast(gguf.TypeQ4_0, lqRepackKernels(dotQ4_0Fast, dotQ4_0SeqFast))
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

//go:noescape
func dotQ4_0SeqAVX2(w, x *byte, nb int) float32

// dotQ4_0SeqFast is dotQ4_0SeqPlain in AVX2 assembly.
func dotQ4_0SeqFast(w, x []byte, nb int) float32 {
	if nb <= 0 {
		return 0
	}
	_, _ = w[nb*q4_0BlockSize-1], x[nb*q8BlockSize-1]
	return dotQ4_0SeqAVX2(&w[0], &x[0], nb)
}
