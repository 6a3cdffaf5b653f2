package tensor

import (
	"math"
	"math/rand/v2"
	"testing"

	"burrow/inference/gguf"
)

func randF32(r *rand.Rand, n int, scale float32) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64()) * scale
	}
	return x
}

// encodeRows stores x (rows of cols values) in type t, as a GGUF file would.
func encodeRows(t *testing.T, typ gguf.Type, x []float32, cols int) []byte {
	t.Helper()
	rows := len(x) / cols
	rb := int(typ.RowSize(int64(cols)))
	b := make([]byte, rows*rb)
	for r := 0; r < rows; r++ {
		row, dst := x[r*cols:(r+1)*cols], b[r*rb:(r+1)*rb]
		w := lookup(typ)
		if w == nil || w.quantize == nil {
			t.Fatalf("encodeRows: %s", typ)
		}
		w.quantize(dst, row)
	}
	return b
}

// closeRel reports whether got is within tol of want, relative to scale.
func closeRel(got, want, scale, tol float64) bool {
	return math.Abs(got-want) <= tol*math.Max(scale, 1e-30)
}
