package tensor

import (
	"encoding/binary"
	"math"
)

// Helpers shared by the K-quants (Q4_K, Q5_K, Q6_K): 256-value superblocks
// with 6- or 8-bit sub-block scales, as ggml-quants.c defines them. The
// quantizers copy ggml's float32 arithmetic operation by operation; every
// product that feeds a sum is converted with float32() so no Go compiler
// fuses it into an FMA (ggml-base, where llama-quantize's code lives, is
// built without FMA contraction).

// groupMaxEps is ggml's GROUP_MAX_EPS: a group whose largest magnitude is
// below it is stored as zeros.
const groupMaxEps = 1e-15

// f16At reads the little-endian half at b[0:2] as float32.
func f16At(b []byte) float32 { return F16ToF32(binary.LittleEndian.Uint16(b)) }

// f32At reads the little-endian float32 at b[0:4].
func f32At(b []byte) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(b)) }

// scaleMinK4 is ggml's get_scale_min_k4: the 6-bit scale and min of
// sub-block j (0..7) packed in the 12 scale bytes of Q4_K and Q5_K.
func scaleMinK4(j int, q []byte) (sc, m uint8) {
	if j < 4 {
		return q[j] & 63, q[j+4] & 63
	}
	return q[j+4]&0xF | (q[j-4]>>6)<<4, q[j+4]>>4 | (q[j]>>6)<<4
}

// unpackScalesK4 is the utmp shuffle of llama.cpp's x86 Q4_K/Q5_K dot:
// the 12 packed bytes become 8 scales then 8 mins, one byte each.
func unpackScalesK4(s []byte) (out [16]uint8) {
	const kmask1, kmask2, kmask3 = 0x3f3f3f3f, 0x0f0f0f0f, 0x03030303
	u0 := binary.LittleEndian.Uint32(s[0:])
	u1 := binary.LittleEndian.Uint32(s[4:])
	u2 := binary.LittleEndian.Uint32(s[8:])
	t3 := (u2>>4)&kmask2 | ((u1>>6)&kmask3)<<4
	t2 := u1 & kmask1
	t1 := u2&kmask2 | ((u0>>6)&kmask3)<<4
	t0 := u0 & kmask1
	binary.LittleEndian.PutUint32(out[0:], t0)
	binary.LittleEndian.PutUint32(out[4:], t1)
	binary.LittleEndian.PutUint32(out[8:], t2)
	binary.LittleEndian.PutUint32(out[12:], t3)
	return out
}

// packScalesK4 stores 6-bit scales ls and mins lm the way
// quantize_row_q4_K_ref and quantize_row_q5_K_ref do.
func packScalesK4(dst []byte, ls, lm *[8]uint8) {
	for j := 0; j < 8; j++ {
		if j < 4 {
			dst[j] = ls[j]
			dst[j+4] = lm[j]
		} else {
			dst[j+4] = ls[j]&0xF | (lm[j]&0xF)<<4
			dst[j-4] |= (ls[j] >> 4) << 6
			dst[j] |= (lm[j] >> 4) << 6
		}
	}
}

// fmaExact32 is a correctly rounded float32 fused multiply-add, what
// VFMADD231PS computes. a*b is exact in float64; when the float64 sum is a
// float32 rounding tie, the sign of its rounding error picks the side, so
// there is no double rounding.
func fmaExact32(a, b, c float32) float32 {
	p := float64(a) * float64(b)
	s := p + float64(c)
	// Fast path: unless the float64 sum sits exactly halfway between two
	// float32s (low 29 mantissa bits 1000...0) in the normal range, one more
	// rounding gives the right float32.
	if bits := math.Float64bits(s); bits&(1<<29-1) != 1<<28 && math.Abs(s) >= 0x1p-126 || s == 0 {
		return float32(s)
	}
	r := float32(s)
	if float64(r) == s || math.IsInf(float64(r), 0) || s != s {
		return r
	}
	// TwoSum: e is exactly p + c - s.
	bb := s - p
	e := (p - (s - bb)) + (float64(c) - bb)
	if e == 0 {
		return r
	}
	// The other float32 neighbour of s.
	var o float32
	if float64(r) < s {
		o = math.Nextafter32(r, float32(math.Inf(1)))
	} else {
		o = math.Nextafter32(r, float32(math.Inf(-1)))
	}
	if (float64(r)+float64(o))/2 != s {
		return r // not a tie: r is right
	}
	// A tie in float64 that the exact value breaks.
	if (e > 0) == (float64(o) > float64(r)) {
		return o
	}
	return r
}

// hsumFloat8 is llama.cpp's hsum_float_8: high half plus low half, then
// (0+2)+(1+3).
func hsumFloat8(a *[8]float32) float32 {
	r0, r1, r2, r3 := a[0]+a[4], a[1]+a[5], a[2]+a[6], a[3]+a[7]
	return (r0 + r2) + (r1 + r3)
}

