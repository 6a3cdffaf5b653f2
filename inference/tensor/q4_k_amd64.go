package tensor

import "burrow/inference/gguf"

func init() {
	k := kqRowKernels(dotQ4_KFast, dotQ4_Kx4Fast)
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
	if nb <= 0 {
		return 0
	}
	_, _ = w[nb*q4KBlockSize-1], x[nb*q8KBlockSize-1]
	return dotQ4_KAVX2(&w[0], &x[0], nb)
}
