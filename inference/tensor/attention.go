package tensor

import (
	"fmt"
	"math"
)

// Attention computes one query token's attention over the first nPos
// positions of a layer's KV cache:
//
//	out[h] = sum_j softmax_j(q[h]·k[j][g] / sqrt(headDim)) * v[j][g],  g = h / (nHead/nKVHead)
//
// Layout: q and out hold nHead heads of headDim values (q already rotated);
// k and v are the layer's cache, row j (position j) being
// k[j*kvDim:(j+1)*kvDim] with kvDim = nKVHead*headDim, KV head g at offset
// g*headDim. The query at position nPos-1 sees positions 0..nPos-1 only, so
// the causal mask is the choice of nPos (its own K/V must already be stored).
// scratch holds at least AttentionScratch(nHead, headDim, nPos) floats.
// Heads run on p's threads (p may be nil).
//
// The arithmetic is llama.cpp's for an F32 cache without flash attention,
// as its x86 AVX-512 build runs it (the build that made the shared
// references): scores by DotF32GGML times 1/sqrtf(headDim), a softmax over
// the row padded to a multiple of 16 (ggml_v_expf, _mm512_reduce_add_ps
// order), and the weighted sum of V by WeightedSumGGML.
func Attention(p *Pool, out, q, k, v []float32, nPos, nHead, nKVHead, headDim int, scratch []float32) {
	if nHead <= 0 || nKVHead <= 0 || nHead%nKVHead != 0 || nPos <= 0 || headDim <= 0 {
		panic(fmt.Sprintf("tensor: Attention with %d heads, %d KV heads, %d positions", nHead, nKVHead, nPos))
	}
	kvDim := nKVHead * headDim
	if len(q) < nHead*headDim || len(out) < nHead*headDim || len(k) < nPos*kvDim || len(v) < nPos*kvDim ||
		len(scratch) < AttentionScratch(nHead, headDim, nPos) {
		panic(fmt.Sprintf("tensor: Attention buffers too small for %d heads x %d, %d KV heads, %d positions", nHead, headDim, nKVHead, nPos))
	}
	job := attentionJob{out: out, q: q, k: k, v: v, nPos: nPos, nHead: nHead, nKVHead: nKVHead, headDim: headDim, scratch: scratch}
	// Work splits by KV head, so the query heads sharing one read its cache
	// rows while they are in L1; with fewer KV heads than threads, by head.
	job.byKV = p == nil || nKVHead >= p.threads
	units := nHead
	if job.byKV {
		units = nKVHead
	}
	if p == nil || p.threads == 1 {
		job.run(0, units)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.att = job
	defer func() { p.att = attentionJob{} }()
	p.runLocked(units, p.attFn)
}

// AttentionScratch is the scratch Attention needs, in floats.
func AttentionScratch(nHead, headDim, nPos int) int {
	return nHead * headScratch(headDim, nPos)
}

func headScratch(headDim, nPos int) int { return nPos + WeightedSumScratch(headDim, nPos) }

type attentionJob struct {
	out, q, k, v, scratch         []float32
	nPos, nHead, nKVHead, headDim int
	byKV                          bool
}

// attBlock is the number of cache positions whose K rows for one KV head
// (attBlock*headDim floats) stay in L1 while every query head of the group
// scores them.
const attBlock = 32

// run does units [lo,hi): KV heads (all their query heads) when byKV, else
// single query heads.
func (j *attentionJob) run(lo, hi int) {
	group := j.nHead / j.nKVHead
	for u := lo; u < hi; u++ {
		if j.byKV {
			j.heads(u*group, (u+1)*group, u)
		} else {
			j.heads(u, u+1, u/group)
		}
	}
}

// heads computes query heads [h0,h1), which all read KV head g. Loops run
// over cache rows outside and heads inside, so each row is fetched once
// for the group; every value is still computed in llama.cpp's order.
func (j *attentionJob) heads(h0, h1, g int) {
	hd, kvDim, nPos := j.headDim, j.nKVHead*j.headDim, j.nPos
	off := g * hd
	scale := 1 / float32(math.Sqrt(float64(hd))) // 1.0f/sqrtf(hd), as llama.cpp
	hs := headScratch(hd, nPos)
	scores := func(h int) []float32 { return j.scratch[h*hs : h*hs+nPos] }
	for b := 0; b < nPos; b += attBlock {
		e := min(b+attBlock, nPos)
		for h := h0; h < h1; h++ {
			scoresGGML(scores(h)[b:e], j.k[b*kvDim+off:], kvDim, j.q[h*hd:(h+1)*hd], scale)
		}
	}
	for h := h0; h < h1; h++ {
		softmaxPadded(scores(h))
	}
	// Weights times V: lane p%16 of every output sums positions p in order.
	for h := h0; h < h1; h++ {
		lanes := j.scratch[h*hs+nPos : h*hs+nPos+16*hd]
		clear(lanes)
		wsumLanes(lanes, j.v[off:], kvDim, scores(h))
	}
	for h := h0; h < h1; h++ {
		reduceLanes(j.out[h*hd:(h+1)*hd], j.scratch[h*hs+nPos:h*hs+nPos+16*hd])
	}
}

// softmaxPadded is ggml's soft_max over a row that llama.cpp pads with
// masked (-inf) entries to a multiple of 16: every value goes through expV,
// in groups of 16 summed in reduce16 order into a float64.
func softmaxPadded(x []float32) {
	mx := float32(math.Inf(-1))
	for _, v := range x {
		mx = max(mx, v)
	}
	expSub(x, mx)
	var sum float64
	for c := 0; c < len(x); c += 16 {
		var g [16]float32 // the padding's exp(-inf) = 0
		copy(g[:], x[c:min(c+16, len(x))])
		sum += float64(reduce16(&g))
	}
	inv := float32(1 / sum)
	for i := range x {
		x[i] *= inv
	}
}
