package synth

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"burrow/inference/llama"
)

// Preset is the shape of a model: the hyperparameters llama.cpp reads.
type Preset struct {
	Name      string
	Arch      string // default architecture (one of Arches)
	Embd      int    // hidden size (embedding_length)
	Layers    int    // block_count
	Heads     int    // attention.head_count
	KVHeads   int    // attention.head_count_kv
	HeadDim   int    // per-head size; 0 means Embd/Heads
	FF        int    // feed_forward_length
	Vocab     int    // vocabulary size (rows of token_embd); 0 means the vocabulary's own size
	Context   int    // context_length
	RopeTheta float64
	RMSEps    float64
	Tied      bool // output shares token_embd (no output.weight)
	// Llama3Rope, when set, adds rope_freqs.weight computed like the
	// Hugging Face and llama.cpp converters do for rope_type "llama3".
	Llama3Rope *Llama3Rope

	// Family extras, written only when set.
	RopeDim      int     // rope.dimension_count when rope is partial (phi-4-mini); 0 means HeadSize
	Window       int     // attention.sliding_window (gemma2, gemma3)
	RopeLinear   float64 // rope.scaling.factor of linear scaling (gemma-3-4b's global layers); 0: none
	AttnSoftcap  float64 // attn_logit_softcapping (gemma2)
	FinalSoftcap float64 // final_logit_softcapping (gemma2)
	Experts      int     // expert_count (qwen3moe)
	ExpertsUsed  int     // expert_used_count
	ExpertFF     int     // expert_feed_forward_length
	// LongRope, when set, adds Phi-3's rope_factors_short/long and the
	// attention factor the converter derives from the two contexts.
	LongRope *LongRope
	// Keys are further "{arch}.*" keys written as they are (uint32,
	// float32 or string values): rope scaling, sliding window, ...
	Keys map[string]any
	// Gemma4, when set, holds gemma4's per-layer shape (HeadDim and KVHeads
	// being the global layers').
	Gemma4 *Gemma4Shape
	// SSM, when set, is a qwen35 Gated DeltaNet (the ssm.* keys,
	// full_attention_interval, rope.dimension_sections); SharedFF is
	// qwen35moe's shared expert width.
	SSM      *SSM
	SharedFF int
}

// Gemma4Shape is what a Gemma 4 config.json adds: the local layers' head
// size and KV heads, one global layer every Pattern layers (the last of
// each run), the KV-shared last layers, the per-layer embedding width,
// double-wide FFNs on the shared layers, the global layers' partial rotary
// factor and the local rope base; KEqV is attention_k_eq_v: the global
// layers have no attn_v, their values are their keys.
type Gemma4Shape struct {
	HeadDimSWA, KVHeadsSWA int
	Pattern                int
	SharedKV               int
	PerLayer               int
	DoubleWide             bool
	RopePartial            float64
	RopeBaseSWA            float64
	KEqV                   bool
}

// SWALayers is which layers are local.
func (g *Gemma4Shape) SWALayers(layers int) []bool {
	out := make([]bool, layers)
	for l := range out {
		out[l] = (l+1)%g.Pattern != 0
	}
	return out
}

// LayerFF is each layer's FFN width.
func (g *Gemma4Shape) LayerFF(layers, ff int) []int {
	out := make([]int, layers)
	for l := range out {
		out[l] = ff
		if g.DoubleWide && l >= layers-g.SharedKV {
			out[l] = 2 * ff
		}
	}
	return out
}

// SSM is the linear-attention part of a Qwen3.5 config.json: conv width,
// head size (linear_key_head_dim = linear_value_head_dim), key and value
// heads, the full-attention interval and the rope sections (mrope_section
// and a 0), which cover the rotated pairs.
type SSM struct {
	Conv, State, Groups, Heads, Every int
	Sections                          [4]int32
}

// yarnKeys are the rope.scaling keys of YaRN with the given factor over
// an original context of orig.
func yarnKeys(factor float32, orig uint32, more map[string]any) map[string]any {
	k := map[string]any{"rope.scaling.type": "yarn", "rope.scaling.factor": factor,
		"rope.scaling.original_context_length": orig}
	for n, v := range more {
		k[n] = v
	}
	return k
}

