package tensor

import (
	"encoding/binary"
	"fmt"
	"math"

	"burrow/inference/gguf"
)

// Supported reports whether the kernels can read weights of type t.
func Supported(t gguf.Type) bool {
	switch t {
	case gguf.TypeF32, gguf.TypeF16, gguf.TypeBF16, gguf.TypeQ8_0:
		return true
	}
	return false
}

// SupportedTypes lists the weight types the kernels read, for error messages.
func SupportedTypes() []gguf.Type {
	return []gguf.Type{gguf.TypeF32, gguf.TypeF16, gguf.TypeBF16, gguf.TypeQ8_0}
}

// ErrUnsupportedType is wrapped by the errors about weight types the kernels
// cannot read yet.
var ErrUnsupportedType = fmt.Errorf("tensor type is not supported")

func unsupported(t gguf.Type) error {
	return fmt.Errorf("tensor type %s is not supported yet (supported: F32, F16, BF16, Q8_0): %w", t, ErrUnsupportedType)
}

// DequantizeRow expands len(dst) values of type t from src into dst.
// len(dst) must be a multiple of t's block size and src must hold them.
func DequantizeRow(t gguf.Type, dst []float32, src []byte) error {
	if !Supported(t) {
		return unsupported(t)
	}
	n := len(dst)
	if n%t.BlockSize() != 0 {
		return fmt.Errorf("dequantize %s: %d values is not a multiple of the block size %d", t, n, t.BlockSize())
	}
	if need := int(t.RowSize(int64(n))); len(src) < need {
		return fmt.Errorf("dequantize %s: %d values need %d bytes, have %d", t, n, need, len(src))
	}
	switch t {
	case gguf.TypeF32:
		for i := range dst {
			dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:]))
		}
	case gguf.TypeF16:
		for i := range dst {
			dst[i] = F16ToF32(binary.LittleEndian.Uint16(src[2*i:]))
		}
	case gguf.TypeBF16:
		for i := range dst {
			dst[i] = BF16ToF32(binary.LittleEndian.Uint16(src[2*i:]))
		}
	case gguf.TypeQ8_0:
		dequantizeQ8_0(dst, src)
	}
	return nil
}
