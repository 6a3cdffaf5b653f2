package tensor

import "math"

// Vector steps of attention with assembly where the active set has it
// (vec_amd64.s): each gives its plain loop's bits.

// maxF32 is the largest value of x: NaN if any is NaN, -Inf if x is empty.
func maxF32(x []float32) float32 {
	mx, n := float32(math.Inf(-1)), 0
	if vectorExp && len(x) >= 8 {
		n = len(x) &^ 7
		mx = maxAsm(x[:n])
	}
	for _, v := range x[n:] {
		mx = max(mx, v)
	}
	return mx
}

// scaleF32 multiplies every value of x by s.
func scaleF32(x []float32, s float32) {
	n := 0
	if vectorExp {
		n = len(x) &^ 7
		scaleAsm(x[:n], s)
	}
	for i := n; i < len(x); i++ {
		x[i] *= s
	}
}

// reduceLanes is reduceLanesPlain.
func reduceLanes(out, lanes []float32) {
	if vectorExp && len(out)%8 == 0 {
		reduceLanesAsm(out, lanes)
		return
	}
	reduceLanesPlain(out, lanes)
}

// reduceF16x64 is reduceF16x64Plain.
func reduceF16x64(out, lanes []float32) {
	if vectorExp && len(out)%8 == 0 {
		reduceF16x64Asm(out, lanes)
		return
	}
	reduceF16x64Plain(out, lanes)
}

// sumGroups16 is the float64 sum, in order, of reduce16 of each group of 16
// values of x (a last partial group padded with zeros): ggml's soft_max
// sum over a row padded to a multiple of 16.
func sumGroups16(x []float32) float64 {
	var sum float64
	g0 := 0
	if vectorExp {
		var gs [64]float32
		for full := len(x) / 16 &^ 7; g0 < full; {
			n := min(64, full-g0)
			reduce16GroupsAsm(gs[:n], x[16*g0:16*(g0+n)])
			for _, v := range gs[:n] {
				sum += float64(v)
			}
			g0 += n
		}
	}
	return sumGroups16Plain(x, g0, sum)
}

// sumGroups16Plain adds the groups from group g0 on to sum.
func sumGroups16Plain(x []float32, g0 int, sum float64) float64 {
	for c := 16 * g0; c < len(x); c += 16 {
		var g [16]float32 // the padding's exp(-inf) = 0
		copy(g[:], x[c:min(c+16, len(x))])
		sum += float64(reduce16(&g))
	}
	return sum
}
