package llama

import (
	"math"

	"burrow/inference/tensor"
)

// gpt-oss: OpenAI's open-weight MoE (llama.cpp's LLM_ARCH_OPENAI_MOE,
// general.architecture "gpt-oss"). Llama's attention with biases on Q, K,
// V and the output, a learned sink logit per head in every softmax, NeoX
// rope with YaRN on all layers, and every even layer attending through a
// sliding window. The FFN is a mixture of experts with biases whose router
// takes the top k logits first and softmaxes only those; each expert is
// gpt-oss's clamped SwiGLU. The FFN's norm is named post_attention_norm.
func init() {
	register(&family{
		name:     "gpt-oss",
		tensors:  concat(llamaHead[1:], gptossAttn, gptossFFN, llamaTail),
		ropeNeoX: true,
		qkSteps:  []step{addQKVBias},
		postAttn: func(s *State, L *Layer, n int) { addBias(s.xb[:n*s.m.Config.Dim], L.Bo, n) },
		moe:      true,
		moeFFN:   gptossMoE,
		hparams:  gptossParams,
	})
}

var (
	dHeads dim = func(c *Config) int64 { return int64(c.Heads) }

	gptossAttn = []tensorDecl{
		llamaAttn[0], // attn_norm
		llamaAttn[1], layerVector("attn_q.bias", Vector, func(L *Layer) *[]float32 { return &L.Bq }, dQ),
		llamaAttn[2], layerVector("attn_k.bias", Vector, func(L *Layer) *[]float32 { return &L.Bk }, dKV),
		llamaAttn[3], layerVector("attn_v.bias", Vector, func(L *Layer) *[]float32 { return &L.Bv }, dKV),
		llamaAttnOut[0], layerVector("attn_output.bias", Vector, func(L *Layer) *[]float32 { return &L.Bo }, dModel),
		layerVector("attn_sinks.weight", Vector, func(L *Layer) *[]float32 { return &L.Sinks }, dHeads),
	}
	gptossFFN = []tensorDecl{
		layerVector("post_attention_norm.weight", Norm, func(L *Layer) *[]float32 { return &L.FFNNorm }, dModel),
		moeFFN[1], layerVector("ffn_gate_inp.bias", Vector, func(L *Layer) *[]float32 { return &L.RouterB }, dExperts),
		moeFFN[2], layerVector("ffn_gate_exps.bias", Vector, func(L *Layer) *[]float32 { return &L.GateExpsB }, dFFExp, dExperts),
		moeFFN[3], layerVector("ffn_up_exps.bias", Vector, func(L *Layer) *[]float32 { return &L.UpExpsB }, dFFExp, dExperts),
		moeFFN[4], layerVector("ffn_down_exps.bias", Vector, func(L *Layer) *[]float32 { return &L.DownExpsB }, dModel, dExperts),
	}
)

// gptossParams: the experts, and the sliding window of every even layer
// (llama.cpp's set_swa_pattern(2)), whose rope is the global layers' own.
func gptossParams(c *Config, k keys) error {
	if err := moeParams(c, k); err != nil {
		return err
	}
	c.Window = k.uint("attention.sliding_window", 0)
	c.SWAPattern = 2
	c.RopeBaseSWA = c.RopeBase
	c.RopeScaleSWA = c.RopeScale
	return nil
}

// gpt-oss's SwiGLU (ggml_swiglu_oai): the gate clamped above at 7, the up
// projection to [-7, 7], and gate*sigmoid(1.702*gate)*(up+1).
const (
	swigluOAIAlpha = 1.702
	swigluOAILimit = 7.0
)

// swigluOAI sets out[i] from gate[i] and up[i]; out may alias either.
func swigluOAI(out, gate, up []float32) {
	up = up[:len(out)]
	for i, g := range gate[:len(out)] {
		x := min(g, swigluOAILimit)
		y := min(max(up[i], -swigluOAILimit), swigluOAILimit)
		glu := x / (1 + float32(math.Exp(float64(float32(swigluOAIAlpha)*(-x)))))
		out[i] = glu * (y + 1)
	}
}

// gptossMoE is the experts' FFN of the n tokens in s.xb, in place: the
// router's logits plus its bias, the top k of them softmaxed into the
// weights, and the chosen experts' outputs (each matrix plus its bias)
// weighted and added in order of falling logit, as llama.cpp does.
func gptossMoE(s *State, L *Layer, n int) {
	c, p := &s.m.Config, s.pool
	dim, ff, ne, k := c.Dim, c.ExpertFF, c.Experts, c.ExpertsUsed
	logits := s.router[:n*ne]
	s.inDim.Set(s.xb[:n*dim], n)
	tensor.MatMul(p, logits, L.Router, s.inDim)
	addBias(logits, L.RouterB, n)
	for t := 0; t < n; t++ {
		lg := logits[t*ne : (t+1)*ne]
		var sel [maxExpertsUsed]int
		var w [maxExpertsUsed]float32
		topK(lg, sel[:k])
		for j, e := range sel[:k] {
			w[j] = lg[e]
		}
		tensor.Softmax(w[:k])
		s.in1Dim.Set(s.xb[t*dim:(t+1)*dim], 1)
		out := s.moeOut[:dim]
		clear(out)
		for j, e := range sel[:k] {
			g, u := s.gate[:ff], s.up[:ff]
			s.outs3 = [3][]float32{g, u}
			s.mats3 = [3]*tensor.Matrix{L.ExpGate[e], L.ExpUp[e]}
			tensor.MatMulMulti(p, s.outs3[:2], s.mats3[:2], s.in1Dim)
			addBias(g, L.GateExpsB[e*ff:(e+1)*ff], 1)
			addBias(u, L.UpExpsB[e*ff:(e+1)*ff], 1)
			swigluOAI(g, g, u)
			s.in1FF.Set(g, 1)
			d := s.moeDown[:dim]
			tensor.MatMul(p, d, L.ExpDown[e], s.in1FF)
			addBias(d, L.DownExpsB[e*dim:(e+1)*dim], 1)
			for i, v := range d {
				out[i] += float32(v * w[j]) // conversion: no FMA fusion on arm64 (ggml multiplies, then adds)
			}
		}
		copy(s.xb[t*dim:(t+1)*dim], out)
	}
}

// topK puts the indices of the len(sel) largest values of x in sel, the
// largest first (the earlier index on a tie).
func topK(x []float32, sel []int) {
	for j := range sel {
		best := -1
		for e, v := range x {
			taken := false
			for _, q := range sel[:j] {
				taken = taken || q == e
			}
			if !taken && (best < 0 || v > x[best]) {
				best = e
			}
		}
		sel[j] = best
	}
}
