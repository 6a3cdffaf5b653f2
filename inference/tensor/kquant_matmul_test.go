package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"burrow/inference/gguf"
)

// TestMatMulKQuant: MatMul over K-quant matrices, in both kernel sets and
// with batches that use the four-row tiles and their leftovers, equals the
// plain one-row dot of each (weight row, input row) bit for bit, and the
// float64 reference within 1e-5 of the magnitude.
func TestMatMulKQuant(t *testing.T) { kernelSets(t, testMatMulKQuant) }

func testMatMulKQuant(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	pool := NewPool(2)
	defer pool.Close()
	for _, typ := range []gguf.Type{gguf.TypeQ4_K, gguf.TypeQ5_K, gguf.TypeQ6_K} {
		w := lookup(typ)
		for _, sh := range []struct{ rows, cols, n int }{{7, 256, 1}, {9, 512, 4}, {5, 768, 6}, {12, 256, 9}} {
			t.Run(fmt.Sprintf("%s/%dx%dx%d", typ, sh.rows, sh.cols, sh.n), func(t *testing.T) {
				data := encodeRows(t, typ, randF32(r, sh.rows*sh.cols, 0.1), sh.cols)
				m, err := NewMatrix(typ, sh.rows, sh.cols, data)
				if err != nil {
					t.Fatal(err)
				}
				x := randF32(r, sh.n*sh.cols, 2)
				a := NewActivations(sh.n+1, sh.cols)
				a.Set(x, sh.n)
				out := make([]float32, sh.n*sh.rows)
				MatMul(pool, out, m, a)
				want, mag := matmulRef(typ, data, sh.rows, sh.cols, x, sh.n)
				nb := sh.cols / qkK
				for tt := 0; tt < sh.n; tt++ {
					for rr := 0; rr < sh.rows; rr++ {
						got := out[tt*sh.rows+rr]
						one := w.plain.dot(m.Row(rr), a.row(formQ8_K, tt), nb)
						if math.Float32bits(got) != math.Float32bits(one) {
							t.Fatalf("row %d input %d: %v, one-row plain dot %v", rr, tt, got, one)
						}
						if i := tt*sh.rows + rr; !closeRel(float64(got), want[i], mag[i], 1e-5) {
							t.Fatalf("row %d input %d: %v, reference %v (magnitude %v)", rr, tt, got, want[i], mag[i])
						}
					}
				}
			})
		}
	}
}
