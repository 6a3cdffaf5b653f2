package tensor

import "burrow/inference/gguf"

// Q5_1 layout (ggml block_q5_1), 24 bytes per 32 values: F16 d, F16 m, 32
// high bits (bit j for value j), 16 bytes of low nibbles as Q4_1 packs them;
// value = d*q + m with q 0..31. It multiplies the input in Q8_1 form.
const q5_1BlockSize = 24

func init() {
	register(weightType{
		typ:        gguf.TypeQ5_1,
		dequantize: dequantizeQ5_1,
		quantize:   quantizeQ5_1,
		form:       formQ8_1,
		plain:      rowKernels{dot: dotQ5_1Plain},
	})
}

// dequantizeQ5_1 is ggml's dequantize_row_q5_1: q*d rounded, then + m.
func dequantizeQ5_1(dst []float32, src []byte) {
	for i := 0; i < len(dst)/lqBlock; i++ {
		b := (*[q5_1BlockSize]byte)(src[i*q5_1BlockSize:])
		y := (*[lqBlock]float32)(dst[i*lqBlock:])
		d, m := lqF16(b[0:]), lqF16(b[2:])
		for j, q := range lq5Values(b[4:], b[8:]) {
			y[j] = float32(float32(q)*d) + m
		}
	}
}

// quantizeQ5_1 is ggml's quantize_row_q5_1_ref: d = (max-min)/31, m = min,
// q = trunc((x-min)/d + 0.5) (no clamp: it cannot pass 31).
func quantizeQ5_1(dst []byte, x []float32) {
	for i := 0; i < len(x)/lqBlock; i++ {
		xb := (*[lqBlock]float32)(x[i*lqBlock:])
		b := (*[q5_1BlockSize]byte)(dst[i*q5_1BlockSize:])
		lo, hi := lqMinMax(xb)
		d := (hi - lo) / 31
		id := invScale(d)
		lqPutF16(b[0:], d)
		lqPutF16(b[2:], lo)
		var q [lqBlock]uint8
		for j, v := range xb {
			q[j] = uint8(lqTruncInt8(float32((v-lo)*id) + 0.5))
		}
		lq5Pack(b[4:], b[8:], &q)
	}
}

// dotQ5_1Plain is llama.cpp's x86 ggml_vec_dot_q5_1_q8_1 (and
// dotQ5_1AVX2): as dotQ4_1Plain with 5-bit quants.
func dotQ5_1Plain(w, x []byte, nb int) float32 {
	var acc [8]float32
	var summs float32
	for i := 0; i < nb; i++ {
		b := (*[q5_1BlockSize]byte)(w[i*q5_1BlockSize:])
		y := (*[q8_1BlockSize]byte)(x[i*q8_1BlockSize:])
		summs = lqFMA(lqF16(b[2:]), lqF16(y[2:]), summs)
		d := lqF16(b[0:]) * lqF16(y[0:])
		q := lq5Values(b[4:], b[8:])
		l := lqLanesUnsigned(&q, (*[lqBlock]byte)(y[4:]))
		lqFMALanes(&acc, d, &l)
	}
	return lqHsum8(&acc) + summs
}
