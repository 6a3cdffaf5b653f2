package tensor

import (
	"math"
	"math/rand/v2"
	"testing"
)

// AttentionBatch gives, bit for bit, what Attention (F32 cache) and
// AttentionF16 (F16 cache) give token by token and head by head, on any
// number of threads; a window drops the positions before it.
func TestAttentionBatchEqualsPerToken(t *testing.T) {
	r := rand.New(rand.NewPCG(81, 82))
	const heads, kvHeads, hd, pos0, n = 8, 2, 32, 5, 7
	qDim, kvDim, nPos := heads*hd, kvHeads*hd, pos0+n
	q := randF32(r, n*qDim, 1)
	k, v := randF32(r, nPos*kvDim, 1), randF32(r, nPos*kvDim, 1)
	k16, v16 := make([]uint16, len(k)), make([]uint16, len(v))
	convertF16(k16, k)
	convertF16(v16, v)
	scale := 1 / float32(math.Sqrt(hd))
	for _, window := range []int{0, 4} {
		want32, want16 := make([]float32, n*qDim), make([]float32, n*qDim)
		for tok := 0; tok < n; tok++ {
			end := pos0 + tok + 1
			first := 0
			if window > 0 && end > window {
				first = end - window
			}
			Attention(nil, want32[tok*qDim:], q[tok*qDim:], k[first*kvDim:], v[first*kvDim:], end-first, heads, kvHeads, hd,
				make([]float32, AttentionScratch(heads, hd, end)))
			for h := 0; h < heads; h++ {
				off := first*kvDim + h/(heads/kvHeads)*hd
				AttentionF16(want16[tok*qDim+h*hd:tok*qDim+(h+1)*hd], q[tok*qDim+h*hd:tok*qDim+(h+1)*hd], k16[off:], v16[off:],
					kvDim, end-first, scale, make([]uint16, hd), make([]float32, hd))
			}
		}
		for _, threads := range []int{1, 2, 3} {
			p := NewPool(threads)
			sh := AttnShape{Heads: heads, KVHeads: kvHeads, HeadDim: hd, Scale: scale, Window: window}
			for _, f16 := range []bool{false, true} {
				got, want, kv := make([]float32, n*qDim), want32, KV{K: k, V: v}
				if f16 {
					want, kv = want16, KV{K16: k16, V16: v16}
				}
				AttentionBatch(p, got, q, kv, pos0, n, sh, NewAttnScratch(threads, sh, nPos, f16))
				for i := range got {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("window %d, %d threads, f16 %v: out[%d] = %v, want %v", window, threads, f16, i, got[i], want[i])
					}
				}
			}
			p.Close()
		}
	}
}

func TestAttentionBatchDoesNotAllocate(t *testing.T) {
	r := rand.New(rand.NewPCG(83, 84))
	sh := AttnShape{Heads: 4, KVHeads: 2, HeadDim: 32, Scale: 0.17}
	q, out := randF32(r, 3*128, 1), make([]float32, 3*128)
	k, v := randF32(r, 10*64, 1), randF32(r, 10*64, 1)
	k16, v16 := make([]uint16, len(k)), make([]uint16, len(v))
	for _, threads := range []int{1, 2} {
		p := NewPool(threads)
		s32, s16 := NewAttnScratch(threads, sh, 10, false), NewAttnScratch(threads, sh, 10, true)
		allocs := testing.AllocsPerRun(20, func() {
			AttentionBatch(p, out, q, KV{K: k, V: v}, 7, 3, sh, s32)
			AttentionBatch(p, out[:128], q, KV{K16: k16, V16: v16}, 9, 1, sh, s16)
		})
		p.Close()
		if allocs != 0 {
			t.Errorf("threads=%d: %v allocations per run", threads, allocs)
		}
	}
}

// With Softcap, every score s becomes cap*tanh(s/cap) before the softmax:
// the F32 cache agrees with that in float64, and the F16 cache gives
// exactly the one-position-at-a-time model with the same cap.
func TestAttentionBatchSoftcap(t *testing.T) {
	r := rand.New(rand.NewPCG(85, 86))
	const heads, kvHeads, hd, pos0, n = 4, 2, 32, 9, 3
	qDim, kvDim, nPos := heads*hd, kvHeads*hd, pos0+n
	q := randF32(r, n*qDim, 3) // large scores, so the cap matters
	k, v := randF32(r, nPos*kvDim, 1), randF32(r, nPos*kvDim, 1)
	k16, v16 := make([]uint16, len(k)), make([]uint16, len(v))
	convertF16(k16, k)
	convertF16(v16, v)
	const cap = 2.5
	sh := AttnShape{Heads: heads, KVHeads: kvHeads, HeadDim: hd, Scale: 1, Softcap: cap}
	p := NewPool(2)
	defer p.Close()
	got := make([]float32, n*qDim)
	AttentionBatch(p, got, q, KV{K: k, V: v}, pos0, n, sh, NewAttnScratch(2, sh, nPos, false))
	for tok := 0; tok < n; tok++ {
		end := pos0 + tok + 1
		for h := 0; h < heads; h++ {
			g := h / (heads / kvHeads)
			w := make([]float64, end)
			var sum float64
			for j := range w {
				var s float64
				for i := 0; i < hd; i++ {
					s += float64(q[tok*qDim+h*hd+i]) * float64(k[j*kvDim+g*hd+i])
				}
				w[j] = math.Exp(cap * math.Tanh(s/cap))
				sum += w[j]
			}
			for i := 0; i < hd; i++ {
				var want float64
				for j := range w {
					want += w[j] / sum * float64(v[j*kvDim+g*hd+i])
				}
				if d := math.Abs(float64(got[tok*qDim+h*hd+i]) - want); d > 1e-5 {
					t.Fatalf("f32: token %d head %d [%d] = %v, want %v", tok, h, i, got[tok*qDim+h*hd+i], want)
				}
			}
		}
	}
	AttentionBatch(p, got, q, KV{K16: k16, V16: v16}, pos0, n, sh, NewAttnScratch(2, sh, nPos, true))
	for tok := 0; tok < n; tok++ {
		for h := 0; h < heads; h++ {
			want := make([]float32, hd)
			off := h / (heads / kvHeads) * hd
			attendF16Plain(want, q[tok*qDim+h*hd:tok*qDim+(h+1)*hd], k16[off:], v16[off:], kvDim, pos0+tok+1, 1, cap,
				make([]uint16, hd), make([]float32, hd))
			for i, w := range want {
				if g := got[tok*qDim+h*hd+i]; math.Float32bits(g) != math.Float32bits(w) {
					t.Fatalf("f16: token %d head %d [%d] = %v, model %v", tok, h, i, g, w)
				}
			}
		}
	}
}
