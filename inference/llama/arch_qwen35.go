package llama

import (
	"fmt"
	"math"

	"burrow/inference/tensor"
)

// qwen35 and qwen35moe: Qwen3.5/3.6, hybrid models whose layers are
// mostly Gated DeltaNet (a linear-attention recurrence with a fixed-size
// state, deltanet.go) and every FullAttnEvery-th one full attention whose
// Q projection is doubled: each head's query and a sigmoid gate on its
// output. Q and K are RMSNormed per head, rope is NeoX over the first
// RopeDim values (llama.cpp's IMRoPE, which for text is plain rope: every
// section sees the same position). Each layer's FFN reads
// post_attention_norm; qwen35moe's FFN is qwen3moe's experts plus a shared
// expert scaled by sigmoid(ffn_gate_inp_shexp·x). MTP blocks
// (nextn_predict_layers, stored after the main ones) are not run.
func init() {
	register(&family{
		name:     "qwen35",
		tensors:  concat(qwen35Head, qwen35Mix, qwen35FFNNorm, llamaFFN[1:], llamaTail),
		ropeNeoX: true,
		hparams:  qwen35Params,
		mixer:    qwen35Mixer,
	})
	register(&family{
		name:     "qwen35moe",
		tensors:  concat(qwen35Head, qwen35Mix, qwen35FFNNorm, moeFFN[1:], qwen35Shared, llamaTail),
		ropeNeoX: true,
		hparams: func(c *Config, k keys) error {
			if err := moeParams(c, k); err != nil {
				return err
			}
			c.SharedFF = k.uint("expert_shared_feed_forward_length", c.HiddenDim)
			if c.SharedFF <= 0 || c.SharedFF > 1<<20 {
				return fmt.Errorf("llama: shared expert width %d is not supported", c.SharedFF)
			}
			return qwen35Params(c, k)
		},
		mixer:  qwen35Mixer,
		moe:    true,
		moeFFN: qwen35MoE,
	})
}

// Recurrent reports whether layer l is a Gated DeltaNet layer (qwen35).
func (c *Config) Recurrent(l int) bool {
	switch {
	case c.SSMState == 0:
		return false
	case c.Recur != "":
		return l < len(c.Recur) && c.Recur[l] == 'r'
	}
	return (l+1)%c.FullAttnEvery != 0
}

func attnLayer(c *Config, l int) bool { return !c.Recurrent(l) }

func onlyRecurrent(d tensorDecl) tensorDecl { d.only = (*Config).Recurrent; return d }
func onlyAttn(d tensorDecl) tensorDecl      { d.only = attnLayer; return d }

var (
	dQ2       dim = func(c *Config) int64 { return int64(2 * c.QDim()) }
	dConvDim  dim = func(c *Config) int64 { return int64(c.ssmConvDim()) }
	dSSMConv  dim = func(c *Config) int64 { return int64(c.SSMConv) }
	dSSMInner dim = func(c *Config) int64 { return int64(c.SSMInner) }
	dSSMHeads dim = func(c *Config) int64 { return int64(c.SSMHeads) }
	dSSMState dim = func(c *Config) int64 { return int64(c.SSMState) }
	dShared   dim = func(c *Config) int64 { return int64(c.SharedFF) }

	qwen35Head = []tensorDecl{llamaHead[1]} // token_embd
	// The mixers: attention layers have the doubled Q and per-head norms,
	// DeltaNet layers their projections, conv, gates and norm.
	qwen35Mix = []tensorDecl{
		llamaAttn[0], // attn_norm
		onlyAttn(layerMatrix("attn_q.weight", func(L *Layer) **tensor.Matrix { return &L.Wq }, dModel, dQ2)),
		onlyAttn(llamaAttn[2]), onlyAttn(llamaAttn[3]), // attn_k, attn_v
		onlyAttn(qkNorms[0]), onlyAttn(qkNorms[1]),
		onlyAttn(llamaAttnOut[0]),
		onlyRecurrent(layerMatrix("attn_qkv.weight", func(L *Layer) **tensor.Matrix { return &L.Wqkv }, dModel, dConvDim)),
		onlyRecurrent(layerMatrix("attn_gate.weight", func(L *Layer) **tensor.Matrix { return &L.SSMGate }, dModel, dSSMInner)),
		onlyRecurrent(layerVector("ssm_conv1d.weight", Vector, func(L *Layer) *[]float32 { return &L.SSMConv1d }, dSSMConv, dConvDim)),
		onlyRecurrent(layerVector("ssm_dt.bias", Vector, func(L *Layer) *[]float32 { return &L.SSMDt }, dSSMHeads)),
		onlyRecurrent(layerVector("ssm_a", Vector, func(L *Layer) *[]float32 { return &L.SSMA }, dSSMHeads)),
		onlyRecurrent(layerMatrix("ssm_beta.weight", func(L *Layer) **tensor.Matrix { return &L.SSMBeta }, dModel, dSSMHeads)),
		onlyRecurrent(layerMatrix("ssm_alpha.weight", func(L *Layer) **tensor.Matrix { return &L.SSMAlpha }, dModel, dSSMHeads)),
		onlyRecurrent(layerVector("ssm_norm.weight", Norm, func(L *Layer) *[]float32 { return &L.SSMNorm }, dSSMState)),
		onlyRecurrent(layerMatrix("ssm_out.weight", func(L *Layer) **tensor.Matrix { return &L.SSMOut }, dSSMInner, dModel)),
	}
	// The FFN's norm is called post_attention_norm.
	qwen35FFNNorm = []tensorDecl{
		layerVector("post_attention_norm.weight", Norm, func(L *Layer) *[]float32 { return &L.FFNNorm }, dModel),
	}
	qwen35Shared = []tensorDecl{
		layerVector("ffn_gate_inp_shexp.weight", Vector, func(L *Layer) *[]float32 { return &L.ShGateInp }, dModel),
		layerMatrix("ffn_gate_shexp.weight", func(L *Layer) **tensor.Matrix { return &L.ShGate }, dModel, dShared),
		layerMatrix("ffn_up_shexp.weight", func(L *Layer) **tensor.Matrix { return &L.ShUp }, dModel, dShared),
		layerMatrix("ffn_down_shexp.weight", func(L *Layer) **tensor.Matrix { return &L.ShDown }, dShared, dModel),
	}
)

