package llama

import (
	"fmt"

	"burrow/inference/tensor"
)

// qwen3moe: Qwen3's mixture of experts (30B-A3B and smaller): qwen3's
// attention, and an FFN of Experts SwiGLU experts of which a router picks
// ExpertsUsed per token (softmax, top k, weights renormalised). Only the
// chosen experts' rows are read.
func init() {
	register(&family{
		name:     "qwen3moe",
		tensors:  concat(llamaHead[1:], llamaAttn, qkNorms, llamaAttnOut, moeFFN, llamaTail),
		ropeNeoX: true,
		qkSteps:  []step{qkNorm},
		moe:      true,
		hparams:  moeParams,
	})
}

var (
	dExperts dim = func(c *Config) int64 { return int64(c.Experts) }
	dFFExp   dim = func(c *Config) int64 { return int64(c.ExpertFF) }
	moeFFN       = []tensorDecl{
		llamaFFN[0], // ffn_norm
		layerMatrix("ffn_gate_inp.weight", func(L *Layer) **tensor.Matrix { return &L.Router }, dModel, dExperts),
		layerMatrix("ffn_gate_exps.weight", func(L *Layer) **tensor.Matrix { return &L.GateExps }, dModel, dFFExp, dExperts),
		layerMatrix("ffn_up_exps.weight", func(L *Layer) **tensor.Matrix { return &L.UpExps }, dModel, dFFExp, dExperts),
		layerMatrix("ffn_down_exps.weight", func(L *Layer) **tensor.Matrix { return &L.DownExps }, dFFExp, dModel, dExperts),
	}
)

// maxExpertsUsed bounds the experts one token runs (fixed arrays, no
// allocation per token).
const maxExpertsUsed = 16

func moeParams(c *Config, k keys) error {
	c.Experts = k.uint("expert_count", 0)
	c.ExpertsUsed = k.uint("expert_used_count", 0)
	c.ExpertFF = k.uint("expert_feed_forward_length", 0)
	if c.Experts <= 0 || c.Experts > 1024 || c.ExpertsUsed <= 0 || c.ExpertsUsed > min(c.Experts, maxExpertsUsed) || c.ExpertFF <= 0 || c.ExpertFF > 1<<20 {
		return fmt.Errorf("llama: %d experts with %d used and width %d is not supported", c.Experts, c.ExpertsUsed, c.ExpertFF)
	}
	return nil
}

