package tensor

import "burrow/inference/gguf"

func init() {
	registerFast(gguf.TypeQ2_K, tiledRowKernels(dotQ2_KFast, dotQ2_Kx4Fast))
}

//go:noescape
func dotQ2_KAVX2(w, x *byte, nb int) float32

// dotQ2_KFast checks the lengths once, then runs the assembly.
func dotQ2_KFast(w, x []byte, nb int) float32 {
	if wp, xp := dotArgs(w, x, nb, q2KBlockSize, q8KBlockSize); wp != nil {
		return dotQ2_KAVX2(wp, xp, nb)
	}
	return 0
}
