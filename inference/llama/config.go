// Package llama runs decoder-only transformers of the llama lineage
// (llama, Mistral, qwen2, ...) from GGUF files: hyperparameters, weights
// that are views of the mapped file, the KV cache and one shared forward
// pass, in the style of llama2.c. What differs between architectures is
// data, one file per family (see doc.go).
package llama

import (
	"fmt"

	"burrow/inference/gguf"
)

// Config holds the hyperparameters of a model, read from the GGUF keys
// "{arch}.*" with llama.cpp's defaults where a key is absent.
type Config struct {
	Arch        string // general.architecture, one of SupportedArchitectures()
	Dim         int    // embedding_length
	HiddenDim   int    // feed_forward_length
	Layers      int    // block_count
	Heads       int    // attention.head_count
	KVHeads     int    // attention.head_count_kv (default Heads)
	HeadDim     int    // attention.key_length (default Dim/Heads)
	RopeDim     int    // rope.dimension_count (default HeadDim)
	VocabSize   int    // rows of token_embd.weight
	ContextLen  int    // context_length: the trained context
	RopeBase    float32
	RopeScale   float32 // position multiplier: 1/rope.scaling.factor for linear scaling, else 1
	Window      int     // sliding-window attention: local layers see the last Window positions (0: none)
	SWAPattern  int     // every SWAPattern-th layer is global, the others local (with Window)
	RopeBaseSWA float32 // rope base of the local layers
	Experts     int     // expert_count: FFN experts per layer (0: a dense FFN)
	ExpertsUsed int     // expert_used_count: experts each token is routed to
	ExpertFF    int     // expert_feed_forward_length
	RopeNeoX    bool    // rotate (i, i+d/2) pairs (qwen2); llama rotates adjacent pairs
	NormEps     float32 // attention.layer_norm_rms_epsilon
	TiedOutput  bool    // no output.weight: the embedding doubles as the classifier
	RopeFactors bool    // rope_freqs.weight present (Llama 3.1/3.2 scaling)
	// QueryScale, when set, multiplies the queries after rope in place of
	// 1/sqrt(HeadDim) on the scores (gemma2: llama.cpp's f_attention_scale).
	QueryScale   float32
	AttnSoftcap  float32 // scores become cap*tanh(score/cap) before the softmax (0: none)
	FinalSoftcap float32 // likewise the logits (gemma2's final_logit_softcapping)
	RopeScaleSWA float32 // the local layers' position multiplier; 0 means 1 (gemma3's are never scaled)
	// LongRoPE (phi3): rope_factors_long/short are chosen by whether the
	// context exceeds RopeOrigCtx (rope.scaling.original_context_length), and
	// RopeAttnFactor (rope.scaling.attn_factor, 0 meaning 1) scales cos and sin.
	RopeOrigCtx    int
	RopeAttnFactor float32
	Pooling        Pooling // pooling_type: how an embedding model pools (PoolNone for chat models)
	// YaRN rope scaling (rope.scaling.type yarn): YarnOrigCtx is the
	// trained context the ramp is computed for, YarnExtFactor the mix (0:
	// no YaRN), YarnAttnFactor ggml's attn_factor (llama.cpp's
	// cparams.yarn_attn_factor), YarnBetaFast/Slow the ramp's ends.
	YarnOrigCtx                   int
	YarnExtFactor, YarnAttnFactor float32
	YarnBetaFast, YarnBetaSlow    float32
	// AttnTempScale and AttnTempFloor: llama 4 / mistral3 attention
	// temperature, queries of position p times
	// 1 + AttnTempScale*ln(floor((p+AttnTempOffset)/AttnTempFloor)+1) (0: none).
	AttnTempScale, AttnTempOffset float32
	AttnTempFloor                 int
	// Per-layer shapes (gemma4; zero values: every layer alike). The local
	// layers' head size, KV heads and rotated dimensions (0: the global
	// ones); which layers are local (nil: the SWAPattern rule); each layer's
	// FFN width (nil: HiddenDim, which is then the widest); the last
	// SharedKV layers keep no KV and read an earlier layer's (KVSource);
	// rope factors on the global layers only.
	HeadDimSWA, KVHeadsSWA, RopeDimSWA int
	SWALayers                          []bool
	LayerFFs                           []int
	SharedKV                           int
	RopeFactorsGlobal                  bool
	PerLayerDim                        int // embedding_length_per_layer_input: per-layer embeddings (0: none)
	// Gated DeltaNet (qwen35, arch_qwen35.go): the recurrent layers' conv
	// width (ssm.conv_kernel), value width (ssm.inner_size), head size
	// (ssm.state_size), key heads (ssm.group_count) and value heads
	// (ssm.time_step_rank); every FullAttnEvery-th layer is full attention
	// (full_attention_interval) unless Recur marks the recurrent layers
	// (attention.recurrent_layers): 'r' per recurrent layer, 'a' per
	// attention layer (a string keeps Config comparable). SharedFF is the
	// shared expert's width (expert_shared_feed_forward_length; 0: none).
	SSMConv, SSMInner, SSMState, SSMGroups, SSMHeads int
	FullAttnEvery                                    int
	Recur                                            string
	SharedFF                                         int
}

