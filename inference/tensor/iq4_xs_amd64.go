package tensor

import "burrow/inference/gguf"

func init() {
	registerFast(gguf.TypeIQ4_XS, tiledRowKernels(dotIQ4_XSFast, dotIQ4_XSx4Fast))
}

//go:noescape
func dotIQ4_XSAVX2(w, x *byte, nb int) float32

// dotIQ4_XSFast checks the lengths once, then runs the assembly.
func dotIQ4_XSFast(w, x []byte, nb int) float32 {
	if wp, xp := dotArgs(w, x, nb, iq4XSBlockSize, q8KBlockSize); wp != nil {
		return dotIQ4_XSAVX2(wp, xp, nb)
	}
	return 0
}
