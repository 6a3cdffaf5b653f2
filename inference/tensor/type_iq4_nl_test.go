package tensor

import "burrow/inference/gguf"

func init() {
	lqCases = append(lqCases, lqCase{
		typ: gguf.TypeIQ4_NL, bs: iq4NLBlockSize, actBS: q8BlockSize, act: quantizeQ8_0Act,
		dequantize: dequantizeIQ4_NL, quantize: quantizeIQ4_NL, plain: dotIQ4_NLPlain,
		// The fitted scale can clip the largest value; the widest table
		// gap is 24 steps of d ≈ amax/113: a fifth of amax covers both.
		roundTrip: func(x []float32) float64 { return lqAmax(x) * 0.2 },
	})
}
