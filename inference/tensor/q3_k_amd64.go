package tensor

import "burrow/inference/gguf"

func init() {
	registerFast(gguf.TypeQ3_K, tiledRowKernels(dotQ3_KFast, dotQ3_Kx4Fast))
}

//go:noescape
func dotQ3_KAVX2(w, x *byte, nb int) float32

// dotQ3_KFast checks the lengths once, then runs the assembly.
func dotQ3_KFast(w, x []byte, nb int) float32 {
	if wp, xp := dotArgs(w, x, nb, q3KBlockSize, q8KBlockSize); wp != nil {
		return dotQ3_KAVX2(wp, xp, nb)
	}
	return 0
}
