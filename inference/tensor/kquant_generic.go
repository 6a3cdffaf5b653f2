//go:build !amd64

package tensor

// No assembly for the Q2_K, Q3_K and IQ4_XS dots here: the plain twins run.
func dotQ2_KFast(w, x []byte, nb int) float32   { return dotQ2_KPlain(w, x, nb) }
func dotQ3_KFast(w, x []byte, nb int) float32   { return dotQ3_KPlain(w, x, nb) }
func dotIQ4_XSFast(w, x []byte, nb int) float32 { return dotIQ4_XSPlain(w, x, nb) }

func dotIQ4_XSx4Fast(w, x []byte, stride, nb int) (out [4]float32) {
	for k := range out {
		out[k] = dotIQ4_XSPlain(w, x[k*stride:], nb)
	}
	return out
}

func dotQ2_Kx4Fast(w, x []byte, stride, nb int) (out [4]float32) {
	for k := range out {
		out[k] = dotQ2_KPlain(w, x[k*stride:], nb)
	}
	return out
}

func dotQ3_Kx4Fast(w, x []byte, stride, nb int) (out [4]float32) {
	for k := range out {
		out[k] = dotQ3_KPlain(w, x[k*stride:], nb)
	}
	return out
}
