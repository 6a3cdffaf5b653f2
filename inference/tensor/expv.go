package tensor

import "math"

// expV is one lane of ggml_v_expf as llama.cpp's x86 AVX-512 build computes
// it (the build the shared references were made with): a range reduction to
// n = round(x/ln2) and a degree-5 polynomial in float32 FMAs, scaled by 2^n.
// It is within 1.5 ulp of exp; following it bit for bit matters because
// llama.cpp uses it in SiLU and softmax, and a Q8_0 model can round an
// activation the other way on a one-ulp difference.
func expV(x float32) float32 {
	const shift = 0x1.8p23 // adding it rounds to an integer
	z := fma32(x, 0x1.715476p+0, shift)
	n := z - shift
	b := fma32(-n, 0x1.7f7d1cp-20, fma32(-n, 0x1.62e4p-1, x))
	if a := abs32(n); a > 192 { // false for NaN, as the ordered compare
		if n <= 0 {
			return 0
		}
		return float32(math.Inf(1))
	}
	u := b * b
	j := fma32(fma32(fma32(0x1.0e4020p-7, b, 0x1.573e2ep-5), u, fma32(0x1.555e66p-3, b, 0x1.fffdb6p-2)), u,
		fma32(0x1.ffffecp-1, b, 1))
	if n != n { // NaN in, NaN out
		return n
	}
	// scalef: j*2^n, exact in float64 for |n| <= 192, then one rounding.
	return float32(float64(j) * math.Float64frombits(uint64(1023+int64(n))<<52))
}

// fma32 is a float32 fused multiply-add. (Through float64 it can round
// twice, but only when the exact result is within 2^-29 ulp of a float32
// rounding boundary.)
func fma32(a, b, c float32) float32 {
	return float32(math.FMA(float64(a), float64(b), float64(c)))
}

// siluV is ggml_v_silu: x / (1 + expV(-x)).
func siluV(x float32) float32 { return x / (1 + expV(0-x)) }

// reduce16 sums 16 lanes in the order of _mm512_reduce_add_ps (as GCC
// expands it): halves, then quarters, then pairs.
func reduce16(a *[16]float32) float32 {
	var h [8]float32
	for i := range h {
		h[i] = a[i+8] + a[i]
	}
	q := [4]float32{h[4] + h[0], h[5] + h[1], h[6] + h[2], h[7] + h[3]}
	return (q[0] + q[2]) + (q[1] + q[3])
}

// expSubPlain sets x[i] = expV(x[i] - m); the softmax's exponentials (x[i] <= m).
func expSubPlain(x []float32, m float32) {
	for i, v := range x {
		x[i] = expV(v - m)
	}
}
