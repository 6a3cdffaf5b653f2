package llama

import (
	"math"
	"strconv"

	"burrow/inference/tensor"
)

// forward runs the transformer over a batch of tokens at positions
// s.pos.. s.pos+len(tokens)-1 and appends them to the KV cache. With
// allLogits it writes the logits of every token there; with lastLogits the
// logits of the last token go to s.logits. The steps are those of the
// llama paper (and llama2.c); a family's own steps (arch_*.go) plug into
// attention and ffn; the kernels do the arithmetic.
func (s *State) forward(tokens []int, allLogits []float32, lastLogits bool) {
	m, c, p := s.m, &s.m.Config, s.pool
	n, dim := len(tokens), c.Dim
	x, xb := s.x[:n*dim], s.xb[:n*dim]

	// Embedding lookup: row id of token_embd, whatever its type.
	for t, id := range tokens {
		m.Embedding.RowF32(id, x[t*dim:(t+1)*dim])
	}
	if s.fam.embedScale {
		scale := float32(math.Sqrt(float64(dim)))
		for i := range x {
			x[i] *= scale
		}
	}
	if s.ple != nil {
		s.perLayerInputs(tokens) // a direct call: tokens do not escape
	}
	for l := range m.Layers {
		s.layer = l
		if s.fam.mixer != nil {
			s.fam.mixer(s, l, n)
		} else {
			s.attention(l, n)
		}
		s.ffn(&m.Layers[l], n)
		if s.fam.layerOut != nil {
			s.fam.layerOut(s, &m.Layers[l], n)
		}
		if tr := s.trace; tr != nil {
			tr.afterLayer(s, l, n)
		}
	}
	s.outs3, s.mats3 = [3][]float32{}, [3]*tensor.Matrix{} // drop references
	s.pos += n

	// Final rmsnorm and classifier, for the rows asked for.
	switch {
	case allLogits != nil:
		s.rmsNorm(xb, x, m.OutputNorm, n)
		s.inDim.Set(xb, n)
		tensor.MatMul(p, allLogits, m.Output, s.inDim)
	case lastLogits:
		s.rmsNorm(xb[:dim], x[(n-1)*dim:n*dim], m.OutputNorm, 1)
		s.inDim.Set(xb, 1)
		tensor.MatMul(p, s.logits, m.Output, s.inDim)
		allLogits = s.logits
	}
	if fc := c.FinalSoftcap; fc > 0 && allLogits != nil {
		softcap(allLogits, fc)
	}
}

// softcap sets each x to c*tanh(x/c) as llama.cpp's ggml_scale, ggml_tanh,
// ggml_scale do.
func softcap(x []float32, c float32) {
	inv := 1 / c
	for i, v := range x {
		x[i] = float32(math.Tanh(float64(v*inv))) * c
	}
}

