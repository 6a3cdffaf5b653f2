package tensor

import (
	"encoding/binary"

	"burrow/inference/gguf"
)

func init() {
	register(weightType{
		typ:        gguf.TypeQ6_K,
		dequantize: dequantizeQ6_K,
		quantize:   quantizeQ6_K,
		form:       formQ8_K,
		plain:      rowKernels{dot: dotQ6_KPlain},
	})
}

// Q6_K layout (ggml block_q6_K), 210 bytes per 256 values: 128 bytes of low
// nibbles ql, 64 bytes of high 2-bit pairs qh, 16 int8 scales (one per 16
// values), then the F16 d. In each 128-value half h, value 32t+l (t 0..3,
// l < 32) has its low nibble in ql[64h + l + 32(t&1)] (low nibble for t < 2,
// high for t >= 2) and its high bits at bit 2t of qh[32h+l];
// value = d*scale*(q-32).
const q6KBlockSize = 210

// dequantizeQ6_K is ggml's dequantize_row_q6_K.
func dequantizeQ6_K(dst []float32, src []byte) {
	nb := len(dst) / qkK
	for i := 0; i < nb; i++ {
		b := (*[q6KBlockSize]byte)(src[i*q6KBlockSize:])
		y := (*[qkK]float32)(dst[i*qkK:])
		d := f16At(b[208:])
		for h := 0; h < 2; h++ {
			ql, qh := b[64*h:], b[128+32*h:]
			sc := b[192+8*h:]
			yy := y[128*h:]
			for l := 0; l < 32; l++ {
				is := l / 16
				q1 := int32(ql[l]&0xF|(qh[l]>>0&3)<<4) - 32
				q2 := int32(ql[l+32]&0xF|(qh[l]>>2&3)<<4) - 32
				q3 := int32(ql[l]>>4|(qh[l]>>4&3)<<4) - 32
				q4 := int32(ql[l+32]>>4|(qh[l]>>6&3)<<4) - 32
				yy[l] = float32(d*float32(int8(sc[is]))) * float32(q1)
				yy[l+32] = float32(d*float32(int8(sc[is+2]))) * float32(q2)
				yy[l+64] = float32(d*float32(int8(sc[is+4]))) * float32(q3)
				yy[l+96] = float32(d*float32(int8(sc[is+6]))) * float32(q4)
			}
		}
	}
}

// quantizeQ6_K is what llama-quantize writes for Q6_K without an importance
// matrix (quantize_row_q6_K_ref): a symmetric 6-bit fit per 16 values
// (makeQXQuantsRMSE1), the 16 scales quantized to int8 against the
// largest (-128/max), then every value re-quantized with the stored scales.
func quantizeQ6_K(dst []byte, x []float32) {
	nb := len(x) / qkK
	var (
		L      [qkK]int8
		scales [16]float32
	)
	for i := 0; i < nb; i++ {
		xb := x[i*qkK : (i+1)*qkK]
		b := (*[q6KBlockSize]byte)(dst[i*q6KBlockSize:])
		var maxScale, maxAbsScale float32
		for ib := 0; ib < 16; ib++ {
			s := makeQXQuantsRMSE1(16, 32, xb[16*ib:16*ib+16], L[16*ib:])
			scales[ib] = s
			if a := abs32(s); a > maxAbsScale {
				maxAbsScale, maxScale = a, s
			}
		}
		if maxAbsScale < groupMaxEps {
			clear(b[:])
			continue
		}
		iscale := -128 / maxScale
		putF16(b[208:], 1/iscale)
		for ib := 0; ib < 16; ib++ {
			b[192+ib] = byte(int8(min(127, nearestInt(float32(iscale*scales[ib])))))
		}
		dAll := f16At(b[208:])
		for j := 0; j < 16; j++ {
			d := dAll * float32(int8(b[192+j]))
			if d == 0 {
				continue
			}
			for ii := 0; ii < 16; ii++ {
				l := clampInt32(nearestInt(xb[16*j+ii]/d), -32, 31)
				L[16*j+ii] = int8(l + 32)
			}
		}
		for h := 0; h < 2; h++ {
			ql, qh := b[64*h:], b[128+32*h:]
			Lh := L[128*h:]
			for l := 0; l < 32; l++ {
				q1, q2 := uint8(Lh[l])&0xF, uint8(Lh[l+32])&0xF
				q3, q4 := uint8(Lh[l+64])&0xF, uint8(Lh[l+96])&0xF
				ql[l] = q1 | q3<<4
				ql[l+32] = q2 | q4<<4
				qh[l] = uint8(Lh[l])>>4 | (uint8(Lh[l+32])>>4)<<2 | (uint8(Lh[l+64])>>4)<<4 | (uint8(Lh[l+96])>>4)<<6
			}
		}
	}
}

// dotQ6_KPlain dots nb Q6_K superblocks with a Q8_K row in the order of
// llama.cpp's AVX2 ggml_vec_dot_q6_K_q8_K (and dotQ6_KAVX2): the unsigned
// 6-bit quants times the activations in 16-bit pairs (maddubs), scaled per
// 16 values into eight exact 32-bit lanes, then the -32 offset taken off
// once per superblock from the Q8_K group sums: lane k loses
// 32*(bsums[2k]*sc[2k] + bsums[2k+1]*sc[2k+1]). The total is the same as
// subtracting 32*y per value, but the lanes differ, and with them the
// float32 roundings of the one FMA per lane: taking the offset off per
// value moved a llamakq-q6_k logit by 0.3 through a flipped activation
// rounding.
func dotQ6_KPlain(w, x []byte, nb int) float32 {
	var acc [8]float32
	for i := 0; i < nb; i++ {
		b := (*[q6KBlockSize]byte)(w[i*q6KBlockSize:])
		y := (*[q8KBlockSize]byte)(x[i*q8KBlockSize:])
		d := f32At(y[0:]) * f16At(b[208:])
		var sumi [8]int32
		for h := 0; h < 2; h++ {
			ql, qh := (*[64]byte)(b[64*h:]), (*[32]byte)(b[128+32*h:])
			q8 := (*[128]byte)(y[4+128*h:])
			for t := 0; t < 4; t++ {
				src := (*[32]byte)(ql[32*(t&1):])
				yt := (*[32]byte)(q8[32*t:])
				shift, hs := uint(4*(t>>1)), uint(2*t)
				for k := 0; k < 8; k++ {
					// Lane k: values 4k..4k+3 of this 32-run; the scale
					// changes at value 16 (lane 4).
					sc := int32(int8(b[192+8*h+2*t+k/4]))
					var p int32
					for e := 4 * k; e < 4*k+4; e += 2 {
						q0 := int32(src[e]>>shift&0xF | (qh[e]>>hs&3)<<4)
						q1 := int32(src[e+1]>>shift&0xF | (qh[e+1]>>hs&3)<<4)
						y0, y1 := int32(int8(yt[e])), int32(int8(yt[e+1]))
						p += sc * (q0*y0 + q1*y1) // |q0*y0+q1*y1| < 2^15: maddubs never saturates
					}
					sumi[k] += p
				}
			}
		}
		bs := y[4+qkK:]
		for k := range sumi {
			s0 := int32(int16(binary.LittleEndian.Uint16(bs[4*k:]))) * int32(int8(b[192+2*k]))
			s1 := int32(int16(binary.LittleEndian.Uint16(bs[4*k+2:]))) * int32(int8(b[192+2*k+1]))
			sumi[k] -= (s0 + s1) << 5
		}
		for k := range acc {
			acc[k] = fmaExact32(d, float32(sumi[k]), acc[k])
		}
	}
	return hsumFloat8(&acc)
}
