package tensor

// kqRowKernels makes the matmul kernels of a weight type that reads the
// Q8_K form: dot for one input row and, if x4 is set, the four-row tile for
// batches (x4 reads rows t..t+3 at the form's stride; each result equals
// dot on that row, so the batch size never changes a logit).
func kqRowKernels(dot func(w, x []byte, nb int) float32, x4 func(w, x []byte, stride, nb int) [4]float32) rowKernels {
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
