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
	if xp, yp := l16Args(x, y); xp != nil {
		return dotF32L16AVX2(xp, yp, len(x))
	}
	return dotF32L16Plain(x, y)
}
