package llama

import "burrow/inference/tensor"

// The F16-cache attention is tensor.AttentionF16: llama.cpp's default CPU
// path (flash attention over F16 K and V, as llama-perplexity runs it),
// operation for operation. The F32 cache uses tensor.Attention, which
// follows llama.cpp's non-flash path the same way.

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
	k, v := s.cache.k16[j.layer], s.cache.v16[j.layer]
	q16, acc := s.q16[slot*hd:(slot+1)*hd], s.acc16[slot*hd:(slot+1)*hd]
	for i := lo; i < hi; i++ {
		t, h := i/c.Heads, i%c.Heads
		nPos := j.pos0 + t + 1 // the causal mask: token t sees positions 0..pos0+t
		off := (h / group) * hd
		tensor.AttentionF16(j.out[t*qDim+h*hd:t*qDim+(h+1)*hd], j.q[t*qDim+h*hd:t*qDim+(h+1)*hd],
			k[off:], v[off:], kvDim, nPos, j.scale, q16, acc)
	}
}

// attentionJob is the attention of a batch of tokens in one layer, shared
// by the pool's threads.
type attentionJob struct {
	layer, pos0 int
	q, out      []float32 // [tokens][QDim]
	scale       float32
}
