package tensor

import "burrow/inference/gguf"

// The VNNI set's Q6_K kernels where the CPU has 512-bit VNNI and BW
// (haveZMM): decode runs a run of weight rows per call through
// dotQ6_KRowsZMM; the four-row prompt tiles stay AVX2. Every result has
// dotQ6_KPlain's bits.
var q6KZMM = kqZMMKernel{run: dotQ6_KRowsZMM, block: q6KBlockSize}

func init() {
	if haveZMM {
		registerVNNI(gguf.TypeQ6_K, q6KZMM.kernels(dotQ6_Kx4Fast))
	}
}

//go:noescape
func dotQ6_KRowsZMM(w *byte, wstride int, x *byte, nb, nrows int, out *float32)
