package tensor

import "math"

// sinCosF32 is sincosf as glibc 2.28+ computes it on x86-64 (ARM's
// optimized-routines algorithm, glibc's sysdeps/ieee754/flt-32/s_sincosf.c),
// which llama.cpp's rope cache calls: polynomials in float64 after a
// float64 range reduction, then rounded to float32. Its worst error is 0.56
// ULP, so about 2.6% of a rope's angles come out one ULP from the correctly
// rounded value float32(math.Cos(x)) gives; RoPE follows llama.cpp's bits.
// Checked against the system libm on 4.5 million angles (the scratch
// comparison in the commit that added it; the FMA ifunc variant gives the
// same floats).
func sinCosF32(y float32) (sin, cos float32) {
	x := float64(y)
	p := &sincosfTab[0]
	top := abstop12(y)
	switch {
	case top < abstop12(float32(sincosfPio4)):
		if top < abstop12(0x1p-12) {
			return y, 1
		}
		return sincosfPoly(x, x*x, p, 0)
	case top < abstop12(120):
		// reduce_fast without TOINT_INTRINSICS (x86): 2/pi prescaled by
		// 2^24, the quadrant rounded by integer arithmetic.
		r := x * p.hpiInv
		n := (int32(r) + 0x800000) >> 24
		x -= float64(n) * p.hpi
		s := p.sign[n&3]
		if n&2 != 0 {
			p = &sincosfTab[1]
		}
		return sincosfPoly(x*s, x*x, p, int(n))
	case top < abstop12(float32(math.Inf(1))):
		// reduce_large: a 32x96-bit product with 4/pi in fixed point.
		xi := math.Float32bits(y)
		sign := int(xi >> 31)
		arr := sincosfInvPio4[(xi>>26)&15:]
		shift := (xi >> 23) & 7
		xi = (xi&0xffffff | 0x800000) << shift
		res0 := uint64(xi * arr[0])
		res1 := uint64(xi) * uint64(arr[4])
		res2 := uint64(xi) * uint64(arr[8])
		res0 = res2>>32 | res0<<32
		res0 += res1
		n := (res0 + 1<<61) >> 62
		res0 -= n << 62
		xr := float64(int64(res0)) * 0x1.921FB54442D18p-62
		q := int(n) + sign
		s := p.sign[q&3]
		if q&2 != 0 {
			p = &sincosfTab[1]
		}
		return sincosfPoly(xr*s, xr*xr, p, int(n))
	}
	v := y - y // NaN for NaN and infinities
	return v, v
}

const sincosfPio4 = 0x1.921FB54442D18p-1

func abstop12(f float32) uint32 { return math.Float32bits(f) >> 20 & 0x7ff }

// sincosfPoly is glibc's sincosf_poly: sine and cosine polynomials of the
// reduced x, swapped in odd quadrants, each rounded once to float32.
func sincosfPoly(x, x2 float64, p *sincosfConsts, n int) (sin, cos float32) {
	x4 := x2 * x2
	x3 := x2 * x
	c2 := p.c3 + x2*p.c4
	s1 := p.s2 + x2*p.s3
	c1 := p.c0 + x2*p.c1
	x5 := x3 * x2
	x6 := x4 * x2
	s := x + x3*p.s1
	c := c1 + x4*p.c2
	sv, cv := float32(s+x5*s1), float32(c+x6*c2)
	if n&1 != 0 {
		return cv, sv
	}
	return sv, cv
}

type sincosfConsts struct {
	sign               [4]float64
	hpiInv, hpi        float64
	c0, c1, c2, c3, c4 float64
	s1, s2, s3         float64
}

// sincosfTab holds glibc's __sincosf_table: the second entry negates the
// cosine polynomial (quadrants 2 and 3).
var sincosfTab = [2]sincosfConsts{
	{[4]float64{1, -1, -1, 1}, 0x1.45F306DC9C883p+23, 0x1.921FB54442D18p0,
		0x1p0, -0x1.ffffffd0c621cp-2, 0x1.55553e1068f19p-5, -0x1.6c087e89a359dp-10, 0x1.99343027bf8c3p-16,
		-0x1.555545995a603p-3, 0x1.1107605230bc4p-7, -0x1.994eb3774cf24p-13},
	{[4]float64{1, -1, -1, 1}, 0x1.45F306DC9C883p+23, 0x1.921FB54442D18p0,
		-0x1p0, 0x1.ffffffd0c621cp-2, -0x1.55553e1068f19p-5, 0x1.6c087e89a359dp-10, -0x1.99343027bf8c3p-16,
		-0x1.555545995a603p-3, 0x1.1107605230bc4p-7, -0x1.994eb3774cf24p-13},
}

// sincosfInvPio4 is 4/pi to 192 bits, 8 new bits per entry.
var sincosfInvPio4 = [24]uint32{
	0xa2, 0xa2f9, 0xa2f983, 0xa2f9836e,
	0xf9836e4e, 0x836e4e44, 0x6e4e4415, 0x4e441529,
	0x441529fc, 0x1529fc27, 0x29fc2757, 0xfc2757d1,
	0x2757d1f5, 0x57d1f534, 0xd1f534dd, 0xf534ddc0,
	0x34ddc0db, 0xddc0db62, 0xc0db6295, 0xdb629599,
	0x6295993c, 0x95993c43, 0x993c4390, 0x3c439041,
}
