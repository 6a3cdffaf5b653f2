package tensor

import "burrow/inference/gguf"

// The NEON F16 kernels (type_f16_arm64.s, written by tools/gen-neon.py),
// in the plain twins' float order: they equal dotF16GGML512Plain and
// dotF16L16Plain bit for bit.

func init() {
	registerNEON(gguf.TypeF16, (&f16Kernels{dot: dotF16GGML512NEONRow, tile: dotF16L16NEONRow}).set())
}

//go:noescape
func dotF16GGML512NEON(x, y *uint16, n int) float32

//go:noescape
func dotF16L16NEON(x, y *uint16, n int) float32

// dotF16GGML512NEONRow is ggml_vec_dot_f16 of the AVX-512 build: the
// 64-lane kernel over the multiple of 64, the rest added in float64.
func dotF16GGML512NEONRow(x, y []uint16) float32 {
	y = y[:len(x)]
	var s float32
	if np := len(x) &^ 63; np > 0 {
		s = dotF16GGML512NEON(&x[0], &y[0], np)
	}
	return f16GGML512Tail(x, y, s)
}

// dotF16L16NEONRow is tinyBLAS's F16 x F16 batch dot (rows a multiple of 16).
func dotF16L16NEONRow(x, y []uint16) float32 {
	if xp, yp := l16Args(x, y); xp != nil {
		return dotF16L16NEON(xp, yp, len(x))
	}
	return dotF16L16Plain(x, y)
}
