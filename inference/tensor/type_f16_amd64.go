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
	y = y[:len(x)]
	var s float32
	if np := len(x) &^ 63; np > 0 {
		s = dotF16GGML512AVX2(&x[0], &y[0], np)
	}
	return f16GGML512Tail(x, y, s)
}

// dotF16L16Fast is dotF16L16Plain: two 8-lane registers hold the 16 lanes.
func dotF16L16Fast(x, y []uint16) float32 {
	if xp, yp := l16Args(x, y); xp != nil {
		return dotF16L16AVX2(xp, yp, len(x))
	}
	return dotF16L16Plain(x, y)
}