// ssmConvDim is the width of the DeltaNet's fused q, k, v (the channels of its conv).
func (c *Config) ssmConvDim() int { return 2*c.SSMGroups*c.SSMState + c.SSMInner }

func qwen35Params(c *Config, k keys) error {
	// block_count holds the MTP blocks too; the main stack is the rest.
	if nextn := k.uint("nextn_predict_layers", 0); nextn > 0 {
		if nextn >= c.Layers {
			return fmt.Errorf("llama: %d MTP layers of %d", nextn, c.Layers)
		}
		c.Layers -= nextn
	}
	c.SSMConv = k.uint("ssm.conv_kernel", 0)
	c.SSMInner = k.uint("ssm.inner_size", 0)
	c.SSMState = k.uint("ssm.state_size", 0)
	c.SSMHeads = k.uint("ssm.time_step_rank", 0)
	c.SSMGroups = k.uint("ssm.group_count", 0)
	c.FullAttnEvery = k.uint("full_attention_interval", 4)
	bad := func(v, hi int) bool { return v <= 0 || v > hi }
	if bad(c.SSMConv, 64) || bad(c.SSMState, 1024) || bad(c.SSMHeads, 1024) || bad(c.SSMGroups, 1024) ||
		c.SSMInner != c.SSMHeads*c.SSMState || c.SSMHeads%c.SSMGroups != 0 || bad(c.FullAttnEvery, 1<<16) {
		return fmt.Errorf("llama: a Gated DeltaNet of conv %d, %d value heads and %d key heads of %d, width %d, attention every %d layers is not supported",
			c.SSMConv, c.SSMHeads, c.SSMGroups, c.SSMState, c.SSMInner, c.FullAttnEvery)
	}
	if rl, ok := k.f.Int32s(k.name("attention.recurrent_layers")); ok {
		if len(rl) < c.Layers {
			return fmt.Errorf("llama: attention.recurrent_layers has %d entries for %d layers", len(rl), c.Layers)
		}
		c.Recur = recurPattern(c.Layers, func(l int) bool { return rl[l] != 0 })
	} else if a, ok := k.f.Array(k.name("attention.recurrent_layers")); ok {
		bs, isBool := a.Values.([]bool)
		if !isBool || len(bs) < c.Layers {
			return fmt.Errorf("llama: attention.recurrent_layers is not a list of %d flags", c.Layers)
		}
		c.Recur = recurPattern(c.Layers, func(l int) bool { return bs[l] })
	}
	// IMRoPE over sections (t, h, w, e): text gives t, h and w the token's
	// position and e position 0, so a pair that falls in e is not rotated.
	// Real files cover every rotated pair with t, h and w; others are not
	// supported rather than run wrong.
	if sec, ok := k.f.Int32s(k.name("rope.dimension_sections")); ok && len(sec) >= 3 {
		var s [4]int
		for i := 0; i < len(sec) && i < 4; i++ {
			s[i] = int(sec[i])
		}
		if !imropeCoversText(s, c.RopeDim/2) {
			return fmt.Errorf("llama: rope sections %v leave some of the %d rotated pairs at position 0; not supported yet", s, c.RopeDim/2)
		}
	}
	return nil
}

func recurPattern(layers int, recurrent func(l int) bool) string {
	b := make([]byte, layers)
	for l := range b {
		b[l] = 'a'
		if recurrent(l) {
			b[l] = 'r'
		}
	}
	return string(b)
}

