package tensor

import (
	"fmt"
	"math"
)

// AttentionF16 computes one query head's attention over the first nPos
// positions of an F16 KV cache, with the arithmetic of llama.cpp's CPU
// flash attention (its default, and llama-perplexity's): the query rounded
// to F16, each score an F16 dot product (ggml_vec_dot_f16, AVX-512 order)
// times scale, an online softmax with libm expf, and the weighted sum of V
// kept in F16 (rounded after every scale and every multiply-add), divided
// by the softmax sum at the end. Small models are sensitive enough that
// one activation rounded the other way moves logits by 0.15, so matching
// llama.cpp takes the same operations in the same order.
//
// Position p's key is k[p*stride:][:len(q)], its value v[p*stride:][:len(q)]
// (pass the cache sliced at the KV head's offset). q16 and acc are scratch
// of len(q) values each.
func AttentionF16(out, q []float32, k, v []uint16, stride, nPos int, scale float32, q16 []uint16, acc []float32) {
	hd := len(q)
	if nPos <= 0 || hd == 0 || len(out) < hd || len(q16) < hd || len(acc) < hd ||
		len(k) < (nPos-1)*stride+hd || len(v) < (nPos-1)*stride+hd {
		panic(fmt.Sprintf("tensor: AttentionF16 of a %d-value head over %d positions: buffers too small", hd, nPos))
	}
	attendF16Blocks(out[:hd], q, k, v, stride, nPos, scale, 0, q16[:hd], acc[:hd])
}

// attentionF16 is AttentionF16 with scores soft-capped as llama.cpp's flash
// attention does (softcap > 0): the scale divided by the cap, each score
// cap*tanhf(score).
func attentionF16(out, q []float32, k, v []uint16, stride, nPos int, scale, softcap float32, q16 []uint16, acc []float32) {
	hd := len(q)
	if nPos <= 0 || hd == 0 || len(out) < hd || len(q16) < hd || len(acc) < hd ||
		len(k) < (nPos-1)*stride+hd || len(v) < (nPos-1)*stride+hd {
		panic(fmt.Sprintf("tensor: AttentionF16 of a %d-value head over %d positions: buffers too small", hd, nPos))
	}
	attendF16Blocks(out[:hd], q, k, v, stride, nPos, scale, softcap, q16[:hd], acc[:hd])
}

// f16Block is the number of positions scored at once before their values
// are added: the scores and softmax factors stay on the stack.
const f16Block = 32

// attendF16Plain is the Go model of AttentionF16, one position at a time.
func attendF16Plain(out, q []float32, k, v []uint16, stride, nPos int, scale, softcap float32, q16 []uint16, acc []float32) {
	hd := len(q)
	if softcap > 0 {
		scale /= softcap
	}
	for i, x := range q {
		q16[i] = F32ToF16(x)
	}
	clear(acc)
	var sum float32
	mx := float32(math.Inf(-1))
	for p := 0; p < nPos; p++ {
		s := dotF16GGML512Plain(k[p*stride:p*stride+hd], q16) * scale
		if softcap > 0 {
			s = softcap * float32(math.Tanh(float64(s)))
		}
		ms, vs := float32(1), float32(1)
		if s > mx {
			old := mx
			mx = s
			ms = exp32(old - mx)
			for i := range acc {
				acc[i] = roundF16(acc[i] * ms)
			}
		} else {
			vs = exp32(s - mx)
		}
		for i, x := range v[p*stride : p*stride+hd] {
			acc[i] = roundF16(fma32(F16ToF32(x), vs, acc[i]))
		}
		sum = fma32(sum, ms, vs)
	}
	finishF16(out, acc, sum)
}

// attendF16Blocks is AttentionF16 a block of positions at a time: the
// block's scores in one kernel call, the online softmax's factors in Go,
// then the values in one kernel call. Every value is computed as in
// attendF16Plain.
func attendF16Blocks(out, q []float32, k, v []uint16, stride, nPos int, scale, softcap float32, q16 []uint16, acc []float32) {
	sum, _ := attendF16Acc(q, k, v, stride, nPos, scale, softcap, q16, acc)
	finishF16(out, acc, sum)
}

