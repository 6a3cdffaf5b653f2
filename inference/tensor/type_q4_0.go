package tensor

import "burrow/inference/gguf"

// Q4_0 layout (ggml block_q4_0), 18 bytes per 32 values: F16 d, then 16
// bytes of 4-bit quants (low nibbles values 0..15, high nibbles 16..31);
// value = d*(q-8). It multiplies the input in Q8_0 form.
const q4_0BlockSize = 18

// lqRepackRows: llama.cpp's x86 CPU backend repacks a Q4_0 or IQ4_NL
// matrix whose row count is a multiple of 8 (ggml repack.cpp, q4_0_8x8 and
// iq4_nl_8x8 for AVX2) and multiplies it with the 8x8 gemv/gemm, which add
// each block's exact integer dot into one float32 per output with an FMA;
// other matrices go through vec_dot's eight lanes. The two orders round
// differently, and with Q8 activations downstream one rounding can move a
// logit by 0.1 (llamakq-q4_0 p2 did).
const lqRepackRows = 8

func init() {
	register(weightType{
		typ:        gguf.TypeQ4_0,
		dequantize: dequantizeQ4_0,
		quantize:   quantizeQ4_0,
		form:       formQ8_0,
		plain:      q4_0Rows(q4_0x8Plain, lqRepackKernels(dotQ4_0Plain, dotQ4_0SeqPlain)),
		repack:     &repacker{pack: repackedQ4_0, row: rowQ4_0x8, rowF32: rowF32Q4_0x8, group: lqRepackRows},
	})
}

// dequantizeQ4_0 is ggml's dequantize_row_q4_0.
func dequantizeQ4_0(dst []float32, src []byte) {
	for i := 0; i < len(dst)/lqBlock; i++ {
		b := (*[q4_0BlockSize]byte)(src[i*q4_0BlockSize:])
		y := (*[lqBlock]float32)(dst[i*lqBlock:])
		d := lqF16(b[0:])
		for j := 0; j < 16; j++ {
			y[j] = float32(int32(b[2+j]&0xF)-8) * d
			y[j+16] = float32(int32(b[2+j]>>4)-8) * d
		}
	}
}

// quantizeQ4_0 is ggml's quantize_row_q4_0_ref, what llama-quantize writes:
// d = max/-8 for the value of largest magnitude, q = min(15, trunc(x/d+8.5)).
func quantizeQ4_0(dst []byte, x []float32) {
	for i := 0; i < len(x)/lqBlock; i++ {
		xb := (*[lqBlock]float32)(x[i*lqBlock:])
		b := (*[q4_0BlockSize]byte)(dst[i*q4_0BlockSize:])
		_, max := absMax(xb[:])
		d := max / -8
		id := invScale(d)
		lqPutF16(b[0:], d)
		for j := 0; j < 16; j++ {
			x0 := min(15, lqTruncInt8(float32(xb[j]*id)+8.5))
			x1 := min(15, lqTruncInt8(float32(xb[j+16]*id)+8.5))
			b[2+j] = uint8(x0) | uint8(x1)<<4
		}
	}
}

// dotQ4_0Plain is llama.cpp's AVX2 ggml_vec_dot_q4_0_q8_0 (and
// dotQ4_0AVX2): per block the lane sums of (q-8)*y, one FMA per lane with
// d_w*d_x, hsum at the end.
func dotQ4_0Plain(w, x []byte, nb int) float32 {
	var acc [8]float32
	for i := 0; i < nb; i++ {
		b := (*[q4_0BlockSize]byte)(w[i*q4_0BlockSize:])
		y := (*[q8BlockSize]byte)(x[i*q8BlockSize:])
		d := lqF16(b[0:]) * lqF16(y[0:])
		n := lqNibbles(b[2:])
		var qx [lqBlock]int8
		for j, v := range n {
			qx[j] = int8(v) - 8
		}
		l := lqLanesSigned(&qx, (*[lqBlock]byte)(y[2:]))
		lqFMALanes(&acc, d, &l)
	}
	return lqHsum8(&acc)
}

// dotQ4_0SeqPlain is the per-output arithmetic of llama.cpp's repacked
// ggml_gemv_q4_0_8x8_q8_0 and ggml_gemm_q4_0_8x8_q8_0 (and dotQ4_0SeqAVX2):
// per block the exact integer sum of (q-8)*y, then acc = fma(sum, d_w*d_x,
// acc), block after block.
func dotQ4_0SeqPlain(w, x []byte, nb int) float32 {
	var acc float32
	for i := 0; i < nb; i++ {
		b := (*[q4_0BlockSize]byte)(w[i*q4_0BlockSize:])
		y := (*[q8BlockSize]byte)(x[i*q8BlockSize:])
		d := lqF16(b[0:]) * lqF16(y[0:])
		var sum int32
		for j, v := range lqNibbles(b[2:]) {
			sum += (int32(v) - 8) * int32(int8(y[2+j]))
		}
		acc = lqFMA(float32(sum), d, acc)
	}
	return acc
}

// lqRepackKernels picks, per matrix of a Q8_0-form 32-block type, the order
// llama.cpp multiplies it in: seq for the matrices it repacks (rows a
// multiple of lqRepackRows), dot for the rest. ext holds seq for the twin
// tests.
func lqRepackKernels(dot, seq func(w, x []byte, nb int) float32) rowKernels {
	k := rowKernels{dot: dot, ext: seq}
	k.rows = func(out []float32, m *Matrix, a *Activations, r0, r1 int) {
		f := dot
		if m.Rows%lqRepackRows == 0 {
			f = seq
		}
		n, rows, nb := a.Rows(), m.Rows, m.Cols/lqBlock
		for r := r0; r < r1; r++ {
			w := m.Row(r)
			for t := 0; t < n; t++ {
				out[t*rows+r] = f(w, a.row(formQ8_0, t), nb)
			}
		}
	}
	return k
}
