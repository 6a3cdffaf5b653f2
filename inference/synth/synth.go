// Package synth writes random-weight models of real shapes (Llama 3.2,
// Qwen2.5, small test sizes) with the tensor names, hyperparameter keys and
// tokenizer keys llama.cpp's converter writes. Tests and benchmarks use them
// instead of downloading models; weights are generated tensor by tensor, so
// a 1.3 GB file is written with a few megabytes of memory.
package synth

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"burrow/inference/gguf"
	"burrow/inference/quantize"
	"burrow/inference/tensor"
)

// Options chooses what to write. The zero value (with Preset "tiny") is a
// valid F32 llama model with the built-in vocabulary.
type Options struct {
	Arch      string    // one of Arches; "" takes the preset's
	Preset    string    // see Presets(); "" means "tiny"
	Type      gguf.Type // TypeF32, TypeF16 or TypeQ8_0 for the matrices; vectors stay F32
	VocabFrom string    // a .gguf whose tokenizer.* keys are copied; "" uses BuiltinVocab
	Seed      uint64
	// Std is the standard deviation of the normal weights (default 0.02).
	// Test models use a larger one (e.g. 0.5) so greedy decoding is decided
	// by the weights, not by rounding.
	Std     float64
	Name    string // general.name; default "synth-<arch>-<preset>" ("phi" spelled "ph")
	Context int    // context_length; 0 takes the preset's
	// Pooling, when set, writes {arch}.pooling_type (llama.cpp's values:
	// 1 mean, 2 cls, 3 last), making an embedding model.
	Pooling int
	Layers  int // block_count; 0 takes the preset's (fewer layers keep a real shape small)
	// ExpertType, if not "", is the type of the experts' stacked matrices
	// (e.g. "mxfp4", as gpt-oss ships them); "" means Type.
	ExpertType string
	// Recipe, if set (quantize.LookupFtype("Q4_K_M")), gives every tensor the
	// type llama-quantize would give it in that file type, in place of Type:
	// the file holds what quantizing the F32 file with that recipe writes.
	Recipe quantize.Ftype
}

// Write writes the model to path (through a temporary file renamed into place).
func Write(path string, opts Options) error {
	w, fill, err := Plan(opts)
	if err != nil {
		return err
	}
	return w.WriteFile(path, fill)
}

// WriteTo writes the model to out.
func WriteTo(out io.Writer, opts Options) (int64, error) {
	w, fill, err := Plan(opts)
	if err != nil {
		return 0, err
	}
	return w.WriteTo(out, fill)
}

// Plan builds the metadata and tensor plan without generating any weights;
// fill generates them while the file is written.
func Plan(opts Options) (*gguf.Writer, gguf.FillFunc, error) {
	cfg, err := resolve(opts)
	if err != nil {
		return nil, nil, err
	}
	w := gguf.NewWriter()
	if err := setMetadata(w, cfg); err != nil {
		return nil, nil, err
	}
	gen := &generator{cfg: cfg, specs: map[string]tensorSpec{}}
	for _, s := range tensorSpecs(cfg) {
		if _, err := w.AddTensor(s.name, s.typ, s.shape); err != nil {
			return nil, nil, fmt.Errorf("synth: %w", err)
		}
		gen.specs[s.name] = s
	}
	return w, gen.fill, nil
}

// config is Options resolved against the preset.
type config struct {
	Preset
	arch    string
	typ     gguf.Type
	expTyp  gguf.Type
	seed    uint64
	std     float64
	name    string
	pooling int
	vocab   []gguf.KV
	nVocab  int
	recipe  quantize.Ftype
	types   map[string]gguf.Type // per tensor, when recipe is set
}

