package tensor

import (
	"encoding/binary"

	"burrow/inference/gguf"
)

// F16 weights: the input is rounded to F16 (ggml's from_float for
// vec_dot_type F16), then one input row dots in ggml_vec_dot_f16's order and
// a batch with rows a multiple of 16 in AVX-512 tinyBLAS's (F16 x F16, one
// 16-lane FMA accumulator per output). llama.cpp's tinyBLAS has no F16 x F32
// case on AVX-512, so it converts the batch first: reading the float32
// input there instead put up to 4e-4 relative error on each output, which a
// later Q8_K quantization of the activations amplifies (the 688-wide F16
// ffn_down of a small Q4_K_M file, check-peer's "llama small q4_k_m").

func init() {
	register(weightType{
		typ:        gguf.TypeF16,
		dequantize: dequantizeF16,
		quantize:   quantizeF16,
		form:       formF16,
		plain:      f16PlainKernels.set(),
	})
}

// f16Tiled reports whether a batch of n rows takes tinyBLAS's order:
// llamafile_sgemm runs for batches (n >= 2) whose rows are a multiple of 16;
// otherwise llama.cpp falls back to ggml_vec_dot_f16.
func f16Tiled(n, cols int) bool { return n >= 2 && cols%16 == 0 }

func dequantizeF16(dst []float32, src []byte) { widen16(dst, src, F16ToF32) }
func quantizeF16(dst []byte, x []float32)     { narrow16(dst, x, F32ToF16) }

// widen16 and narrow16 convert rows of 16-bit floats (F16, BF16) stored
// little-endian.
func widen16(dst []float32, src []byte, conv func(uint16) float32) {
	for i := range dst {
		dst[i] = conv(binary.LittleEndian.Uint16(src[2*i:]))
	}
}

func narrow16(dst []byte, x []float32, conv func(float32) uint16) {
	for i, v := range x {
		binary.LittleEndian.PutUint16(dst[2*i:], conv(v))
	}
}

// f16Kernels are F16's kernels in one set.
type f16Kernels struct {
	dot  func(x, y []uint16) float32 // one input row: ggml_vec_dot_f16
	tile func(x, y []uint16) float32 // batches: tinyBLAS (len a multiple of 16)
}

var f16PlainKernels = &f16Kernels{dot: dotF16GGML512Plain, tile: dotF16L16Plain}

func (k *f16Kernels) set() rowKernels {
	return rowKernels{
		dot:  func(w, x []byte, nb int) float32 { return k.dot(u16s(w), u16s(x)) },
		rows: k.rows,
		ext:  k,
	}
}

func (k *f16Kernels) rows(out []float32, m *Matrix, a *Activations, r0, r1 int) {
	n, rows := a.Rows(), m.Rows
	dot := k.dot
	if f16Tiled(n, m.Cols) {
		dot = k.tile
	}
	for r := r0; r < r1; r++ {
		w := u16s(m.Row(r))
		for t := 0; t < n; t++ {
			out[t*rows+r] = dot(w, u16s(a.row(formF16, t)))
		}
	}
}

// dotF16L16Plain is tinyBLAS's F16 x F16 dot on AVX-512: value i feeds lane
// i%16 by FMA (both sides widened exactly), the lanes summed in
// _mm512_reduce_add_ps order.
func dotF16L16Plain(x, y []uint16) float32 {
	y = y[:len(x)]
	var acc [16]float32
	for i, v := range x {
		acc[i%16] = fma32(F16ToF32(v), F16ToF32(y[i]), acc[i%16])
	}
	return reduce16(&acc)
}
