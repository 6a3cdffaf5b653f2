package tensor

// kqZMMRows is rowsTiled4 for a Q8_K-form type with a 512-bit run-of-rows
// kernel: the input rows in four-row tiles go through x4, the rest (all of
// them in decode) a whole run of weight rows per run call, so the call and
// the final sum are paid once per run. run(out, w, wstride, x, nb) writes
// the dot of weight row i (w[i*wstride:]) with x to out[i], with the bits
// of the type's one-row dot.
func kqZMMRows(x4 func(w, x []byte, stride, nb int) [4]float32,
	run func(out []float32, w []byte, wstride int, x []byte, nb int)) func(out []float32, m *Matrix, a *Activations, r0, r1 int) {
	return func(out []float32, m *Matrix, a *Activations, r0, r1 int) {
		n, rows, nb := a.Rows(), m.Rows, m.Cols/qkK
		t4 := n &^ 3
		b := &a.bufs[formQ8_K]
		for r := r0; r < r1 && t4 > 0; r++ {
			w := m.Row(r)
			for t := 0; t < t4; t += 4 {
				four := x4(w, b.data[t*b.stride:(t+4)*b.stride], b.stride, nb)
				out[t*rows+r], out[(t+1)*rows+r] = four[0], four[1]
				out[(t+2)*rows+r], out[(t+3)*rows+r] = four[2], four[3]
			}
		}
		if r1 <= r0 {
			return
		}
		w := m.Data[r0*m.RowBytes : r1*m.RowBytes]
		for t := t4; t < n; t++ {
			run(out[t*rows+r0:t*rows+r1], w, m.RowBytes, a.row(formQ8_K, t), nb)
		}
	}
}
