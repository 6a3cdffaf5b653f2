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
	n := len(x)
	y = y[:n]
	np := n &^ 63
	var s float64
	if np > 0 {
		s = float64(dotF16GGML512NEON(&x[0], &y[0], np))
	}
	for i := np; i < n; i++ {
		s += float64(F16ToF32(x[i]) * F16ToF32(y[i]))
	}
	return float32(s)
}

// dotF16L16NEONRow is tinyBLAS's F16 x F16 batch dot (rows a multiple of 16).
func dotF16L16NEONRow(x, y []uint16) float32 {
	n := len(x)
	y = y[:n]
	if n == 0 || n%16 != 0 {
		return dotF16L16Plain(x, y)
	}
	return dotF16L16NEON(&x[0], &y[0], n)
}
