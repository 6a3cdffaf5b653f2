package llama

import (
	"math"
	"math/rand/v2"
	"testing"

	"burrow/inference/tensor"
)

// naiveAttention is softmax(q·k/sqrt(d))·v in float64 for one head.
func naiveAttention(q, k, v []float32, nPos, kvDim, off int) []float64 {
	hd := len(q)
	w := make([]float64, nPos)
	max := math.Inf(-1)
	for p := range w {
		var s float64
		for i := range q {
			s += float64(q[i]) * float64(k[p*kvDim+off+i])
		}
		w[p] = s / math.Sqrt(float64(hd))
		max = math.Max(max, w[p])
	}
	var sum float64
	for p := range w {
		w[p] = math.Exp(w[p] - max)
		sum += w[p]
	}
	out := make([]float64, hd)
	for p := range w {
		for d := range out {
			out[d] += w[p] / sum * float64(v[p*kvDim+off+d])
		}
	}
	return out
}

// Both caches' attention agree with the math: the F32 one (tensor.Attention)
// closely, the F16 one within half-precision rounding.
func TestAttentionAgreesWithMath(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	const hd, heads = 64, 2
	kvDim := hd * heads
	for _, nPos := range []int{1, 5, 16, 17, 100} {
		q := make([]float32, heads*hd)
		k, v := make([]float32, nPos*kvDim), make([]float32, nPos*kvDim)
		for _, s := range [][]float32{q, k, v} {
			for i := range s {
				s[i] = float32(r.NormFloat64())
			}
		}
		k16, v16 := make([]uint16, len(k)), make([]uint16, len(v))
		for i := range k {
			k16[i], v16[i] = tensor.F32ToF16(k[i]), tensor.F32ToF16(v[i])
		}
		got32 := make([]float32, heads*hd)
		tensor.Attention(nil, got32, q, k, v, nPos, heads, heads, hd, make([]float32, tensor.AttentionScratch(heads, hd, nPos)))
		for h := 0; h < heads; h++ {
			qh := q[h*hd : (h+1)*hd]
			want := naiveAttention(qh, k, v, nPos, kvDim, h*hd)
			got16 := make([]float32, hd)
			tensor.AttentionF16(got16, qh, k16[h*hd:], v16[h*hd:], kvDim, nPos, 1/float32(math.Sqrt(hd)), make([]uint16, hd), make([]float32, hd))
			for d := range want {
				if e := math.Abs(float64(got32[h*hd+d]) - want[d]); e > 1e-5 {
					t.Fatalf("F32 cache, %d positions: head %d out[%d] = %v, want %v", nPos, h, d, got32[h*hd+d], want[d])
				}
				if e := math.Abs(float64(got16[d]) - want[d]); e > 2e-2 {
					t.Fatalf("F16 cache, %d positions: head %d out[%d] = %v, want %v", nPos, h, d, got16[d], want[d])
				}
			}
		}
	}
}
