package tensor

import (
	"fmt"
	"slices"
	"strings"

	"burrow/inference/gguf"
)

// The weight-type registry: everything the package knows about one weight
// type, registered by the type's own file (type_x.go) from an init func.
// Supported, SupportedTypes, DequantizeRow, NewMatrix, Activations.prepare
// and the matmul dispatch all read it.

// weightType describes one GGUF weight type. Block size and bytes per block
// come from gguf.Type itself.
type weightType struct {
	typ gguf.Type
	// dequantize expands len(dst) values (a whole number of blocks) from src.
	dequantize func(dst []float32, src []byte)
	// quantize, if set, writes x in this type as a GGUF file holds it (the
	// reference quantizer; tests use it to make weights).
	quantize func(dst []byte, x []float32)
	// form is the activation form the row kernels multiply with.
	form actForm
	// formFor, if set, picks the form for a batch of n rows of cols values
	// instead (F16 batches read the float32 input, as tinyBLAS does).
	formFor func(n, cols int) actForm
	// plain holds the portable Go kernels; fast sets may override them
	// (registerFast in an amd64 file).
	plain rowKernels
	// repack, if set, gives matrices of this type a layout of their own
	// (interleaved rows, as llama.cpp's CPU repack buffer), whatever the
	// kernel set: every set's rows kernel then reads it.
	repack *repacker
}

// repacker converts a weight type's matrices to its repacked layout and
// reads rows back out of it.
type repacker struct {
	// pack returns the repacked copy of data (rows x cols) in memory from
	// alloc, or nil to keep the file's layout.
	pack func(data []byte, rows, cols int, alloc func(n int) []byte) []byte
	// row writes row r's bytes in the file's layout to dst (m.RowBytes).
	row func(dst []byte, m *Matrix, r int)
	// rowF32 dequantizes row r into dst[:m.Cols] without allocating.
	rowF32 func(dst []float32, m *Matrix, r int)
	// group is the row count of one interleaved group (views start and end
	// on multiples of it).
	group int
}

// rowKernels are one weight type's matmul kernels in one kernel set.
type rowKernels struct {
	// dot is the one-row dot product: w holds nb blocks of the weight type,
	// x one activation row in the type's form.
	dot func(w, x []byte, nb int) float32
	// rows, if set, computes rows [r0,r1) of m against every input row in
	// place of the generic loop (tiles for batches, batch-dependent forms).
	rows func(out []float32, m *Matrix, a *Activations, r0, r1 int)
	// ext holds the type's own kernels (tiles), for its twin tests.
	ext any
}

// maxTypes bounds gguf.Type values the registry holds (ggml has about 40).
const maxTypes = 64

var (
	weightTypes [maxTypes]*weightType
	typeOrder   []gguf.Type // registered types, as SupportedTypes lists them
)

// register adds a weight type and its plain kernels; type files call it
// from init.
func register(w weightType) {
	if int(w.typ) >= maxTypes || weightTypes[w.typ] != nil || w.dequantize == nil || w.plain.dot == nil {
		panic(fmt.Sprintf("tensor: bad registration of weight type %s", w.typ))
	}
	weightTypes[w.typ] = &w
	plainSet.rows[w.typ] = w.plain
	typeOrder = append(typeOrder, w.typ)
	// Float types first, then the quantized ones, each in ggml's order.
	slices.SortFunc(typeOrder, func(a, b gguf.Type) int {
		fa, fb := a.BlockSize() == 1, b.BlockSize() == 1
		if fa != fb {
			if fa {
				return -1
			}
			return 1
		}
		return int(a) - int(b)
	})
}

func lookup(t gguf.Type) *weightType {
	if int(t) >= maxTypes {
		return nil
	}
	return weightTypes[t]
}

// Supported reports whether the kernels can read weights of type t.
func Supported(t gguf.Type) bool { return lookup(t) != nil }

// SupportedTypes lists the weight types the kernels read, for error messages.
func SupportedTypes() []gguf.Type { return slices.Clone(typeOrder) }

// ErrUnsupportedType is wrapped by the errors about weight types the kernels
// cannot read yet.
var ErrUnsupportedType = fmt.Errorf("tensor type is not supported")

func unsupported(t gguf.Type) error {
	names := make([]string, len(typeOrder))
	for i, st := range typeOrder {
		names[i] = st.String()
	}
	return fmt.Errorf("tensor type %s is not supported yet (supported: %s): %w", t, strings.Join(names, ", "), ErrUnsupportedType)
}

// DequantizeRow expands len(dst) values of type t from src into dst.
// len(dst) must be a multiple of t's block size and src must hold them.
func DequantizeRow(t gguf.Type, dst []float32, src []byte) error {
	w := lookup(t)
	if w == nil {
		return unsupported(t)
	}
	n := len(dst)
	if n%t.BlockSize() != 0 {
		return fmt.Errorf("dequantize %s: %d values is not a multiple of the block size %d", t, n, t.BlockSize())
	}
	if need := int(t.RowSize(int64(n))); len(src) < need {
		return fmt.Errorf("dequantize %s: %d values need %d bytes, have %d", t, n, need, len(src))
	}
	w.dequantize(dst, src)
	return nil
}

// formFor is the activation form weights of this type read for the batch
// in a.
func (w *weightType) formOf(a *Activations) actForm {
	if w.formFor != nil {
		return w.formFor(a.n, a.Cols)
	}
	return w.form
}
