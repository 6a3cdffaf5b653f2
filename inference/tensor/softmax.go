package tensor

import "math"

// Softmax replaces x with exp(x - max) / sum, as ggml's soft_max: the sum
// in float64, the normalization a float32 multiply.
func Softmax(x []float32) {
	if len(x) == 0 {
		return
	}
	mx := x[0]
	for _, v := range x[1:] {
		if v > mx {
			mx = v
		}
	}
	var sum float64
	for i, v := range x {
		e := exp32(v - mx)
		x[i] = e
		sum += float64(e)
	}
	inv := float32(1 / sum)
	for i := range x {
		x[i] *= inv
	}
}

func exp32(x float32) float32 { return float32(math.Exp(float64(x))) }

// SiLU is x * sigmoid(x), as ggml_silu_f32: x / (1 + exp(-x)).
func SiLU(x float32) float32 { return x / (1 + exp32(-x)) }

// SiLUInPlace applies SiLU to every value of x.
func SiLUInPlace(x []float32) {
	for i, v := range x {
		x[i] = SiLU(v)
	}
}

// SwiGLU sets out[i] = SiLU(gate[i]) * up[i] over len(out) values; out may
// alias gate or up.
func SwiGLU(out, gate, up []float32) {
	gate, up = gate[:len(out)], up[:len(out)]
	for i := range out {
		out[i] = SiLU(gate[i]) * up[i]
	}
}
