package tensor

import "burrow/inference/gguf"

func init() {
	registerFast(gguf.TypeF32, (&f32Kernels{dot: dotF32GGML512Fast, tile: dotF32L16Fast}).set())
}

//go:noescape
func dotF32L16AVX2(x, y *float32, n int) float32

// dotF32L16Fast (and type_f16_amd64.go's dotF16L16Fast) are AVX-512 tinyBLAS's order; callers
// pass lengths that are multiples of 16 (others go to the plain twins).
func dotF32L16Fast(x, y []float32) float32 {
	n := len(x)
	y = y[:n]
	if n == 0 || n%16 != 0 {
		return dotF32L16Plain(x, y)
	}
	return dotF32L16AVX2(&x[0], &y[0], n)
}
