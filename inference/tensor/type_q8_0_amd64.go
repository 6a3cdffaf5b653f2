package tensor

import "burrow/inference/gguf"

func init() {
	registerFast(gguf.TypeQ8_0, (&q8_0Kernels{one: mulQ8_0Fast, x4: mulQ8_0x4Fast, x2x4: mulQ8_0x2x4Fast}).set(dotQ8_0Fast))
}

//go:noescape
func dotQ8_0AVX2(x, y *byte, nb int) float32

//go:noescape
func dotQ8_0SAVX2(w, a *byte, s *float32, sstride, nb int) float32

//go:noescape
func dotQ8_0x4SAVX2(w, a *byte, stride int, s *float32, sstride, nb int, out *[4]float32)

func dotQ8_0Fast(x, y []byte, nb int) float32 {
	if nb == 0 {
		return 0
	}
	_, _ = x[nb*q8BlockSize-1], y[nb*q8BlockSize-1]
	return dotQ8_0AVX2(&x[0], &y[0], nb)
}

// mulQ8_0Fast dots weight row w with input row t of a.
func mulQ8_0Fast(w []byte, a *Activations, t, nb int) float32 {
	if nb == 0 {
		return 0
	}
	x := a.q8Row(t)
	_, _ = w[nb*q8BlockSize-1], x[nb*q8BlockSize-1]
	_ = a.q8s()[(nb-1)*a.maxRows+t]
	return dotQ8_0SAVX2(&w[0], &x[0], &a.q8s()[t], 4*a.maxRows, nb)
}

// mulQ8_0x4Fast dots weight row w with input rows t..t+3 of a, loading
// each weight block once for the four.
func mulQ8_0x4Fast(w []byte, a *Activations, t, nb int) (out [4]float32) {
	if nb == 0 {
		return out
	}
	stride := Q8_0RowSize(a.Cols)
	_, _ = w[nb*q8BlockSize-1], a.bufs[formQ8_0].data[(t+3)*stride+nb*q8BlockSize-1]
	_ = a.q8s()[(nb-1)*a.maxRows+t+3]
	dotQ8_0x4SAVX2(&w[0], &a.bufs[formQ8_0].data[t*stride], stride, &a.q8s()[t], 4*a.maxRows, nb, &out)
	return out
}

//go:noescape
func dotQ8_0x2x4SAVX2(w *byte, wstride int, a *byte, astride int, s *float32, sstride, nb int, out *[8]float32)

// mulQ8_0x2x4Fast dots weight rows w[:wstride] and w[wstride:] with input
// rows t..t+3 of a: out[k] for the first row and token t+k, out[4+k] for
// the second.
func mulQ8_0x2x4Fast(w []byte, wstride int, a *Activations, t, nb int) (out [8]float32) {
	if nb == 0 {
		return out
	}
	stride := Q8_0RowSize(a.Cols)
	_, _ = w[wstride+nb*q8BlockSize-1], a.bufs[formQ8_0].data[(t+3)*stride+nb*q8BlockSize-1]
	_ = a.q8s()[(nb-1)*a.maxRows+t+3]
	dotQ8_0x2x4SAVX2(&w[0], wstride, &a.bufs[formQ8_0].data[t*stride], stride, &a.q8s()[t], 4*a.maxRows, nb, &out)
	return out
}
