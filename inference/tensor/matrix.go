package tensor

import (
	"fmt"

	"burrow/inference/gguf"
)

// Matrix is a 2-D weight tensor viewed in place (usually inside the mapped
// GGUF file), in ggml's row-major layout: Rows rows of Cols values, where Cols
// is the tensor's Shape[0]. Row r occupies Data[r*RowBytes : (r+1)*RowBytes].
type Matrix struct {
	Type       gguf.Type
	Rows, Cols int
	RowBytes   int
	Data       []byte
	// repacked: Data is in the type's repacked layout (registry.go's
	// repacker; RowBytes still counts the file's bytes per row).
	repacked bool
}

// NewMatrix checks that the kernels support t, that cols fits t's blocks and
// that data holds rows*cols values, and returns a view of data, or for a
// type the kernels repack (Q4_K with rows a multiple of 8) a repacked copy.
func NewMatrix(t gguf.Type, rows, cols int, data []byte) (*Matrix, error) {
	return NewMatrixAlloc(t, rows, cols, data, nil)
}

// NewMatrixAlloc is NewMatrix with the memory of a repacked copy from
// alloc (nil: the Go heap), such as gguf.File.Alloc, whose memory lives as
// long as the file's mapping; an alloc that returns nil keeps the view.
func NewMatrixAlloc(t gguf.Type, rows, cols int, data []byte, alloc func(n int) []byte) (*Matrix, error) {
	if !Supported(t) {
		return nil, unsupported(t)
	}
	if rows <= 0 || cols <= 0 {
		return nil, fmt.Errorf("tensor: bad %s matrix shape %dx%d", t, rows, cols)
	}
	if cols%t.BlockSize() != 0 {
		return nil, fmt.Errorf("tensor: %s matrix row length %d is not a multiple of the block size %d", t, cols, t.BlockSize())
	}
	rb := int(t.RowSize(int64(cols)))
	if need := rows * rb; len(data) != need {
		return nil, fmt.Errorf("tensor: %s matrix %dx%d needs %d bytes, have %d", t, rows, cols, need, len(data))
	}
	m := &Matrix{Type: t, Rows: rows, Cols: cols, RowBytes: rb, Data: data}
	if rp := lookup(t).repack; rp != nil {
		if alloc == nil {
			alloc = func(n int) []byte { return make([]byte, n) }
		}
		if d := rp.pack(data, rows, cols, alloc); d != nil {
			m.Data, m.repacked = d, true
		}
	}
	return m, nil
}

// Repacked reports whether m holds a repacked copy of its data (in memory
// of its own) rather than a view of the slice NewMatrix was given, which
// the caller may then release.
func (m *Matrix) Repacked() bool { return m.repacked }

// Row returns the raw bytes of row r (not for a repacked matrix).
func (m *Matrix) Row(r int) []byte { return m.Data[r*m.RowBytes : (r+1)*m.RowBytes] }

// RowF32 dequantizes row r into dst[:m.Cols] (the embedding lookup).
func (m *Matrix) RowF32(r int, dst []float32) {
	if r < 0 || r >= m.Rows {
		panic(fmt.Sprintf("tensor: row %d out of range [0,%d)", r, m.Rows))
	}
	if m.repacked {
		lookup(m.Type).repack.rowF32(dst[:m.Cols], m, r)
		return
	}
	if err := DequantizeRow(m.Type, dst[:m.Cols], m.Row(r)); err != nil {
		panic(err) // NewMatrix already checked type and sizes
	}
}

// Slice is a view of rows [r0, r1) of m (one expert of a stacked expert
// tensor).
func (m *Matrix) Slice(r0, r1 int) (*Matrix, error) {
	if r0 < 0 || r1 > m.Rows || r0 >= r1 {
		return nil, fmt.Errorf("tensor: rows [%d,%d) of a %d-row matrix", r0, r1, m.Rows)
	}
	if rp := lookup(m.Type).repack; m.repacked && (r0%rp.group != 0 || r1%rp.group != 0) {
		// Not on group boundaries: a copy in the file's layout.
		s := &Matrix{Type: m.Type, Rows: r1 - r0, Cols: m.Cols, RowBytes: m.RowBytes, Data: make([]byte, (r1-r0)*m.RowBytes)}
		for r := r0; r < r1; r++ {
			rp.row(s.Data[(r-r0)*m.RowBytes:(r-r0+1)*m.RowBytes], m, r)
		}
		return s, nil
	}
	return &Matrix{Type: m.Type, Rows: r1 - r0, Cols: m.Cols, RowBytes: m.RowBytes,
		Data: m.Data[r0*m.RowBytes : r1*m.RowBytes], repacked: m.repacked}, nil
}
