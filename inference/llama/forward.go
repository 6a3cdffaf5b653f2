package llama

import "burrow/inference/tensor"

// forward runs the transformer over a batch of tokens at positions
// s.pos.. s.pos+len(tokens)-1 and appends them to the KV cache. With
// allLogits it writes the logits of every token there; with lastLogits the
// logits of the last token go to s.logits. The steps are those of the
// llama paper (and llama2.c); the kernels do the arithmetic.
func (s *State) forward(tokens []int, allLogits []float32, lastLogits bool) {
	m, c, p := s.m, &s.m.Config, s.pool
	n, pos0 := len(tokens), s.pos
	dim, qDim, kvDim, ffDim, hd := c.Dim, c.QDim(), c.KVDim(), c.HiddenDim, c.HeadDim
	x, xb := s.x[:n*dim], s.xb[:n*dim]
	q, k, v := s.q[:n*qDim], s.k[:n*kvDim], s.v[:n*kvDim]
	att, gate, up := s.att[:n*qDim], s.gate[:n*ffDim], s.up[:n*ffDim]

	// Embedding lookup: row id of token_embd, whatever its type.
	for t, id := range tokens {
		m.Embedding.RowF32(id, x[t*dim:(t+1)*dim])
	}

	for l := range m.Layers {
		L := &m.Layers[l]

		// Attention rmsnorm.
		for t := 0; t < n; t++ {
			tensor.RMSNorm(xb[t*dim:(t+1)*dim], x[t*dim:(t+1)*dim], L.AttnNorm, c.NormEps)
		}

		// Q, K, V projections, sharing one prepared input (+ biases for qwen2).
		s.inDim.Set(xb, n)
		s.outs3 = [3][]float32{q, k, v}
		s.mats3 = [3]*tensor.Matrix{L.Wq, L.Wk, L.Wv}
		tensor.MatMulMulti(p, s.outs3[:], s.mats3[:], s.inDim)
		if c.QKVBias {
			addBias(q, L.Bq, n)
			addBias(k, L.Bk, n)
			addBias(v, L.Bv, n)
		}

		// RoPE: rotate queries and keys by their positions.
		for t := 0; t < n; t++ {
			pos := pos0 + t
			tensor.RoPEScaled(q[t*qDim:(t+1)*qDim], c.Heads, hd, c.RopeDim, pos, c.RopeBase, c.RopeScale, c.RopeNeoX, m.RopeFactors)
			tensor.RoPEScaled(k[t*kvDim:(t+1)*kvDim], c.KVHeads, hd, c.RopeDim, pos, c.RopeBase, c.RopeScale, c.RopeNeoX, m.RopeFactors)
		}

		// KV cache store.
		s.cache.store(l, pos0, n, k, v)

		// Attention with grouped KV heads; token t sees positions
		// 0..pos0+t (the causal mask).
		if s.cache.f16 {
			// Every (token, head) pair of the batch spread over the threads.
			s.job = attentionJob{layer: l, pos0: pos0, q: q, out: att, scale: s.attnScale}
			p.Run(n*c.Heads, s.attendFn)
			s.job = attentionJob{}
		} else {
			for t := 0; t < n; t++ {
				tensor.Attention(p, att[t*qDim:(t+1)*qDim], q[t*qDim:(t+1)*qDim], s.cache.k[l], s.cache.v[l],
					pos0+t+1, c.Heads, c.KVHeads, hd, s.scores)
			}
		}

		// Output projection and residual.
		s.inQ.Set(att, n)
		tensor.MatMul(p, xb, L.Wo, s.inQ)
		addInto(x, xb)

		// FFN rmsnorm.
		for t := 0; t < n; t++ {
			tensor.RMSNorm(xb[t*dim:(t+1)*dim], x[t*dim:(t+1)*dim], L.FFNNorm, c.NormEps)
		}

		// SwiGLU feed-forward: down(silu(gate(x)) * up(x)), and residual.
		s.inDim.Set(xb, n)
		s.outs3 = [3][]float32{gate, up}
		s.mats3 = [3]*tensor.Matrix{L.Gate, L.Up}
		tensor.MatMulMulti(p, s.outs3[:2], s.mats3[:2], s.inDim)
		tensor.SwiGLU(gate, gate, up)
		s.inFF.Set(gate, n)
		tensor.MatMul(p, xb, L.Down, s.inFF)
		addInto(x, xb)
	}
	s.outs3, s.mats3 = [3][]float32{}, [3]*tensor.Matrix{} // drop references
	s.pos += n

	// Final rmsnorm and classifier, for the rows asked for.
	switch {
	case allLogits != nil:
		for t := 0; t < n; t++ {
			tensor.RMSNorm(xb[t*dim:(t+1)*dim], x[t*dim:(t+1)*dim], m.OutputNorm, c.NormEps)
		}
		s.inDim.Set(xb, n)
		tensor.MatMul(p, allLogits, m.Output, s.inDim)
	case lastLogits:
		last := x[(n-1)*dim : n*dim]
		tensor.RMSNorm(xb[:dim], last, m.OutputNorm, c.NormEps)
		s.inDim.Set(xb, 1)
		tensor.MatMul(p, s.logits, m.Output, s.inDim)
	}
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