// imropeCoversText reports whether every pair 0..pairs-1 of ggml's
// interleaved M-RoPE takes the t, h or w position (not e).
func imropeCoversText(s [4]int, pairs int) bool {
	total := s[0] + s[1] + s[2] + s[3]
	if total <= 0 {
		return false
	}
	for i := 0; i < pairs; i++ {
		sec := i % total
		switch {
		case sec%3 == 1 && sec < 3*s[1], sec%3 == 2 && sec < 3*s[2], sec%3 == 0 && sec < 3*s[0]:
		default:
			return false
		}
	}
	return true
}

// qwen35Mixer is layer l's token mixing: DeltaNet or gated attention.
func qwen35Mixer(s *State, l, n int) {
	if s.m.Config.Recurrent(l) {
		s.deltaNet(l, n)
	} else {
		s.gatedAttention(l, n)
	}
}

// gatedAttention is attention with qwen35's doubled Q: each head's row of
// Wq gives the query and then a gate; the head's output is multiplied by
// sigmoid(gate) before Wo.
func (s *State) gatedAttention(l, n int) {
	m, c, p, r := s.m, &s.m.Config, s.pool, s.rec
	L := &m.Layers[l]
	pos0, dim, qDim, kvDim, hd := s.pos, c.Dim, c.QDim(), c.KVDim(), c.HeadDim
	x, xb := s.x[:n*dim], s.xb[:n*dim]
	q, k, v, att := s.q[:n*qDim], s.k[:n*kvDim], s.v[:n*kvDim], s.att[:n*qDim]
	qg, gate := r.qg[:n*2*qDim], r.gate[:n*qDim]

	s.rmsNorm(xb, x, L.AttnNorm, n)
	s.inDim.Set(xb, n)
	s.outs3 = [3][]float32{qg, k, v}
	s.mats3 = [3]*tensor.Matrix{L.Wq, L.Wk, L.Wv}
	tensor.MatMulMulti(p, s.outs3[:], s.mats3[:], s.inDim)
	for t := 0; t < n; t++ {
		for h := 0; h < c.Heads; h++ {
			src := qg[(t*c.Heads+h)*2*hd:]
			copy(q[(t*c.Heads+h)*hd:(t*c.Heads+h+1)*hd], src[:hd])
			copy(gate[(t*c.Heads+h)*hd:(t*c.Heads+h+1)*hd], src[hd:2*hd])
		}
	}
	qkNorm(s, L, n)
	for t := 0; t < n; t++ {
		pos := pos0 + t
		tensor.RoPEYaRN(q[t*qDim:(t+1)*qDim], c.Heads, hd, c.RopeDim, pos, c.RopeBase, c.RopeScale, true, nil, s.yarn)
		tensor.RoPEYaRN(k[t*kvDim:(t+1)*kvDim], c.KVHeads, hd, c.RopeDim, pos, c.RopeBase, c.RopeScale, true, nil, s.yarn)
	}
	s.attendCached(l, pos0, n, q, k, v, att, s.attShape)
	for i, g := range gate { // into gate, so att stays the kernel's output (the trace's check)
		gate[i] = att[i] * sigmoid(g)
	}
	s.inQ.Set(gate, n)
	tensor.MatMul(p, xb, L.Wo, s.inQ)
	addInto(x, xb)
}

// sigmoid is ggml's 1/(1+e^-x).
func sigmoid(x float32) float32 { return 1 / (1 + float32(math.Exp(float64(-x)))) }

// qwen35MoE is qwen3moe's routed experts on s.xb plus the shared expert
// scaled by sigmoid(ShGateInp·x), as llama.cpp adds them.
func qwen35MoE(s *State, L *Layer, n int) {
	c, p, r := &s.m.Config, s.pool, s.rec
	dim, ff := c.Dim, c.SharedFF
	in := r.shIn[:n*dim]
	copy(in, s.xb[:n*dim])
	s.moeFFNRows(L, n)
	g, u, d := r.shGate[:n*ff], r.shUp[:n*ff], r.shOut[:n*dim]
	s.inDim.Set(in, n)
	s.outs3 = [3][]float32{g, u}
	s.mats3 = [3]*tensor.Matrix{L.ShGate, L.ShUp}
	tensor.MatMulMulti(p, s.outs3[:2], s.mats3[:2], s.inDim)
	tensor.SwiGLU(g, g, u)
	r.inShared.Set(g, n)
	tensor.MatMul(p, d, L.ShDown, r.inShared)
	for t := 0; t < n; t++ {
		var dot float32
		for i, w := range L.ShGateInp {
			dot += w * in[t*dim+i]
		}
		sg := sigmoid(dot)
		out := s.xb[t*dim : (t+1)*dim]
		for i, v := range d[t*dim : (t+1)*dim] {
			out[i] += v * sg
		}
	}
}