// attention is the attention block of layer l for the batch's n tokens:
// x += Wo · attend(rope(Wq·norm(x)), rope(Wk·norm(x)), Wv·norm(x)).
func (s *State) attention(l, n int) {
	m, c, p := s.m, &s.m.Config, s.pool
	L := &m.Layers[l]
	// Head size and KV heads may differ between local and global layers
	// (gemma4); a layer may read an earlier layer's cache (kvSrc != l).
	hd, kvHeads, kvSrc := c.LayerHeadDim(l), c.LayerKVHeads(l), c.KVSource(l)
	pos0, dim, qDim, kvDim := s.pos, c.Dim, c.Heads*hd, kvHeads*hd
	x, xb := s.x[:n*dim], s.xb[:n*dim]
	q, k, v, att := s.q[:n*qDim], s.k[:n*kvDim], s.v[:n*kvDim], s.att[:n*qDim]

	s.rmsNorm(xb, x, L.AttnNorm, n)

	// Q, K, V projections, sharing one prepared input.
	s.inDim.Set(xb, n)
	switch {
	case s.fam.project != nil:
		s.fam.project(s, L, n)
	case kvSrc != l: // the keys and values are an earlier layer's
		tensor.MatMul(p, q, L.Wq, s.inDim)
	case L.Wv == nil: // no V projection: the values are the keys (gemma4)
		s.outs3 = [3][]float32{q, k}
		s.mats3 = [3]*tensor.Matrix{L.Wq, L.Wk}
		tensor.MatMulMulti(p, s.outs3[:2], s.mats3[:2], s.inDim)
		copy(v, k)
	default:
		s.outs3 = [3][]float32{q, k, v}
		s.mats3 = [3]*tensor.Matrix{L.Wq, L.Wk, L.Wv}
		tensor.MatMulMulti(p, s.outs3[:], s.mats3[:], s.inDim)
	}
	for _, st := range s.fam.qkSteps {
		st(s, L, n)
	}

	// RoPE: rotate queries and keys by their positions (local layers of
	// a sliding-window family with their own base, unscaled unless the
	// family sets RopeScaleSWA), with YaRN (or LongRoPE's attention
	// factor) when the file asks for it.
	base, scale, shape, yarn := c.RopeBase, c.RopeScale, s.attShape, s.yarn
	if c.Local(l) {
		base, scale, shape, yarn = c.RopeBaseSWA, 1, s.attShapeLocal, s.yarnLocal
		if c.RopeScaleSWA != 0 {
			scale = c.RopeScaleSWA
		}
	}
	shape.Sinks = L.Sinks // nil but for gpt-oss
	if s.rows != nil {    // rows of several sequences (batch.go)
		s.attendRows(l, q, k, v, att, base, scale, yarn, shape)
	} else {
		s.rope(l, pos0, n, q, k, base, scale, yarn)
		s.attendCached(l, pos0, n, q, k, v, att, shape)
	}

	s.blockOut(L, L.Wo, att, qDim, n, s.fam.postAttn)
}

// blockOut ends a block: xb = w·in for the batch's n rows of in (cols wide),
// the family's post step, if any, then the residual x += xb.
func (s *State) blockOut(L *Layer, w *tensor.Matrix, in []float32, cols, n int, post step) {
	dim := s.m.Config.Dim
	x, xb := s.x[:n*dim], s.xb[:n*dim]
	acts := s.actsOf(cols)
	acts.Set(in, n)
	tensor.MatMul(s.pool, xb, w, acts)
	if post != nil {
		post(s, L, n)
	}
	addInto(x, xb)
}

// rope rotates n tokens' queries and, where layer l keeps its own cache,
// keys by their positions from pos0 (the global layers of a family with
// RopeFactorsGlobal alone take the rope factors), then applies the query
// scale and the attention temperature.
func (s *State) rope(l, pos0, n int, q, k []float32, base, scale float32, yarn *tensor.YaRN) {
	c := &s.m.Config
	hd, kvHeads, ropeDim := c.LayerHeadDim(l), c.LayerKVHeads(l), c.LayerRopeDim(l)
	qDim, kvDim := c.Heads*hd, kvHeads*hd
	factors := s.ropeFactors
	if c.RopeFactorsGlobal && c.Local(l) {
		factors = nil
	}
	for t := 0; t < n; t++ {
		pos := pos0 + t
		tensor.RoPEYaRN(q[t*qDim:(t+1)*qDim], c.Heads, hd, ropeDim, pos, base, scale, c.RopeNeoX, factors, yarn)
		if c.KVSource(l) == l {
			tensor.RoPEYaRN(k[t*kvDim:(t+1)*kvDim], kvHeads, hd, ropeDim, pos, base, scale, c.RopeNeoX, factors, yarn)
		}
	}
	if qs := c.QueryScale; qs != 0 && qs != 1 {
		for i := range q[:n*qDim] {
			q[i] *= qs
		}
	}
	if c.AttnTempScale != 0 {
		s.attnTemp(q, pos0, n)
	}
}

// moeTestPass, set by tests, replaces the mixture-of-experts pass.
var moeTestPass func(s *State, L *Layer, n int)

