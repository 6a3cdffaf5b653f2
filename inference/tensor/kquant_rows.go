package tensor

// tiledRowKernels makes the matmul kernels of a weight type with a
// four-row tile (the K-quants, MXFP4, Q5_0): dot for one input row and, if
// x4 is set, the tile for batches (x4 reads rows t..t+3 at the form's
// stride; each result equals dot on that row, so the batch size never
// changes a logit).
func tiledRowKernels(dot func(w, x []byte, nb int) float32, x4 func(w, x []byte, stride, nb int) [4]float32) rowKernels {
	k := rowKernels{dot: dot}
	if x4 == nil {
		return k
	}
	k.ext = x4
	k.rows = func(out []float32, m *Matrix, a *Activations, r0, r1 int) {
		rowsTiled4(out, m, a, r0, r1, dot, x4)
	}
	return k
}