func resolve(o Options) (config, error) {
	if o.Preset == "" {
		o.Preset = "tiny"
	}
	p, err := LookupPreset(o.Preset)
	if err != nil {
		return config{}, err
	}
	c := config{Preset: p, arch: o.Arch, typ: o.Type, seed: o.Seed, std: o.Std, name: o.Name, pooling: o.Pooling}
	if o.Pooling < 0 || o.Pooling > 3 {
		return config{}, fmt.Errorf("synth: pooling type %d is not one of 0 (none), 1 (mean), 2 (cls), 3 (last)", o.Pooling)
	}
	if c.arch == "" {
		c.arch = p.Arch
	}
	if !slices.Contains(Arches, c.arch) {
		return config{}, fmt.Errorf("synth: unknown architecture %q (have %s)", c.arch, strings.Join(Arches, ", "))
	}
	if o.Recipe.Name != "" {
		c.recipe, c.typ = o.Recipe, gguf.TypeF32 // the recipe starts from the F32 model
	} else if !tensor.CanQuantize(c.typ) {
		return config{}, fmt.Errorf("synth: type %s cannot be written (f32, f16, q8_0 or a quantized type the engine writes, such as q4_k)", c.typ)
	}
	c.expTyp = c.typ
	if o.ExpertType != "" {
		t, ok := gguf.ParseType(o.ExpertType)
		if !ok || !tensor.CanQuantize(t) {
			return config{}, fmt.Errorf("synth: expert type %q cannot be written", o.ExpertType)
		}
		c.expTyp = t
	}
	if c.std == 0 {
		c.std = 0.02
	}
	if c.std < 0 {
		return config{}, fmt.Errorf("synth: negative std %g", c.std)
	}
	if c.name == "" {
		// llama.cpp special-cases Phi-3 tokenizers (it looks up <|end|>) when
		// general.name says phi3 or phi-3, which the built-in vocabulary lacks.
		c.name = strings.ReplaceAll("synth-"+c.arch+"-"+p.Name, "phi", "ph")
	}
	if o.Context > 0 {
		c.Context = o.Context
	}
	if o.Layers > 0 {
		c.Layers = o.Layers
	}
	if c.RopeTheta == 0 {
		c.RopeTheta = defaultTheta(c.arch)
	}
	if c.arch != "llama" {
		c.Llama3Rope = nil // only llama reads rope_freqs
	}
	if c.arch != "phi3" {
		c.LongRope = nil // only phi3 reads rope_factors_*
	}
	if c.arch != "gemma4" {
		c.Gemma4 = nil
	} else if c.Gemma4 == nil || c.Gemma4.Pattern <= 0 || c.Window <= 0 {
		return config{}, fmt.Errorf("synth: gemma4 needs a gemma4 preset (gemma4-small, gemma4moe-small, gemma-4-e2b, gemma-4-26b-a4b), not %s", p.Name)
	}
	if strings.HasPrefix(c.arch, "qwen35") != (c.SSM != nil) {
		if c.SSM == nil {
			return config{}, fmt.Errorf("synth: %s needs a preset with a Gated DeltaNet (qwen35-tiny, qwen35-small, qwen35moe-small, qwen3.5-0.8b, qwen3.5-35b-a3b)", c.arch)
		}
		c.SSM, c.SharedFF = nil, 0 // only qwen35 reads the ssm.* keys
	}
	if r := c.LongRope; r != nil && (len(r.Short) != c.RopeSize()/2 || len(r.Long) != c.RopeSize()/2) {
		return config{}, fmt.Errorf("synth: LongRoPE factors %d and %d, want %d", len(r.Short), len(r.Long), c.RopeSize()/2)
	}
	if o.VocabFrom != "" {
		if c.vocab, err = vocabFromFile(o.VocabFrom); err != nil {
			return config{}, err
		}
	} else {
		c.vocab = BuiltinVocab(p.Vocab)
	}
	// The embedding has one row per token, so the vocabulary decides.
	c.nVocab = vocabSize(c.vocab)
	if c.recipe.Name != "" {
		if c.types, err = recipeTypes(c); err != nil {
			return config{}, err
		}
	}
	return c, nil
}

// fileType is general.file_type as llama.cpp's llama_ftype numbers it.
func fileType(t gguf.Type) uint32 {
	switch t {
	case gguf.TypeF16:
		return 1 // MOSTLY_F16
	case gguf.TypeQ8_0:
		return 7 // MOSTLY_Q8_0
	case gguf.TypeQ4_0:
		return 2
	case gguf.TypeQ5_0:
		return 8
	case gguf.TypeQ2_K:
		return 10
	case gguf.TypeQ4_K:
		return 15 // MOSTLY_Q4_K_M: the nearest llama_ftype for an all-Q4_K file
	case gguf.TypeQ5_K:
		return 17 // MOSTLY_Q5_K_M
	case gguf.TypeQ6_K:
		return 18
	}
	return 0 // ALL_F32
}

// fileType is the file's llama_ftype: the recipe's, MOSTLY_MXFP4_MOE when
// the experts are MXFP4, else that of the matrices' type.
func (c config) fileType() uint32 {
	if c.recipe.Name != "" {
		return c.recipe.ID
	}
	if c.expTyp == gguf.TypeMXFP4 && c.Experts > 0 {
		return 38
	}
	return fileType(c.typ)
}

// recipeTypes is the recipe applied to the F32 plan.
func recipeTypes(c config) (map[string]gguf.Type, error) {
	specs := tensorSpecs(c)
	ts := make([]quantize.Tensor, len(specs))
	for i, s := range specs {
		ts[i] = quantize.Tensor{Name: s.name, Shape: s.shape, Type: s.typ}
	}
	m := quantize.Model{Arch: c.arch, Layers: c.Layers, Heads: c.Heads, HeadsKV: c.KVHeads}
	plan, err := quantize.Plan(c.recipe, m, ts)
	if err != nil {
		return nil, fmt.Errorf("synth: %w", err)
	}
	types := map[string]gguf.Type{}
	for _, p := range plan {
		if p.Out != p.Type && !tensor.CanQuantize(p.Out) {
			return nil, fmt.Errorf("synth: %s is not supported yet (%s %s needs it)", p.Out, c.recipe, p.Name)
		}
		types[p.Name] = p.Out
	}
	return types, nil
}

