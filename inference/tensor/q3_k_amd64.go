package tensor

import "burrow/inference/gguf"

func init() {
	registerFast(gguf.TypeQ3_K, kqRowKernels(dotQ3_KFast, dotQ3_Kx4Fast))
}

//go:noescape
func dotQ3_KAVX2(w, x *byte, nb int) float32

// dotQ3_KFast checks the lengths once, then runs the assembly.
func dotQ3_KFast(w, x []byte, nb int) float32 {
	if nb <= 0 {
		return 0
	}
	_, _ = w[nb*q3KBlockSize-1], x[nb*q8KBlockSize-1]
	return dotQ3_KAVX2(&w[0], &x[0], nb)
}
