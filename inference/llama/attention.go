package llama

import (
	"math"

	"burrow/inference/tensor"
)

// Attention with the arithmetic of llama.cpp's CPU backend, in the order
// its x86 AVX-512 build (the reference machine) uses. The Q8_0 model is so
// sensitive that one activation rounded the other way moves logits by
// 0.15, so matching llama.cpp takes the same operations in the same order,
// not just the same math:
//
// F32 cache (flash attention off, as the greedy references were made):
//   - q·k: ggml_vec_dot_f32, 4x16 float lanes with FMA, then the leftover
//     values fused into a float sum;
//   - softmax of q·k*scale: ggml_v_expf (not libm expf) on 16 values at a
//     time, each group summed in _mm512_reduce_add_ps order into a double;
//   - weights·V: tinyBLAS's 16 FMA lanes over positions, then the same
//     reduction.
//
// F16 cache (llama.cpp's default: flash attention, F16 K and V, as
// llama-perplexity ran): Q rounded to F16, q·k in double over F16 products,
// online softmax with libm expf and an F16 accumulator for V.
//
// TODO(integration): this is kernel arithmetic; it belongs in
// inference/tensor (as Attention / AttentionF16) once the kernels there
// follow llama.cpp this closely. tensor.Attention differs in the summation
// order and exp, which flips one Q8_0 rounding on reference prompt 3.

// attendHeads computes items [lo,hi) of the current attention job, item
// i being head i%Heads of the job's token i/Heads.
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
		if s.cache.f16 {
			attendF16(out, q, s.cache.k16[j.layer], s.cache.v16[j.layer], nPos, kvDim, off,
				s.q16[slot*hd:(slot+1)*hd], s.acc16[slot*hd:(slot+1)*hd], j.scale)
		} else {
			attendF32(out, q, s.cache.k[j.layer], s.cache.v[j.layer], nPos, kvDim, off,
				s.scores[slot*s.scoreStride:(slot+1)*s.scoreStride], s.vlanes[slot*16*hd:(slot+1)*16*hd], j.scale)
		}
	}
}

// attentionJob is the attention of a batch of tokens in one layer, shared
// by the pool's threads.
type attentionJob struct {
	layer, pos0 int
	q, out      []float32 // [tokens][QDim]
	scale       float32
}

func attendF32(out, q, k, v []float32, nPos, kvDim, off int, scores, lanes []float32, scale float32) {
	hd := len(q)
	n16 := (nPos + 15) &^ 15
	sc := scores[:n16]
	for p := 0; p < nPos; p++ {
		sc[p] = dotF32GGML(k[p*kvDim+off:p*kvDim+off+hd], q) * scale
	}
	max := float32(math.Inf(-1))
	for _, x := range sc[:nPos] {
		if x > max {
			max = x
		}
	}
	var sum float64
	var group [16]float32
	for c := 0; c < n16; c += 16 {
		for l := range group {
			e := float32(0) // masked positions: exp(-inf) = 0
			if c+l < nPos {
				e = expV(sc[c+l] - max)
			}
			sc[c+l] = e
			group[l] = e
		}
		sum += float64(reduce16(&group))
	}
	inv := float32(1 / sum)
	for p := range sc[:nPos] {
		sc[p] *= inv
	}
	// Lane p%16 of each output value sums positions p, p+16, ... in order;
	// walking positions in the outer loop reads V row by row.
	lanes = lanes[:16*hd]
	clear(lanes)
	for p := 0; p < nPos; p++ {
		w, vr, l := sc[p], v[p*kvDim+off:p*kvDim+off+hd], p&15
		for d, x := range vr {
			lanes[d*16+l] = fma32(w, x, lanes[d*16+l])
		}
	}
	for d := range out[:hd] {
		out[d] = reduce16((*[16]float32)(lanes[d*16 : d*16+16]))
	}
}

// dotF32GGML is ggml_vec_dot_f32 of the AVX-512 build.
func dotF32GGML(x, y []float32) float32 {
	n := len(x)
	y = y[:n]
	np := n &^ 63
	var sumf float32
	if np > 0 {
		// Four accumulators of 16 lanes. The first step's FMA onto zero is
		// the rounded product, so it needs no fused operation.
		var acc [4][16]float32
		for k := 0; k < 64; k++ {
			acc[k>>4][k&15] = x[k] * y[k]
		}
		for i := 64; i < np; i += 64 {
			for k := 0; k < 64; k++ {
				acc[k>>4][k&15] = fma32(x[i+k], y[i+k], acc[k>>4][k&15])
			}
		}
		var r [16]float32
		for l := range r {
			r[l] = (acc[0][l] + acc[2][l]) + (acc[1][l] + acc[3][l])
		}
		sumf = reduce16(&r)
	}
	for i := np; i < n; i++ {
		sumf = fma32(x[i], y[i], sumf)
	}
	return sumf
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

// expV is ggml_v_expf of the AVX-512 build (from ARM's optimized routines):
// exp(x) = 2^n * e^b with n = round(x/ln2), a degree-5 polynomial for e^b,
// within 1.5 ulp. llama.cpp uses it in softmax and SiLU.
func expV(x float32) float32 {
	const shift = float32(0x1.8p23)
	z := fma32(x, 0x1.715476p+0, shift)
	n := z - shift
	b := fma32(-n, 0x1.7f7d1cp-20, fma32(-n, 0x1.62e4p-1, x))
	u := b * b
	j := fma32(
		fma32(fma32(0x1.0e4020p-7, b, 0x1.573e2ep-5), u, fma32(0x1.555e66p-3, b, 0x1.fffdb6p-2)),
		u,
		fma32(0x1.ffffecp-1, b, 1))
	if n > 192 || n < -192 {
		if n <= 0 {
			return 0
		}
		return float32(math.Inf(1))
	}
	return float32(math.Ldexp(float64(j), int(n)))
}

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
