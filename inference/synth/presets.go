package synth

import (
	"fmt"
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
	// Mixture of experts (expert_count, expert_used_count,
	// expert_feed_forward_length); 0 for a dense FFN.
	Experts, ExpertsUsed, ExpertFF int
	// Keys are further "{arch}.*" keys written as they are (uint32,
	// float32 or string values): rope scaling, sliding window, ...
	Keys map[string]any
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

// Llama3Rope holds the rope_scaling block of a Llama 3.1/3.2 config.json.
type Llama3Rope struct {
	Factor, LowFreqFactor, HighFreqFactor float64
	OriginalContext                       int
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
