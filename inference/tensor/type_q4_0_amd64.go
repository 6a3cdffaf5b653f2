package tensor

import "burrow/inference/gguf"

func init() {
	registerFast(gguf.TypeQ4_0, q4_0Rows(q4_0x8Fast, lqRepackKernels(dotQ4_0Fast, dotQ4_0SeqFast)))
}

//go:noescape
func dotQ4_0AVX2(w, x *byte, nb int) float32

// dotQ4_0Fast is dotQ4_0Plain in AVX2 assembly.
func dotQ4_0Fast(w, x []byte, nb int) float32 {
	if wp, xp := dotArgs(w, x, nb, q4_0BlockSize, q8BlockSize); wp != nil {
		return dotQ4_0AVX2(wp, xp, nb)
	}
	return 0
}

//go:noescape
func dotQ4_0SeqAVX2(w, x *byte, nb int) float32

// dotQ4_0SeqFast is dotQ4_0SeqPlain in AVX2 assembly.
func dotQ4_0SeqFast(w, x []byte, nb int) float32 {
	if wp, xp := dotArgs(w, x, nb, q4_0BlockSize, q8BlockSize); wp != nil {
		return dotQ4_0SeqAVX2(wp, xp, nb)
	}
	return 0
}

//go:noescape
func gemvQ4_0x8AVX2(w, x *byte, s *float32, ss, nb int, out *float32)

//go:noescape
func gemm4Q4_0x8AVX2(w, x *byte, stride int, s *float32, ss, nb int, out *float32, ostride int)

// q4_0x8Fast is the AVX2 set's repacked Q4_0 kernels (gemvQ4_0x8Plain's
// results bit for bit).
var q4_0x8Fast = &q4_0x8Kernels{
	gemv: func(w, x []byte, s []float32, ss, nb int, out []float32) {
		if checkQ4_0x8Gemv(w, x, s, ss, nb, 2*nb, out) {
			gemvQ4_0x8AVX2(&w[0], &x[0], &s[0], ss, nb, &out[0])
		}
	},
	gemm4: func(w, x []byte, stride int, s []float32, ss, nb int, out []float32, ostride int) {
		if checkQ4_0x8Gemm4(w, x, stride, s, ss, nb, 2*nb, out, ostride) {
			gemm4Q4_0x8AVX2(&w[0], &x[0], stride, &s[0], ss, nb, &out[0], ostride)
		}
	},
}