// AttentionF16Sink is AttentionF16 with a sink: a learned logit (gpt-oss's
// attn_sinks, one per head) that joins the softmax's denominator but has no
// value, applied after the positions as llama.cpp's flash attention does.
func AttentionF16Sink(out, q []float32, k, v []uint16, stride, nPos int, scale, sink float32, q16 []uint16, acc []float32) {
	hd := len(q)
	if nPos <= 0 || hd == 0 || len(out) < hd || len(q16) < hd || len(acc) < hd ||
		len(k) < (nPos-1)*stride+hd || len(v) < (nPos-1)*stride+hd {
		panic(fmt.Sprintf("tensor: AttentionF16Sink of a %d-value head over %d positions: buffers too small", hd, nPos))
	}
	acc = acc[:hd]
	sum, mx := attendF16Acc(q, k, v, stride, nPos, scale, 0, q16[:hd], acc)
	// The accumulator is widened to F32 before the sink's rescale.
	finishF16(out[:hd], acc, sinkSum(acc, sum, mx, sink))
}

// attendF16Acc accumulates the unnormalised weighted values in acc and
// returns the softmax sum and the largest score.
func attendF16Acc(q []float32, k, v []uint16, stride, nPos int, scale, softcap float32, q16 []uint16, acc []float32) (float32, float32) {
	if softcap > 0 {
		scale /= softcap
	}
	convertF16(q16, q)
	clear(acc)
	var sum float32
	mx := float32(math.Inf(-1))
	var sc, ms, vs [f16Block]float32
	for b := 0; b < nPos; b += f16Block {
		n := min(f16Block, nPos-b)
		// Direct calls (not through the kernel table) keep the block
		// arrays on the stack.
		if f16AttFast {
			scoresF16Fast(sc[:n], k[b*stride:], stride, q16, scale)
		} else {
			scoresF16Plain(sc[:n], k[b*stride:], stride, q16, scale)
		}
		onlineSoftmax(sc[:n], ms[:n], vs[:n], softcap, &mx, &sum)
		if f16AttFast {
			madF16Fast(acc, v[b*stride:], stride, ms[:n], vs[:n])
		} else {
			madF16Plain(acc, v[b*stride:], stride, ms[:n], vs[:n])
		}
	}
	return sum, mx
}

// onlineSoftmax folds a block of scores into the running max and sum
// (llama.cpp's flash-attention order, one position at a time): ms[i] is
// what the accumulator is multiplied by before position i's value is
// added with weight vs[i]. Scores are soft-capped first when softcap > 0.
func onlineSoftmax(sc, ms, vs []float32, softcap float32, mx, sum *float32) {
	if softcap > 0 {
		for i, s := range sc {
			sc[i] = softcap * float32(math.Tanh(float64(s)))
		}
	}
	m, total := *mx, *sum
	for i, s := range sc {
		if s > m {
			old := m
			m = s
			ms[i], vs[i] = exp32(old-m), 1
		} else {
			ms[i], vs[i] = 1, exp32(s-m)
		}
		total = fma32(total, ms[i], vs[i])
	}
	*mx, *sum = m, total
}

// finishF16 divides the accumulated values by the softmax sum.
func finishF16(out, acc []float32, sum float32) {
	var inv float32
	if sum != 0 {
		inv = 1 / sum
	}
	for i, a := range acc {
		out[i] = a * inv
	}
}

// scoresF16Plain sets out[j] to dotF16(k[j*stride:][:len(q)], q) * scale.
func scoresF16Plain(out []float32, k []uint16, stride int, q []uint16, scale float32) {
	hd := len(q)
	for j := range out {
		out[j] = dotF16GGML512Plain(k[j*stride:j*stride+hd], q) * scale
	}
}

// madF16Plain runs, for each position p in order, ggml_vec_scale_f16 by
// ms[p] (skipped when it is 1, which changes nothing) and ggml_vec_mad_f16
// of V row p by vs[p] on the F16 accumulator acc (F16 values held widened).
func madF16Plain(acc []float32, v []uint16, stride int, ms, vs []float32) {
	hd := len(acc)
	for p, w := range vs {
		if m := ms[p]; m != 1 {
			for i := range acc {
				acc[i] = roundF16(acc[i] * m)
			}
		}
		for i, x := range v[p*stride : p*stride+hd] {
			acc[i] = roundF16(fma32(F16ToF32(x), w, acc[i]))
		}
	}
}

// roundF16 rounds x to the nearest half, as storing it in F16 does.
func roundF16(x float32) float32 { return F16ToF32(F32ToF16(x)) }
