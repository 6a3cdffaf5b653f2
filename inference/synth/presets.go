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

	// Family extras, written only when set.
	RopeDim      int     // rope.dimension_count when rope is partial (phi-4-mini); 0 means HeadSize
	Window       int     // attention.sliding_window (gemma2, gemma3)
	AttnSoftcap  float64 // attn_logit_softcapping (gemma2)
	FinalSoftcap float64 // final_logit_softcapping (gemma2)
	Experts      int     // expert_count (qwen3moe)
	ExpertsUsed  int     // expert_used_count
	ExpertFF     int     // expert_feed_forward_length
}

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
	// gemma2-small: a test shape with a window (8) short enough that
	// prompts cross it (llama.cpp reads no output.weight for gemma2: tied).
	"gemma2-small": {Name: "gemma2-small", Arch: "gemma2", Embd: 256, Layers: 4, Heads: 4, KVHeads: 2,
		HeadDim: 64, FF: 768, Context: 1024, RMSEps: 1e-6, Tied: true, Window: 8, AttnSoftcap: 50, FinalSoftcap: 30},
	"gemma-2-2b": {Name: "gemma-2-2b", Arch: "gemma2", Embd: 2304, Layers: 26, Heads: 8, KVHeads: 4,
		HeadDim: 256, FF: 9216, Vocab: 256000, Context: 8192, RopeTheta: 10000, RMSEps: 1e-6, Tied: true,
		Window: 4096, AttnSoftcap: 50, FinalSoftcap: 30},
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
