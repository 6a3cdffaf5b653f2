package llama

import "burrow/inference/tensor"

// phi3: Phi-3 and Phi-4 (mini): llama with Q, K and V in one matrix
// (attn_qkv) and gate and up in one (ffn_up: the gate's rows, then up's),
// and NeoX rope.
func init() {
	register(&family{
		name:     "phi3",
		tensors:  concat(llamaHead, phi3Attn, llamaAttnOut, phi3FFN, llamaTail),
		ropeNeoX: true,
		project:  splitQKV,
		gateUp:   splitGateUp,
	})
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
