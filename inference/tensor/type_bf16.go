package tensor

import "burrow/inference/gguf"

// BF16 weights multiply a BF16-rounded input with ggml's scalar dot; there
// is no fast kernel, so every set uses the plain one.

func init() {
	register(weightType{
		typ:        gguf.TypeBF16,
		dequantize: dequantizeBF16,
		quantize:   quantizeBF16,
		form:       formBF16,
		plain: rowKernels{dot: func(w, x []byte, nb int) float32 {
			return dotBF16Plain(u16s(w), u16s(x))
		}},
	})
}

func dequantizeBF16(dst []float32, src []byte) { widen16(dst, src, BF16ToF32) }
func quantizeBF16(dst []byte, x []float32)     { narrow16(dst, x, F32ToBF16) }

// dotBF16Plain is ggml's scalar BF16 dot: float32 products summed in float64.
func dotBF16Plain(x, y []uint16) float32 {
	var s float64
	for i, v := range x {
		s += float64(BF16ToF32(v) * BF16ToF32(y[i]))
	}
	return float32(s)
}