// LongRope holds the rope_scaling block of a Phi-3 "longrope" config.json:
// per-pair divisors (RopeSize/2 each) and original_max_position_embeddings.
type LongRope struct {
	OriginalContext int
	Short, Long     []float32
}

// AttnFactor is the factor convert_hf_to_gguf.py writes as
// rope.scaling.attn_factor: sqrt(1 + ln(scale)/ln(original)), scale being
// the context over the original one (1 when not larger).
func (r LongRope) AttnFactor(context int) float64 {
	scale := float64(context) / float64(r.OriginalContext)
	if scale <= 1 {
		return 1
	}
	return math.Sqrt(1 + math.Log(scale)/math.Log(float64(r.OriginalContext)))
}

// ramp is n values from lo to hi in geometric steps (synthetic LongRoPE factors).
func ramp(n int, lo, hi float64) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(lo * math.Pow(hi/lo, float64(i)/float64(max(n-1, 1))))
	}
	return out
}

func ones(n int) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = 1
	}
	return out
}

// phi4MiniRope is microsoft/Phi-4-mini-instruct's rope_scaling.
var phi4MiniRope = &LongRope{OriginalContext: 4096, Short: ones(48), Long: []float32{
	1, 1.118320672, 1.250641126, 1.398617824, 1.564103225, 1.74916897, 1.956131817, 2.187582649,
	2.446418898, 2.735880826, 3.059592084, 3.421605075, 3.826451687, 4.279200023, 4.785517845, 5.351743533,
	5.984965424, 6.693110555, 7.485043894, 8.370679318, 9.36110372, 10.4687158, 11.70738129, 13.09260651,
	14.64173252, 16.37415215, 18.31155283, 20.47818807, 22.90118105, 25.61086418, 28.64115884, 32.03,
	32.1, 32.13, 32.23, 32.6, 32.61, 32.64, 32.66, 32.7,
	32.71, 32.93, 32.97, 33.28, 33.49, 33.5, 44.16, 47.77,
}}

// Llama3Rope holds the rope_scaling block of a Llama 3.1/3.2 config.json.
type Llama3Rope struct {
	Factor, LowFreqFactor, HighFreqFactor float64
	OriginalContext                       int
}

// RopeSize is the number of rotated values per head.
func (p Preset) RopeSize() int {
	if p.RopeDim != 0 {
		return p.RopeDim
	}
	return p.HeadSize()
}

// HeadSize is the per-head dimension.
func (p Preset) HeadSize() int {
	if p.HeadDim != 0 {
		return p.HeadDim
	}
	return p.Embd / p.Heads
}

var llama32Rope = &Llama3Rope{Factor: 32, LowFreqFactor: 1, HighFreqFactor: 4, OriginalContext: 8192}

