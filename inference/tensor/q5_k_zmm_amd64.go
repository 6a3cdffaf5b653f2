package tensor

import "burrow/inference/gguf"

// The VNNI set's Q5_K kernels where the CPU has 512-bit VNNI and BW
// (haveZMM): decode runs a run of weight rows per call through
// dotQ5_KRowsZMM; the four-row prompt tiles stay AVX2. Every result has
// dotQ5_KPlain's bits.
var q5KZMM = kqZMMKernel{run: dotQ5_KRowsZMM, block: q5KBlockSize}

func init() {
	if haveZMM {
		registerVNNI(gguf.TypeQ5_K, q5KZMM.kernels(dotQ5_Kx4Fast))
	}
}

//go:noescape
func dotQ5_KRowsZMM(w *byte, wstride int, x *byte, nb, nrows int, out *float32)
