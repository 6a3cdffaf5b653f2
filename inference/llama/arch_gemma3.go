package llama

import "math"

// gemma3: Gemma 3: embeddings scaled by sqrt(Dim), per-head Q/K norms,
// norms after the attention and the FFN outputs, GeGLU (tanh GELU), NeoX
// rope, and sliding-window attention on all but every SWAPattern-th layer
// (those local layers use rope base RopeBaseSWA, unscaled; the global ones
// the file's base and linear scaling).
func init() {
	register(&family{
		name:       "gemma3",
		tensors:    concat(llamaHead[1:], llamaAttn, qkNorms, llamaAttnOut, gemmaPostAttn, llamaFFN, gemmaPostFFN, llamaTail),
		ropeNeoX:   true,
		qkSteps:    []step{qkNorm},
		embedScale: true,
		postAttn:   gemmaPostAttnNorm,
		postFFN:    gemmaPostFFNNorm,
		geglu:      true,
		hparams:    gemma3Params,
	})
}

var (
	gemmaPostAttn = []tensorDecl{layerVector("post_attention_norm.weight", Norm, func(L *Layer) *[]float32 { return &L.PostAttnNorm }, dModel)}
	gemmaPostFFN  = []tensorDecl{layerVector("post_ffw_norm.weight", Norm, func(L *Layer) *[]float32 { return &L.PostFFNNorm }, dModel)}
)

// gemmaPostAttnNorm and gemmaPostFFNNorm are gemma's norms of a block's
// output before the residual add.
func gemmaPostAttnNorm(s *State, L *Layer, n int) {
	s.rmsNorm(s.xb[:n*s.m.Config.Dim], s.xb[:n*s.m.Config.Dim], L.PostAttnNorm, n)
}

func gemmaPostFFNNorm(s *State, L *Layer, n int) {
	s.rmsNorm(s.xb[:n*s.m.Config.Dim], s.xb[:n*s.m.Config.Dim], L.PostFFNNorm, n)
}

// gemma3Params reads the sliding window (llama.cpp's defaults: a pattern of
// 6, local rope base 10000).
func gemma3Params(c *Config, k keys) error {
	c.Window = k.uint("attention.sliding_window", 0)
	c.SWAPattern = k.uint("attention.sliding_window_pattern", 6)
	c.RopeBaseSWA = k.float("rope.freq_base_swa", 10000)
	c.NormEps = k.float("attention.layer_norm_rms_epsilon", 1e-6)
	c.QueryScale = gemmaQueryScale(c, 62)
	return nil
}

// gemmaQueryScale is llama.cpp's f_attention_scale for gemma2 and gemma3,
// which multiplies the queries after rope: 1/sqrt(query_pre_attn_scalar),
// that scalar being Dim/Heads for the 27B models (layers27b layers; 144 and
// 168, not their head size) and the head size otherwise. llama.cpp does not
// read query_pre_attn_scalar from the file, so neither does this.
func gemmaQueryScale(c *Config, layers27b int) float32 {
	qpa := c.HeadDim
	if c.Layers == layers27b {
		qpa = c.Dim / c.Heads
	}
	return 1 / float32(math.Sqrt(float64(qpa)))
}
