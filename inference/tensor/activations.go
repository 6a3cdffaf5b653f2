package tensor

import (
	"fmt"
	"unsafe"

	"burrow/inference/gguf"
)

// Activations holds n rows of Cols float32 inputs to a matrix multiplication,
// plus the forms weight types need (forms.go), each made lazily and at most
// once per Set: Q8_0 blocks for Q8_0 weights, F16 for F16 weights (single
// rows only, see type_f16.go), BF16 for BF16 weights (llama.cpp's
// vec_dot_type scheme). Matrices sharing an input (Q/K/V, gate/up) thus
// share one quantization.
//
// Not safe for concurrent Set; MatMul prepares the needed form before it
// fans out, so concurrent readers only see finished buffers.
type Activations struct {
	Cols    int
	n       int
	maxRows int

	f32  []float32
	bufs [maxForms]formBuf // by actForm
}

// formBuf is one form of the input: maxRows rows of stride bytes, made on
// first use.
type formBuf struct {
	data   []byte
	scales []float32 // per-block float32 scales, block-major: [block*maxRows + row]
	stride int
	fresh  bool // made from the current Set
}

// NewActivations allocates room for up to maxRows rows of cols values.
func NewActivations(maxRows, cols int) *Activations {
	if maxRows <= 0 || cols <= 0 {
		panic(fmt.Sprintf("tensor: NewActivations(%d, %d)", maxRows, cols))
	}
	a := &Activations{Cols: cols, maxRows: maxRows, f32: make([]float32, maxRows*cols)}
	a.bufs[formF32] = formBuf{data: f32Bytes(a.f32), stride: 4 * cols, fresh: true}
	return a
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
	for f := range a.bufs[:nForms] {
		if forms[f].convert != nil {
			a.bufs[f].fresh = false
		}
	}
}

// F32 returns row t of the current input.
func (a *Activations) F32(t int) []float32 { return a.f32[t*a.Cols : (t+1)*a.Cols] }

// prepare makes the form that weights of type wt read.
func (a *Activations) prepare(wt gguf.Type) {
	if w := lookup(wt); w != nil {
		a.ensure(w.formOf(a))
	}
}

// ensure makes form f of the current input, unless it is fresh.
func (a *Activations) ensure(f actForm) {
	b := &a.bufs[f]
	if b.fresh {
		return
	}
	d := &forms[f]
	if b.data == nil {
		b.stride = d.rowBytes(a.Cols)
		b.data = make([]byte, a.maxRows*b.stride)
		if d.scales != nil {
			b.scales = make([]float32, d.scales(a.Cols)*a.maxRows)
		}
	}
	for t := 0; t < a.n; t++ {
		row := b.data[t*b.stride : (t+1)*b.stride]
		d.convert(row, a.F32(t))
		if d.fillScales != nil {
			d.fillScales(b.scales[t:], a.maxRows, row)
		}
	}
	b.fresh = true
}

// row is input row t in form f (which prepare made).
func (a *Activations) row(f actForm, t int) []byte {
	b := &a.bufs[f]
	return b.data[t*b.stride : (t+1)*b.stride]
}

// f32s, u16s and f32Bytes view little-endian data in place (every platform
// Go runs Burrow on is little-endian and tolerates unaligned loads).
func f32s(b []byte) []float32 {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), len(b)/4)
}

func u16s(b []byte) []uint16 {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Slice((*uint16)(unsafe.Pointer(&b[0])), len(b)/2)
}

func f32Bytes(x []float32) []byte {
	if len(x) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&x[0])), 4*len(x))
}
