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
