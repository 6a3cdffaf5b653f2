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

// kqZMMKernel is a K-quant type's 512-bit run-of-rows assembly kernel:
// run writes to out[i] the dot of the weight row at w+i*wstride (nb
// superblocks of block bytes) with the Q8_K row x, for nrows rows.
type kqZMMKernel struct {
	run   func(w *byte, wstride int, x *byte, nb, nrows int, out *float32)
	block int
}

// dot is the one-row dot through run (callers check haveZMM).
func (k kqZMMKernel) dot(w, x []byte, nb int) float32 {
	var out float32
	if wp, xp := dotArgs(w, x, nb, k.block, q8KBlockSize); wp != nil {
		k.run(wp, 0, xp, nb, 1, &out)
	}
	return out
}

// rows is run with bounds checked: out[i] is the dot of weight row i
// (w[i*wstride:]) with x.
func (k kqZMMKernel) rows(out []float32, w []byte, wstride int, x []byte, nb int) {
	n := len(out)
	if n == 0 || nb <= 0 {
		clear(out)
		return
	}
	if wstride < nb*k.block {
		panic("tensor: a 512-bit K-quant kernel's rows overlap")
	}
	_, _ = w[(n-1)*wstride+nb*k.block-1], x[nb*q8KBlockSize-1]
	k.run(&w[0], wstride, &x[0], nb, n, &out[0])
}

// kernels is the type's row kernels for the VNNI set: the one-row dot and
// the decode runs through k, the four-row prompt tiles through x4.
func (k kqZMMKernel) kernels(x4 func(w, x []byte, stride, nb int) [4]float32) rowKernels {
	r := tiledRowKernels(k.dot, x4)
	r.rows = kqZMMRows(x4, k.rows)
	return r
}
