package tensor

import (
	"math"
	"math/rand/v2"
	"testing"
)

// softmaxSink is the softmax of the row with the sink as one more logit,
// that logit's share dropped.
func TestSoftmaxSink(t *testing.T) {
	r := rand.New(rand.NewPCG(91, 92))
	for _, n := range []int{1, 5, 16, 37} {
		for _, sink := range []float32{-3, 0, 0.7, 4, 40} {
			x := randF32(r, n, 3)
			want := make([]float64, n)
			mx := float64(sink)
			for _, v := range x {
				mx = math.Max(mx, float64(v))
			}
			sum := math.Exp(float64(sink) - mx)
			for _, v := range x {
				sum += math.Exp(float64(v) - mx)
			}
			for i, v := range x {
				want[i] = math.Exp(float64(v)-mx) / sum
			}
			softmaxSink(x, sink)
			var total float64
			for i, v := range x {
				total += float64(v)
				if math.Abs(float64(v)-want[i]) > 1e-6 {
					t.Fatalf("n %d sink %v: x[%d] = %v, want %v", n, sink, i, v, want[i])
				}
			}
			if total > 1+1e-6 {
				t.Fatalf("n %d sink %v: weights sum to %v > 1", n, sink, total)
			}
		}
	}
}

// A sink of -Inf changes nothing, bit for bit; otherwise AttentionBatch's
// output is the float64 attention with the sink in the denominator, on
// both caches, with a window and grouped heads.
func TestAttentionBatchSinks(t *testing.T) {
	r := rand.New(rand.NewPCG(93, 94))
	const heads, kvHeads, hd, pos0, n = 8, 2, 32, 6, 5
	qDim, kvDim, nPos := heads*hd, kvHeads*hd, pos0+n
	q := randF32(r, n*qDim, 1)
	k, v := randF32(r, nPos*kvDim, 1), randF32(r, nPos*kvDim, 1)
	k16, v16 := make([]uint16, len(k)), make([]uint16, len(v))
	convertF16(k16, k)
	convertF16(v16, v)
	sinks := randF32(r, heads, 2)
	sinks[3] = 30 // one head's attention almost all on the sink
	none := make([]float32, heads)
	for i := range none {
		none[i] = float32(math.Inf(-1))
	}
	scale := 1 / float32(math.Sqrt(hd))
	for _, window := range []int{0, 4} {
		// float64 reference, keys and values as the cache holds them
		want := func(f16 bool) []float64 {
			out := make([]float64, n*qDim)
			kv := func(x []float32, x16 []uint16, i int) float64 {
				if f16 {
					return float64(F16ToF32(x16[i]))
				}
				return float64(x[i])
			}
			for tok := 0; tok < n; tok++ {
				end := pos0 + tok + 1
				first := 0
				if window > 0 && end > window {
					first = end - window
				}
				for h := 0; h < heads; h++ {
					g := h / (heads / kvHeads)
					sc := make([]float64, end-first)
					mx := float64(sinks[h])
					for p := first; p < end; p++ {
						var d float64
						for i := 0; i < hd; i++ {
							d += float64(q[tok*qDim+h*hd+i]) * kv(k, k16, p*kvDim+g*hd+i)
						}
						sc[p-first] = d * float64(scale)
						mx = math.Max(mx, sc[p-first])
					}
					sum := math.Exp(float64(sinks[h]) - mx)
					for i := range sc {
						sc[i] = math.Exp(sc[i] - mx)
						sum += sc[i]
					}
					for p := first; p < end; p++ {
						for i := 0; i < hd; i++ {
							out[tok*qDim+h*hd+i] += sc[p-first] / sum * kv(v, v16, p*kvDim+g*hd+i)
						}
					}
				}
			}
			return out
		}
		for _, f16 := range []bool{false, true} {
			kv := KV{K: k, V: v}
			tol := 1e-5
			if f16 {
				kv, tol = KV{K16: k16, V16: v16}, 4e-3 // the query and the sums in F16
			}
			for _, threads := range []int{1, 2} {
				p := NewPool(threads)
				sh := AttnShape{Heads: heads, KVHeads: kvHeads, HeadDim: hd, Scale: scale, Window: window}
				plain := make([]float32, n*qDim)
				AttentionBatch(p, plain, q, kv, pos0, n, sh, NewAttnScratch(threads, sh, nPos, f16))
				sh.Sinks = none
				got := make([]float32, n*qDim)
				AttentionBatch(p, got, q, kv, pos0, n, sh, NewAttnScratch(threads, sh, nPos, f16))
				for i := range got {
					if math.Float32bits(got[i]) != math.Float32bits(plain[i]) {
						t.Fatalf("window %d f16 %v: -Inf sinks changed out[%d]: %v, want %v", window, f16, i, got[i], plain[i])
					}
				}
				sh.Sinks = sinks
				AttentionBatch(p, got, q, kv, pos0, n, sh, NewAttnScratch(threads, sh, nPos, f16))
				p.Close()
				w := want(f16)
				for i := range got {
					if math.Abs(float64(got[i])-w[i]) > tol {
						t.Fatalf("window %d f16 %v threads %d: out[%d] = %v, want %v", window, f16, threads, i, got[i], w[i])
					}
				}
				for i := 3 * hd; i < 4*hd; i++ { // the head whose sink takes it all
					if math.Abs(float64(got[i])) > 1e-6 {
						t.Fatalf("f16 %v: head 3 out %v, want ~0", f16, got[i])
					}
				}
			}
		}
	}
}
