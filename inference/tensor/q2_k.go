package tensor

import (
	"encoding/binary"

	"burrow/inference/gguf"
)

func init() {
	register(weightType{typ: gguf.TypeQ2_K, dequantize: dequantizeQ2_K, quantize: quantizeQ2_K,
		form: formQ8_K, plain: rowKernels{dot: dotQ2_KPlain}})
}

// Q2_K layout (ggml block_q2_K), 84 bytes per 256 values: 16 bytes of
// scales (low nibble the scale, high nibble the min of each 16-value
// group), 64 bytes of 2-bit quants (byte l of each 32-byte half holds
// values l, l+32, l+64, l+96 of that 128-value half, two bits each), then
// F16 d and F16 dmin. value = d*sc*q - dmin*m.
const q2KBlockSize = 84

// dequantizeQ2_K is ggml's dequantize_row_q2_K.
func dequantizeQ2_K(dst []float32, src []byte) {
	nb := len(dst) / qkK
	for i := 0; i < nb; i++ {
		blk := (*[q2KBlockSize]byte)(src[i*q2KBlockSize:])
		d := f16At(blk[80:])
		dmin := f16At(blk[82:])
		y := dst[i*qkK : (i+1)*qkK]
		is := 0
		for n := 0; n < 2; n++ {
			q := blk[16+32*n : 16+32*n+32]
			for shift := uint(0); shift < 8; shift += 2 {
				for h := 0; h < 2; h++ {
					sc := blk[is]
					is++
					dl, ml := d*float32(sc&0xF), float32(dmin*float32(sc>>4)) // conversions: no FMA fusion
					for l := 0; l < 16; l++ {
						y[l] = float32(dl*float32((q[16*h+l]>>shift)&3)) - ml
					}
					y = y[16:]
				}
			}
		}
	}
}

// quantizeQ2_K is ggml's quantize_row_q2_K_ref, what llama-quantize writes
// for Q2_K without an importance matrix: per 16-value group a scale and min
// fitted by make_qkx2_quants, both quantized to 4 bits against the largest.
func quantizeQ2_K(dst []byte, x []float32) {
	nb := len(x) / qkK
	var L [qkK]uint8
	var laux [16]uint8
	var weights [16]float32
	var mins, scales [16]float32
	const q4scale = 15
	for i := 0; i < nb; i++ {
		xb := x[i*qkK : (i+1)*qkK]
		blk := (*[q2KBlockSize]byte)(dst[i*q2KBlockSize:])
		var maxScale, maxMin float32
		for j := 0; j < 16; j++ {
			for l := 0; l < 16; l++ {
				weights[l] = abs32(xb[16*j+l])
			}
			scales[j], mins[j] = makeQKX2Quants(16, 3, xb[16*j:16*j+16], weights[:], L[16*j:16*j+16], laux[:], -0.5, 0.1, 15, true)
			if scales[j] > maxScale {
				maxScale = scales[j]
			}
			if mins[j] > maxMin {
				maxMin = mins[j]
			}
		}
		if maxScale > 0 {
			iscale := q4scale / maxScale
			for j := 0; j < 16; j++ {
				blk[j] = uint8(nearestInt(iscale * scales[j]))
			}
			binary.LittleEndian.PutUint16(blk[80:], F32ToF16(maxScale/q4scale))
		} else {
			clear(blk[:16])
			binary.LittleEndian.PutUint16(blk[80:], 0)
		}
		if maxMin > 0 {
			iscale := q4scale / maxMin
			for j := 0; j < 16; j++ {
				blk[j] |= uint8(nearestInt(iscale*mins[j]) << 4)
			}
			binary.LittleEndian.PutUint16(blk[82:], F32ToF16(maxMin/q4scale))
		} else {
			binary.LittleEndian.PutUint16(blk[82:], 0)
		}
		dd, dm := f16At(blk[80:]), f16At(blk[82:])
		for j := 0; j < 16; j++ {
			d := dd * float32(blk[j]&0xF)
			if d == 0 {
				continue
			}
			m := float32(dm * float32(blk[j]>>4)) // conversion: no FMA fusion
			for ii := 0; ii < 16; ii++ {
				l := nearestInt((xb[16*j+ii] + m) / d)
				L[16*j+ii] = uint8(max(0, min(3, l)))
			}
		}
		packQ2Bits(blk[16:80], &L)
	}
}

// packQ2Bits stores 256 2-bit levels as ggml's Q2_K and Q3_K do.
func packQ2Bits(q []byte, L *[qkK]uint8) {
	for j := 0; j < qkK; j += 128 {
		for l := 0; l < 32; l++ {
			q[j/4+l] = L[j+l] | L[j+l+32]<<2 | L[j+l+64]<<4 | L[j+l+96]<<6
		}
	}
}

// dotQ2_KPlain is llama.cpp's AVX2 ggml_vec_dot_q2_K_q8_K in Go: per
// superblock, eight int32 lanes of min products (bsums) and of scaled quant
// products, each added into its float lane by FMA (mins first), then
// hsum_float_8. Lane k holds bytes 4k..4k+3 of every 32-byte chunk.
func dotQ2_KPlain(w, x []byte, nb int) float32 {
	var acc [8]float32
	for i := 0; i < nb; i++ {
		blk := (*[q2KBlockSize]byte)(w[i*q2KBlockSize:])
		yd, q8, bs := q8KParts(x, i)
		d := yd * f16At(blk[80:])
		dmin := -yd * f16At(blk[82:])
		var sumi [8]int32
		for j := 0; j < 2; j++ {
			q2 := (*[32]byte)(blk[16+32*j:])
			for p := 0; p < 4; p++ {
				q8c := (*[32]byte)(q8[128*j+32*p:])
				sh := uint(2 * p)
				s0, s1 := int32(blk[8*j+2*p]&0xF), int32(blk[8*j+2*p+1]&0xF)
				for k := 0; k < 8; k++ {
					q, a := (*[4]byte)(q2[4*k:]), (*[4]byte)(q8c[4*k:])
					t := int32((q[0]>>sh)&3)*int32(int8(a[0])) + int32((q[1]>>sh)&3)*int32(int8(a[1])) +
						int32((q[2]>>sh)&3)*int32(int8(a[2])) + int32((q[3]>>sh)&3)*int32(int8(a[3]))
					if k < 4 {
						sumi[k] += s0 * t
					} else {
						sumi[k] += s1 * t
					}
				}
			}
		}
		for k := 0; k < 8; k++ {
			m0, m1 := int32(blk[2*k]>>4), int32(blk[2*k+1]>>4)
			b0, b1 := int32(int16(le16(bs[4*k:]))), int32(int16(le16(bs[4*k+2:])))
			acc[k] = fmaExact32(dmin, float32(m0*b0+m1*b1), acc[k])
			acc[k] = fmaExact32(d, float32(sumi[k]), acc[k])
		}
	}
	return hsumFloat8(&acc)
}
