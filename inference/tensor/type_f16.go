package tensor

import (
	"encoding/binary"

	"burrow/inference/gguf"
)

// F16 weights: one input row is rounded to F16 (ggml_vec_dot_f16); batches
// with rows a multiple of 16 read the float32 input (AVX-512 tinyBLAS).

func init() {
	register(weightType{
		typ:        gguf.TypeF16,
		dequantize: dequantizeF16,
		quantize:   quantizeF16,
		form:       formF16,
		formFor: func(n, cols int) actForm {
			if f16FromF32(n, cols) {
				return formF32
			}
			return formF16
		},
		plain: f16PlainKernels.set(),
	})
}

// f16FromF32 reports whether F16 weights read the float32 input directly:
// llama.cpp's AVX-512 build does so for batches (tinyBLAS, rows a multiple
// of 16) and rounds the input to F16 otherwise (ggml_vec_dot_f16).
func f16FromF32(n, cols int) bool { return n >= 2 && cols%16 == 0 }

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
	dot    func(x, y []uint16) float32           // F16 input row: ggml_vec_dot_f16
	dotF32 func(x []uint16, y []float32) float32 // float32 input (batches): tinyBLAS
}

var f16PlainKernels = &f16Kernels{dot: dotF16GGML512Plain, dotF32: dotF16F32L16Plain}

func (k *f16Kernels) set() rowKernels {
	return rowKernels{
		dot:  func(w, x []byte, nb int) float32 { return k.dot(u16s(w), u16s(x)) },
		rows: k.rows,
		ext:  k,
	}
}

func (k *f16Kernels) rows(out []float32, m *Matrix, a *Activations, r0, r1 int) {
	n, rows := a.Rows(), m.Rows
	f32In := f16FromF32(n, m.Cols)
	for r := r0; r < r1; r++ {
		w := u16s(m.Row(r))
		for t := 0; t < n; t++ {
			if f32In {
				out[t*rows+r] = k.dotF32(w, a.F32(t))
			} else {
				out[t*rows+r] = k.dot(w, u16s(a.row(formF16, t)))
			}
		}
	}
}
