package tensor

import (
	"math"
	"sync"
)

// GeGLU computes out = GELU(gate) * up with ggml's arithmetic: GELU (the
// tanh form) read from a table over every F16 value, the input rounded to
// F16 first, and the two ends (|x| >= 10) exact (ggml_vec_geglu_f32 with
// GGML_GELU_FP16, llama.cpp's default). out may alias gate.
func GeGLU(out, gate, up []float32) {
	gate, up = gate[:len(out)], up[:len(out)]
	tab := geluTable()
	for i, x := range gate {
		switch {
		case x <= -10:
			out[i] = 0
		case x >= 10:
			out[i] = x * up[i]
		default:
			out[i] = F16ToF32(tab[F32ToF16(x)]) * up[i]
		}
	}
}

// geluF32 is ggml_gelu_f32: 0.5x(1 + tanh(sqrt(2/pi) x (1 + 0.044715 x²))).
func geluF32(x float32) float32 {
	const coefA, sqrt2OverPi = 0.044715, 0.79788456080286535587989211986876
	t := float32(math.Tanh(float64(float32(sqrt2OverPi) * x * (1 + float32(float32(coefA)*x*x))))) // conversion: no FMA fusion
	return 0.5 * x * (1 + t)
}

var (
	geluOnce sync.Once
	geluTab  []uint16
)

// geluTable is ggml_table_gelu_f16: GELU of each F16 value, in F16.
func geluTable() []uint16 {
	geluOnce.Do(func() {
		geluTab = make([]uint16, 1<<16)
		for i := range geluTab {
			geluTab[i] = F32ToF16(geluF32(F16ToF32(uint16(i))))
		}
	})
	return geluTab
}
