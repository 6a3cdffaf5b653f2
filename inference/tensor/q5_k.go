package tensor

import "burrow/inference/gguf"

func init() {
	register(weightType{
		typ:        gguf.TypeQ5_K,
		dequantize: dequantizeQ5_K,
		quantize:   quantizeQ5_K,
		form:       formQ8_K,
		plain:      rowKernels{dot: dotQ5_KPlain},
	})
}

// Q5_K layout (ggml block_q5_K), 176 bytes per 256 values: F16 d and dmin,
// the 12 packed scale/min bytes of Q4_K, 32 bytes of fifth bits qh, then 128
// bytes of low nibbles laid out as in Q4_K. Value 64c+l (l < 32) has its
// fifth bit in bit 2c of qh[l], value 64c+32+l in bit 2c+1.
const q5KBlockSize = 176

// dequantizeQ5_K is ggml's dequantize_row_q5_K.
func dequantizeQ5_K(dst []float32, src []byte) {
	nb := len(dst) / qkK
	for i := 0; i < nb; i++ {
		b := (*[q5KBlockSize]byte)(src[i*q5KBlockSize:])
		y := (*[qkK]float32)(dst[i*qkK:])
		d, min := f16At(b[0:]), f16At(b[2:])
		qh, ql := b[16:48], b[48:]
		for c := 0; c < 4; c++ {
			sc, m := scaleMinK4(2*c, b[4:16])
			// Conversions: arm64 would fuse m1 into the subtraction below.
			d1, m1 := d*float32(sc), float32(min*float32(m))
			sc, m = scaleMinK4(2*c+1, b[4:16])
			d2, m2 := d*float32(sc), float32(min*float32(m))
			u1, u2 := uint8(1)<<(2*c), uint8(2)<<(2*c)
			for l := 0; l < 32; l++ {
				lo, hi := int32(ql[32*c+l]&0xF), int32(ql[32*c+l]>>4)
				if qh[l]&u1 != 0 {
					lo += 16
				}
				if qh[l]&u2 != 0 {
					hi += 16
				}
				y[64*c+l] = float32(d1*float32(lo)) - m1
				y[64*c+32+l] = float32(d2*float32(hi)) - m2
			}
		}
	}
}

// quantizeQ5_K is what llama-quantize writes for Q5_K without an importance
// matrix (quantize_row_q5_K_ref): as Q4_K with levels 0..31 and a 16-step
// search from -0.5 by 0.1.
func quantizeQ5_K(dst []byte, x []float32) {
	quantizeQKX2(dst, x, q5KBlockSize, 31, -0.5, 0.1, 15)
}

// packQ5K stores the 5-bit levels L of one superblock into qh and qs.
func packQ5K(b []byte, L *[qkK]uint8) {
	qh, ql := b[16:48], b[48:176]
	clear(qh)
	m1, m2 := uint8(1), uint8(2)
	for c := 0; c < 4; c++ {
		for j := 0; j < 32; j++ {
			l1, l2 := L[64*c+j], L[64*c+32+j]
			if l1 > 15 {
				l1 -= 16
				qh[j] |= m1
			}
			if l2 > 15 {
				l2 -= 16
				qh[j] |= m2
			}
			ql[32*c+j] = l1 | l2<<4
		}
		m1 <<= 2
		m2 <<= 2
	}
}

// dotQ5_KPlain dots nb Q5_K superblocks with a Q8_K row in the order of
// llama.cpp's AVX2 ggml_vec_dot_q5_K_q8_K and dotQ5_KAVX2: integer lanes
// as in Q4_K, one FMA per lane per superblock; the mins term is reduced to
// one integer per superblock and fused into a scalar sum with dmin (GCC
// contracts llama.cpp's `summs += dmin * sum`).
func dotQ5_KPlain(w, x []byte, nb int) float32 {
	var acc [8]float32
	var summs float32
	for i := 0; i < nb; i++ {
		b := (*[q5KBlockSize]byte)(w[i*q5KBlockSize:])
		y := (*[q8KBlockSize]byte)(x[i*q8KBlockSize:])
		yd := f32At(y[0:])
		d := yd * f16At(b[0:])
		dmin := -yd * f16At(b[2:])
		sm := unpackScalesK4(b[4:16])
		var p [4]int32
		for k := 0; k < 4; k++ {
			for h := 0; h < 2; h++ {
				g := 2*k + h
				s := bsumAt(y, 2*g) + bsumAt(y, 2*g+1)
				p[k] += int32(sm[8+g]) * int32(s)
			}
		}
		summs = fmaExact32(dmin, float32((p[0]+p[1])+(p[2]+p[3])), summs)
		var sumi [8]int32
		qh, ql := (*[32]byte)(b[16:]), (*[128]byte)(b[48:])
		q8 := (*[qkK]byte)(y[4:])
		for c := 0; c < 4; c++ {
			sc0, sc1 := int32(sm[2*c]), int32(sm[2*c+1])
			qc := (*[32]byte)(ql[32*c:])
			yl, yh := (*[32]byte)(q8[64*c:]), (*[32]byte)(q8[64*c+32:])
			s0, s1 := uint(2*c), uint(2*c+1)
			for k := 0; k < 8; k++ {
				var p0, p1 int32
				for t := 4 * k; t < 4*k+4; t++ {
					lo := int32(qc[t]&0xF) | int32(qh[t]>>s0&1)<<4
					hi := int32(qc[t]>>4) | int32(qh[t]>>s1&1)<<4
					p0 += lo * int32(int8(yl[t]))
					p1 += hi * int32(int8(yh[t]))
				}
				sumi[k] += sc0*p0 + sc1*p1
			}
		}
		for k := range acc {
			acc[k] = fmaExact32(d, float32(sumi[k]), acc[k])
		}
	}
	return hsumFloat8(&acc) + summs
}
