package llama

import (
	"fmt"
	"math"

	"burrow/inference/tensor"
)

// gemma4: Gemma 4 (llama.cpp's LLM_ARCH_GEMMA4, dense models: E2B, E4B,
// 31B). Gemma 3's block (embeddings times sqrt(Dim), per-head Q/K norms,
// post-attention and post-FFN norms, GeGLU, NeoX rope) with:
//   - a per-layer list of which layers attend through the sliding window,
//     the local layers with their own head size, KV heads, rotated
//     dimensions and rope base, the global ones with rope_freqs
//     (proportional rope: factors of 1e30 leave most pairs unrotated);
//   - the values RMS-normed without weights, V taken from K when a layer
//     has no attn_v, and attention scores not scaled (scale 1);
//   - the last shared_kv_layers layers keeping no KV: they attend over the
//     cache of the last local or global layer before them;
//   - per-layer embeddings (E2B, E4B): per_layer_token_embd's row of the
//     token plus a projection of the embeddings, one slice per layer, that
//     gates a small projection added to each layer's output;
//   - each layer's output times layer_output_scale, and a final soft-cap;
//   - in the mixture-of-experts model (26B-A4B), experts beside every
//     layer's dense FFN (arch_gemma4moe.go).
func init() {
	register(&family{
		name:       "gemma4",
		tensors:    gemma4Tensors,
		ropeNeoX:   true,
		qkSteps:    []step{gemma4QKVNorm},
		embedScale: true,
		postAttn:   gemmaPostAttnNorm,
		postFFN:    gemma4PostFFN,
		geglu:      true,
		hparams:    gemma4Params,
		layerOut:   gemma4LayerOut,
		newState:   gemma4NewState,
	})
}

var (
	dHeadPair dim = func(c *Config) int64 { return int64(c.HeadDim / 2) }
	dPLE      dim = func(c *Config) int64 { return int64(c.PerLayerDim) }
	dPLEAll   dim = func(c *Config) int64 { return int64(c.PerLayerDim * c.Layers) }
	dOne      dim = func(*Config) int64 { return 1 }

	hasPLE = func(c *Config, _ int) bool { return c.PerLayerDim > 0 }
	ownKV  = func(c *Config, l int) bool { return c.KVSource(l) == l }

	// Per-layer shapes: local and global layers differ in head size and
	// KV heads, and the FFN widths may differ.
	g4Q  = func(c *Config, l int) []int64 { return []int64{int64(c.Dim), int64(c.Heads * c.LayerHeadDim(l))} }
	g4KV = func(c *Config, l int) []int64 {
		return []int64{int64(c.Dim), int64(c.LayerKVHeads(l) * c.LayerHeadDim(l))}
	}
	g4O   = func(c *Config, l int) []int64 { return []int64{int64(c.Heads * c.LayerHeadDim(l)), int64(c.Dim)} }
	g4Hd  = func(c *Config, l int) []int64 { return []int64{int64(c.LayerHeadDim(l))} }
	g4FF  = func(c *Config, l int) []int64 { return []int64{int64(c.Dim), int64(c.LayerFF(l))} }
	g4FFd = func(c *Config, l int) []int64 { return []int64{int64(c.LayerFF(l)), int64(c.Dim)} }

	gemma4Tensors = concat(
		[]tensorDecl{
			llamaHead[1], // token_embd
			// The global layers' proportional rope (required, as in llama.cpp).
			modelVector("rope_freqs.weight", Vector, func(m *Model) *[]float32 { return &m.RopeFactors }, dHeadPair),
			withOnly(modelMatrix("per_layer_token_embd.weight", func(m *Model) **tensor.Matrix { return &m.PLEEmbd }, dPLEAll, dVocab), hasPLE),
			withOnly(modelMatrix("per_layer_model_proj.weight", func(m *Model) **tensor.Matrix { return &m.PLEModelProj }, dModel, dPLEAll), hasPLE),
			withOnly(modelVector("per_layer_proj_norm.weight", Norm, func(m *Model) *[]float32 { return &m.PLEProjNorm }, dPLE), hasPLE),
			llamaAttn[0], // attn_norm
			perLayer(llamaAttn[1], g4Q, nil),
			perLayer(llamaAttn[2], g4KV, ownKV),
			// No attn_v: the values are the keys (attention_k_eq_v).
			synthToo(optional(perLayer(llamaAttn[3], g4KV, ownKV))),
			perLayer(qkNorms[0], g4Hd, nil),
			perLayer(qkNorms[1], g4Hd, ownKV),
			perLayer(llamaAttnOut[0], g4O, nil),
			gemmaPostAttn[0],
			llamaFFN[0], // ffn_norm
			perLayer(llamaFFN[1], g4FF, nil),
			perLayer(llamaFFN[2], g4FF, nil),
			perLayer(llamaFFN[3], g4FFd, nil),
			gemmaPostFFN[0],
		},
		gemma4Experts,
		[]tensorDecl{
			withOnly(layerMatrix("inp_gate.weight", func(L *Layer) **tensor.Matrix { return &L.PLEGate }, dModel, dPLE), hasPLE),
			withOnly(layerMatrix("proj.weight", func(L *Layer) **tensor.Matrix { return &L.PLEProj }, dPLE, dModel), hasPLE),
			withOnly(layerVector("post_norm.weight", Norm, func(L *Layer) *[]float32 { return &L.PLEPostNorm }, dModel), hasPLE),
			synthToo(optional(layerVector("layer_output_scale.weight", Vector, func(L *Layer) *[]float32 { return &L.OutScale }, dOne))),
		},
		llamaTail,
	)
)

