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
}

// NewMatrix checks that the kernels support t, that cols fits t's blocks and
// that data holds rows*cols values, and returns a view of data.
func NewMatrix(t gguf.Type, rows, cols int, data []byte) (*Matrix, error) {
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
	return &Matrix{Type: t, Rows: rows, Cols: cols, RowBytes: rb, Data: data}, nil
}

// Row returns the raw bytes of row r.
func (m *Matrix) Row(r int) []byte { return m.Data[r*m.RowBytes : (r+1)*m.RowBytes] }

// RowF32 dequantizes row r into dst[:m.Cols] (the embedding lookup).
func (m *Matrix) RowF32(r int, dst []float32) {
	if r < 0 || r >= m.Rows {
		panic(fmt.Sprintf("tensor: row %d out of range [0,%d)", r, m.Rows))
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
	return &Matrix{Type: m.Type, Rows: r1 - r0, Cols: m.Cols, RowBytes: m.RowBytes,
		Data: m.Data[r0*m.RowBytes : r1*m.RowBytes]}, nil
}
