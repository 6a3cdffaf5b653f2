package tensor

import "burrow/inference/gguf"

// The VNNI set's Q5_K kernels where the CPU has 512-bit VNNI and BW
// (haveZMM): decode runs a run of weight rows per call through
// dotQ5_KRowsZMM; the four-row prompt tiles stay AVX2. Every result has
// dotQ5_KPlain's bits.
func init() {
	if haveZMM {
		k := kqRowKernels(dotQ5_KZMM, dotQ5_Kx4Fast)
		k.rows = kqZMMRows(dotQ5_Kx4Fast, dotQ5_KRowsZMMGo)
		registerVNNI(gguf.TypeQ5_K, k)
	}
}

//go:noescape
func dotQ5_KRowsZMM(w *byte, wstride int, x *byte, nb, nrows int, out *float32)

// dotQ5_KZMM is dotQ5_KPlain on 512-bit registers (callers check haveZMM).
func dotQ5_KZMM(w, x []byte, nb int) float32 {
	if nb <= 0 {
		return 0
	}
	_, _ = w[nb*q5KBlockSize-1], x[nb*q8KBlockSize-1]
	var out float32
	dotQ5_KRowsZMM(&w[0], 0, &x[0], nb, 1, &out)
	return out
}

// dotQ5_KRowsZMMGo is dotQ5_KRowsZMM with bounds checked: out[i] is the dot
// of weight row i (w[i*wstride:]) with x.
func dotQ5_KRowsZMMGo(out []float32, w []byte, wstride int, x []byte, nb int) {
	n := len(out)
	if n == 0 || nb <= 0 {
		clear(out)
		return
	}
	if wstride < nb*q5KBlockSize {
		panic("tensor: dotQ5_KRowsZMM rows overlap")
	}
	_, _ = w[(n-1)*wstride+nb*q5KBlockSize-1], x[nb*q8KBlockSize-1]
	dotQ5_KRowsZMM(&w[0], wstride, &x[0], nb, n, &out[0])
}
