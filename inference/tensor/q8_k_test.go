package tensor

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"
)

// q8KBlock reads superblock i of a Q8_K row back as d, quants and sums.
func q8KBlock(b []byte, i int) (d float32, qs []int8, bsums [16]int16) {
	blk := b[i*q8KBlockSize : (i+1)*q8KBlockSize]
	d = math.Float32frombits(binary.LittleEndian.Uint32(blk))
	qs = make([]int8, qkK)
	for j := range qs {
		qs[j] = int8(blk[4+j])
	}
	for g := range bsums {
		bsums[g] = int16(binary.LittleEndian.Uint16(blk[4+qkK+2*g:]))
	}
	return
}

func TestQuantizeQ8_KAct(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const nb = 4
	x := make([]float32, nb*qkK)
	for i := range x {
		x[i] = float32(r.NormFloat64()) * 3
	}
	for i := 0; i < qkK; i++ { // block 2 all zero
		x[2*qkK+i] = 0
	}
	dst := make([]byte, nb*q8KBlockSize)
	for i := range dst {
		dst[i] = 0xAA // the zero block must be fully written
	}
	quantizeQ8_KAct(dst, x)
	for i := 0; i < nb; i++ {
		d, qs, bsums := q8KBlock(dst, i)
		xb := x[i*qkK : (i+1)*qkK]
		var amax, max float32
		for _, v := range xb {
			if abs32(v) > amax {
				amax, max = abs32(v), v
			}
		}
		if amax == 0 {
			if d != 0 || bsums != [16]int16{} {
				t.Fatalf("zero block: d=%v bsums=%v", d, bsums)
			}
			for _, q := range qs {
				if q != 0 {
					t.Fatal("zero block has a nonzero quant")
				}
			}
			continue
		}
		// The largest value maps to -127 and d carries the opposite sign.
		if want := -max / 127; abs32(d-want) > 1e-6*abs32(want) {
			t.Fatalf("block %d: d=%v want %v", i, d, want)
		}
		for g := 0; g < 16; g++ {
			var s int
			for _, q := range qs[g*16 : g*16+16] {
				s += int(q)
			}
			if int(bsums[g]) != s {
				t.Fatalf("block %d: bsum[%d]=%d want %d", i, g, bsums[g], s)
			}
		}
		for j, v := range xb {
			// Round to nearest: the error is at most half a step.
			if e := abs32(d*float32(qs[j]) - v); e > abs32(d)*0.5001 {
				t.Fatalf("block %d value %d: %v -> %d*%v (err %v)", i, j, v, qs[j], d, e)
			}
		}
	}
}

// Known answer: a ramp whose ties show half-to-even rounding, as
// nearest_int gives and roundf would not.
func TestQuantizeQ8_KActTies(t *testing.T) {
	x := make([]float32, qkK)
	x[0] = -127 // max = -127: iscale = 1, d = 1
	x[1], x[2], x[3], x[4] = 0.5, 1.5, 2.5, -0.5
	dst := make([]byte, q8KBlockSize)
	quantizeQ8_KAct(dst, x)
	d, qs, bsums := q8KBlock(dst, 0)
	if d != 1 {
		t.Fatalf("d=%v want 1", d)
	}
	want := []int8{-127, 0, 2, 2, 0}
	for j, w := range want {
		if qs[j] != w {
			t.Fatalf("qs[%d]=%d want %d", j, qs[j], w)
		}
	}
	if bsums[0] != -127+4 {
		t.Fatalf("bsums[0]=%d", bsums[0])
	}
}

// NaN and Inf activations must not crash; NaN quantizes to 0 as in C.
func TestQuantizeQ8_KActNonFinite(t *testing.T) {
	x := make([]float32, 2*qkK)
	for i := range x {
		x[i] = float32(i%7) - 3
	}
	x[5] = float32(math.NaN())
	x[qkK+9] = float32(math.Inf(-1))
	dst := make([]byte, 2*q8KBlockSize)
	quantizeQ8_KAct(dst, x)
	if _, qs, _ := q8KBlock(dst, 0); qs[5] != 0 {
		t.Fatalf("NaN quantized to %d", qs[5])
	}
}

func TestNearestInt(t *testing.T) {
	for _, c := range []struct {
		f float32
		n int32
	}{{0, 0}, {0.5, 0}, {1.5, 2}, {-1.5, -2}, {-2.5, -2}, {126.6, 127}, {-127, -127}, {0.49999997, 0}} {
		if got := nearestInt(c.f); got != c.n {
			t.Errorf("nearestInt(%v)=%d want %d", c.f, got, c.n)
		}
	}
}