func perLayer(d tensorDecl, shape func(c *Config, l int) []int64, only func(c *Config, l int) bool) tensorDecl {
	d.layerShape, d.only = shape, only
	return d
}

func withOnly(d tensorDecl, only func(c *Config, l int) bool) tensorDecl { d.only = only; return d }

func synthToo(d tensorDecl) tensorDecl { d.synth = true; return d }

// gemma4Params reads the per-layer pattern and shapes, the shared layers
// and the per-layer embedding width, as llama_model_gemma4 does.
func gemma4Params(c *Config, k keys) error {
	if err := gemma4MoEParams(c, k); err != nil {
		return err
	}
	pat := k.name("attention.sliding_window_pattern")
	if a, ok := k.f.Array(pat); ok {
		swa, ok := a.Values.([]bool)
		if !ok || len(swa) != c.Layers {
			return fmt.Errorf("llama: %s must be %d booleans", pat, c.Layers)
		}
		c.SWALayers = swa
	} else if v, ok := k.f.Uint(pat); ok {
		// llama.cpp's get_key_or_arr: a single value holds for every layer.
		c.SWALayers = make([]bool, c.Layers)
		for l := range c.SWALayers {
			c.SWALayers[l] = v != 0
		}
	} else {
		return fmt.Errorf("llama: %s is missing", pat)
	}
	c.SWAPattern = 0
	if c.Window = k.uint("attention.sliding_window", 0); c.Window <= 0 {
		return fmt.Errorf("llama: %s is missing", k.name("attention.sliding_window"))
	}
	c.QueryScale = 1 // Gemma 4 scales neither queries nor scores
	c.RopeBaseSWA = k.float("rope.freq_base_swa", 10000)
	c.RopeFactorsGlobal = true
	c.NormEps = k.float("attention.layer_norm_rms_epsilon", 1e-6)
	c.FinalSoftcap = k.float("final_logit_softcapping", 0)
	if c.FinalSoftcap < 0 {
		return fmt.Errorf("llama: negative final_logit_softcapping %g", c.FinalSoftcap)
	}
	c.PerLayerDim = k.uint("embedding_length_per_layer_input", 0)

	c.HeadDimSWA = k.uint("attention.key_length_swa", c.HeadDim)
	if vl := k.uint("attention.value_length_swa", c.HeadDimSWA); vl != c.HeadDimSWA {
		return fmt.Errorf("llama: local key length %d differs from value length %d", c.HeadDimSWA, vl)
	}
	c.RopeDimSWA = k.uint("rope.dimension_count_swa", c.RopeDim)
	if hd, rd := c.HeadDimSWA, c.RopeDimSWA; hd <= 0 || hd%2 != 0 || rd <= 0 || rd > hd || rd%2 != 0 {
		return fmt.Errorf("llama: local head size %d with rope dimension %d is not supported", hd, rd)
	}
	c.KVHeadsSWA = c.KVHeads
	if kv, ok := k.f.Int32s(k.name("attention.head_count_kv")); ok {
		if err := c.gemma4KVHeads(kv); err != nil {
			return err
		}
	}
	if c.Heads%c.KVHeadsSWA != 0 {
		return fmt.Errorf("llama: %d query heads cannot share %d local KV heads", c.Heads, c.KVHeadsSWA)
	}

	c.SharedKV = k.uint("attention.shared_kv_layers", 0)
	if n := c.SharedKV; n > 0 {
		// llama.cpp's reuse: a local layer reads layer first-2, a global
		// one layer first-1, which must be of those kinds.
		first := c.Layers - n
		if first < 2 || !c.Local(first-2) || c.Local(first-1) {
			return fmt.Errorf("llama: %d shared KV layers of %d need a local then a global layer before them", n, c.Layers)
		}
	}
	return nil
}

// gemma4KVHeads reads a per-layer head_count_kv: one count for the local
// layers and one for the global ones.
func (c *Config) gemma4KVHeads(kv []int32) error {
	if len(kv) != c.Layers {
		return fmt.Errorf("llama: attention.head_count_kv has %d entries for %d layers", len(kv), c.Layers)
	}
	got := map[bool]int{}
	for l, v := range kv {
		if v <= 0 {
			return fmt.Errorf("llama: attention.head_count_kv[%d] = %d", l, v)
		}
		if g, ok := got[c.Local(l)]; ok && g != int(v) {
			return fmt.Errorf("llama: attention.head_count_kv differs between layers of one kind (%d, %d)", g, v)
		}
		got[c.Local(l)] = int(v)
	}
	if v, ok := got[false]; ok {
		c.KVHeads = v
	}
	if v, ok := got[true]; ok {
		c.KVHeadsSWA = v
	}
	if c.Heads%c.KVHeads != 0 {
		return fmt.Errorf("llama: %d query heads cannot share %d KV heads", c.Heads, c.KVHeads)
	}
	return nil
}

