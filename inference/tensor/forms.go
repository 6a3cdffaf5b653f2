package tensor

import (
	"encoding/binary"
	"math"
)

// Activation forms: the shapes an input row takes for the weight types that
// read it (llama.cpp's vec_dot_type). Each form knows its row size and how
// to make a row from float32; Activations makes each form lazily, at most
// once per Set. A new form registers itself from its own file:
//
//	var formX = registerForm(formDesc{name: "X", rowBytes: ..., convert: ...})
type actForm uint8

type formDesc struct {
	name     string
	rowBytes func(cols int) int
	// convert makes one row (rowBytes(len(src)) bytes) from src; nil for
	// the float32 input itself.
	convert func(dst []byte, src []float32)
	// toF32, if set, expands a row back to float32 (reference tests).
	toF32 func(dst []float32, row []byte)
	// scales, if set, is the number of per-block float32 scales a row
	// carries beside its bytes, and fillScales writes them for one row at
	// dst[0], dst[stride], ... (block-major over rows, for the tiled
	// kernels).
	scales     func(cols int) int
	fillScales func(dst []float32, stride int, row []byte)
}

// maxForms bounds the forms; Activations holds one buffer slot per form.
const maxForms = 8

var (
	forms  [maxForms]formDesc
	nForms int
)

// registerForm adds an activation form; call it from a package variable's
// initializer so the form exists before any init registers a weight type.
func registerForm(d formDesc) actForm {
	if nForms == maxForms {
		panic("tensor: too many activation forms; raise maxForms")
	}
	forms[nForms] = d
	nForms++
	return actForm(nForms - 1)
}

var (
	// formF32 is the float32 input as Set stored it.
	formF32 = registerForm(formDesc{name: "F32", rowBytes: func(c int) int { return 4 * c },
		toF32: func(dst []float32, row []byte) { copy(dst, f32s(row)) }})
	// formF16 is the input rounded to half precision (ggml_vec_dot_f16).
	formF16 = registerForm(formDesc{name: "F16", rowBytes: func(c int) int { return 2 * c },
		convert: func(dst []byte, src []float32) { convertF16(u16s(dst), src) },
		toF32:   dequantizeF16})
	// formBF16 is the input rounded to bfloat16.
	formBF16 = registerForm(formDesc{name: "BF16", rowBytes: func(c int) int { return 2 * c },
		convert: func(dst []byte, src []float32) { convertBF16(u16s(dst), src) },
		toF32:   dequantizeBF16})
	// formQ8_0 is the input in Q8_0 blocks, quantized as llama.cpp's x86
	// code does (quantizeQ8_0Act), with the block scales also kept as
	// float32 for the tiled kernels and, after them, each block's 8*sum(y)
	// (int32 bits) for the repacked Q4_0 kernels (q4_0_repack.go).
	formQ8_0 = registerForm(formDesc{name: "Q8_0", rowBytes: Q8_0RowSize,
		convert:    func(dst []byte, src []float32) { quantizeQ8_0(dst, src) },
		toF32:      dequantizeQ8_0Row,
		scales:     func(c int) int { return 2 * c / q8Block },
		fillScales: fillQ8_0Scales})
)

// convertF16 rounds src to half precision.
func convertF16(dst []uint16, src []float32) {
	n := 0
	if vectorExp {
		n = len(src) &^ 7
		f32ToF16Asm(dst[:n], src[:n])
	}
	for i, v := range src[n:] {
		dst[n+i] = F32ToF16(v)
	}
}

// convertBF16 rounds src to bfloat16.
func convertBF16(dst []uint16, src []float32) {
	for i, v := range src {
		dst[i] = F32ToBF16(v)
	}
}

// quantizeQ8_0 is the activation quantizer; a seam for a faster version.
var quantizeQ8_0 = quantizeQ8_0Act

// dequantizeQ8_0Row expands a whole Q8_0 row.
func dequantizeQ8_0Row(dst []float32, row []byte) { dequantizeQ8_0(dst, row) }

// fillQ8_0Scales widens each block's F16 scale into dst[b*stride] and
// stores 8 times the sum of its quants (exact, as int32 bits) at
// dst[(nb+b)*stride]: the -8 offset of Q4_0's nibbles, once per input row
// rather than once per 8-row weight group.
func fillQ8_0Scales(dst []float32, stride int, row []byte) {
	nb := len(row) / q8BlockSize
	for b := 0; b < nb; b++ {
		y := row[b*q8BlockSize : (b+1)*q8BlockSize]
		dst[b*stride] = F16ToF32(binary.LittleEndian.Uint16(y))
		var sum int32
		for _, v := range y[2:] {
			sum += int32(int8(v))
		}
		dst[(nb+b)*stride] = math.Float32frombits(uint32(8 * sum))
	}
}
