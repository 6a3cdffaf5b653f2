package tensor

import "burrow/inference/gguf"

func init() { registerFast(gguf.TypeQ6_K, tiledRowKernels(dotQ6_KFast, dotQ6_Kx4Fast)) }

//go:noescape
func dotQ6_KAVX2(w, x *byte, nb int) float32

// dotQ6_KFast is dotQ6_KPlain in AVX2 assembly (callers check haveAVX2).
func dotQ6_KFast(w, x []byte, nb int) float32 {
	if wp, xp := dotArgs(w, x, nb, q6KBlockSize, q8KBlockSize); wp != nil {
		return dotQ6_KAVX2(wp, xp, nb)
	}
	return 0
}
