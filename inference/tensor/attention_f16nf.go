package tensor

import (
	"fmt"
	"math"
)

// Attention over an F16 cache without flash attention: llama.cpp's default
// as node-llama-cpp runs it (flash attention off). The graph is ordinary
// ops (build_attn_mha): KQ = mul_mat(K, Q) with the query converted to F16
// and each score a ggml_vec_dot_f16 (the AVX-512 order of
// dotF16GGML512Plain); the F32 soft_max_ext (scale, mask, the row padded
// with masked positions, as softmaxPadded); then KQV = mul_mat(V^T, KQ)
// with the weights converted to F16 and each output value a
// ggml_vec_dot_f16 over the positions of that value's column. Decode runs
// n = 1 token per mul_mat, where tinyBLAS stands aside, so both products
// are ggml_vec_dot_f16. The cache holds llama.cpp's padded n_kv (a multiple
// of 256, zeros past the used rows): every position falls in the dot's
// 64-wide FMA part, lane p%64 of four 16-lane accumulators, and the padding
// adds exact zeros. Positions are counted from the first attended row, as
// the F32 path counts them.

// nfPad is the row length the value dot runs over: the attended positions
// rounded up to the dot's 64-value steps, the rest zero weights.
func nfPad(nPos int) int { return (nPos + 63) &^ 63 }

// nfScratch is the floats and halves one head's non-flash attention over
// up to maxPos positions takes: scores and 64 lanes of hd values; the
// query and the weights in F16.
func nfScratch(hd, maxPos int) (f32, f16 int) {
	return nfPad(maxPos) + 64*hd, hd + nfPad(maxPos)
}

// AttentionF16NoFlash computes one query head's attention over the first
// nPos positions of an F16 KV cache with llama.cpp's non-flash arithmetic
// (above): position p's key is k[p*stride:][:len(q)], its value
// v[p*stride:][:len(q)]. softcap > 0 caps the scores as the F32 path does;
// sink, if not nil, is the head's sink logit (softmaxSink). f32 and f16 are
// scratch of nfScratch(len(q), nPos) values.
func AttentionF16NoFlash(out, q []float32, k, v []uint16, stride, nPos int, scale, softcap float32, sink *float32, f32 []float32, f16 []uint16) {
	hd := len(q)
	n32, n16 := nfScratch(hd, nPos)
	if nPos <= 0 || hd == 0 || len(out) < hd || len(f32) < n32 || len(f16) < n16 ||
		len(k) < (nPos-1)*stride+hd || len(v) < (nPos-1)*stride+hd {
		panic(fmt.Sprintf("tensor: AttentionF16NoFlash of a %d-value head over %d positions: buffers too small", hd, nPos))
	}
	np := nfPad(nPos)
	q16, w16 := f16[:hd], f16[hd:hd+np]
	sc, lanes := f32[:nPos], f32[np:np+64*hd]
	convertF16(q16, q)
	if f16AttFast {
		scoresF16Fast(sc, k, stride, q16, scale)
	} else {
		scoresF16Plain(sc, k, stride, q16, scale)
	}
	nfSoftmax(sc, w16, softcap, sink)
	clear(lanes)
	wsumF16x64(lanes, v, stride, w16[:nPos])
	reduceF16x64(out[:hd], lanes)
}

// nfSoftmax soft-caps the scores (F32 path order), takes ggml's padded
// softmax (with the sink when set) and writes the weights rounded to F16 in
// w, zeros past len(sc) up to len(w).
func nfSoftmax(sc []float32, w []uint16, softcap float32, sink *float32) {
	if softcap > 0 {
		softcapScores(sc, 1/softcap, softcap)
	}
	if sink != nil {
		softmaxSink(sc, *sink)
	} else {
		softmaxPadded(sc)
	}
	convertF16(w[:len(sc)], sc)
	clear(w[len(sc):])
}

// wsumF16x64 is wsumF16x64Fast where an assembly set is active, else the
// plain loop (direct calls, so callers' buffers need not escape).
func wsumF16x64(lanes []float32, v []uint16, stride int, w []uint16) {
	if f16AttFast {
		wsumF16x64Fast(lanes, v, stride, w)
		return
	}
	wsumF16x64Plain(lanes, v, stride, w)
}

// wsumF16x64Plain adds w[p]*v[p*stride:][:hd] into lane row p%64 of lanes
// (64 rows of hd = len(lanes)/64), one FMA per value, positions in order:
// the FMA part of ggml_vec_dot_f16 over positions, for all hd columns at
// once (row 16*a+l is accumulator a's lane l).
func wsumF16x64Plain(lanes []float32, v []uint16, stride int, w []uint16) {
	hd := len(lanes) / 64
	for p, wp := range w {
		x := F16ToF32(wp)
		row := lanes[(p%64)*hd : (p%64+1)*hd]
		for d, y := range v[p*stride : p*stride+hd] {
			row[d] = fma32(x, F16ToF32(y), row[d])
		}
	}
}

// reduceF16x64Plain finishes ggml_vec_dot_f16 for every column:
// accumulators 0+2 and 1+3, then 0+1, then the 16 lanes in
// _mm512_reduce_add_ps order.
func reduceF16x64Plain(out, lanes []float32) {
	hd := len(out)
	for d := range out {
		var a [16]float32
		for l := range a {
			a[l] = (lanes[l*hd+d] + lanes[(32+l)*hd+d]) + (lanes[(16+l)*hd+d] + lanes[(48+l)*hd+d])
		}
		out[d] = reduce16(&a)
	}
}

// attendF16NFPlain is the obvious model AttentionF16NoFlash is held to:
// every score one dot, every output value one dot of its column of V
// (padded with zeros to nfPad) with the F16 weights.
func attendF16NFPlain(out, q []float32, k, v []uint16, stride, nPos int, scale, softcap float32, sink *float32) {
	hd := len(q)
	q16 := make([]uint16, hd)
	for i, x := range q {
		q16[i] = F32ToF16(x)
	}
	sc := make([]float32, nPos)
	for p := range sc {
		sc[p] = dotF16GGML512Plain(k[p*stride:p*stride+hd], q16) * scale
	}
	if softcap > 0 {
		for p, s := range sc {
			sc[p] = float32(math.Tanh(float64(s*(1/softcap)))) * softcap
		}
	}
	if sink != nil {
		softmaxSink(sc, *sink)
	} else {
		softmaxPadded(sc)
	}
	np := nfPad(nPos)
	w, col := make([]uint16, np), make([]uint16, np)
	for p, x := range sc {
		w[p] = F32ToF16(x)
	}
	for d := 0; d < hd; d++ {
		for p := 0; p < nPos; p++ {
			col[p] = v[p*stride+d]
		}
		out[d] = dotF16GGML512Plain(col, w)
	}
}
