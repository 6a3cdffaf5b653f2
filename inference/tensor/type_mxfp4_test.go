package tensor

import (
	"math"
	"math/rand/v2"
	"testing"
)

// MXFP4 round trip: every value lands within half a code step of itself
// (the steps are at most 2*d apart, d the block's half scale, 1/4 of the
// largest magnitude's power of two), and codes read back exactly.
func TestMXFP4RoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	x := make([]float32, 32*40)
	for i := range x {
		x[i] = float32(r.NormFloat64()) * float32(math.Pow(2, float64(i/32%12-6)))
	}
	q := make([]byte, len(x)/32*mxfp4BlockSize)
	quantizeMXFP4(q, x)
	y := make([]float32, len(x))
	dequantizeMXFP4(y, q)
	for b := 0; b < len(x)/32; b++ {
		d := e8m0Half(q[b*mxfp4BlockSize])
		for j := b * 32; j < (b+1)*32; j++ {
			if err := math.Abs(float64(y[j] - x[j])); err > float64(2*d)+1e-30 && math.Abs(float64(x[j])) < float64(12*d) {
				t.Fatalf("value %d: %g came back as %g (scale %g)", j, x[j], y[j], d)
			}
		}
	}
	q2 := make([]byte, len(q))
	quantizeMXFP4(q2, y)
	for i := range q {
		if q[i] != q2[i] {
			t.Fatalf("requantizing the dequantized values changed byte %d", i)
		}
	}
}