// QDim is the width of the concatenated query heads (the widest layer's
// where layers differ).
func (c *Config) QDim() int { return c.Heads * max(c.HeadDim, c.HeadDimSWA) }

// KVDim is the width of one position's keys (or values) in the cache (the
// widest layer's where layers differ).
func (c *Config) KVDim() int {
	return max(c.KVHeads*c.HeadDim, c.KVHeadsSWA*c.HeadDimSWA)
}

// LayerHeadDim, LayerKVHeads, LayerRopeDim and LayerFF are layer l's head
// size, KV heads, rotated dimensions and FFN width.
func (c *Config) LayerHeadDim(l int) int {
	if c.HeadDimSWA > 0 && c.Local(l) {
		return c.HeadDimSWA
	}
	return c.HeadDim
}

func (c *Config) LayerKVHeads(l int) int {
	if c.KVHeadsSWA > 0 && c.Local(l) {
		return c.KVHeadsSWA
	}
	return c.KVHeads
}

func (c *Config) LayerRopeDim(l int) int {
	if c.RopeDimSWA > 0 && c.Local(l) {
		return c.RopeDimSWA
	}
	return c.RopeDim
}

func (c *Config) LayerFF(l int) int {
	if c.LayerFFs != nil {
		return c.LayerFFs[l]
	}
	return c.HiddenDim
}

// KVSource is the layer whose KV cache layer l attends over: itself, or
// for the last SharedKV layers the last layer with a cache of its kind
// (local or global), as llama.cpp's gemma3n/gemma4 reuse callback.
func (c *Config) KVSource(l int) int {
	first := c.Layers - c.SharedKV
	if c.SharedKV <= 0 || l < first {
		return l
	}
	for src := first - 1; src >= 0; src-- {
		if c.Local(src) == c.Local(l) {
			return src
		}
	}
	return l
}

// keys reads a family's "{arch}.*" hyperparameters.
type keys struct {
	f    *gguf.File
	arch string
}

func (k keys) name(s string) string { return k.arch + "." + s }

func (k keys) uint(s string, def int) int { return int(k.f.UintOr(k.name(s), uint64(def))) }

func (k keys) float(s string, def float64) float32 { return float32(k.f.FloatOr(k.name(s), def)) }

