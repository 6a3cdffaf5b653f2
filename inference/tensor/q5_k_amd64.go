package tensor

import "burrow/inference/gguf"

func init() { registerFast(gguf.TypeQ5_K, tiledRowKernels(dotQ5_KFast, dotQ5_Kx4Fast)) }

//go:noescape
func dotQ5_KAVX2(w, x *byte, nb int) float32

// dotQ5_KFast is dotQ5_KPlain in AVX2 assembly (callers check haveAVX2).
func dotQ5_KFast(w, x []byte, nb int) float32 {
	if wp, xp := dotArgs(w, x, nb, q5KBlockSize, q8KBlockSize); wp != nil {
		return dotQ5_KAVX2(wp, xp, nb)
	}
	return 0
}
