package tensor

import "burrow/inference/gguf"

func init() {
	registerFast(gguf.TypeIQ4_XS, kqRowKernels(dotIQ4_XSFast, dotIQ4_XSx4Fast))
}

//go:noescape
func dotIQ4_XSAVX2(w, x *byte, nb int) float32

// dotIQ4_XSFast checks the lengths once, then runs the assembly.
func dotIQ4_XSFast(w, x []byte, nb int) float32 {
	if nb <= 0 {
		return 0
	}
	_, _ = w[nb*iq4XSBlockSize-1], x[nb*q8KBlockSize-1]
	return dotIQ4_XSAVX2(&w[0], &x[0], nb)
}
