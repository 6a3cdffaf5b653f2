package tensor

import "burrow/inference/gguf"

// Q5_0 layout (ggml block_q5_0), 22 bytes per 32 values: F16 d, 32 high
// bits (bit j for value j), 16 bytes of low nibbles as Q4_0 packs them;
// value = d*(q-16). It multiplies the input in Q8_0 form.
const q5_0BlockSize = 22

func init() {
	register(weightType{
		typ:        gguf.TypeQ5_0,
		dequantize: dequantizeQ5_0,
		quantize:   quantizeQ5_0,
		form:       formQ8_0,
		plain:      rowKernels{dot: dotQ5_0Plain},
	})
}

// dequantizeQ5_0 is ggml's dequantize_row_q5_0.
func dequantizeQ5_0(dst []float32, src []byte) {
	for i := 0; i < len(dst)/lqBlock; i++ {
		b := (*[q5_0BlockSize]byte)(src[i*q5_0BlockSize:])
		y := (*[lqBlock]float32)(dst[i*lqBlock:])
		d := lqF16(b[0:])
		for j, q := range lq5Values(b[2:], b[6:]) {
			y[j] = float32(int32(q)-16) * d
		}
	}
}

// quantizeQ5_0 is ggml's quantize_row_q5_0_ref: d = max/-16 for the value
// of largest magnitude, q = min(31, trunc(x/d+16.5)).
func quantizeQ5_0(dst []byte, x []float32) {
	for i := 0; i < len(x)/lqBlock; i++ {
		xb := (*[lqBlock]float32)(x[i*lqBlock:])
		b := (*[q5_0BlockSize]byte)(dst[i*q5_0BlockSize:])
		_, max := absMax(xb[:])
		d := max / -16
		id := invScale(d)
		lqPutF16(b[0:], d)
		var q [lqBlock]uint8
		for j, v := range xb {
			q[j] = uint8(min(31, lqTruncInt8(float32(v*id)+16.5)))
		}
		lq5Pack(b[2:], b[6:], &q)
	}
}

// dotQ5_0Plain is llama.cpp's AVX2 ggml_vec_dot_q5_0_q8_0 (and
// dotQ5_0AVX2): lane sums of (q-16)*y, one FMA per lane with d_w*d_x.
func dotQ5_0Plain(w, x []byte, nb int) float32 {
	var acc [8]float32
	for i := 0; i < nb; i++ {
		b := (*[q5_0BlockSize]byte)(w[i*q5_0BlockSize:])
		y := (*[q8BlockSize]byte)(x[i*q8BlockSize:])
		d := lqF16(b[0:]) * lqF16(y[0:])
		var qx [lqBlock]int8
		for j, v := range lq5Values(b[2:], b[6:]) {
			qx[j] = int8(v) - 16
		}
		l := lqLanesSigned(&qx, (*[lqBlock]byte)(y[2:]))
		lqFMALanes(&acc, d, &l)
	}
	return lqHsum8(&acc)
}