func setMetadata(w *gguf.Writer, c config) error {
	a := c.arch + "."
	hd := uint32(c.HeadSize())
	type kv struct {
		k string
		v any
	}
	kvs := []kv{
		{"general.architecture", c.arch},
		{"general.type", "model"},
		{"general.name", c.name},
		{"general.size_label", gguf.SizeLabel(c.paramCount())},
		{a + "block_count", uint32(c.Layers)},
		{a + "context_length", uint32(c.Context)},
		{a + "embedding_length", uint32(c.Embd)},
		{a + "feed_forward_length", uint32(c.FF)},
		{a + "attention.head_count", uint32(c.Heads)},
		{a + "attention.head_count_kv", uint32(c.KVHeads)},
		{a + "rope.freq_base", float32(c.RopeTheta)},
		{a + "attention.layer_norm_rms_epsilon", float32(c.RMSEps)},
		{a + "attention.key_length", hd},
		{a + "attention.value_length", hd},
		{"general.file_type", c.fileType()},
		{a + "vocab_size", uint32(c.nVocab)},
		{a + "rope.dimension_count", uint32(c.RopeSize())},
		{"general.quantization_version", uint32(2)},
	}
	if c.Window > 0 {
		kvs = append(kvs, kv{a + "attention.sliding_window", uint32(c.Window)})
	}
	if c.RopeLinear != 0 {
		kvs = append(kvs, kv{a + "rope.scaling.type", "linear"}, kv{a + "rope.scaling.factor", float32(c.RopeLinear)})
	}
	if c.AttnSoftcap != 0 {
		kvs = append(kvs, kv{a + "attn_logit_softcapping", float32(c.AttnSoftcap)})
	}
	if c.FinalSoftcap != 0 {
		kvs = append(kvs, kv{a + "final_logit_softcapping", float32(c.FinalSoftcap)})
	}
	if r := c.LongRope; r != nil {
		kvs = append(kvs, kv{a + "rope.scaling.attn_factor", float32(r.AttnFactor(c.Context))},
			kv{a + "rope.scaling.original_context_length", uint32(r.OriginalContext)})
	}
	if c.Experts > 0 {
		kvs = append(kvs, kv{a + "expert_count", uint32(c.Experts)},
			kv{a + "expert_used_count", uint32(c.ExpertsUsed)},
			kv{a + "expert_feed_forward_length", uint32(c.ExpertFF)})
	}
	if s := c.SSM; s != nil {
		kvs = append(kvs, kv{a + "ssm.conv_kernel", uint32(s.Conv)}, kv{a + "ssm.state_size", uint32(s.State)},
			kv{a + "ssm.group_count", uint32(s.Groups)}, kv{a + "ssm.time_step_rank", uint32(s.Heads)},
			kv{a + "ssm.inner_size", uint32(s.Heads * s.State)}, kv{a + "full_attention_interval", uint32(s.Every)},
			kv{a + "rope.dimension_sections", s.Sections[:]})
	}
	if c.SharedFF > 0 {
		kvs = append(kvs, kv{a + "expert_shared_feed_forward_length", uint32(c.SharedFF)})
	}
	if c.pooling != 0 {
		kvs = append(kvs, kv{a + "pooling_type", uint32(c.pooling)})
	}
	if g := c.Gemma4; g != nil {
		// What convert_hf_to_gguf.py's Gemma4Model writes.
		kvs = append(kvs, kv{a + "attention.sliding_window_pattern", g.SWALayers(c.Layers)},
			kv{a + "attention.key_length_swa", uint32(g.HeadDimSWA)},
			kv{a + "attention.value_length_swa", uint32(g.HeadDimSWA)},
			kv{a + "rope.dimension_count_swa", uint32(g.HeadDimSWA)},
			kv{a + "rope.freq_base_swa", float32(g.RopeBaseSWA)},
			kv{a + "attention.shared_kv_layers", uint32(g.SharedKV)},
			kv{a + "embedding_length_per_layer_input", uint32(g.PerLayer)})
		if g.DoubleWide {
			ff := g.LayerFF(c.Layers, c.FF)
			arr := make([]uint32, len(ff))
			for i, v := range ff {
				arr[i] = uint32(v)
			}
			kvs = append(kvs, kv{a + "feed_forward_length", arr})
		}
		if g.KVHeadsSWA != c.KVHeads {
			swa, arr := g.SWALayers(c.Layers), make([]uint32, c.Layers)
			for l := range arr {
				arr[l] = uint32(c.KVHeads)
				if swa[l] {
					arr[l] = uint32(g.KVHeadsSWA)
				}
			}
			kvs = append(kvs, kv{a + "attention.head_count_kv", arr})
		}
	}
	for _, k := range slices.Sorted(maps.Keys(c.Keys)) {
		kvs = append(kvs, kv{a + k, c.Keys[k]})
	}
	for _, kv := range kvs {
		if err := w.Set(kv.k, kv.v); err != nil {
			return fmt.Errorf("synth: %w", err)
		}
	}
	for _, kv := range c.vocab {
		if err := w.SetKV(kv); err != nil {
			return fmt.Errorf("synth: %w", err)
		}
	}
	return nil
}

// paramCount is the number of weights the plan holds.
func (c config) paramCount() int64 {
	var n int64
	for _, s := range tensorSpecs(c) {
		e := int64(1)
		for _, d := range s.shape {
			e *= d
		}
		n += e
	}
	return n
}
