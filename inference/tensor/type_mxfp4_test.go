package tensor

import (
	"math"
	"math/rand/v2"
	"testing"

	"burrow/inference/gguf"
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

// TestMatMulMXFP4: MatMul over MXFP4 weights, in every kernel set and with
// batches that use the four-row tiles and their leftovers, equals the plain
// one-row dot of each (weight row, input row) bit for bit.
func TestMatMulMXFP4(t *testing.T) { kernelSets(t, testMatMulMXFP4) }

func testMatMulMXFP4(t *testing.T) {
	r := rand.New(rand.NewPCG(67, 68))
	pool := NewPool(2)
	defer pool.Close()
	for _, sh := range []struct{ rows, cols, n int }{{7, 32, 1}, {9, 64, 4}, {5, 96, 6}, {3, 2880, 9}} {
		data := make([]byte, sh.rows*sh.cols/32*mxfp4BlockSize)
		quantizeMXFP4(data, randF32(r, sh.rows*sh.cols, 0.1))
		m, err := NewMatrix(gguf.TypeMXFP4, sh.rows, sh.cols, data)
		if err != nil {
			t.Fatal(err)
		}
		a := NewActivations(sh.n+1, sh.cols)
		a.Set(randF32(r, sh.n*sh.cols, 2), sh.n)
		out := make([]float32, sh.n*sh.rows)
		MatMul(pool, out, m, a)
		for tt := 0; tt < sh.n; tt++ {
			for rr := 0; rr < sh.rows; rr++ {
				got, one := out[tt*sh.rows+rr], dotMXFP4Plain(m.Row(rr), a.row(formQ8_0, tt), sh.cols/32)
				if math.Float32bits(got) != math.Float32bits(one) {
					t.Fatalf("%dx%dx%d row %d input %d: %v, one-row plain dot %v", sh.rows, sh.cols, sh.n, rr, tt, got, one)
				}
			}
		}
	}
}
