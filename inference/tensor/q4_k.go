package tensor

import (
	"encoding/binary"

	"burrow/inference/gguf"
)

func init() {
	register(weightType{
		typ:        gguf.TypeQ4_K,
		dequantize: dequantizeQ4_K,
		quantize:   quantizeQ4_K,
		form:       formQ8_K,
		plain:      rowKernels{dot: dotQ4_KPlain, rows: q4KRows(q4Kx8Plain, nil, dotQ4_KPlain), ext: q4Kx8Plain},
		repack:     &repacker{pack: repackedQ4_K, row: rowQ4_Kx8, rowF32: rowF32Q4_Kx8, group: 8},
	})
}

// Q4_K layout (ggml block_q4_K), 144 bytes per 256 values: F16 d and dmin,
// 12 bytes packing eight 6-bit scales and eight 6-bit mins (one pair per
// 32-value sub-block), then 128 bytes of 4-bit quants. Each 64-value chunk
// c uses 32 bytes: low nibbles are values 64c..64c+31, high nibbles the next
// 32. value = d*scale*q - dmin*min.
const q4KBlockSize = 144

// dequantizeQ4_K is ggml's dequantize_row_q4_K; len(dst) is a multiple of
// 256 and src holds len(dst)/256 blocks.
func dequantizeQ4_K(dst []float32, src []byte) {
	nb := len(dst) / qkK
	for i := 0; i < nb; i++ {
		b := (*[q4KBlockSize]byte)(src[i*q4KBlockSize:])
		y := (*[qkK]float32)(dst[i*qkK:])
		d, min := f16At(b[0:]), f16At(b[2:])
		q := b[16:]
		for c := 0; c < 4; c++ {
			sc, m := scaleMinK4(2*c, b[4:16])
			// Conversions: arm64 would fuse m1 into the subtraction below.
			d1, m1 := d*float32(sc), float32(min*float32(m))
			sc, m = scaleMinK4(2*c+1, b[4:16])
			d2, m2 := d*float32(sc), float32(min*float32(m))
			for l := 0; l < 32; l++ {
				y[64*c+l] = float32(d1*float32(q[32*c+l]&0xF)) - m1
				y[64*c+32+l] = float32(d2*float32(q[32*c+l]>>4)) - m2
			}
		}
	}
}

// quantizeQ4_K is what llama-quantize writes for Q4_K without an importance
// matrix (quantize_q4_K with no weights → quantize_row_q4_K_ref): per
// sub-block a min/scale fit by makeQKX2Quants (weights av|x| + |x|, 20
// steps from -1 by 0.1), the scales and mins quantized to 6 bits against
// the largest, then every value re-quantized with the stored F16 scales.
// len(x) is a multiple of 256; dst holds len(x)/256*144 bytes.
func quantizeQ4_K(dst []byte, x []float32) {
	quantizeQKX2(dst, x, q4KBlockSize, 15, -1, 0.1, 20)
}

// quantizeQKX2 is the shared body of quantize_row_q4_K_ref and
// quantize_row_q5_K_ref; they differ in levels (15 or 31), search range and
// how the quants are stored.
func quantizeQKX2(dst []byte, x []float32, bs, nmax int, rmin, rdelta float32, nstep int) {
	nb := len(x) / qkK
	var (
		L       [qkK]uint8
		Laux    [32]uint8
		weights [32]float32
		mins    [8]float32
		scales  [8]float32
	)
	for i := 0; i < nb; i++ {
		xb := x[i*qkK : (i+1)*qkK]
		b := dst[i*bs : (i+1)*bs]
		var maxScale, maxMin float32
		for j := 0; j < 8; j++ {
			xs := xb[32*j : 32*j+32]
			var sumX2 float32
			for _, v := range xs {
				sumX2 += float32(v * v)
			}
			avX := float32(math32Sqrt(sumX2 / 32))
			for l, v := range xs {
				weights[l] = avX + abs32(v)
			}
			scales[j], mins[j] = makeQKX2Quants(32, nmax, xs, weights[:], L[32*j:], Laux[:], rmin, rdelta, nstep, false)
			if scales[j] > maxScale {
				maxScale = scales[j]
			}
			if mins[j] > maxMin {
				maxMin = mins[j]
			}
		}
		var invScale, invMin float32
		if maxScale > 0 {
			invScale = 63 / maxScale
		}
		if maxMin > 0 {
			invMin = 63 / maxMin
		}
		var ls, lm [8]uint8
		for j := 0; j < 8; j++ {
			// C stores nearest_int's int in a uint8 before MIN(63, ·).
			ls[j] = min(63, uint8(nearestInt(float32(invScale*scales[j]))))
			lm[j] = min(63, uint8(nearestInt(float32(invMin*mins[j]))))
		}
		sb := b[4:16]
		clear(sb)
		packScalesK4(sb, &ls, &lm)
		putF16(b[0:], maxScale/63)
		putF16(b[2:], maxMin/63)
		dAll, mAll := f16At(b[0:]), f16At(b[2:])
		for j := 0; j < 8; j++ {
			sc, m := scaleMinK4(j, sb)
			d := dAll * float32(sc)
			if d == 0 {
				continue
			}
			dm := float32(mAll * float32(m)) // conversion: no FMA fusion
			for ii := 0; ii < 32; ii++ {
				l := nearestInt((xb[32*j+ii] + dm) / d)
				L[32*j+ii] = uint8(clampInt32(l, 0, int32(nmax)))
			}
		}
		if nmax == 15 {
			q := b[16:144]
			for c := 0; c < 4; c++ {
				for l := 0; l < 32; l++ {
					q[32*c+l] = L[64*c+l] | L[64*c+32+l]<<4
				}
			}
		} else {
			packQ5K(b, &L)
		}
	}
}

