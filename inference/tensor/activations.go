package tensor

import (
	"encoding/binary"
	"fmt"

	"burrow/inference/gguf"
)

// Activations holds n rows of Cols float32 inputs to a matrix multiplication,
// plus the forms weight types need, made lazily and at most once per Set:
// Q8_0 blocks for Q8_0 weights, F16 for F16 weights (single rows only, see
// f16FromF32), BF16 for BF16 weights (llama.cpp's vec_dot_type scheme). Matrices sharing an input (Q/K/V,
// gate/up) thus share one quantization.
//
// Not safe for concurrent Set; MatMul prepares the needed form before it
// fans out, so concurrent readers only see finished buffers.
type Activations struct {
	Cols    int
	n       int
	maxRows int

	f32  []float32
	q8   []byte
	q8s  []float32 // Q8_0 scales as float32, block-major: [block*maxRows + row]
	f16  []uint16
	bf16 []uint16

	haveQ8, haveF16, haveBF16 bool
}

// NewActivations allocates room for up to maxRows rows of cols values.
func NewActivations(maxRows, cols int) *Activations {
	if maxRows <= 0 || cols <= 0 {
		panic(fmt.Sprintf("tensor: NewActivations(%d, %d)", maxRows, cols))
	}
	return &Activations{Cols: cols, maxRows: maxRows, f32: make([]float32, maxRows*cols)}
}

// Rows is the number of rows of the current input.
func (a *Activations) Rows() int { return a.n }

// MaxRows is the capacity in rows.
func (a *Activations) MaxRows() int { return a.maxRows }

// Set copies n rows (x[:n*Cols]) in as the new input.
func (a *Activations) Set(x []float32, n int) {
	if n < 0 || n > a.maxRows {
		panic(fmt.Sprintf("tensor: Activations.Set %d rows, capacity %d", n, a.maxRows))
	}
	copy(a.f32[:n*a.Cols], x[:n*a.Cols])
	a.n = n
	a.haveQ8, a.haveF16, a.haveBF16 = false, false, false
}

// F32 returns row t of the current input.
func (a *Activations) F32(t int) []float32 { return a.f32[t*a.Cols : (t+1)*a.Cols] }

// prepare makes the form that weights of type wt read.
func (a *Activations) prepare(wt gguf.Type) {
	n, c := a.n, a.Cols
	switch wt {
	case gguf.TypeQ8_0:
		if a.haveQ8 {
			return
		}
		rb, nb := Q8_0RowSize(c), c/q8Block
		if a.q8 == nil {
			a.q8 = make([]byte, a.maxRows*rb)
			a.q8s = make([]float32, nb*a.maxRows)
		}
		for t := 0; t < n; t++ {
			row := a.q8[t*rb : (t+1)*rb]
			quantizeQ8_0(row, a.F32(t))
			for b := 0; b < nb; b++ {
				a.q8s[b*a.maxRows+t] = F16ToF32(binary.LittleEndian.Uint16(row[b*q8BlockSize:]))
			}
		}

		a.haveQ8 = true
	case gguf.TypeF16:
		if a.haveF16 || a.f16FromF32() {
			return
		}
		if a.f16 == nil {
			a.f16 = make([]uint16, a.maxRows*c)
		}
		convertF16(a.f16[:n*c], a.f32[:n*c])
		a.haveF16 = true
	case gguf.TypeBF16:
		if a.haveBF16 {
			return
		}
		if a.bf16 == nil {
			a.bf16 = make([]uint16, a.maxRows*c)
		}
		for i, v := range a.f32[:n*c] {
			a.bf16[i] = F32ToBF16(v)
		}
		a.haveBF16 = true
	}
}

// f16FromF32 reports whether F16 weights read the float32 input directly:
// llama.cpp's AVX-512 build does so for batches (tinyBLAS, rows a multiple
// of 16) and rounds the input to F16 otherwise (ggml_vec_dot_f16).
func (a *Activations) f16FromF32() bool { return a.n >= 2 && a.Cols%16 == 0 }

func (a *Activations) q8Row(t int) []byte {
	rb := Q8_0RowSize(a.Cols)
	return a.q8[t*rb : (t+1)*rb]
}
func (a *Activations) f16Row(t int) []uint16  { return a.f16[t*a.Cols : (t+1)*a.Cols] }
func (a *Activations) bf16Row(t int) []uint16 { return a.bf16[t*a.Cols : (t+1)*a.Cols] }

// convertF16 rounds src to half precision.
func convertF16(dst []uint16, src []float32) {
	for i, v := range src {
		dst[i] = F32ToF16(v)
	}
}

// quantizeQ8_0 is the activation quantizer; a seam for a faster version.
var quantizeQ8_0 = quantizeQ8_0Act
