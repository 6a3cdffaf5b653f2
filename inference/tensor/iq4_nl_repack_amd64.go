package tensor

import "burrow/inference/gguf"

func init() {
	// Only the repacked matrices have assembly; the others keep the Go dots.
	registerFast(gguf.TypeIQ4_NL, q4_0Rows(iq4NLx8Fast, lqRepackKernels(dotIQ4_NLPlain, dotIQ4_NLSeqPlain)))
}

//go:noescape
func gemvIQ4_NLx8AVX2(w, x *byte, s *float32, ss, nb int, out *float32)

//go:noescape
func gemm4IQ4_NLx8AVX2(w, x *byte, stride int, s *float32, ss, nb int, out *float32, ostride int)

// iq4NLx8Fast is the AVX2 set's repacked IQ4_NL kernels
// (gemvIQ4_NLx8Plain's results bit for bit).
var iq4NLx8Fast = &q4_0x8Kernels{
	gemv: func(w, x []byte, s []float32, ss, nb int, out []float32) {
		if checkQ4_0x8Gemv(w, x, s, ss, nb, nb, out) {
			gemvIQ4_NLx8AVX2(&w[0], &x[0], &s[0], ss, nb, &out[0])
		}
	},
	gemm4: func(w, x []byte, stride int, s []float32, ss, nb int, out []float32, ostride int) {
		if checkQ4_0x8Gemm4(w, x, stride, s, ss, nb, nb, out, ostride) {
			gemm4IQ4_NLx8AVX2(&w[0], &x[0], stride, &s[0], ss, nb, &out[0], ostride)
		}
	},
}