// dotQ4_KPlain dots nb Q4_K superblocks w with a Q8_K row x in the order of
// llama.cpp's AVX2 ggml_vec_dot_q4_K_q8_K and of dotQ4_KAVX2: exact integer
// sums in eight 32-bit lanes (lane k holds bytes 4k..4k+3 of each 32-value
// run), one FMA per lane per superblock with d; the mins against the Q8_K
// group sums in four lanes with dmin; both reduced as hsum_float_8 and the
// SSE tail do, then added.
func dotQ4_KPlain(w, x []byte, nb int) float32 {
	var acc [8]float32
	var accm [4]float32
	for i := 0; i < nb; i++ {
		b := (*[q4KBlockSize]byte)(w[i*q4KBlockSize:])
		y := (*[q8KBlockSize]byte)(x[i*q8KBlockSize:])
		yd := f32At(y[0:])
		d := yd * f16At(b[0:])
		dmin := -yd * f16At(b[2:])
		sm := unpackScalesK4(b[4:16])
		kMinsTerm(&accm, &sm, y, dmin)
		var sumi [8]int32
		q := (*[128]byte)(b[16:])
		q8 := (*[qkK]byte)(y[4:])
		for c := 0; c < 4; c++ {
			scL, scH := int32(sm[2*c]), int32(sm[2*c+1])
			qc := (*[32]byte)(q[32*c:])
			yl, yh := (*[32]byte)(q8[64*c:]), (*[32]byte)(q8[64*c+32:])
			for k := range sumi {
				// Four bytes at a time: lane k is bytes 4k..4k+3.
				qw := binary.LittleEndian.Uint32(qc[4*k:])
				lw := binary.LittleEndian.Uint32(yl[4*k:])
				hw := binary.LittleEndian.Uint32(yh[4*k:])
				pl := int32(qw&0xF)*int32(int8(lw)) + int32(qw>>8&0xF)*int32(int8(lw>>8)) +
					int32(qw>>16&0xF)*int32(int8(lw>>16)) + int32(qw>>24&0xF)*int32(int8(lw>>24))
				ph := int32(qw>>4&0xF)*int32(int8(hw)) + int32(qw>>12&0xF)*int32(int8(hw>>8)) +
					int32(qw>>20&0xF)*int32(int8(hw>>16)) + int32(qw>>28)*int32(int8(hw>>24))
				sumi[k] += scL*pl + scH*ph
			}
		}
		for k := range acc {
			acc[k] = fmaExact32(d, float32(sumi[k]), acc[k])
		}
	}
	m := (accm[0] + accm[2]) + (accm[1] + accm[3])
	return hsumFloat8(&acc) + m
}

// kMinsTerm adds one superblock's mins term to the four lanes of accm as
// llama.cpp's AVX2 Q4_K dot does: the 16 group sums are added in pairs
// (int16, wrapping as VPHADDW does), multiplied by the mins in pairs
// (VPMADDWD), converted and fused with dmin.
func kMinsTerm(accm *[4]float32, sm *[16]uint8, y *[q8KBlockSize]byte, dmin float32) {
	for k := 0; k < 4; k++ {
		var p int32
		for h := 0; h < 2; h++ {
			g := 2*k + h
			s := int16(bsumAt(y, 2*g)) + int16(bsumAt(y, 2*g+1))
			p += int32(sm[8+g]) * int32(s)
		}
		accm[k] = fmaExact32(dmin, float32(p), accm[k])
	}
}

// bsumAt is group sum g (0..15) of a Q8_K block.
func bsumAt(y *[q8KBlockSize]byte, g int) int16 {
	o := 4 + qkK + 2*g
	return int16(uint16(y[o]) | uint16(y[o+1])<<8)
}