// makeQKX2Quants is ggml's make_qkx2_quants: an asymmetric fit x ≈
// scale*L + min (min <= 0) over n values with levels 0..nmax, trying nstep+1
// scales around the min-max one and keeping the least weighted error:
// squared, or absolute with useMAD (as Q2_K asks). It returns the scale and
// -min. Products are converted to float32 before they are added so that no
// platform fuses them (C compiled without FMA contraction).
func makeQKX2Quants(n, nmax int, x, weights []float32, L, Laux []uint8, rmin, rdelta float32, nstep int, useMAD bool) (scale, theMin float32) {
	min, max := x[0], x[0]
	sumW := weights[0]
	sumX := float32(sumW * x[0])
	for i := 1; i < n; i++ {
		if x[i] < min {
			min = x[i]
		}
		if x[i] > max {
			max = x[i]
		}
		w := weights[i]
		sumW += w
		sumX += float32(w * x[i])
	}
	if min > 0 {
		min = 0
	}
	if max == min {
		for i := 0; i < n; i++ {
			L[i] = 0
		}
		return 0, -min
	}
	fnmax := float32(nmax)
	iscale := fnmax / (max - min)
	scale = 1 / iscale
	var bestError float32
	for i := 0; i < n; i++ {
		l := nearestInt(float32(iscale * (x[i] - min)))
		l = clampInt32(l, 0, int32(nmax))
		L[i] = uint8(l)
		bestError += float32(weights[i] * fitError(float32(scale*float32(l))+min-x[i], useMAD))
	}
	if nstep < 1 {
		return scale, -min
	}
	for is := 0; is <= nstep; is++ {
		iscale = (rmin + float32(rdelta*float32(is)) + fnmax) / (max - min)
		var sumL, sumL2, sumXL float32
		for i := 0; i < n; i++ {
			l := nearestInt(float32(iscale * (x[i] - min)))
			l = clampInt32(l, 0, int32(nmax))
			Laux[i] = uint8(l)
			w := weights[i]
			fl := float32(l)
			wl := float32(w * fl)
			sumL += wl
			sumL2 += float32(wl * fl)
			sumXL += float32(wl * x[i])
		}
		D := float32(sumW*sumL2) - float32(sumL*sumL)
		if D > 0 {
			thisScale := (float32(sumW*sumXL) - float32(sumX*sumL)) / D
			thisMin := (float32(sumL2*sumX) - float32(sumL*sumXL)) / D
			if thisMin > 0 {
				thisMin = 0
				thisScale = sumXL / sumL2
			}
			var curError float32
			for i := 0; i < n; i++ {
				curError += float32(weights[i] * fitError(float32(thisScale*float32(Laux[i]))+thisMin-x[i], useMAD))
			}
			if curError < bestError {
				copy(L[:n], Laux[:n])
				bestError = curError
				scale = thisScale
				min = thisMin
			}
		}
	}
	return scale, -min
}

// fitError is one value's error in makeQKX2Quants: |d| or d².
func fitError(d float32, useMAD bool) float32 {
	if useMAD {
		return abs32(d)
	}
	return float32(d * d)
}

// makeQXQuantsRMSE1 is ggml's make_qx_quants with rmse_type 1 and no
// importance weights (w = x²), as quantize_row_q6_K_ref calls it: a
// symmetric fit x ≈ scale*(L-nmax), levels -nmax..nmax-1, trying 19
// scales. L receives the levels offset by nmax.
func makeQXQuantsRMSE1(n, nmax int, x []float32, L []int8) float32 {
	amax, max := absMax(x[:n])
	if amax < groupMaxEps {
		clear(L[:n])
		return 0
	}
	fnmax := float32(nmax)
	lo, hi := int32(-nmax), int32(nmax-1)
	iscale := -fnmax / max
	var sumlx, suml2 float32
	for i := 0; i < n; i++ {
		l := clampInt32(nearestInt(float32(iscale*x[i])), lo, hi)
		L[i] = int8(l + int32(nmax))
		w := float32(x[i] * x[i])
		fl := float32(l)
		sumlx += float32(float32(w*x[i]) * fl)
		suml2 += float32(float32(w*fl) * fl)
	}
	var scale float32
	if suml2 != 0 {
		scale = sumlx / suml2
	}
	best := float32(scale * sumlx)
	for is := -9; is <= 9; is++ {
		if is == 0 {
			continue
		}
		iscale = -(fnmax + float32(float32(0.1)*float32(is))) / max
		sumlx, suml2 = 0, 0
		for i := 0; i < n; i++ {
			l := clampInt32(nearestInt(float32(iscale*x[i])), lo, hi)
			w := float32(x[i] * x[i])
			fl := float32(l)
			sumlx += float32(float32(w*x[i]) * fl)
			suml2 += float32(float32(w*fl) * fl)
		}
		if suml2 > 0 && float32(sumlx*sumlx) > float32(best*suml2) {
			for i := 0; i < n; i++ {
				l := clampInt32(nearestInt(float32(iscale*x[i])), lo, hi)
				L[i] = int8(l + int32(nmax))
			}
			scale = sumlx / suml2
			best = float32(scale * sumlx)
		}
	}
	return scale
}

func clampInt32(v, lo, hi int32) int32 {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}

// math32Sqrt is sqrtf: float64 sqrt rounded once more is still correctly
// rounded for float32 inputs.
func math32Sqrt(x float32) float32 { return float32(math.Sqrt(float64(x))) }

// putF16 stores f as a little-endian half (GGML_FP32_TO_FP16: nearest, ties
// to even).
func putF16(b []byte, f float32) { binary.LittleEndian.PutUint16(b, F32ToF16(f)) }
