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
		if nb <= 0 {
			clear(out[:8])
			return
		}
		_, _, _, _ = w[nb*q4_0x8Bytes-1], x[nb*q8BlockSize-1], s[(nb-1)*ss], out[7]
		gemvIQ4_NLx8AVX2(&w[0], &x[0], &s[0], ss, nb, &out[0])
	},
	gemm4: func(w, x []byte, stride int, s []float32, ss, nb int, out []float32, ostride int) {
		if nb <= 0 {
			for t := 0; t < 4; t++ {
				clear(out[t*ostride : t*ostride+8])
			}
			return
		}
		if stride < nb*q8BlockSize || ostride < 8 || ss < 4 {
			panic("tensor: repacked IQ4_NL gemm rows overlap")
		}
		_, _, _, _ = w[nb*q4_0x8Bytes-1], x[3*stride+nb*q8BlockSize-1], s[(nb-1)*ss+3], out[3*ostride+7]
		gemm4IQ4_NLx8AVX2(&w[0], &x[0], stride, &s[0], ss, nb, &out[0], ostride)
	},
}
