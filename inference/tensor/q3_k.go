package tensor

import (
	"encoding/binary"

	"burrow/inference/gguf"
)

func init() {
	register(weightType{typ: gguf.TypeQ3_K, dequantize: dequantizeQ3_K, quantize: quantizeQ3_K,
		form: formQ8_K, plain: rowKernels{dot: dotQ3_KPlain}})
}

// Q3_K layout (ggml block_q3_K), 110 bytes per 256 values: 32 bytes hmask
// (bit b of byte l is the high bit of value 32*b+l), 64 bytes of low 2-bit
// quants packed as in Q2_K, 12 bytes of 16 6-bit scales (low nibbles in
// bytes 0-7, high 2-bit pairs in bytes 8-11), F16 d.
// value = d*(sc-32)*(q - (high bit clear ? 4 : 0)).
const q3KBlockSize = 110

// q3KScales unpacks the 16 6-bit scales, minus 32, as ggml's kmask dance.
func q3KScales(s []byte) (sc [16]int8) {
	for j := 0; j < 16; j++ {
		var lo byte
		if j < 8 {
			lo = s[j] & 0xF
		} else {
			lo = s[j-8] >> 4
		}
		hi := (s[8+j%4] >> (2 * (j / 4))) & 3
		sc[j] = int8(lo|hi<<4) - 32
	}
	return sc
}

// dequantizeQ3_K is ggml's dequantize_row_q3_K.
func dequantizeQ3_K(dst []float32, src []byte) {
	nb := len(dst) / qkK
	for i := 0; i < nb; i++ {
		blk := (*[q3KBlockSize]byte)(src[i*q3KBlockSize:])
		dAll := f16At(blk[108:])
		sc := q3KScales(blk[96:108])
		hm := blk[0:32]
		y := dst[i*qkK : (i+1)*qkK]
		is := 0
		m := byte(1)
		for n := 0; n < 2; n++ {
			q := blk[32+32*n : 32+32*n+32]
			for shift := uint(0); shift < 8; shift += 2 {
				for h := 0; h < 2; h++ {
					dl := dAll * float32(sc[is])
					is++
					for l := 0; l < 16; l++ {
						v := int8((q[16*h+l] >> shift) & 3)
						if hm[16*h+l]&m == 0 {
							v -= 4
						}
						y[l] = dl * float32(v)
					}
					y = y[16:]
				}
				m <<= 1
			}
		}
	}
}

// quantizeQ3_K is ggml's quantize_row_q3_K_ref (llama-quantize without an
// importance matrix): per 16-value group a signed scale from
// make_q3_quants, the scales quantized to 6 bits against the largest.
func quantizeQ3_K(dst []byte, x []float32) {
	nb := len(x) / qkK
	var L [qkK]int8
	var scales [16]float32
	for i := 0; i < nb; i++ {
		xb := x[i*qkK : (i+1)*qkK]
		blk := (*[q3KBlockSize]byte)(dst[i*q3KBlockSize:])
		var maxScale, amax float32
		for j := 0; j < 16; j++ {
			scales[j] = makeQ3Quants(16, 4, xb[16*j:16*j+16], L[16*j:16*j+16], true)
			if s := abs32(scales[j]); s > amax {
				amax, maxScale = s, scales[j]
			}
		}
		sb := blk[96:108]
		clear(sb)
		if maxScale != 0 {
			iscale := -32 / maxScale
			for j := 0; j < 16; j++ {
				l := int8(nearestInt(iscale * scales[j]))
				l = max(-32, min(31, l)) + 32
				if j < 8 {
					sb[j] = byte(l) & 0xF
				} else {
					sb[j-8] |= (byte(l) & 0xF) << 4
				}
				l >>= 4
				sb[j%4+8] |= byte(l) << (2 * (j / 4))
			}
			binary.LittleEndian.PutUint16(blk[108:], F32ToF16(1/iscale))
		} else {
			binary.LittleEndian.PutUint16(blk[108:], 0)
		}
		dd := f16At(blk[108:])
		sc := q3KScales(sb)
		for j := 0; j < 16; j++ {
			d := dd * float32(sc[j])
			if d == 0 {
				continue
			}
			for ii := 0; ii < 16; ii++ {
				l := nearestInt(xb[16*j+ii] / d)
				L[16*j+ii] = int8(max(-4, min(3, l)) + 4)
			}
		}
		hmask := blk[0:32]
		clear(hmask)
		var U [qkK]uint8
		m, hm := 0, byte(1)
		for j := 0; j < qkK; j++ {
			v := L[j]
			if v > 3 {
				hmask[m] |= hm
				v -= 4
			}
			U[j] = uint8(v)
			if m++; m == qkK/8 {
				m, hm = 0, hm<<1
			}
		}
		packQ2Bits(blk[32:96], &U)
	}
}

