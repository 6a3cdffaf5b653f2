package tensor

import (
	"math"
	"math/rand/v2"
	"testing"

	"burrow/inference/gguf"
)

// TestThreadCountDoesNotChangeResults: every output is computed by one
// kernel call whatever the split, so 1, 2 and 3 threads give the same bits
// (the engine promises the same tokens on every thread count).
func TestThreadCountDoesNotChangeResults(t *testing.T) {
	r := rand.New(rand.NewPCG(61, 62))
	const cols, rows = 256, 77
	a := NewActivations(6, cols)
	a.Set(randF32(r, 6*cols, 1), 6)
	q, k, v := randF32(r, 8*32, 1), randF32(r, 50*4*32, 1), randF32(r, 50*4*32, 1)
	type result struct{ mm, att []float32 }
	var first map[gguf.Type]result
	for _, threads := range []int{1, 2, 3} {
		p := NewPool(threads)
		got := map[gguf.Type]result{}
		for _, typ := range SupportedTypes() {
			m, err := NewMatrix(typ, rows, cols, encodeRows(t, typ, randF32(rand.New(rand.NewPCG(7, uint64(typ))), rows*cols, 1), cols))
			if err != nil {
				t.Fatal(err)
			}
			out := make([]float32, 6*rows)
			MatMul(p, out, m, a)
			att := make([]float32, 8*32)
			Attention(p, att, q, k, v, 50, 8, 4, 32, make([]float32, AttentionScratch(8, 32, 50)))
			got[typ] = result{out, att}
		}
		p.Close()
		if first == nil {
			first = got
			continue
		}
		for typ, res := range got {
			for i := range res.mm {
				if math.Float32bits(res.mm[i]) != math.Float32bits(first[typ].mm[i]) {
					t.Fatalf("%s threads=%d: out[%d] = %v, 1 thread %v", typ, threads, i, res.mm[i], first[typ].mm[i])
				}
			}
			for i := range res.att {
				if math.Float32bits(res.att[i]) != math.Float32bits(first[typ].att[i]) {
					t.Fatalf("attention threads=%d: out[%d] = %v, 1 thread %v", threads, i, res.att[i], first[typ].att[i])
				}
			}
		}
	}
}

// TestRoPEScaled: freqScale multiplies every angle (linear rope scaling).
func TestRoPEScaled(t *testing.T) {
	r := rand.New(rand.NewPCG(63, 64))
	x := randF32(r, 2*16, 1)
	y := append([]float32(nil), x...)
	RoPEScaled(x, 2, 16, 16, 40, 10000, 0.25, false, nil)
	// pos 40 at scale 1/4 turns like pos 10 at scale 1 up to float32
	// rounding of the angles.
	RoPE(y, 2, 16, 16, 10, 10000, false, nil)
	for i := range x {
		if math.Abs(float64(x[i]-y[i])) > 1e-5 {
			t.Fatalf("x[%d] = %v, want %v", i, x[i], y[i])
		}
	}
}
