package tensor

import (
	"math"

	"burrow/inference/gguf"
)

func init() {
	lqCases = append(lqCases, lqCase{
		typ: gguf.TypeQ4_0, bs: q4_0BlockSize, actBS: q8BlockSize, act: quantizeQ8_0Act,
		dequantize: dequantizeQ4_0, quantize: quantizeQ4_0, plain: dotQ4_0Plain,
		// One step (the clamp at 15 on the side opposite the largest
		// value), the F16 scale's rounding over 8 steps.
		roundTrip: func(x []float32) float64 { a := lqAmax(x); return a/8*1.002 + a*math.Ldexp(1, -10) },
	})
}