// splitExperts makes each expert's views of the stacked matrices.
func (L *Layer) splitExperts(n int) error {
	split := func(m *tensor.Matrix) ([]*tensor.Matrix, error) {
		if m == nil {
			return nil, fmt.Errorf("the experts' gate, up or down stack is missing")
		}
		if m.Rows%n != 0 {
			return nil, fmt.Errorf("stacked matrix rows not a multiple of %d experts", n)
		}
		per := m.Rows / n
		out := make([]*tensor.Matrix, n)
		for e := range out {
			var err error
			if out[e], err = m.Slice(e*per, (e+1)*per); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	var err error
	if L.GateUpExps != nil {
		err = L.splitGateUpExperts(n) // gemma4's fused stack
	} else if L.ExpGate, err = split(L.GateExps); err == nil {
		L.ExpUp, err = split(L.UpExps)
	}
	if err != nil {
		return err
	}
	L.ExpDown, err = split(L.DownExps)
	return err
}

// moeFFNRows computes, for each of the n tokens, the routed experts'
// SwiGLU outputs weighted and summed into xb: the router reads xb.
func (s *State) moeFFNRows(L *Layer, n int) {
	c := &s.m.Config
	s.inDim.Set(s.xb[:n*c.Dim], n)
	tensor.MatMul(s.pool, s.router[:n*c.Experts], L.Router, s.inDim)
	s.routedExperts(L, n)
}

// routedExperts routes the n tokens by the router logits in s.router and
// replaces xb with their experts' outputs weighted and summed (llama.cpp's
// order: experts by falling router probability, added one after another);
// each expert is SwiGLU, or GeGLU in a geglu family, and its output is
// multiplied by its DownExpsScale if the file has one (gemma4). The tokens
// are grouped by expert, so each chosen expert's matrices are read once per
// batch, in one matrix-matrix product over its tokens, not once per token.
func (s *State) routedExperts(L *Layer, n int) {
	c, p := &s.m.Config, s.pool
	dim, ff, ne, k := c.Dim, c.ExpertFF, c.Experts, c.ExpertsUsed
	probs := s.router[:n*ne]
	sel, wt := s.moeSel[:n*k], s.moeW[:n*k]
	for t := 0; t < n; t++ {
		s.route(probs[t*ne:(t+1)*ne], sel[t*k:(t+1)*k], wt[t*k:(t+1)*k])
	}

	// Group the (token, rank) slots by expert: a counting sort, tokens in order.
	start := s.moeStart[:ne+1]
	clear(start)
	for _, e := range sel {
		start[e+1]++
	}
	for e := 1; e <= ne; e++ {
		start[e] += start[e-1]
	}
	order, next := s.moeOrder[:n*k], s.moeNext[:ne]
	copy(next, start[:ne])
	for slot, e := range sel {
		order[next[e]] = int32(slot)
		next[e]++
	}

	// Each chosen expert over its tokens; its output rows go to their slots.
	rows := s.moeRows[:n*k*dim]
	for e := 0; e < ne; e++ {
		slots := order[start[e]:start[e+1]]
		m := len(slots)
		if m == 0 {
			continue
		}
		in := s.moeIn[:m*dim]
		for i, slot := range slots {
			t := int(slot) / k
			copy(in[i*dim:(i+1)*dim], s.xb[t*dim:(t+1)*dim])
		}
		s.inDim.Set(in, m)
		g, u := s.gate[:m*ff], s.up[:m*ff]
		s.outs3 = [3][]float32{g, u}
		s.mats3 = [3]*tensor.Matrix{L.ExpGate[e], L.ExpUp[e]}
		tensor.MatMulMulti(p, s.outs3[:2], s.mats3[:2], s.inDim)
		if s.fam.geglu {
			tensor.GeGLU(g, g, u)
		} else {
			tensor.SwiGLU(g, g, u)
		}
		s.inExpFF.Set(g, m)
		d := s.moeIn[:m*dim] // the inputs are in inDim now
		tensor.MatMul(p, d, L.ExpDown[e], s.inExpFF)
		for i, slot := range slots {
			row := rows[int(slot)*dim : (int(slot)+1)*dim]
			copy(row, d[i*dim:(i+1)*dim])
			if L.DownExpsScale != nil { // before the routing weight, as llama.cpp
				sc := L.DownExpsScale[e]
				for j := range row {
					row[j] *= sc
				}
			}
		}
	}

	// Sum each token's experts in rank order, as the per-token pass does.
	for t := 0; t < n; t++ {
		out := s.xb[t*dim : (t+1)*dim]
		clear(out)
		for j := 0; j < k; j++ {
			we := wt[t*k+j]
			for i, v := range rows[(t*k+j)*dim : (t*k+j+1)*dim] {
				out[i] += float32(v * we) // conversion: no FMA fusion on arm64 (ggml multiplies, then adds)
			}
		}
	}
}

// route turns one token's router logits pr into probabilities (softmax,
// in place) and picks the k most probable experts into sel, with their
// probabilities renormalised to sum 1 in w (llama.cpp's qwen3moe gating).
func (s *State) route(pr []float32, sel []int32, w []float32) {
	tensor.Softmax(pr)
	k := len(sel)
	var sum float64 // ggml_sum_rows adds in double
	for j := 0; j < k; j++ {
		best := -1
		for e, v := range pr {
			taken := false
			for _, q := range sel[:j] {
				taken = taken || int(q) == e
			}
			if !taken && (best < 0 || v > pr[best]) {
				best = e
			}
		}
		sel[j], w[j] = int32(best), pr[best]
		sum += float64(w[j])
	}
	total := max(float32(sum), 6.103515625e-5)
	for j := range w {
		w[j] /= total
	}
}
