package llama

import (
	"fmt"

	"burrow/inference/tensor"
)

// Gemma 4's mixture of experts (26B-A4B; llama.cpp's LLM_ARCH_GEMMA4 with
// ffn_gate_inp, one arch with the dense models). Every layer keeps its
// dense GeGLU FFN and adds, beside it, ExpertsUsed of Experts GeGLU
// experts:
//
//	mlp = post_ffw_norm_1(FFN(ffn_norm(h)))
//	moe = post_ffw_norm_2(experts(pre_ffw_norm_2(h)))
//	h  += post_ffw_norm(mlp + moe)
//
// h being the block's input (the attention's output plus the residual).
// The router reads h RMS-normed without weights, times 1/sqrt(Dim) and a
// learned per-value scale (ffn_gate_inp.scale); its logits are softmaxed,
// the top k taken and their weights renormalised to sum 1 (qwen3moe's
// route). Each expert's gate and up rows are one stack (ffn_gate_up_exps;
// separate ffn_gate_exps and ffn_up_exps are read too) and its output is
// multiplied by its own scale (ffn_down_exps.scale, HF's per_expert_scale)
// before the routing weight.

var (
	hasExperts = func(c *Config, _ int) bool { return c.Experts > 0 }

	dFFExp2 dim = func(c *Config) int64 { return int64(2 * c.ExpertFF) }

	// The experts' tensors, after the dense FFN's.
	gemma4Experts = []tensorDecl{
		withOnly(layerVector("pre_ffw_norm_2.weight", Norm, func(L *Layer) *[]float32 { return &L.PreFFNNorm2 }, dModel), hasExperts),
		withOnly(moeFFN[1], hasExperts), // ffn_gate_inp
		withOnly(layerVector("ffn_gate_inp.scale", Vector, func(L *Layer) *[]float32 { return &L.RouterScale }, dModel), hasExperts),
		synthToo(optional(withOnly(layerMatrix("ffn_gate_up_exps.weight", func(L *Layer) **tensor.Matrix { return &L.GateUpExps },
			dModel, dFFExp2, dExperts), hasExperts))),
		optional(withOnly(moeFFN[2], hasExperts)), // ffn_gate_exps, if not fused
		optional(withOnly(moeFFN[3], hasExperts)), // ffn_up_exps
		withOnly(moeFFN[4], hasExperts),           // ffn_down_exps
		synthToo(optional(withOnly(layerVector("ffn_down_exps.scale", Vector, func(L *Layer) *[]float32 { return &L.DownExpsScale }, dExperts), hasExperts))),
		withOnly(layerVector("post_ffw_norm_1.weight", Norm, func(L *Layer) *[]float32 { return &L.PostFFNNorm1 }, dModel), hasExperts),
		withOnly(layerVector("post_ffw_norm_2.weight", Norm, func(L *Layer) *[]float32 { return &L.PostFFNNorm2 }, dModel), hasExperts),
	}
)

// gemma4MoEParams reads the experts' keys, when the file has experts.
func gemma4MoEParams(c *Config, k keys) error {
	if k.uint("expert_count", 0) == 0 {
		return nil
	}
	return moeParams(c, k)
}

// splitGateUpExperts makes each expert's gate and up views of the fused
// stack: expert e's 2*ExpertFF rows, gate first.
func (L *Layer) splitGateUpExperts(n int) error {
	m := L.GateUpExps
	if m.Rows%(2*n) != 0 {
		return fmt.Errorf("ffn_gate_up_exps rows (%d) not a multiple of 2 x %d experts", m.Rows, n)
	}
	ff := m.Rows / (2 * n)
	L.ExpGate, L.ExpUp = make([]*tensor.Matrix, n), make([]*tensor.Matrix, n)
	for e := 0; e < n; e++ {
		var err error
		if L.ExpGate[e], err = m.Slice(2*e*ff, (2*e+1)*ff); err != nil {
			return err
		}
		if L.ExpUp[e], err = m.Slice((2*e+1)*ff, (2*e+2)*ff); err != nil {
			return err
		}
	}
	return nil
}

// gemma4MoEScratch holds the dense FFN's normed output and the router's
// input while the experts run, [batch][Dim] each.
type gemma4MoEScratch struct {
	mlp, in []float32
}

func gemma4MoEScratchBytes(c *Config, batch int) uint64 {
	if c.Arch != "gemma4" || c.Experts == 0 {
		return 0
	}
	return uint64(batch) * uint64(2*c.Dim) * 4
}

// gemma4PostFFN ends the FFN block: with experts, the dense FFN's output
// in xb is normed and the experts' normed output added to it (x still holds
// the block's input); then post_ffw_norm, before the residual add.
func gemma4PostFFN(s *State, L *Layer, n int) {
	if L.Router != nil {
		s.gemma4MoE(L, n)
	}
	gemmaPostFFNNorm(s, L, n)
}

// gemma4MoE replaces the dense FFN's output in xb with
// post_ffw_norm_1(it) + post_ffw_norm_2(experts(pre_ffw_norm_2(x))).
func (s *State) gemma4MoE(L *Layer, n int) {
	c, g := &s.m.Config, s.g4moe
	dim := c.Dim
	x, xb := s.x[:n*dim], s.xb[:n*dim]
	mlp, in := g.mlp[:n*dim], g.in[:n*dim]
	s.rmsNorm(mlp, xb, L.PostFFNNorm1, n)

	// The router's input: x RMS-normed, times 1/sqrt(Dim), times the
	// scale (two roundings, as ggml's scale then mul).
	inv := 1 / sqrtf(float32(dim))
	for t := 0; t < n; t++ {
		r := in[t*dim : (t+1)*dim]
		tensor.RMSNorm(r, x[t*dim:(t+1)*dim], nil, c.NormEps)
		for i, sc := range L.RouterScale {
			r[i] = float32(r[i]*inv) * sc
		}
	}
	s.inDim.Set(in, n)
	tensor.MatMul(s.pool, s.router[:n*c.Experts], L.Router, s.inDim)

	s.rmsNorm(xb, x, L.PreFFNNorm2, n)
	s.routedExperts(L, n)
	s.rmsNorm(xb, xb, L.PostFFNNorm2, n)
	for i, v := range mlp {
		xb[i] = v + xb[i]
	}
}
