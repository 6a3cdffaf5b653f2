package tensor

import "burrow/inference/gguf"

// IQ4_NL layout (ggml block_iq4_nl), 18 bytes per 32 values: F16 d, then
// 16 bytes of 4-bit indices (packed as Q4_0) into the non-linear table
// kvaluesIQ4NL; value = d*kvaluesIQ4NL[q]. It multiplies the input in Q8_0
// form.
const iq4NLBlockSize = 18

// kvaluesIQ4NL is ggml's kvalues_iq4nl, the levels IQ4_XS indexes too.
var kvaluesIQ4NL = [16]int8{-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113}

func init() {
	register(weightType{
		typ:        gguf.TypeIQ4_NL,
		dequantize: dequantizeIQ4_NL,
		quantize:   quantizeIQ4_NL,
		form:       formQ8_0,
		plain:      q4_0Rows(iq4NLx8Plain, lqRepackKernels(dotIQ4_NLPlain, dotIQ4_NLSeqPlain)),
		repack:     &repacker{pack: repackedQ4_0, row: rowQ4_0x8, rowF32: rowF32IQ4_NLx8, group: lqRepackRows},
	})
}

// dequantizeIQ4_NL is ggml's dequantize_row_iq4_nl.
func dequantizeIQ4_NL(dst []float32, src []byte) {
	for i := 0; i < len(dst)/lqBlock; i++ {
		b := (*[iq4NLBlockSize]byte)(src[i*iq4NLBlockSize:])
		y := (*[lqBlock]float32)(dst[i*lqBlock:])
		d := lqF16(b[0:])
		for j, q := range lqNibbles(b[2:]) {
			y[j] = d * float32(kvaluesIQ4NL[q])
		}
	}
}

// bestIndexInt8 is ggml's best_index_int8 over the 16 table values.
func bestIndexInt8(val *[16]int8, x float32) uint8 {
	if x <= float32(val[0]) {
		return 0
	}
	if x >= float32(val[15]) {
		return 15
	}
	ml, mu := 0, 15
	for mu-ml > 1 {
		mav := (ml + mu) / 2
		if x < float32(val[mav]) {
			mu = mav
		} else {
			ml = mav
		}
	}
	if x-float32(val[mu-1]) < float32(val[mu])-x {
		return uint8(mu - 1)
	}
	return uint8(mu)
}

// quantizeIQ4_NL is what llama-quantize writes for IQ4_NL without an
// importance matrix: quantize_row_iq4_nl_impl with one 32-value block,
// weights x², ntry 7 (a scale search around -max/127), then the indices
// redone with the F16-unrounded best scale. Products feeding sums are
// rounded one by one (ggml-base has no FMA contraction).
func quantizeIQ4_NL(dst []byte, x []float32) {
	const ntry = 7
	vals := &kvaluesIQ4NL
	var L [lqBlock]uint8
	var weight [lqBlock]float32
	for i := 0; i < len(x)/lqBlock; i++ {
		xb := (*[lqBlock]float32)(x[i*lqBlock:])
		b := (*[iq4NLBlockSize]byte)(dst[i*iq4NLBlockSize:])
		clear(b[2:])
		for j, v := range xb {
			weight[j] = float32(v * v)
		}
		amax, max := absMax(xb[:])
		var scale float32
		if amax >= 1e-15 { // GROUP_MAX_EPS
			index := func(x float32) int { return int(bestIndexInt8(vals, x)) }
			d := -max / float32(vals[0])
			sumqx, sumq2 := iq4Sums(xb[:], weight[:], 1/d, index)
			d = sumqx / sumq2
			best := float32(d * sumqx)
			for itry := -ntry; itry <= ntry; itry++ {
				sumqx, sumq2 = iq4Sums(xb[:], weight[:], float32(itry+int(vals[0]))/max, index)
				if sumq2 > 0 && float32(sumqx*sumqx) > float32(best*sumq2) {
					d = sumqx / sumq2
					best = float32(d * sumqx)
				}
			}
			scale = d
		}
		lqPutF16(b[0:], scale)
		id := invScale(scale)
		for j, v := range xb {
			L[j] = bestIndexInt8(vals, float32(id*v))
		}
		for j := 0; j < 16; j++ {
			b[2+j] = L[j] | L[j+16]<<4
		}
	}
}