// ConfigFromGGUF reads the hyperparameters of a file of a supported family.
func ConfigFromGGUF(f *gguf.File) (Config, error) {
	arch := f.Architecture()
	fam, err := lookupFamily(arch)
	if err != nil {
		return Config{}, err
	}
	key := func(s string) string { return arch + "." + s }
	need := func(s string) (int, error) {
		v, ok := f.Uint(key(s))
		if !ok || v == 0 || v > 1<<24 {
			return 0, fmt.Errorf("llama: %s is missing or invalid", key(s))
		}
		return int(v), nil
	}
	var c Config
	c.Arch = arch
	if c.Dim, err = need("embedding_length"); err != nil {
		return c, err
	}
	if ff, ok := f.Int32s(key("feed_forward_length")); ok {
		// One width per layer (gemma4's double-wide KV-shared layers).
		if c.LayerFFs, c.HiddenDim, err = perLayerFF(ff); err != nil {
			return c, err
		}
	} else if c.HiddenDim, err = need("feed_forward_length"); err != nil {
		return c, err
	}
	if c.Layers, err = need("block_count"); err != nil {
		return c, err
	}
	if c.Heads, err = need("attention.head_count"); err != nil {
		return c, err
	}
	c.KVHeads = int(f.UintOr(key("attention.head_count_kv"), uint64(c.Heads)))
	if c.KVHeads <= 0 || c.Heads%c.KVHeads != 0 {
		return c, fmt.Errorf("llama: %d query heads cannot share %d KV heads", c.Heads, c.KVHeads)
	}
	c.HeadDim = int(f.UintOr(key("attention.key_length"), uint64(c.Dim/c.Heads)))
	if vl := int(f.UintOr(key("attention.value_length"), uint64(c.HeadDim))); vl != c.HeadDim {
		return c, fmt.Errorf("llama: key length %d differs from value length %d", c.HeadDim, vl)
	}
	c.RopeDim = int(f.UintOr(key("rope.dimension_count"), uint64(c.HeadDim)))
	if c.HeadDim <= 0 || c.HeadDim%2 != 0 || c.RopeDim <= 0 || c.RopeDim > c.HeadDim || c.RopeDim%2 != 0 {
		return c, fmt.Errorf("llama: head size %d with rope dimension %d is not supported", c.HeadDim, c.RopeDim)
	}
	c.ContextLen = int(f.UintOr(key("context_length"), 0))
	c.RopeBase = float32(f.FloatOr(key("rope.freq_base"), 10000))
	c.NormEps = float32(f.FloatOr(key("attention.layer_norm_rms_epsilon"), 1e-5))
	c.Pooling = Pooling(f.UintOr(key("pooling_type"), 0))
	c.RopeScale = 1
	switch st := f.StringOr(key("rope.scaling.type"), "none"); st {
	case "none", "":
	case "linear":
		if factor := f.FloatOr(key("rope.scaling.factor"), 1); factor > 0 {
			c.RopeScale = float32(1 / factor)
		}
	case "yarn":
		if err := c.readYaRN(keys{f, arch}); err != nil {
			return c, err
		}
	default:
		return c, fmt.Errorf("llama: rope scaling %q is not supported yet; supported: none, linear, yarn, llama3 (rope_freqs)", st)
	}
	c.RopeNeoX = fam.ropeNeoX

	emb, ok := f.Tensor("token_embd.weight")
	if !ok || len(emb.Shape) != 2 {
		return c, fmt.Errorf("llama: token_embd.weight is missing or not a matrix")
	}
	if int(emb.Shape[0]) != c.Dim {
		return c, fmt.Errorf("llama: token_embd.weight rows have %d values, want embedding_length %d", emb.Shape[0], c.Dim)
	}
	c.VocabSize = int(emb.Shape[1])
	_, hasOutput := f.Tensor("output.weight")
	c.TiedOutput = !hasOutput
	_, c.RopeFactors = f.Tensor("rope_freqs.weight")
	if fam.hparams != nil {
		if err := fam.hparams(&c, keys{f, arch}); err != nil {
			return c, err
		}
	}
	if c.LayerFFs != nil && len(c.LayerFFs) != c.Layers {
		return c, fmt.Errorf("llama: %s has %d entries for %d layers", key("feed_forward_length"), len(c.LayerFFs), c.Layers)
	}
	return c, nil
}

// perLayerFF reads a per-layer feed_forward_length: the widths and the
// widest (the size of the scratch buffers).
func perLayerFF(ff []int32) ([]int, int, error) {
	out, widest := make([]int, len(ff)), 0
	for i, v := range ff {
		if v <= 0 || v > 1<<24 {
			return nil, 0, fmt.Errorf("llama: feed_forward_length[%d] = %d is invalid", i, v)
		}
		out[i], widest = int(v), max(widest, int(v))
	}
	if len(out) == 0 {
		return nil, 0, fmt.Errorf("llama: feed_forward_length is an empty array")
	}
	return out, widest, nil
}

// Local reports whether layer l attends through the sliding window (gemma:
// of every SWAPattern layers, all but the last).
func (c *Config) Local(l int) bool {
	if c.SWALayers != nil {
		return c.Window > 0 && l < len(c.SWALayers) && c.SWALayers[l]
	}
	return c.Window > 0 && c.SWAPattern > 0 && l%c.SWAPattern < c.SWAPattern-1
}