// presets: tiny and small are test sizes (tiny's FFN of 172, like
// stories260K, and small's 688 are not multiples of 32, so Q8_0 files get
// llama.cpp's F16 fallback for ffn_down); the others copy the config.json
// of the real model.
var presets = map[string]Preset{
	"tiny": {Name: "tiny", Arch: "llama", Embd: 64, Layers: 2, Heads: 4, KVHeads: 2, FF: 172,
		Context: 256, RMSEps: 1e-5},
	"small": {Name: "small", Arch: "llama", Embd: 256, Layers: 4, Heads: 8, KVHeads: 4, FF: 688,
		Context: 1024, RMSEps: 1e-5, Tied: true},
	"llama-3.2-1b": {Name: "llama-3.2-1b", Arch: "llama", Embd: 2048, Layers: 16, Heads: 32, KVHeads: 8,
		HeadDim: 64, FF: 8192, Vocab: 128256, Context: 131072, RopeTheta: 500000, RMSEps: 1e-5,
		Tied: true, Llama3Rope: llama32Rope},
	"llama-3.2-3b": {Name: "llama-3.2-3b", Arch: "llama", Embd: 3072, Layers: 28, Heads: 24, KVHeads: 8,
		HeadDim: 128, FF: 8192, Vocab: 128256, Context: 131072, RopeTheta: 500000, RMSEps: 1e-5,
		Tied: true, Llama3Rope: llama32Rope},
	// Small test shapes of the other families: qwen3's key_length (64)
	// is not Embd/Heads (32); gemma3-small has one global layer in six and
	// a window of 8; qwen3moe-small routes 2 of 8 experts.
	"qwen3-small": {Name: "qwen3-small", Arch: "qwen3", Embd: 256, Layers: 4, Heads: 8, KVHeads: 4,
		HeadDim: 64, FF: 768, Context: 1024, RopeTheta: 1000000, RMSEps: 1e-6, Tied: true},
	"gemma3-small": {Name: "gemma3-small", Arch: "gemma3", Embd: 256, Layers: 6, Heads: 4, KVHeads: 2,
		HeadDim: 64, FF: 768, Context: 1024, RopeTheta: 1000000, RMSEps: 1e-6, Tied: true, Window: 8},
	"qwen3moe-small": {Name: "qwen3moe-small", Arch: "qwen3moe", Embd: 256, Layers: 4, Heads: 8, KVHeads: 4,
		HeadDim: 32, FF: 768, Context: 1024, RopeTheta: 1000000, RMSEps: 1e-6,
		Experts: 8, ExpertsUsed: 2, ExpertFF: 128},
	// qwen3moe-mini: Qwen3-30B-A3B scaled down (fewer, narrower layers and
	// experts, a 32k vocabulary) for quick MoE benchmarks, about 0.5B weights.
	"qwen3moe-mini": {Name: "qwen3moe-mini", Arch: "qwen3moe", Embd: 1024, Layers: 8, Heads: 16, KVHeads: 4,
		HeadDim: 64, FF: 3072, Vocab: 32000, Context: 4096, RopeTheta: 1000000, RMSEps: 1e-6,
		Experts: 32, ExpertsUsed: 4, ExpertFF: 512},
	// Real shapes (config.json of the Hugging Face release).
	"qwen3-0.6b": {Name: "qwen3-0.6b", Arch: "qwen3", Embd: 1024, Layers: 28, Heads: 16, KVHeads: 8,
		HeadDim: 128, FF: 3072, Vocab: 151936, Context: 40960, RopeTheta: 1000000, RMSEps: 1e-6, Tied: true},
	"qwen3-4b": {Name: "qwen3-4b", Arch: "qwen3", Embd: 2560, Layers: 36, Heads: 32, KVHeads: 8,
		HeadDim: 128, FF: 9728, Vocab: 151936, Context: 40960, RopeTheta: 1000000, RMSEps: 1e-6, Tied: true},
	"qwen3-30b-a3b": {Name: "qwen3-30b-a3b", Arch: "qwen3moe", Embd: 2048, Layers: 48, Heads: 32, KVHeads: 4,
		HeadDim: 128, FF: 6144, Vocab: 151936, Context: 40960, RopeTheta: 1000000, RMSEps: 1e-6,
		Experts: 128, ExpertsUsed: 8, ExpertFF: 768},
	"gemma-3-1b": {Name: "gemma-3-1b", Arch: "gemma3", Embd: 1152, Layers: 26, Heads: 4, KVHeads: 1,
		HeadDim: 256, FF: 6912, Vocab: 262144, Context: 32768, RopeTheta: 1000000, RMSEps: 1e-6, Tied: true,
		Window: 512},
	"gemma-3-4b": {Name: "gemma-3-4b", Arch: "gemma3", Embd: 2560, Layers: 34, Heads: 8, KVHeads: 4,
		HeadDim: 256, FF: 10240, Vocab: 262208, Context: 131072, RopeTheta: 1000000, RMSEps: 1e-6, Tied: true,
		Window: 1024, RopeLinear: 8},
	// gemma2-small: a test shape with a window (8) short enough that
	// prompts cross it (llama.cpp reads no output.weight for gemma2: tied).
	"gemma2-small": {Name: "gemma2-small", Arch: "gemma2", Embd: 256, Layers: 4, Heads: 4, KVHeads: 2,
		HeadDim: 64, FF: 768, Context: 1024, RMSEps: 1e-6, Tied: true, Window: 8, AttnSoftcap: 50, FinalSoftcap: 30},
	"gemma-2-2b": {Name: "gemma-2-2b", Arch: "gemma2", Embd: 2304, Layers: 26, Heads: 8, KVHeads: 4,
		HeadDim: 256, FF: 9216, Vocab: 256000, Context: 8192, RopeTheta: 10000, RMSEps: 1e-6, Tied: true,
		Window: 4096, AttnSoftcap: 50, FinalSoftcap: 30},
	// gemma4-small: a test shape of Gemma 4's E2B kind: local layers of
	// head size 64 with 2 KV heads, global ones (every third) of 128 with 1,
	// a window of 8 the prompts cross, the last 3 layers reading the KV of
	// layers 4 and 5 with double-wide FFNs, per-layer embeddings of 32.
	// (Head sizes are multiples of 64, as the real models' are: Burrow's F32
	// attention follows llama.cpp's bit for bit there; at 32 a long prompt
	// drifts from it on an F32 cache, in every family.)
	"gemma4-small": {Name: "gemma4-small", Arch: "gemma4", Embd: 256, Layers: 9, Heads: 4, KVHeads: 1,
		HeadDim: 128, FF: 512, Context: 1024, RopeTheta: 1000000, RMSEps: 1e-6, Tied: true, Window: 8, FinalSoftcap: 30,
		Gemma4: &Gemma4Shape{HeadDimSWA: 64, KVHeadsSWA: 2, Pattern: 3, SharedKV: 3, PerLayer: 32, DoubleWide: true,
			RopePartial: 0.25, RopeBaseSWA: 10000}},
	// google/gemma-4-E2B's text config.
	"gemma-4-e2b": {Name: "gemma-4-e2b", Arch: "gemma4", Embd: 1536, Layers: 35, Heads: 8, KVHeads: 1,
		HeadDim: 512, FF: 6144, Vocab: 262144, Context: 131072, RopeTheta: 1000000, RMSEps: 1e-6, Tied: true,
		Window: 512, FinalSoftcap: 30,
		Gemma4: &Gemma4Shape{HeadDimSWA: 256, KVHeadsSWA: 1, Pattern: 5, SharedKV: 20, PerLayer: 256, DoubleWide: true,
			RopePartial: 0.25, RopeBaseSWA: 10000}},
	// gemma4moe-small: a test shape of Gemma 4's mixture of experts
	// (26B-A4B): gemma4-small's local and global head sizes and KV heads,
	// the third of four layers global, a window of 8, no per-layer
	// embeddings or shared KV, the global layer without attn_v, and beside
	// each dense FFN 8 experts of which 2 are used. (Four layers: at six,
	// std 0.5 makes the shape chaotic on Q8_0: a 1e-6 change of the
	// residual flips int8 roundings and expert choices, and the two engines'
	// rare one-ulp differences, expf's say, end the agreement within 20 steps.)
	"gemma4moe-small": {Name: "gemma4moe-small", Arch: "gemma4", Embd: 256, Layers: 4, Heads: 4, KVHeads: 1,
		HeadDim: 128, FF: 512, Context: 1024, RopeTheta: 1000000, RMSEps: 1e-6, Tied: true, Window: 8, FinalSoftcap: 30,
		Experts: 8, ExpertsUsed: 2, ExpertFF: 128,
		Gemma4: &Gemma4Shape{HeadDimSWA: 64, KVHeadsSWA: 2, Pattern: 3, RopePartial: 0.25, RopeBaseSWA: 10000, KEqV: true}},
	// google/gemma-4-26B-A4B's text config: 128 experts of width 704, 8
	// used, beside a dense FFN of 2112; five local layers to a global one.
	"gemma-4-26b-a4b": {Name: "gemma-4-26b-a4b", Arch: "gemma4", Embd: 2816, Layers: 30, Heads: 16, KVHeads: 2,
		HeadDim: 512, FF: 2112, Vocab: 262144, Context: 262144, RopeTheta: 1000000, RMSEps: 1e-6, Tied: true,
		Window: 1024, FinalSoftcap: 30, Experts: 128, ExpertsUsed: 8, ExpertFF: 704,
		Gemma4: &Gemma4Shape{HeadDimSWA: 256, KVHeadsSWA: 8, Pattern: 6, RopePartial: 0.25, RopeBaseSWA: 10000, KEqV: true}},
	// phi3-small: a test shape with Phi-4-mini's partial rotary (3/4 of
	// each head) and LongRoPE whose original context (256) a 512-token
	// context exceeds, so the long factors are used there.
	"phi3-small": {Name: "phi3-small", Arch: "phi3", Embd: 256, Layers: 4, Heads: 8, KVHeads: 4, FF: 512,
		Context: 1024, RMSEps: 1e-5, Tied: true, RopeDim: 24,
		LongRope: &LongRope{OriginalContext: 256, Short: ramp(12, 1, 1.5), Long: ramp(12, 1, 16)}},
	"phi-4-mini": {Name: "phi-4-mini", Arch: "phi3", Embd: 3072, Layers: 32, Heads: 24, KVHeads: 8,
		FF: 8192, Vocab: 200064, Context: 131072, RopeTheta: 10000, RMSEps: 1e-5, Tied: true,
		RopeDim: 96, LongRope: phi4MiniRope},
	// gpt-oss test sizes: the window and the original context are short
	// so the local layers and YaRN's ramp matter within a short prompt;
	// rows are multiples of 32 so the experts can be MXFP4.
	"gpt-oss-tiny": {Name: "gpt-oss-tiny", Arch: "gpt-oss", Embd: 64, Layers: 4, Heads: 8, KVHeads: 2, HeadDim: 16,
		FF: 64, Experts: 8, ExpertsUsed: 2, ExpertFF: 64, Context: 256, RopeTheta: 150000, RMSEps: 1e-5,
		Keys: yarnKeys(32, 64, map[string]any{"attention.sliding_window": uint32(8)})},
	"gpt-oss-small": {Name: "gpt-oss-small", Arch: "gpt-oss", Embd: 128, Layers: 3, Heads: 8, KVHeads: 4, HeadDim: 32,
		FF: 96, Experts: 16, ExpertsUsed: 4, ExpertFF: 96, Context: 512, RopeTheta: 150000, RMSEps: 1e-5,
		Keys: yarnKeys(32, 128, map[string]any{"attention.sliding_window": uint32(16)})},
	// gpt-oss-20b's config.json (its vocabulary is o200k_harmony's 201088).
	"gpt-oss-20b": {Name: "gpt-oss-20b", Arch: "gpt-oss", Embd: 2880, Layers: 24, Heads: 64, KVHeads: 8, HeadDim: 64,
		FF: 2880, Experts: 32, ExpertsUsed: 4, ExpertFF: 2880, Vocab: 201088, Context: 131072, RopeTheta: 150000,
		RMSEps: 1e-5, Keys: yarnKeys(32, 4096, map[string]any{"attention.sliding_window": uint32(128)})},
	// llama tiny with YaRN (factor 4 over 32 positions).
	"yarn-tiny": {Name: "yarn-tiny", Arch: "llama", Embd: 64, Layers: 2, Heads: 4, KVHeads: 2, FF: 192,
		Context: 256, RMSEps: 1e-5, Keys: yarnKeys(4, 32, nil)},
	// Ministral-3 style: YaRN and llama 4's attention temperature, both
	// engaging within a short prompt (original context 16).
	"mistral3-tiny": {Name: "mistral3-tiny", Arch: "mistral3", Embd: 64, Layers: 2, Heads: 4, KVHeads: 2, FF: 192,
		Context: 256, RopeTheta: 1000000, RMSEps: 1e-5, Keys: yarnKeys(16, 16, map[string]any{
			"rope.scaling.yarn_beta_fast": float32(32), "rope.scaling.yarn_beta_slow": float32(1),
			"rope.scaling.yarn_log_multiplier": float32(1), "attention.temperature_scale": float32(0.1)})},
	// Qwen3.5 test sizes: three DeltaNet layers to each attention layer,
	// value heads twice the key heads (llama.cpp's h mod groups pairing),
	// partial rotary of a quarter of each head as the real ones.
	"qwen35-tiny": {Name: "qwen35-tiny", Arch: "qwen35", Embd: 64, Layers: 4, Heads: 4, KVHeads: 2, HeadDim: 16,
		FF: 128, Context: 512, RopeTheta: 10000000, RMSEps: 1e-6, Tied: true, RopeDim: 8,
		SSM: &SSM{Conv: 4, State: 16, Groups: 2, Heads: 4, Every: 4, Sections: [4]int32{2, 1, 1, 0}}},
	"qwen35-small": {Name: "qwen35-small", Arch: "qwen35", Embd: 256, Layers: 8, Heads: 8, KVHeads: 2, HeadDim: 64,
		FF: 512, Context: 1024, RopeTheta: 10000000, RMSEps: 1e-6, Tied: true, RopeDim: 16,
		SSM: &SSM{Conv: 4, State: 32, Groups: 4, Heads: 8, Every: 4, Sections: [4]int32{3, 3, 2, 0}}},
	"qwen35moe-small": {Name: "qwen35moe-small", Arch: "qwen35moe", Embd: 256, Layers: 4, Heads: 8, KVHeads: 2,
		HeadDim: 32, FF: 512, Context: 1024, RopeTheta: 10000000, RMSEps: 1e-6, RopeDim: 16,
		Experts: 8, ExpertsUsed: 2, ExpertFF: 128, SharedFF: 256,
		SSM: &SSM{Conv: 4, State: 32, Groups: 2, Heads: 4, Every: 4, Sections: [4]int32{3, 3, 2, 0}}},
	// Qwen/Qwen3.5-0.8B and Qwen3.5-35B-A3B (text part of config.json).
	"qwen3.5-0.8b": {Name: "qwen3.5-0.8b", Arch: "qwen35", Embd: 1024, Layers: 24, Heads: 8, KVHeads: 2, HeadDim: 256,
		FF: 3584, Vocab: 248320, Context: 262144, RopeTheta: 10000000, RMSEps: 1e-6, Tied: true, RopeDim: 64,
		SSM: &SSM{Conv: 4, State: 128, Groups: 16, Heads: 16, Every: 4, Sections: [4]int32{11, 11, 10, 0}}},
	// Qwen3.5-4B-like: hidden 2560, 32 layers (every fourth gated
	// attention, 16 query and 4 KV heads of 256), vocabulary 248320 and tied
	// output as published; the FFN width and the DeltaNet head counts (16 key
	// heads, 32 value heads) are guesses in the family's proportions, as its
	// config.json was not at hand.
	"qwen3.5-4b": {Name: "qwen3.5-4b", Arch: "qwen35", Embd: 2560, Layers: 32, Heads: 16, KVHeads: 4, HeadDim: 256,
		FF: 9216, Vocab: 248320, Context: 262144, RopeTheta: 10000000, RMSEps: 1e-6, Tied: true, RopeDim: 64,
		SSM: &SSM{Conv: 4, State: 128, Groups: 16, Heads: 32, Every: 4, Sections: [4]int32{11, 11, 10, 0}}},
	"qwen3.5-35b-a3b": {Name: "qwen3.5-35b-a3b", Arch: "qwen35moe", Embd: 2048, Layers: 40, Heads: 16, KVHeads: 2,
		HeadDim: 256, FF: 512, Vocab: 248320, Context: 262144, RopeTheta: 10000000, RMSEps: 1e-6, RopeDim: 64,
		Experts: 256, ExpertsUsed: 8, ExpertFF: 512, SharedFF: 512,
		SSM: &SSM{Conv: 4, State: 128, Groups: 16, Heads: 32, Every: 4, Sections: [4]int32{11, 11, 10, 0}}},
	"qwen2.5-0.5b": {Name: "qwen2.5-0.5b", Arch: "qwen2", Embd: 896, Layers: 24, Heads: 14, KVHeads: 2,
		FF: 4864, Vocab: 151936, Context: 32768, RopeTheta: 1000000, RMSEps: 1e-6, Tied: true},
}

// Presets lists the preset names.
func Presets() []string {
	names := make([]string, 0, len(presets))
	for n := range presets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// LookupPreset returns a preset by name.
func LookupPreset(name string) (Preset, error) {
	p, ok := presets[name]
	if !ok {
		return Preset{}, fmt.Errorf("synth: unknown preset %q (have %s)", name, strings.Join(Presets(), ", "))
	}
	return p, nil
}

// Arches are the architectures synth can write: those package llama runs.
var Arches = llama.SupportedArchitectures()

func defaultTheta(arch string) float64 {
	if arch == "qwen2" {
		return 1000000
	}
	return 10000
}
