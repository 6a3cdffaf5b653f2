package llama

import (
	"math"

	"burrow/inference/tensor"
)

// The F16-cache attention, with the arithmetic of llama.cpp's default CPU
// path (flash attention over F16 K and V, as llama-perplexity runs it): Q
// rounded to F16, q·k in ggml_vec_dot_f16's order, an online softmax with
// libm expf, and the weighted sum of V kept in an F16 accumulator. The q8_0
// reference model is sensitive enough that one activation rounded the other
// way moves logits by 0.15, so matching llama.cpp takes the same operations
// in the same order. The F32 cache uses tensor.Attention, which follows
// llama.cpp's non-flash path the same way.
//
// TODO(integration): this is kernel arithmetic and could move to
// inference/tensor (as AttentionF16) next to tensor.Attention.

// attendHeads computes items [lo,hi) of the current F16-cache attention
// job, item i being head i%Heads of the job's token i/Heads.
func (s *State) attendHeads(lo, hi int) {
	j := &s.job
	c := &s.m.Config
	hd, kvDim, qDim := c.HeadDim, c.KVDim(), c.QDim()
	group := c.Heads / c.KVHeads
	// At most one call per thread runs at a time: each takes a free
	// scratch slot for its range.
	slot := <-s.freeSlots
	defer func() { s.freeSlots <- slot }()
	for i := lo; i < hi; i++ {
		t, h := i/c.Heads, i%c.Heads
		nPos := j.pos0 + t + 1 // the causal mask: token t sees positions 0..pos0+t
		off := (h / group) * hd
		q := j.q[t*qDim+h*hd : t*qDim+(h+1)*hd]
		out := j.out[t*qDim+h*hd : t*qDim+(h+1)*hd]
		attendF16(out, q, s.cache.k16[j.layer], s.cache.v16[j.layer], nPos, kvDim, off,
			s.q16[slot*hd:(slot+1)*hd], s.acc16[slot*hd:(slot+1)*hd], j.scale)
	}
}

// attentionJob is the attention of a batch of tokens in one layer, shared
// by the pool's threads.
type attentionJob struct {
	layer, pos0 int
	q, out      []float32 // [tokens][QDim]
	scale       float32
}

// reduce16 adds 16 lanes in _mm512_reduce_add_ps's order.
func reduce16(x *[16]float32) float32 {
	var a [8]float32
	for i := range a {
		a[i] = x[i+8] + x[i]
	}
	var b [4]float32
	for i := range b {
		b[i] = a[i+4] + a[i]
	}
	return (b[0] + b[2]) + (b[1] + b[3])
}

// fma32 is a fused float32 multiply-add. The product of two float32 is
// exact in float64, so only the final double-to-float rounding can differ
// from a true float32 FMA, and only in rare double-rounding cases.
func fma32(a, b, c float32) float32 { return float32(math.FMA(float64(a), float64(b), float64(c))) }

// attendF16 is ggml's flash-attention kernel over an F16 cache: Q rounded
// to F16, scores as F16 dot products, an online softmax, and the weighted
// sum of V kept in F16 (acc holds F16 values widened to float32).
func attendF16(out, q []float32, k, v []uint16, nPos, kvDim, off int, q16 []uint16, acc []float32, scale float32) {
	hd := len(q)
	for i, x := range q {
		q16[i] = f32ToF16(x)
	}
	clear(acc)
	var sum float32
	max := float32(math.Inf(-1))
	for p := 0; p < nPos; p++ {
		kr := k[p*kvDim+off : p*kvDim+off+hd]
		vr := v[p*kvDim+off : p*kvDim+off+hd]
		s := dotF16GGML(kr, q16) * scale
		ms, vs := float32(1), float32(1)
		if s > max {
			old := max
			max = s
			ms = float32(math.Exp(float64(old - max)))
			for i := range acc {
				acc[i] = roundF16(acc[i] * ms)
			}
		} else {
			vs = float32(math.Exp(float64(s - max)))
		}
		for i := range acc {
			acc[i] = roundF16(fma32(f16ToF32(vr[i]), vs, acc[i]))
		}
		sum = fma32(sum, ms, vs)
	}
	var inv float32
	if sum != 0 {
		inv = 1 / sum
	}
	for i := range out {
		out[i] = acc[i] * inv
	}
}

// dotF16GGML is ggml_vec_dot_f16 of the AVX-512 build: F16 values widened,
// 4x16 float lanes with FMA, and the leftovers summed in double.
func dotF16GGML(x, y []uint16) float32 {
	n := len(x)
	np := n &^ 63
	var sum float64
	if np > 0 {
		var acc [4][16]float32
		for i := 0; i < np; i += 64 {
			for a := 0; a < 4; a++ {
				for l := 0; l < 16; l++ {
					k := i + 16*a + l
					acc[a][l] = fma32(f16ToF32(x[k]), f16ToF32(y[k]), acc[a][l])
				}
			}
		}
		for l := 0; l < 16; l++ {
			acc[0][l] += acc[2][l]
			acc[1][l] += acc[3][l]
		}
		for l := 0; l < 16; l++ {
			acc[0][l] += acc[1][l]
		}
		sum = float64(reduce16(&acc[0]))
	}
	for i := np; i < n; i++ {
		sum += float64(f16ToF32(x[i]) * f16ToF32(y[i]))
	}
	return float32(sum)
}

func f16ToF32(h uint16) float32  { return tensor.F16ToF32(h) }
func f32ToF16(x float32) uint16  { return tensor.F32ToF16(x) }
func roundF16(x float32) float32 { return tensor.F16ToF32(tensor.F32ToF16(x)) }
