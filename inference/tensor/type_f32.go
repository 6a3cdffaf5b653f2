package tensor

import (
	"encoding/binary"
	"math"

	"burrow/inference/gguf"
)

// F32 weights: llama.cpp uses ggml_vec_dot_f32 for one row and tinyBLAS for
// batches (when the row length is a multiple of 16, on AVX-512); both read
// the float32 input.

func init() {
	register(weightType{
		typ:        gguf.TypeF32,
		dequantize: dequantizeF32,
		quantize:   quantizeF32,
		form:       formF32,
		plain:      f32PlainKernels.set(),
	})
}

func dequantizeF32(dst []float32, src []byte) {
	for i := range dst {
		dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:]))
	}
}

func quantizeF32(dst []byte, x []float32) {
	for i, v := range x {
		binary.LittleEndian.PutUint32(dst[4*i:], math.Float32bits(v))
	}
}

// f32Kernels are F32's kernels in one set.
type f32Kernels struct {
	dot  func(x, y []float32) float32 // one row: ggml_vec_dot_f32's order
	tile func(x, y []float32) float32 // batches: tinyBLAS's order
}

var f32PlainKernels = &f32Kernels{dot: dotF32GGML512Plain, tile: dotF32L16Plain}

func (k *f32Kernels) set() rowKernels {
	return rowKernels{
		dot:  func(w, x []byte, nb int) float32 { return k.dot(f32s(w), f32s(x)) },
		rows: k.rows,
		ext:  k,
	}
}

func (k *f32Kernels) rows(out []float32, m *Matrix, a *Activations, r0, r1 int) {
	n, rows := a.Rows(), m.Rows
	dot := k.dot
	if n >= 2 && m.Cols%16 == 0 {
		dot = k.tile
	}
	for r := r0; r < r1; r++ {
		w := f32s(m.Row(r))
		for t := 0; t < n; t++ {
			out[t*rows+r] = dot(w, a.F32(t))
		}
	}
}
