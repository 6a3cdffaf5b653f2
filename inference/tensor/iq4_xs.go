package tensor

import (
	"encoding/binary"

	"burrow/inference/gguf"
)

func init() {
	register(weightType{typ: gguf.TypeIQ4_XS, dequantize: dequantizeIQ4_XS, quantize: quantizeIQ4_XS,
		form: formQ8_K, plain: rowKernels{dot: dotIQ4_XSPlain}})
}

// IQ4_XS layout (ggml block_iq4_xs), 136 bytes per 256 values: F16 d,
// uint16 scales_h (2 high bits of each of the 8 block scales), 4 bytes
// scales_l (low nibbles, two blocks per byte), 128 bytes of 4-bit indices
// into IQ4_NL's levels kvaluesIQ4NL (per 32-value block, byte j holds
// values j and j+16). value = d*(ls-32)*level[idx].
const iq4XSBlockSize = 136

func iq4XSScale(blk *[iq4XSBlockSize]byte, ib int) int32 {
	sh := le16(blk[2:])
	return int32((blk[4+ib/2]>>(4*(ib%2)))&0xF|byte((sh>>(2*ib))&3)<<4) - 32
}

// dequantizeIQ4_XS is ggml's dequantize_row_iq4_xs.
func dequantizeIQ4_XS(dst []float32, src []byte) {
	nb := len(dst) / qkK
	for i := 0; i < nb; i++ {
		blk := (*[iq4XSBlockSize]byte)(src[i*iq4XSBlockSize:])
		d := f16At(blk[0:])
		for ib := 0; ib < 8; ib++ {
			dl := d * float32(iq4XSScale(blk, ib))
			qs := blk[8+16*ib : 8+16*ib+16]
			y := dst[i*qkK+32*ib : i*qkK+32*ib+32]
			for j := 0; j < 16; j++ {
				y[j] = dl * float32(kvaluesIQ4NL[qs[j]&0xF])
				y[j+16] = dl * float32(kvaluesIQ4NL[qs[j]>>4])
			}
		}
	}
}

// bestIndexIQ4 is ggml's best_index_int8 over the 16 sorted levels: the
// level whose midpoint with its lower neighbour x reaches (ties go up),
// compared as 2x against the exact integer sum of neighbours.
func bestIndexIQ4(x float32) int {
	x2 := x + x
	idx := 0
	for step := 8; step > 0; step >>= 1 {
		j := idx + step
		if x2 >= float32(int32(kvaluesIQ4NL[j-1])+int32(kvaluesIQ4NL[j])) {
			idx = j
		}
	}
	return idx
}

// quantizeIQ4_XS is ggml's quantize_iq4_xs without an importance matrix
// (quantize_row_iq4_nl_impl with super block 256, block 32, ntry 7,
// weights x^2): per block the best of 15 trial scales, then the block
// scales quantized to 6 bits against the largest and the indices redone.
func quantizeIQ4_XS(dst []byte, x []float32) {
	nb := len(x) / qkK
	var L [qkK]uint8
	var weight [32]float32
	var scales [8]float32
	const ntry = 7
	v0 := float32(kvaluesIQ4NL[0])
	for i := 0; i < nb; i++ {
		xs := x[i*qkK : (i+1)*qkK]
		blk := (*[iq4XSBlockSize]byte)(dst[i*iq4XSBlockSize:])
		clear(blk[:])
		var maxScale, amaxScale float32
		for ib := 0; ib < 8; ib++ {
			xb := xs[32*ib : 32*ib+32]
			for j := range weight {
				weight[j] = float32(xb[j] * xb[j])
			}
			amax, maxv := absMax(xb)
			if amax < groupMaxEps {
				scales[ib] = 0
				continue
			}
			d := -maxv / v0
			sumqx, sumq2 := iq4Sums(xb, weight[:], 1/d, bestIndexIQ4)
			d = 0
			if sumq2 > 0 {
				d = sumqx / sumq2
			}
			best := float32(d * sumqx)
			for itry := -ntry; itry <= ntry; itry++ {
				sumqx, sumq2 = iq4Sums(xb, weight[:], (float32(itry)+v0)/maxv, bestIndexIQ4)
				if sumq2 > 0 && float32(sumqx*sumqx) > float32(best*sumq2) {
					d = sumqx / sumq2
					best = float32(d * sumqx)
				}
			}
			scales[ib] = d
			if ad := abs32(d); ad > amaxScale {
				amaxScale, maxScale = ad, d
			}
		}
		d := -maxScale / 32
		binary.LittleEndian.PutUint16(blk[0:], F32ToF16(d))
		id := invScale(d)
		var sh uint16
		for ib := 0; ib < 8; ib++ {
			l := nearestInt(id * scales[ib])
			l = max(-32, min(31, l))
			dl := d * float32(l)
			idl := invScale(dl)
			xb := xs[32*ib : 32*ib+32]
			for j, v := range xb {
				L[32*ib+j] = uint8(bestIndexIQ4(float32(idl * v)))
			}
			l += 32
			if ib%2 == 0 {
				blk[4+ib/2] = byte(l & 0xF)
			} else {
				blk[4+ib/2] |= byte(l&0xF) << 4
			}
			sh |= uint16(l>>4) << (2 * ib)
		}
		binary.LittleEndian.PutUint16(blk[2:], sh)
		for ib := 0; ib < 8; ib++ {
			for j := 0; j < 16; j++ {
				blk[8+16*ib+j] = L[32*ib+j] | L[32*ib+16+j]<<4
			}
		}
	}
}

// dotIQ4_XSPlain is llama.cpp's AVX2 ggml_vec_dot_iq4_xs_q8_K in Go. The
// level times the activation goes through _mm256_sign_epi8, so an
// activation of -128 against a negative level stays -128 (the negation
// wraps); the products are scaled per block, eight int32 lanes per
// superblock added into float lanes by FMA, then hsum_float_8.
func dotIQ4_XSPlain(w, x []byte, nb int) float32 {
	var acc [8]float32
	for i := 0; i < nb; i++ {
		blk := (*[iq4XSBlockSize]byte)(w[i*iq4XSBlockSize:])
		yd, q8, _ := q8KParts(x, i)
		d := f16At(blk[0:]) * yd
		var sumi [8]int32
		for ib := 0; ib < 8; ib++ {
			ls := iq4XSScale(blk, ib)
			qs := (*[16]byte)(blk[8+16*ib:])
			q8b := (*[32]byte)(q8[32*ib:])
			var t [8]int32
			for b := 0; b < 16; b++ {
				t[b>>2] += iq4SignedProduct(kvaluesIQ4NL[qs[b]&0xF], int8(q8b[b]))
				t[4+b>>2] += iq4SignedProduct(kvaluesIQ4NL[qs[b]>>4], int8(q8b[16+b]))
			}
			for k := 0; k < 8; k++ {
				sumi[k] += ls * t[k]
			}
		}
		for k := 0; k < 8; k++ {
			acc[k] = fmaExact32(d, float32(sumi[k]), acc[k])
		}
	}
	return hsumFloat8(&acc)
}

// iq4SignedProduct is level*a as VPSIGNB then VPMADDUBSW form it: |level|
// times a with level's sign applied in int8, where -(-128) wraps to -128.
func iq4SignedProduct(lv, a int8) int32 {
	switch {
	case lv < 0:
		return int32(-lv) * int32(-a)
	case lv > 0:
		return int32(lv) * int32(a)
	}
	return 0
}