// iq4Sums is quantize_row_iq4_nl_impl's fit of x at inverse scale id: the
// weighted sums Σw·q·x and Σw·q² over the levels q that index picks.
func iq4Sums(x, weight []float32, id float32, index func(float32) int) (sumqx, sumq2 float32) {
	for j, v := range x {
		q := float32(kvaluesIQ4NL[index(float32(id*v))])
		w := weight[j]
		sumqx += float32(float32(w*q) * v)
		sumq2 += float32(float32(w*q) * q)
	}
	return sumqx, sumq2
}

// iq4Lookup maps a block's indices through a table.
func iq4Lookup(tab *[16]int8, qs []byte) (v [lqBlock]int8) {
	for j, q := range lqNibbles(qs) {
		v[j] = tab[q]
	}
	return v
}

// dotIQ4_NLPlain is llama.cpp's AVX2 ggml_vec_dot_iq4_nl_q8_0 (and
// dotIQ4_NLAVX2): blocks in pairs, even ones into one 8-lane accumulator
// and odd ones into another, added before hsum; an odd last block is a
// scalar FMA of its exact integer sum.
func dotIQ4_NLPlain(w, x []byte, nb int) float32 {
	return dotTable32Plain(w, x, nb, iq4NLBlockSize, &kvaluesIQ4NL, func(b []byte) float32 { return lqF16(b) })
}

// dotIQ4_NLSeqPlain is the per-output arithmetic of llama.cpp's repacked
// ggml_gemv/gemm_iq4_nl_8x8_q8_0 (see lqRepackRows): per block the exact
// integer sum of table value times y, then acc = fma(sum, d_w*d_x, acc).
func dotIQ4_NLSeqPlain(w, x []byte, nb int) float32 {
	var acc float32
	for i := 0; i < nb; i++ {
		b := (*[iq4NLBlockSize]byte)(w[i*iq4NLBlockSize:])
		y := (*[q8BlockSize]byte)(x[i*q8BlockSize:])
		d := lqF16(b[0:]) * lqF16(y[0:])
		var sum int32
		for j, q := range lqNibbles(b[2:]) {
			sum += int32(kvaluesIQ4NL[q]) * int32(int8(y[2+j]))
		}
		acc = lqFMA(float32(sum), d, acc)
	}
	return acc
}

// dotTable32Plain is the shared body of the IQ4_NL and MXFP4 dots: bs-byte
// blocks of a scale (read by scale) and 16 index bytes at bs-16.
func dotTable32Plain(w, x []byte, nb, bs int, tab *[16]int8, scale func(b []byte) float32) float32 {
	var acc1, acc2 [8]float32
	ib := 0
	for ; ib+1 < nb; ib += 2 {
		for k, acc := range []*[8]float32{&acc1, &acc2} {
			b := w[(ib+k)*bs : (ib+k+1)*bs]
			y := (*[q8BlockSize]byte)(x[(ib+k)*q8BlockSize:])
			qx := iq4Lookup(tab, b[bs-16:])
			l := lqLanesSigned(&qx, (*[lqBlock]byte)(y[2:]))
			lqFMALanes(acc, lqF16(y[0:])*scale(b), &l)
		}
	}
	for k := range acc1 {
		acc1[k] += acc2[k]
	}
	sum := lqHsum8(&acc1)
	if ib < nb {
		b := w[ib*bs : (ib+1)*bs]
		y := (*[q8BlockSize]byte)(x[ib*q8BlockSize:])
		qx := iq4Lookup(tab, b[bs-16:])
		var sumi int32
		for j, v := range qx {
			sumi += int32(v) * int32(int8(y[2+j]))
		}
		sum = lqFMA(lqF16(y[0:])*scale(b), float32(sumi), sum)
	}
	return sum
}
