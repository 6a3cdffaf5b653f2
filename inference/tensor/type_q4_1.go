package tensor

import "burrow/inference/gguf"

// Q4_1 layout (ggml block_q4_1), 20 bytes per 32 values: F16 d, F16 m, then
// 16 bytes of 4-bit quants (low nibbles values 0..15, high nibbles 16..31);
// value = d*q + m. It multiplies the input in Q8_1 form, whose per-block
// s = d8*sum(q8) carries the m term.
const q4_1BlockSize = 20

func init() {
	register(weightType{
		typ:        gguf.TypeQ4_1,
		dequantize: dequantizeQ4_1,
		quantize:   quantizeQ4_1,
		form:       formQ8_1,
		plain:      rowKernels{dot: dotQ4_1Plain},
	})
}

// dequantizeQ4_1 is ggml's dequantize_row_q4_1: q*d rounded, then + m
// (ggml-base is built without FMA contraction).
func dequantizeQ4_1(dst []float32, src []byte) {
	for i := 0; i < len(dst)/lqBlock; i++ {
		b := (*[q4_1BlockSize]byte)(src[i*q4_1BlockSize:])
		y := (*[lqBlock]float32)(dst[i*lqBlock:])
		d, m := lqF16(b[0:]), lqF16(b[2:])
		for j, q := range lqNibbles(b[4:]) {
			y[j] = float32(float32(q)*d) + m
		}
	}
}

// lqMinMax is the min and max scan of quantize_row_q4_1_ref and _q5_1_ref
// (start at ±FLT_MAX, NaN never wins).
func lqMinMax(xb *[lqBlock]float32) (lo, hi float32) {
	lo, hi = 3.4028234663852886e38, -3.4028234663852886e38
	for _, v := range xb {
		if v < lo {
			lo = v
		}
		if v > hi {
			hi = v
		}
	}
	return lo, hi
}

// quantizeQ4_1 is ggml's quantize_row_q4_1_ref, what llama-quantize writes
// for Q4_1 without an importance matrix: d = (max-min)/15, m = min,
// q = min(15, trunc((x-min)/d + 0.5)).
func quantizeQ4_1(dst []byte, x []float32) {
	for i := 0; i < len(x)/lqBlock; i++ {
		xb := (*[lqBlock]float32)(x[i*lqBlock:])
		b := (*[q4_1BlockSize]byte)(dst[i*q4_1BlockSize:])
		lo, hi := lqMinMax(xb)
		d := (hi - lo) / 15
		id := invScale(d)
		lqPutF16(b[0:], d)
		lqPutF16(b[2:], lo)
		for j := 0; j < 16; j++ {
			x0 := float32((xb[j] - lo) * id)
			x1 := float32((xb[j+16] - lo) * id)
			q0 := min(15, lqTruncInt8(x0+0.5))
			q1 := min(15, lqTruncInt8(x1+0.5))
			b[4+j] = uint8(q0) | uint8(q1)<<4
		}
	}
}

// dotQ4_1Plain is llama.cpp's x86 ggml_vec_dot_q4_1_q8_1 (and dotQ4_1AVX2):
// per block the lane sums of q*y (unsigned times signed, exact in int32 as
// VPDPBUSD or maddubs+madd give them), one FMA per lane with d_w*d_x; the
// m*s terms summed apart, one scalar FMA per block, and added after the
// horizontal sum.
func dotQ4_1Plain(w, x []byte, nb int) float32 {
	var acc [8]float32
	var summs float32
	for i := 0; i < nb; i++ {
		b := (*[q4_1BlockSize]byte)(w[i*q4_1BlockSize:])
		y := (*[q8_1BlockSize]byte)(x[i*q8_1BlockSize:])
		summs = lqFMA(lqF16(b[2:]), lqF16(y[2:]), summs)
		d := lqF16(b[0:]) * lqF16(y[0:])
		q := lqNibbles(b[4:])
		l := lqLanesUnsigned(&q, (*[lqBlock]byte)(y[4:]))
		lqFMALanes(&acc, d, &l)
	}
	return lqHsum8(&acc) + summs
}
