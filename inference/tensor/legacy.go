package tensor

import (
	"encoding/binary"
	"math"
)

// Helpers shared by the 32-value-block types (Q4_0, Q4_1, Q5_0, Q5_1,
// IQ4_NL, MXFP4): reading scales, llama.cpp's AVX2 lane sums, and the
// float32 FMA and horizontal sum its kernels end with. The plain dots model
// the AVX2 kernels exactly: per block eight int32 lanes (lane k holds the
// products of values 4k..4k+3), one FMA per lane into an 8-lane float32
// accumulator, then hsum_float_8.

const lqBlock = 32

// lqF16 reads the little-endian half at b[0:2] as float32.
func lqF16(b []byte) float32 { return F16ToF32(binary.LittleEndian.Uint16(b)) }

// lqPutF16 stores f as a little-endian half at b[0:2].
func lqPutF16(b []byte, f float32) { binary.LittleEndian.PutUint16(b, F32ToF16(f)) }

// lqLanesSigned is llama.cpp's mul_sum_i8_pairs (and mul_add_epi8): the
// products |x|*sign(y,x) in pairs by VPMADDUBSW, then pairs of pairs by
// VPMADDWD. VPSIGNB of -128 stays -128, which random activations (never
// real ones) can hit; the model keeps that so plain == fast on any bytes.
func lqLanesSigned(qx *[lqBlock]int8, qy *[lqBlock]byte) (l [8]int32) {
	for j := 0; j < lqBlock; j++ {
		x, y := qx[j], int8(qy[j])
		var sy int8
		switch {
		case x < 0:
			sy = -y // wraps at -128 as VPSIGNB does
		case x > 0:
			sy = y
		}
		ax := int32(x)
		if ax < 0 {
			ax = -ax
		}
		l[j/4] += ax * int32(sy)
	}
	return l
}

// lqLanesUnsigned is mul_sum_us8_pairs: unsigned x times signed y.
func lqLanesUnsigned(qx *[lqBlock]uint8, qy *[lqBlock]byte) (l [8]int32) {
	for j := 0; j < lqBlock; j++ {
		l[j/4] += int32(qx[j]) * int32(int8(qy[j]))
	}
	return l
}

// lqFMALanes adds d*float32(l[k]) into acc[k] with one rounding, as
// VFMADD231PS does.
func lqFMALanes(acc *[8]float32, d float32, l *[8]int32) {
	for k := range acc {
		acc[k] = lqFMA(d, float32(l[k]), acc[k])
	}
}

// lqHsum8 is llama.cpp's hsum_float_8: high half plus low half, then
// (0+2)+(1+3).
func lqHsum8(a *[8]float32) float32 {
	r0, r1, r2, r3 := a[0]+a[4], a[1]+a[5], a[2]+a[6], a[3]+a[7]
	return (r0 + r2) + (r1 + r3)
}

// lqFMA is a correctly rounded float32 a*b+c. a*b is exact in float64, so
// the float64 sum s is off the exact value only by its own rounding; the
// float32 rounding of s is then right unless s is exactly halfway between
// two float32s, where the sign of the float64 rounding error decides.
func lqFMA(a, b, c float32) float32 {
	p := float64(a) * float64(b)
	s := p + float64(c)
	r := float32(s)
	if float64(r) == s || s != s || math.IsInf(float64(r), 0) {
		return r
	}
	var o float32 // the other float32 neighbour of s
	if float64(r) < s {
		o = math.Nextafter32(r, float32(math.Inf(1)))
	} else {
		o = math.Nextafter32(r, float32(math.Inf(-1)))
	}
	if (float64(r)+float64(o))/2 != s {
		return r
	}
	// TwoSum: e is exactly p + c - s.
	bb := s - p
	e := (p - (s - bb)) + (float64(c) - bb)
	if e == 0 {
		return r // a true tie: float32() rounded it to even
	}
	if (e > 0) == (float64(o) > float64(r)) {
		return o
	}
	return r
}

// lqNibbles spreads 16 packed bytes into 32 values as llama.cpp's
// bytes_from_nibbles_32: low nibbles are values 0..15, high ones 16..31.
func lqNibbles(qs []byte) (v [lqBlock]uint8) {
	for j := 0; j < 16; j++ {
		v[j] = qs[j] & 0xF
		v[j+16] = qs[j] >> 4
	}
	return v
}

// lq5Values unpacks the 32 five-bit quants of Q5_0 and Q5_1: low nibbles
// from qs as lqNibbles reads them, bit j of the little-endian qh on value j.
func lq5Values(qh, qs []byte) (v [lqBlock]uint8) {
	h := binary.LittleEndian.Uint32(qh)
	v = lqNibbles(qs)
	for j := range v {
		v[j] |= uint8(h>>j&1) << 4
	}
	return v
}

// lq5Pack stores 32 five-bit quants as lq5Values reads them.
func lq5Pack(qh, qs []byte, q *[lqBlock]uint8) {
	var h uint32
	for j := 0; j < 16; j++ {
		qs[j] = q[j]&0xF | (q[j+16]&0xF)<<4
		h |= uint32(q[j]>>4&1)<<j | uint32(q[j+16]>>4&1)<<(j+16)
	}
	binary.LittleEndian.PutUint32(qh, h)
}

// lqTruncInt8 is C's (int8_t) conversion of a float that fits: toward zero.
func lqTruncInt8(f float32) int8 { return int8(int32(f)) }
