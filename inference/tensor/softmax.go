package tensor

import "math"

// Softmax replaces x with exp(x - max) / sum, as ggml's soft_max on the
// x86 AVX-512 build: groups of 16 through expV, each group summed in
// reduce16 order into a float64, the rest through libm exp; the
// normalization a float32 multiply by 1/sum.
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
	i := 0
	for ; i+16 <= len(x); i += 16 {
		g := (*[16]float32)(x[i:])
		for l, v := range g {
			g[l] = expV(v - mx)
		}
		sum += float64(reduce16(g))
	}
	for ; i < len(x); i++ {
		e := exp32(x[i] - mx)
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
// alias gate or up. As ggml_vec_swiglu_f32 on the x86 AVX-512 build: groups
// of 16 through ggml_v_silu (expV), the rest through SiLU (libm exp).
func SwiGLU(out, gate, up []float32) {
	gate, up = gate[:len(out)], up[:len(out)]
	n16 := len(out) &^ 15
	var e [64]float32 // exp(-gate) for a chunk, through the vector kernel
	for c := 0; c < n16; c += len(e) {
		m := min(len(e), n16-c)
		fast := true
		for k, g := range gate[c : c+m] {
			e[k] = 0 - g
			fast = fast && e[k] <= 88 // the kernel's range: no overflow
		}
		if fast && vectorExp {
			expSubAsm(e[:m], 0)
		} else {
			for k := range e[:m] {
				e[k] = expV(e[k])
			}
		}
		for k, g := range gate[c : c+m] {
			out[c+k] = g / (1 + e[k]) * up[c+k]
		}
	}
	for i := n16; i < len(out); i++ {
		out[i] = SiLU(gate[i]) * up[i]
	}
}