// gemma4QKVNorm is the step after the projections: every head of Q and K
// RMS-normed with its weights, every head of V without, at the layer's
// head size (a layer that shares an earlier layer's cache has only Q).
func gemma4QKVNorm(s *State, L *Layer, n int) {
	c, l := &s.m.Config, s.layer
	hd, kvh := c.LayerHeadDim(l), c.LayerKVHeads(l)
	q := s.q[:n*c.Heads*hd]
	s.rmsNorm(q, q, L.QNorm, n*c.Heads)
	if c.KVSource(l) != l {
		return
	}
	k, v := s.k[:n*kvh*hd], s.v[:n*kvh*hd]
	s.rmsNorm(k, k, L.KNorm, n*kvh)
	for i := 0; i < n*kvh; i++ {
		tensor.RMSNorm(v[i*hd:(i+1)*hd], v[i*hd:(i+1)*hd], nil, c.NormEps)
	}
}

// pleScratch holds the batch's per-layer inputs [token][layer][PerLayerDim]
// and the buffers of the per-layer step.
type pleScratch struct {
	in   []float32 // [batch][Layers*PerLayerDim]
	row  []float32 // one token's per_layer_token_embd row
	gate []float32 // [batch][PerLayerDim]
	ones []float32 // GELU is GeGLU against ones
	act  *tensor.Activations
}

func gemma4NewState(s *State) {
	c := &s.m.Config
	if c.Experts > 0 {
		s.g4moe = &gemma4MoEScratch{mlp: make([]float32, s.batch*c.Dim), in: make([]float32, s.batch*c.Dim)}
	}
	if c.PerLayerDim == 0 {
		return
	}
	w := c.PerLayerDim * c.Layers
	s.ple = &pleScratch{in: make([]float32, s.batch*w), row: make([]float32, w),
		gate: make([]float32, s.batch*c.PerLayerDim), ones: make([]float32, s.batch*c.PerLayerDim),
		act: tensor.NewActivations(s.batch, c.PerLayerDim)}
	for i := range s.ple.ones {
		s.ple.ones[i] = 1
	}
}

// sqrtf is C's sqrtf: the float32 square root.
func sqrtf(x float32) float32 { return float32(math.Sqrt(float64(x))) }

// perLayerInputs makes the batch's per-layer inputs from the scaled
// embeddings in s.x, in llama.cpp's order: the projection times
// 1/sqrt(Dim), each layer's slice RMS-normed, plus the token's
// per_layer_token_embd row times sqrt(PerLayerDim), all times 1/sqrt(2).
func (s *State) perLayerInputs(tokens []int) {
	m, c := s.m, &s.m.Config
	n, npl := len(tokens), c.PerLayerDim
	w := npl * c.Layers
	in := s.ple.in[:n*w]
	s.inDim.Set(s.x[:n*c.Dim], n)
	tensor.MatMul(s.pool, in, m.PLEModelProj, s.inDim)
	projScale := 1 / sqrtf(float32(c.Dim))
	for i := range in {
		in[i] *= projScale
	}
	s.rmsNorm(in, in, m.PLEProjNorm, n*c.Layers)
	embScale, inScale := sqrtf(float32(npl)), 1/sqrtf(2)
	for t, id := range tokens {
		m.PLEEmbd.RowF32(id, s.ple.row)
		dst := in[t*w : (t+1)*w]
		for i, e := range s.ple.row {
			dst[i] = (dst[i] + e*embScale) * inScale
		}
	}
}

// gemma4LayerOut ends a layer: with per-layer embeddings, x +=
// norm(proj(GELU(inp_gate·x) * this layer's input)); then x times the
// layer's output scale.
func gemma4LayerOut(s *State, L *Layer, n int) {
	c := &s.m.Config
	x := s.x[:n*c.Dim]
	if s.ple != nil {
		npl, w := c.PerLayerDim, c.PerLayerDim*c.Layers
		g, xb := s.ple.gate[:n*npl], s.xb[:n*c.Dim]
		s.inDim.Set(x, n)
		tensor.MatMul(s.pool, g, L.PLEGate, s.inDim)
		tensor.GeGLU(g, g, s.ple.ones)
		off := s.layer * npl
		for t := 0; t < n; t++ {
			in := s.ple.in[t*w+off : t*w+off+npl]
			for i, v := range in {
				g[t*npl+i] *= v
			}
		}
		s.ple.act.Set(g, n)
		tensor.MatMul(s.pool, xb, L.PLEProj, s.ple.act)
		s.rmsNorm(xb, xb, L.PLEPostNorm, n)
		addInto(x, xb)
	}
	if L.OutScale != nil {
		sc := L.OutScale[0]
		for i := range x {
			x[i] *= sc
		}
	}
}
