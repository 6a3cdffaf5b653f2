package tensor

import (
	"fmt"

	"burrow/inference/gguf"
)

// QuantizeRow writes x in weight type t (what llama-quantize writes for
// that type), into dst of t.RowSize(len(x)) bytes.
func QuantizeRow(t gguf.Type, dst []byte, x []float32) error {
	w := lookup(t)
	if w == nil || w.quantize == nil {
		return fmt.Errorf("tensor: cannot write type %s: %w", t, ErrUnsupportedType)
	}
	if len(x)%t.BlockSize() != 0 {
		return fmt.Errorf("tensor: %d values is not a multiple of the %s block size %d", len(x), t, t.BlockSize())
	}
	if need := int(t.RowSize(int64(len(x)))); len(dst) < need {
		return fmt.Errorf("tensor: %d %s values need %d bytes, have %d", len(x), t, need, len(dst))
	}
	w.quantize(dst, x)
	return nil
}

// CanQuantize reports whether QuantizeRow writes type t.
func CanQuantize(t gguf.Type) bool {
	w := lookup(t)
	return w != nil && w.quantize != nil
}
