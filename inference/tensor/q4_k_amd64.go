package tensor

import "burrow/inference/gguf"

func init() {
	k := tiledRowKernels(dotQ4_KFast, dotQ4_Kx4Fast)
	fileRows := k.rows
	k.rows, k.ext = q4KRows(q4Kx8Fast, fileRows, dotQ4_KFast), q4Kx8Fast
	registerFast(gguf.TypeQ4_K, k)
	k.rows, k.ext = q4KRows(q4Kx8VNNI, fileRows, dotQ4_KFast), q4Kx8VNNI
	registerVNNI(gguf.TypeQ4_K, k)
}

//go:noescape
func dotQ4_KAVX2(w, x *byte, nb int) float32

// dotQ4_KFast is dotQ4_KPlain in AVX2 assembly (callers check haveAVX2).
func dotQ4_KFast(w, x []byte, nb int) float32 {
	if wp, xp := dotArgs(w, x, nb, q4KBlockSize, q8KBlockSize); wp != nil {
		return dotQ4_KAVX2(wp, xp, nb)
	}
	return 0
}
