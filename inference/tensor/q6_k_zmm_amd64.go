package tensor

import "burrow/inference/gguf"

// The VNNI set's Q6_K kernels where the CPU has 512-bit VNNI and BW
// (haveZMM): decode (input rows not in a four-row tile) runs a run of
// weight rows per call through dotQ6_KRowsZMM; the four-row tiles stay
// AVX2. Every result has dotQ6_KPlain's bits.
func init() {
	if haveZMM {
		k := kqRowKernels(dotQ6_KZMM, dotQ6_Kx4Fast)
		k.rows = q6KRowsZMM
		registerVNNI(gguf.TypeQ6_K, k)
	}
}

//go:noescape
func dotQ6_KRowsZMM(w *byte, wstride int, x *byte, nb, nrows int, out *float32)

// dotQ6_KZMM is dotQ6_KPlain on 512-bit registers (callers check haveZMM).
func dotQ6_KZMM(w, x []byte, nb int) float32 {
	if nb <= 0 {
		return 0
	}
	_, _ = w[nb*q6KBlockSize-1], x[nb*q8KBlockSize-1]
	var out float32
	dotQ6_KRowsZMM(&w[0], 0, &x[0], nb, 1, &out)
	return out
}

// dotQ6_KRowsZMMGo is dotQ6_KRowsZMM with bounds checked: out[i] is the dot
// of weight row i (w[i*wstride:]) with x.
func dotQ6_KRowsZMMGo(out []float32, w []byte, wstride int, x []byte, nb int) {
	n := len(out)
	if n == 0 || nb <= 0 {
		clear(out)
		return
	}
	if wstride < nb*q6KBlockSize {
		panic("tensor: dotQ6_KRowsZMM rows overlap")
	}
	_, _ = w[(n-1)*wstride+nb*q6KBlockSize-1], x[nb*q8KBlockSize-1]
	dotQ6_KRowsZMM(&w[0], wstride, &x[0], nb, n, &out[0])
}

// q6KRowsZMM is rowsTiled4 for Q6_K with the input rows past the last
// four-row tile (all of them in decode) done a whole run of weight rows
// at a time, so the call and the final sum are paid once per run.
func q6KRowsZMM(out []float32, m *Matrix, a *Activations, r0, r1 int) {
	n, rows, nb := a.Rows(), m.Rows, m.Cols/qkK
	t4 := n &^ 3
	if t4 > 0 {
		b := &a.bufs[formQ8_K]
		for r := r0; r < r1; r++ {
			w := m.Row(r)
			for t := 0; t < t4; t += 4 {
				four := dotQ6_Kx4Fast(w, b.data[t*b.stride:(t+4)*b.stride], b.stride, nb)
				out[t*rows+r], out[(t+1)*rows+r] = four[0], four[1]
				out[(t+2)*rows+r], out[(t+3)*rows+r] = four[2], four[3]
			}
		}
	}
	if r1 <= r0 {
		return
	}
	w := m.Data[r0*m.RowBytes : r1*m.RowBytes]
	for t := t4; t < n; t++ {
		dotQ6_KRowsZMMGo(out[t*rows+r0:t*rows+r1], w, m.RowBytes, a.row(formQ8_K, t), nb)
	}
}
