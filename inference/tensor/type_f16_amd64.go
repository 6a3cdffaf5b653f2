package tensor

import "burrow/inference/gguf"

func init() {
	registerFast(gguf.TypeF16, (&f16Kernels{dot: dotF16GGML512Fast, tile: dotF16L16Fast}).set())
}

//go:noescape
func dotF16GGML512AVX2(x, y *uint16, n int) float32

//go:noescape
func dotF16L16AVX2(x, y *uint16, n int) float32

// dotF16GGML512Fast is ggml_vec_dot_f16 of the AVX-512 build: the
// 16-lane kernel over the multiple of 64, the rest added in float64.
func dotF16GGML512Fast(x, y []uint16) float32 {
	n := len(x)
	y = y[:n]
	np := n &^ 63
	var s float64
	if np > 0 {
		s = float64(dotF16GGML512AVX2(&x[0], &y[0], np))
	}
	for i := np; i < n; i++ {
		s += float64(F16ToF32(x[i]) * F16ToF32(y[i]))
	}
	return float32(s)
}

// dotF16L16Fast is dotF16L16Plain: two 8-lane registers hold the 16 lanes.
func dotF16L16Fast(x, y []uint16) float32 {
	n := len(x)
	y = y[:n]
	if n == 0 || n%16 != 0 {
		return dotF16L16Plain(x, y)
	}
	return dotF16L16AVX2(&x[0], &y[0], n)
}
