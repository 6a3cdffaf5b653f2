package tensor

import "math"

// Helpers shared by the Q2_K, Q3_K and IQ4_XS kernels, whose plain twins
// model llama.cpp's AVX2 code lane by lane so that the assembly can be held
// to them bit for bit.

// fma32x is a correctly rounded float32 fused multiply-add, as VFMADD
// computes it. The product of two float32 is exact in float64, so
// math.FMA rounds once to float64; the second rounding to float32 is wrong
// only when that float64 lands exactly on a float32 midpoint while the exact
// sum lies off it, which the TwoSum error term detects.
func fma32x(a, b, c float32) float32 {
	p := float64(a) * float64(b)
	cc := float64(c)
	r := p + cc
	f := float32(r)
	if float64(f) == r || math.IsInf(r, 0) || r != r {
		return f
	}
	bb := r - p
	e := (p - (r - bb)) + (cc - bb)
	if e == 0 {
		return f
	}
	g := math.Nextafter32(f, float32(math.Inf(sign64(r-float64(f)))))
	if (float64(f)+float64(g))/2 != r {
		return f // not a midpoint: one correct rounding
	}
	// Exactly between f and g in float64, off it in exact arithmetic: take
	// the side the error points to.
	if (e > 0) == (g > f) {
		return g
	}
	return f
}

func sign64(x float64) int {
	if x < 0 {
		return -1
	}
	return 1
}

// hsumF8 is ggml's hsum_float_8: the two 128-bit halves added, then
// movehl, then movehdup.
func hsumF8(a *[8]float32) float32 {
	r0, r1, r2, r3 := a[0]+a[4], a[1]+a[5], a[2]+a[6], a[3]+a[7]
	return (r0 + r2) + (r1 + r3)
}

// q8KParts views Q8_K superblock i of y: its scale, quants and group sums.
func q8KParts(y []byte, i int) (d float32, qs *[qkK]byte, bsums *[32]byte) {
	blk := (*[q8KBlockSize]byte)(y[i*q8KBlockSize:])
	d = math.Float32frombits(uint32(blk[0]) | uint32(blk[1])<<8 | uint32(blk[2])<<16 | uint32(blk[3])<<24)
	return d, (*[qkK]byte)(blk[4:]), (*[32]byte)(blk[4+qkK:])
}

func le16(b []byte) uint16 { return uint16(b[0]) | uint16(b[1])<<8 }
