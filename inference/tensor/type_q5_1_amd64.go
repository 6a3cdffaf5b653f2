package tensor

import "burrow/inference/gguf"

func init() {
	registerFast(gguf.TypeQ5_1, rowKernels{dot: dotQ5_1Fast})
}

//go:noescape
func dotQ5_1AVX2(w, x *byte, nb int) float32

// dotQ5_1Fast is dotQ5_1Plain in AVX2 assembly.
func dotQ5_1Fast(w, x []byte, nb int) float32 {
	if wp, xp := dotArgs(w, x, nb, q5_1BlockSize, q8_1BlockSize); wp != nil {
		return dotQ5_1AVX2(wp, xp, nb)
	}
	return 0
}
