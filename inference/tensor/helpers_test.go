package tensor

import (
	"encoding/binary"
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
		switch typ {
		case gguf.TypeF32:
			for i, v := range row {
				binary.LittleEndian.PutUint32(dst[4*i:], math.Float32bits(v))
			}
		case gguf.TypeF16:
			for i, v := range row {
				binary.LittleEndian.PutUint16(dst[2*i:], F32ToF16(v))
			}
		case gguf.TypeBF16:
			for i, v := range row {
				binary.LittleEndian.PutUint16(dst[2*i:], F32ToBF16(v))
			}
		case gguf.TypeQ8_0:
			QuantizeQ8_0(dst, row)
		default:
			// Other types write what llama-quantize writes.
			w := lookup(typ)
			if w == nil || w.quantize == nil {
				t.Fatalf("encodeRows: %s", typ)
			}
			w.quantize(dst, row)
		}
	}
	return b
}

// closeRel reports whether got is within tol of want, relative to scale.
func closeRel(got, want, scale, tol float64) bool {
	return math.Abs(got-want) <= tol*math.Max(scale, 1e-30)
}

// The active set's kernels under the names the twin tests use.
func q8_0Active() *q8_0Kernels { return kernelsOf(gguf.TypeQ8_0).ext.(*q8_0Kernels) }
func f16Active() *f16Kernels   { return kernelsOf(gguf.TypeF16).ext.(*f16Kernels) }
func f32Active() *f32Kernels   { return kernelsOf(gguf.TypeF32).ext.(*f32Kernels) }

func dotQ8_0(x, y []byte, nb int) float32 { return kernelsOf(gguf.TypeQ8_0).dot(x, y, nb) }
func mulQ8_0(w []byte, a *Activations, t, nb int) float32 {
	return q8_0Active().one(w, a, t, nb)
}
func mulQ8_0x4(w []byte, a *Activations, t, nb int) [4]float32 {
	return q8_0Active().x4(w, a, t, nb)
}
func mulQ8_0x2x4(w []byte, ws int, a *Activations, t, nb int) [8]float32 {
	return q8_0Active().x2x4(w, ws, a, t, nb)
}
func dotF32(x, y []float32) float32             { return f32Active().dot(x, y) }
func dotF32Tile(x, y []float32) float32         { return f32Active().tile(x, y) }
func dotF16(x, y []uint16) float32              { return f16Active().dot(x, y) }
func dotF16F32(x []uint16, y []float32) float32 { return f16Active().dotF32(x, y) }
