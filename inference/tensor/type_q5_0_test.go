package tensor

import (
	"math"

	"burrow/inference/gguf"
)

func init() {
	lqCases = append(lqCases, lqCase{
		typ: gguf.TypeQ5_0, bs: q5_0BlockSize, actBS: q8BlockSize, act: quantizeQ8_0Act,
		dequantize: dequantizeQ5_0, quantize: quantizeQ5_0, plain: dotQ5_0Plain,
		// One step (the clamp at 31), the F16 scale's rounding over 16 steps.
		roundTrip: func(x []float32) float64 { a := lqAmax(x); return a/16*1.002 + a*math.Ldexp(1, -10) },
	})
}
