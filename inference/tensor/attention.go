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
	if p == nil || p.threads == 1 {
		job.run(0, nHead)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.att = job
	defer func() { p.att = attentionJob{} }()
	p.runLocked(nHead, p.attFn)
}

type attentionJob struct {
	out, q, k, v, scratch         []float32
	nPos, nHead, nKVHead, headDim int
}

func (j *attentionJob) run(lo, hi int) {
	hd, kvDim := j.headDim, j.nKVHead*j.headDim
	group := j.nHead / j.nKVHead
	scale := float32(1 / math.Sqrt(float64(hd)))
	for h := lo; h < hi; h++ {
		qh := j.q[h*hd : (h+1)*hd]
		off := (h / group) * hd
		s := j.scratch[h*j.nPos : (h+1)*j.nPos]
		for t := range s {
			s[t] = dotF32(j.k[t*kvDim+off:t*kvDim+off+hd], qh) * scale
		}
		Softmax(s)
		o := j.out[h*hd : (h+1)*hd]
		clear(o)
		for t, w := range s {
			axpy(o, j.v[t*kvDim+off:t*kvDim+off+hd], w)
		}
	}
}

// axpy adds a*x to y.
func axpy(y, x []float32, a float32) {
	x = x[:len(y)]
	for i := range y {
		y[i] += a * x[i]
	}
}
