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
		b := &a.bufs[formQ8_K]
		n, rows, nb := a.Rows(), m.Rows, m.Cols/qkK
		for r := r0; r < r1; r++ {
			w := m.Row(r)
			t := 0
			for ; t+4 <= n; t += 4 {
				o := x4(w, b.data[t*b.stride:], b.stride, nb)
				out[t*rows+r], out[(t+1)*rows+r] = o[0], o[1]
				out[(t+2)*rows+r], out[(t+3)*rows+r] = o[2], o[3]
			}
			for ; t < n; t++ {
				out[t*rows+r] = dot(w, a.row(formQ8_K, t), nb)
			}
		}
	}
	return k
}
