package tensor

import "burrow/inference/gguf"

// The four-row tile: Q5_0 is the fallback of Q4_K_M files whose rows are
// not a multiple of 256 (most of Gemma 3 1B), so prompts spend their time
// here.
func init() {
	registerFast(gguf.TypeQ5_0, tiledRowKernels(dotQ5_0Fast, dotQ5_0x4Fast))
}

//go:noescape
func dotQ5_0AVX2(w, x *byte, nb int) float32

//go:noescape
func dotQ5_0x4AVX2(w, x *byte, stride, nb int, out *[4]float32)

// dotQ5_0Fast is dotQ5_0Plain in AVX2 assembly.
func dotQ5_0Fast(w, x []byte, nb int) float32 {
	if wp, xp := dotArgs(w, x, nb, q5_0BlockSize, q8BlockSize); wp != nil {
		return dotQ5_0AVX2(wp, xp, nb)
	}
	return 0
}

// dotQ5_0x4Fast dots weight row w with input rows t..t+3 of f (rows of
// stride bytes), unpacking each weight block once: four dotQ5_0Fast calls,
// bit for bit (llama.cpp's tinyBLAS tiles sum each pair the same way).
func dotQ5_0x4Fast(w []byte, x []byte, stride, nb int) (out [4]float32) {
	if wp, xp := dot4Args(w, x, stride, nb, q5_0BlockSize, q8BlockSize); wp != nil {
		dotQ5_0x4AVX2(wp, xp, stride, nb, &out)
	}
	return out
}