// makeQ3Quants is ggml's make_q3_quants with do_rmse: levels -nmax..nmax-1
// from the largest magnitude, then up to five passes that move single
// levels when that raises the x^2-weighted fit; L gets level+nmax.
func makeQ3Quants(n, nmax int, x []float32, L []int8, doRMSE bool) float32 {
	amax, maxv := absMax(x[:n])
	if amax < groupMaxEps {
		clear(L[:n])
		return 0
	}
	nm := int32(nmax)
	iscale := -float32(nmax) / maxv
	if doRMSE {
		var sumlx, suml2 float32
		for i := 0; i < n; i++ {
			l := nearestInt(float32(iscale * x[i]))
			l = max(-nm, min(nm-1, l))
			L[i] = int8(l)
			w := float32(x[i] * x[i])
			fl := float32(l)
			sumlx += float32(float32(w*x[i]) * fl)
			suml2 += float32(float32(w*fl) * fl)
		}
		for itry := 0; itry < 5; itry++ {
			changed := 0
			for i := 0; i < n; i++ {
				w := float32(x[i] * x[i])
				li := float32(L[i])
				slx := sumlx - float32(float32(w*x[i])*li)
				if slx > 0 {
					sl2 := suml2 - float32(float32(w*li)*li)
					newL := nearestInt(float32(x[i]*sl2) / slx)
					newL = max(-nm, min(nm-1, newL))
					if newL != int32(L[i]) {
						fn := float32(newL)
						slx += float32(float32(w*x[i]) * fn)
						sl2 += float32(float32(w*fn) * fn)
						if sl2 > 0 && float32(float32(slx*slx)*suml2) > float32(float32(sumlx*sumlx)*sl2) {
							L[i] = int8(newL)
							sumlx, suml2 = slx, sl2
							changed++
						}
					}
				}
			}
			if changed == 0 {
				break
			}
		}
		for i := 0; i < n; i++ {
			L[i] += int8(nmax)
		}
		if suml2 > 0 {
			return sumlx / suml2
		}
		return 0
	}
	for i := 0; i < n; i++ {
		l := nearestInt(float32(iscale * x[i]))
		L[i] = int8(max(-nm, min(nm-1, l)) + nm)
	}
	return 1 / iscale
}

// dotQ3_KPlain is llama.cpp's AVX2 ggml_vec_dot_q3_K_q8_K in Go: the
// 3-bit value as (low bits) - 4*(high bit clear) multiplied in two
// maddubs, scaled per 16-group, eight int32 lanes per superblock added
// into float lanes by FMA, then hsum_float_8.
func dotQ3_KPlain(w, x []byte, nb int) float32 {
	var acc [8]float32
	for i := 0; i < nb; i++ {
		blk := (*[q3KBlockSize]byte)(w[i*q3KBlockSize:])
		yd, q8, _ := q8KParts(x, i)
		d := yd * f16At(blk[108:])
		sc := q3KScales(blk[96:108])
		var sumi [8]int32
		hm := (*[32]byte)(blk[0:])
		for j := 0; j < 2; j++ {
			q3 := (*[32]byte)(blk[32+32*j:])
			for p := 0; p < 4; p++ {
				bit := uint(4*j + p)
				q8c := (*[32]byte)(q8[128*j+32*p:])
				sh := uint(2 * p)
				s0, s1 := int32(sc[8*j+2*p]), int32(sc[8*j+2*p+1])
				for k := 0; k < 8; k++ {
					q, h, a := (*[4]byte)(q3[4*k:]), (*[4]byte)(hm[4*k:]), (*[4]byte)(q8c[4*k:])
					// low bits, minus 4 where the high bit is clear
					t := (int32((q[0]>>sh)&3)-4+4*int32((h[0]>>bit)&1))*int32(int8(a[0])) +
						(int32((q[1]>>sh)&3)-4+4*int32((h[1]>>bit)&1))*int32(int8(a[1])) +
						(int32((q[2]>>sh)&3)-4+4*int32((h[2]>>bit)&1))*int32(int8(a[2])) +
						(int32((q[3]>>sh)&3)-4+4*int32((h[3]>>bit)&1))*int32(int8(a[3]))
					if k < 4 {
						sumi[k] += s0 * t
					} else {
						sumi[k] += s1 * t
					}
				}
			}
		}
		for k := 0; k < 8; k++ {
			acc[k] = fmaExact32(d, float32(sumi[k]), acc[k])
		}
	}
	return hsumFloat8(&acc)
}
