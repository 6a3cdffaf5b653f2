package tensor

import (
	"math"
	"math/rand/v2"
	"testing"

	"burrow/inference/gguf"
)

func init() {
	lqCases = append(lqCases, lqCase{
		typ: gguf.TypeQ4_1, bs: q4_1BlockSize, actBS: q8_1BlockSize, act: quantizeQ8_1Act,
		dequantize: dequantizeQ4_1, quantize: quantizeQ4_1, plain: dotQ4_1Plain,
		// Half a step of (max-min)/15, the F16 roundings of d (over 15
		// steps) and of m.
		roundTrip: func(x []float32) float64 { return lqMinRoundTrip(x, 15) },
		minTerm:   true,
	})
}

// lqMinRoundTrip bounds |x - y| for a block of a d*q + m type with levels
// 0..nmax: half a step (a little more for float32 rounding), nmax steps of
// the F16 rounding of d, and the F16 rounding of m.
func lqMinRoundTrip(x []float32, nmax float64) float64 {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range x {
		lo, hi = math.Min(lo, float64(v)), math.Max(hi, float64(v))
	}
	step := (hi - lo) / nmax
	return step*0.5*1.001 + step*nmax*math.Ldexp(1, -11) + math.Abs(lo)*math.Ldexp(1, -11) + 1e-30
}

// q8_1MinTerm is what the s of Q8_1 adds over the dequantized dot for a
// weight type with an F16 min m at bytes 2..3 of each block (Q4_1, Q5_1):
// the kernels take m*s, with s = F16(d8*sum(q8)), where the dequantized
// dot has m*d8*sum(q8).
func q8_1MinTerm(w, x []byte, bs, nb int) float64 {
	var c float64
	for i := 0; i < nb; i++ {
		b, y := w[i*bs:], x[i*q8_1BlockSize:]
		var sum int
		for j := 0; j < lqBlock; j++ {
			sum += int(int8(y[4+j]))
		}
		s, d8 := float64(lqF16(y[2:])), float64(lqF16(y[0:]))
		c += float64(lqF16(b[2:])) * (s - d8*float64(sum))
	}
	return c
}

// TestQ8_1Act: the activation form holds d = max|x|/127 as F16, quants
// rounded half to even, and s = F16(d * sum(q)) with d unrounded.
func TestQ8_1Act(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	for it := 0; it < 200; it++ {
		x := randF32(r, 2*lqBlock, float32(0.01+r.Float64()*3))
		if it%10 == 0 {
			clear(x[:lqBlock])
		}
		b := make([]byte, 2*q8_1BlockSize)
		quantizeQ8_1Act(b, x)
		for i := 0; i < 2; i++ {
			blk, xb := b[i*q8_1BlockSize:], x[i*lqBlock:(i+1)*lqBlock]
			amax := float32(lqAmax(xb))
			d := amax / 127
			if got := lqF16(blk); got != F16ToF32(F32ToF16(d)) {
				t.Fatalf("block %d: d %g, want %g", i, got, d)
			}
			var sum int
			for j, v := range xb {
				q := int(int8(blk[4+j]))
				sum += q
				if amax != 0 && math.Abs(float64(v*(127/amax))-float64(q)) > 0.5 {
					t.Fatalf("block %d value %d: %g quantized to %d", i, j, v, q)
				}
			}
			if got, want := lqF16(blk[2:]), F16ToF32(F32ToF16(d*float32(sum))); got != want {
				t.Fatalf("block %d: s %g, want %g", i, got, want)
			}
		}
	}
}

// TestQ4_1Layout: a hand-made block dequantizes to d*q + m.
func TestQ4_1Layout(t *testing.T) {
	b := make([]byte, q4_1BlockSize)
	lqPutF16(b[0:], 0.5)
	lqPutF16(b[2:], -2)
	for j := 0; j < 16; j++ {
		b[4+j] = uint8(j) | uint8(15-j)<<4
	}
	y := make([]float32, lqBlock)
	dequantizeQ4_1(y, b)
	for j := 0; j < 16; j++ {
		if y[j] != float32(j)*0.5-2 || y[j+16] != float32(15-j)*0.5-2 {
			t.Fatalf("value %d: %g, %d: %g", j, y[j], j+16, y[j+16])
		}
	}
}
