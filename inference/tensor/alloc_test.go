package tensor

import (
	"math/rand/v2"
	"testing"

	"burrow/inference/gguf"
)

// TestKernelsAllocateNothing: the per-token kernels make no heap
// allocations once their buffers exist (a decode loop calls them hundreds
// of times per token).
func TestKernelsAllocateNothing(t *testing.T) {
	r := rand.New(rand.NewPCG(51, 52))
	const cols, n = 256, 5
	var ms []*Matrix
	for _, typ := range SupportedTypes() {
		m, err := NewMatrix(typ, 48, cols, encodeRows(t, typ, randF32(r, 48*cols, 1), cols))
		if err != nil {
			t.Fatal(err)
		}
		ms = append(ms, m)
	}
	a := NewActivations(n, cols)
	x := randF32(r, n*cols, 1)
	outs := make([][]float32, len(ms))
	for i := range outs {
		outs[i] = make([]float32, n*48)
	}
	q, k, v := randF32(r, 8*32, 1), randF32(r, 20*2*32, 1), randF32(r, 20*2*32, 1)
	attOut, scratch := make([]float32, 8*32), make([]float32, AttentionScratch(8, 32, 20))
	k16, v16 := make([]uint16, len(k)), make([]uint16, len(v))
	convertF16(k16, k)
	convertF16(v16, v)
	q16, acc16 := make([]uint16, 64), make([]float32, 64)
	w := randF32(r, cols, 1)
	ff := randF32(r, 16, 1)
	for _, threads := range []int{1, 2} {
		p := NewPool(threads)
		allocs := testing.AllocsPerRun(20, func() {
			a.Set(x, n)
			for i := 0; i < len(ms); i += MaxMulti { // any number of types
				j := min(i+MaxMulti, len(ms))
				MatMulMulti(p, outs[i:j], ms[i:j], a)
			}
			MatMul(p, outs[0], ms[0], a)
			RMSNorm(x[:cols], x[:cols], w, 1e-5)
			RoPE(q, 8, 32, 32, 7, 10000, false, ff)
			RoPE(q, 8, 32, 32, 7, 10000, true, nil)
			Attention(p, attOut, q, k, v, 20, 8, 2, 32, scratch)
			AttentionF16(attOut, q[:32], k16, v16, 64, 20, 0.17, q16, acc16)
			AttentionF16(attOut, q[:64], k16, v16, 64, 20, 0.17, q16, acc16) // hd 64: assembly scores
			Softmax(scratch)
			SwiGLU(x[:cols], x[:cols], w)
		})
		p.Close()
		if allocs != 0 {
			t.Errorf("threads=%d: %v allocations per run, want 0", threads, allocs)
		}
	}
}

var _ = gguf.TypeF32
