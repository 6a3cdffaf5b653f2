package tensor

import "burrow/inference/gguf"

// The four-row tile is for prompts through gpt-oss's MXFP4 experts.
func init() {
	registerFast(gguf.TypeMXFP4, tiledRowKernels(dotMXFP4Fast, dotMXFP4x4Fast))
}

//go:noescape
func dotMXFP4AVX2(w, x *byte, nb int) float32

//go:noescape
func dotMXFP4x4AVX2(w, x *byte, stride, nb int, out *[4]float32)

// dotMXFP4Fast is dotMXFP4Plain in AVX2 assembly, bit for bit: each
// block's integer dot is exact, and the float work per block (scale
// product, product with the dot, running sum) is scalar in the plain order.
func dotMXFP4Fast(w, x []byte, nb int) float32 {
	if wp, xp := dotArgs(w, x, nb, mxfp4BlockSize, q8BlockSize); wp != nil {
		return dotMXFP4AVX2(wp, xp, nb)
	}
	return 0
}

// dotMXFP4x4Fast dots weight row w with input rows t..t+3 of x (rows of
// stride bytes), looking each weight block up once: four dotMXFP4Fast
// calls, bit for bit.
func dotMXFP4x4Fast(w []byte, x []byte, stride, nb int) (out [4]float32) {
	if wp, xp := dot4Args(w, x, stride, nb, mxfp4BlockSize, q8BlockSize); wp != nil {
		dotMXFP4x4AVX2(wp, xp, stride, nb, &out)
	}
	return out
}
