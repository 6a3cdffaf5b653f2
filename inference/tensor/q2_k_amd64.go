package tensor

import "burrow/inference/gguf"

func init() {
	registerFast(gguf.TypeQ2_K, kqRowKernels(dotQ2_KFast, dotQ2_Kx4Fast))
}

//go:noescape
func dotQ2_KAVX2(w, x *byte, nb int) float32

// dotQ2_KFast checks the lengths once, then runs the assembly.
func dotQ2_KFast(w, x []byte, nb int) float32 {
	if nb <= 0 {
		return 0
	}
	_, _ = w[nb*q2KBlockSize-1], x[nb*q8KBlockSize-1]
	return dotQ2_KAVX2(&w[0], &x[0], nb)
}
