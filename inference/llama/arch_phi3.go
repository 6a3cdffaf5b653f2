package llama

import (
	"fmt"

	"burrow/inference/tensor"
)

// phi3: Phi-3 and Phi-4 (mini): llama with Q, K and V in one matrix
// (attn_qkv) and gate and up in one (ffn_up: the gate's rows, then up's),
// and NeoX rope, which Phi-4-mini applies to part of each head
// (rope.dimension_count < key_length). Files of 128k-context models carry
// LongRoPE: per-pair divisors for short and long contexts and a factor on
// cos and sin.
func init() {
	register(&family{
		name:     "phi3",
		tensors:  concat(longRopeFactors, llamaHead, phi3Attn, llamaAttnOut, phi3FFN, llamaTail),
		ropeNeoX: true,
		project:  splitQKV,
		gateUp:   splitGateUp,
		hparams:  longRopeParams,
	})
}

var longRopeFactors = []tensorDecl{
	optional(modelVector("rope_factors_long.weight", Vector, func(m *Model) *[]float32 { return &m.RopeLong }, dRopePair)),
	optional(modelVector("rope_factors_short.weight", Vector, func(m *Model) *[]float32 { return &m.RopeShort }, dRopePair)),
}

// longRopeParams reads the original context (llama.cpp's n_ctx_orig_yarn,
// default the trained context) and the attention factor.
func longRopeParams(c *Config, k keys) error {
	c.RopeOrigCtx = k.uint("rope.scaling.original_context_length", c.ContextLen)
	c.RopeAttnFactor = k.float("rope.scaling.attn_factor", 1)
	if !(c.RopeAttnFactor > 0 && c.RopeAttnFactor < 16) {
		return fmt.Errorf("llama: rope attention factor %g is not supported", c.RopeAttnFactor)
	}
	return nil
}

// ropeFactorsFor is what llama.cpp's get_rope_factors picks for a context
// of ctxLen tokens: rope_freqs if present, else the long factors when the
// context exceeds the original one, else the short ones (nil: none).
func (m *Model) ropeFactorsFor(ctxLen int) []float32 {
	switch {
	case m.RopeFactors != nil:
		return m.RopeFactors
	case ctxLen > m.Config.RopeOrigCtx && m.RopeLong != nil:
		return m.RopeLong
	case ctxLen > m.Config.RopeOrigCtx:
		return nil
	}
	return m.RopeShort
}

var (
	dQKV     dim = func(c *Config) int64 { return int64(c.QDim() + 2*c.KVDim()) }
	dFF2     dim = func(c *Config) int64 { return int64(2 * c.HiddenDim) }
	phi3Attn     = []tensorDecl{
		llamaAttn[0], // attn_norm
		layerMatrix("attn_qkv.weight", func(L *Layer) **tensor.Matrix { return &L.Wqkv }, dModel, dQKV),
	}
	phi3FFN = []tensorDecl{
		llamaFFN[0], // ffn_norm
		layerMatrix("ffn_up.weight", func(L *Layer) **tensor.Matrix { return &L.GateUp }, dModel, dFF2),
		llamaFFN[3], // ffn_down
	}
)

// splitQKV projects the batch through the fused matrix and splits each
// token's row into its query, key and value.
func splitQKV(s *State, L *Layer, n int) {
	c := &s.m.Config
	qd, kvd := c.QDim(), c.KVDim()
	w := qd + 2*kvd
	out := s.fused[:n*w]
	tensor.MatMul(s.pool, out, L.Wqkv, s.inDim)
	for t := 0; t < n; t++ {
		row := out[t*w : (t+1)*w]
		copy(s.q[t*qd:(t+1)*qd], row[:qd])
		copy(s.k[t*kvd:(t+1)*kvd], row[qd:qd+kvd])
		copy(s.v[t*kvd:(t+1)*kvd], row[qd+kvd:])
	}
}

// splitGateUp is the same for the fused gate and up projection.
func splitGateUp(s *State, L *Layer, n int) {
	ff := s.m.Config.HiddenDim
	out := s.fused[:n*2*ff]
	tensor.MatMul(s.pool, out, L.GateUp, s.inDim)
	for t := 0; t < n; t++ {
		row := out[t*2*ff : (t+1)*2*ff]
		copy(s.gate[t*ff:(t+1)*ff], row[:ff])
		copy(s.up[t*ff:(t+1)*ff], row[ff:])
	}
}
