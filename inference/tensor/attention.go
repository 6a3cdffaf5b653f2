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
// scratch holds at least nHead*nPos floats. Heads run on p's threads.
func Attention(p *Pool, out, q, k, v []float32, nPos, nHead, nKVHead, headDim int, scratch []float32) {
	if nHead <= 0 || nKVHead <= 0 || nHead%nKVHead != 0 || nPos <= 0 {
		panic(fmt.Sprintf("tensor: Attention with %d heads, %d KV heads, %d positions", nHead, nKVHead, nPos))
	}
	kvDim := nKVHead * headDim
	if len(q) < nHead*headDim || len(out) < nHead*headDim || len(k) < nPos*kvDim || len(v) < nPos*kvDim || len(scratch) < nHead*nPos {
		panic(fmt.Sprintf("tensor: Attention buffers too small for %d heads x %d, %d KV heads, %d positions", nHead, headDim, nKVHead, nPos))
	}
	job := attentionJob{out: out, q: q, k: k, v: v, nPos: nPos, nHead: nHead, nKVHead: nKVHead, headDim: headDim, scratch: scratch}
	// Work splits by KV head, so the query heads sharing one read its cache
	// rows while they are in L1; with fewer KV heads than threads, by head.
	job.byKV = p != nil && nKVHead >= p.threads
	units := nHead
	if job.byKV {
		units = nKVHead
	}
	if p == nil || p.threads == 1 {
		job.byKV = true
		job.run(0, nKVHead)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.att = job
	defer func() { p.att = attentionJob{} }()
	p.runLocked(units, p.attFn)
}

type attentionJob struct {
	out, q, k, v, scratch         []float32
	nPos, nHead, nKVHead, headDim int
	byKV                          bool
}

// attBlock is the number of cache positions handled together: their K or
// V rows for one KV head (attBlock*headDim floats) stay in L1 while every
// query head of the group uses them.
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

// heads computes query heads [h0,h1), which all read KV head g.
func (j *attentionJob) heads(h0, h1, g int) {
	hd, kvDim, nPos := j.headDim, j.nKVHead*j.headDim, j.nPos
	off := g * hd
	scale := float32(1 / math.Sqrt(float64(hd)))
	for b := 0; b < nPos; b += attBlock {
		e := min(b+attBlock, nPos)
		for h := h0; h < h1; h++ {
			scaledDots(j.scratch[h*nPos+b:h*nPos+e], j.k[b*kvDim+off:], kvDim, j.q[h*hd:(h+1)*hd], scale)
		}
	}
	for h := h0; h < h1; h++ {
		Softmax(j.scratch[h*nPos : (h+1)*nPos])
		clear(j.out[h*hd : (h+1)*hd])
	}
	for b := 0; b < nPos; b += attBlock {
		e := min(b+attBlock, nPos)
		for h := h0; h < h1; h++ {
			weightedSum(j.out[h*hd:(h+1)*hd], j.v[b*kvDim+off:], kvDim, j.scratch[h*nPos+b:h*nPos+e])
		}
	}
}

// The attention kernels, replaced by assembly where the CPU has it.
var (
	scaledDots  = scaledDotsPlain
	weightedSum = weightedSumPlain
)

// weightedSumPlain adds w[j] * v[j*stride:][:len(out)] to out for every j,
// one fused multiply-add at a time (as the assembly, bit for bit).
func weightedSumPlain(out, v []float32, stride int, w []float32) {
	for j, wj := range w {
		row := v[j*stride : j*stride+len(out)]
		for i, x := range row {
			out[i] = fma32(wj, x, out[i])
		}
	}
}

// scaledDotsPlain sets out[j] = (k[j*stride:][:len(q)] . q) * scale.
func scaledDotsPlain(out, k []float32, stride int, q []float32, scale float32) {
	for j := range out {
		out[j] = dotF32Plain(k[j*stride:j*stride+len(q)], q) * scale
	}
}