// ffn is the feed-forward block of layer L for the batch's n tokens:
// x += down(silu(gate(norm(x))) * up(norm(x))) (SwiGLU).
func (s *State) ffn(L *Layer, n int) {
	c, p := &s.m.Config, s.pool
	dim, ffDim := c.Dim, c.LayerFF(s.layer)
	x, xb := s.x[:n*dim], s.xb[:n*dim]
	gate, up := s.gate[:n*ffDim], s.up[:n*ffDim]

	s.rmsNorm(xb, x, L.FFNNorm, n)
	if s.fam.moe {
		switch {
		case moeTestPass != nil:
			moeTestPass(s, L, n)
		case s.fam.moeFFN != nil:
			s.fam.moeFFN(s, L, n)
		default:
			s.moeFFNRows(L, n)
		}
		addInto(x, xb)
		return
	}
	s.inDim.Set(xb, n)
	if s.fam.gateUp != nil {
		s.fam.gateUp(s, L, n)
	} else {
		s.outs3 = [3][]float32{gate, up}
		s.mats3 = [3]*tensor.Matrix{L.Gate, L.Up}
		tensor.MatMulMulti(p, s.outs3[:2], s.mats3[:2], s.inDim)
	}
	if s.fam.geglu {
		tensor.GeGLU(gate, gate, up)
	} else {
		tensor.SwiGLU(gate, gate, up)
	}
	s.blockOut(L, L.Down, gate, ffDim, n, s.fam.postFFN)
}

// actsOf is the matmul input of width cols: inQ or inFF, or for layers
// narrower than the widest (gemma4) one made for that width.
func (s *State) actsOf(cols int) *tensor.Activations {
	switch cols {
	case s.inQ.Cols:
		return s.inQ
	case s.inFF.Cols:
		return s.inFF
	case s.inDim.Cols:
		return s.inDim
	}
	for _, a := range s.inOther {
		if a.Cols == cols {
			return a
		}
	}
	panic("llama: no matmul input of width " + strconv.Itoa(cols))
}

// rmsNorm normalises n rows of x into out with the weights w.
func (s *State) rmsNorm(out, x, w []float32, n int) {
	d := len(w)
	for t := 0; t < n; t++ {
		tensor.RMSNorm(out[t*d:(t+1)*d], x[t*d:(t+1)*d], w, s.m.Config.NormEps)
	}
}

// addQKVBias is the step of families with biases on Q, K and V (qwen2).
func addQKVBias(s *State, L *Layer, n int) {
	c := &s.m.Config
	addBias(s.q[:n*c.QDim()], L.Bq, n)
	addBias(s.k[:n*c.KVDim()], L.Bk, n)
	addBias(s.v[:n*c.KVDim()], L.Bv, n)
}

// qkNorm is the step of families that RMSNorm every head of Q and K
// (qwen3): rows of HeadDim values, in place.
func qkNorm(s *State, L *Layer, n int) {
	c := &s.m.Config
	s.rmsNorm(s.q[:n*c.QDim()], s.q[:n*c.QDim()], L.QNorm, n*c.Heads)
	s.rmsNorm(s.k[:n*c.KVDim()], s.k[:n*c.KVDim()], L.KNorm, n*c.KVHeads)
}

// addBias adds b to each of the n rows of x.
func addBias(x, b []float32, n int) {
	d := len(b)
	for t := 0; t < n; t++ {
		row := x[t*d : (t+1)*d]
		for i, v := range b {
			row[i] += v
		}
	}
}

// addInto adds y to x (the residual connection).
func addInto(x, y []float32) {
	y = y[:len(x)]
	for i := range x {
		x[i] += y[i]
	}
}

// attendCached stores n tokens' keys and values of layer l at pos0 and
// writes their attention to att: token t sees positions 0..pos0+t (the
// causal mask), heads grouped over the KV heads. Every family's attention
// ends here, so a quantized cache's rotation (kvrot.go) and the trace's
// hook see them all.
//
// A layer that shares an earlier layer's cache (gemma4's last layers) has
// no keys or values of its own: it stores nothing and reads that cache.
func (s *State) attendCached(l, pos0, n int, q, k, v, att []float32, shape tensor.AttnShape) {
	src := s.m.Config.KVSource(l)
	rot := s.cache.rot[src]
	if src == l {
		rot.rotateQKV(q, k, v)
		s.cache.store(l, pos0, n, k, v)
	} else {
		rot.rotateQKV(q, nil, nil)
	}
	kv, rel := s.cache.layer(src, pos0)
	tensor.AttentionBatch(s.pool, att, q, kv, rel, n, shape, s.attScratch)
	if tr := s.trace; tr != nil {
		tr.attention(s, l, pos0, n, q, kv, rel, shape)
	}
	rot.unrotate(att)
}
