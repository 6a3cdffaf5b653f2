package gguf

import (
	"math"
	"sort"
	"strings"
)

// Summary is what a model library or an inspector shows about a file,
// read from the header alone. Numbers the file does not give are 0.
type Summary struct {
	Name         string `json:"name"`
	Architecture string `json:"architecture"`
	SizeLabel    string `json:"size_label"` // general.size_label, else computed from ParamCount
	// FileType is the llama_ftype short name ("Q8_0", "Q4_K_M", "F16",
	// "F32"); FileTypeID its number (general.file_type), -1 when absent, in
	// which case FileType is guessed from the most common matrix type and
	// FileTypeGuessed is set. FileTypeDesc is llama.cpp's own wording
	// ("Q4_K - Medium", "all F32").
	FileType        string `json:"file_type"`
	FileTypeDesc    string `json:"file_type_desc"`
	FileTypeID      int    `json:"file_type_id"`
	FileTypeGuessed bool   `json:"file_type_guessed,omitempty"`

	ParamCount      int64 `json:"param_count"` // elements of all tensors
	ContextLength   int   `json:"context_length"`
	EmbeddingLength int   `json:"embedding_length"`
	FeedForward     int   `json:"feed_forward_length"`
	Layers          int   `json:"layers"`
	Heads           int   `json:"heads"`
	KVHeads         int   `json:"kv_heads"`
	KeyLength       int   `json:"key_length"`   // per head
	ValueLength     int   `json:"value_length"` // per head
	VocabSize       int   `json:"vocab_size"`
	// RecurrentLayers keep a fixed-size state instead of a KV cache
	// (qwen35's Gated DeltaNet layers); RecurrentState is its F32 bytes
	// for one sequence, whatever the context.
	RecurrentLayers int    `json:"recurrent_layers,omitempty"`
	RecurrentState  int64  `json:"recurrent_state,omitempty"`
	TokenizerModel  string `json:"tokenizer_model"`
	TokenizerPre    string `json:"tokenizer_pre,omitempty"`
	ChatTemplate    bool   `json:"chat_template"`

	Version     uint32       `json:"gguf_version"`
	FileSize    int64        `json:"file_size"`
	TensorCount int          `json:"tensor_count"`
	TensorBytes int64        `json:"tensor_bytes"`
	QuantMix    []QuantShare `json:"quant_mix"`
}

// FileTypeText is the file type with llama.cpp's wording when that says
// more: "Q4_K_M (Q4_K - Medium)".
func (s Summary) FileTypeText() string {
	if s.FileTypeDesc != "" && s.FileTypeDesc != s.FileType {
		return s.FileType + " (" + s.FileTypeDesc + ")"
	}
	return s.FileType
}

// TokenizerText is the tokenizer model and its pre-tokenizer: "gpt2, pre qwen2".
func (s Summary) TokenizerText() string {
	if s.TokenizerPre != "" {
		return s.TokenizerModel + ", pre " + s.TokenizerPre
	}
	return s.TokenizerModel
}

// QuantShare is one tensor type's part of the file.
type QuantShare struct {
	Type    string  `json:"type"`
	Tensors int     `json:"tensors"`
	Params  int64   `json:"params"`
	Bytes   int64   `json:"bytes"`
	Share   float64 `json:"share"` // of the file size, 0..1
}

// Summary reads the model's description from the metadata and tensor infos.
func (f *File) Summary() Summary {
	s := Summary{
		Name:           f.StringOr("general.name", ""),
		Architecture:   f.Architecture(),
		SizeLabel:      f.StringOr("general.size_label", ""),
		TokenizerModel: f.StringOr("tokenizer.ggml.model", ""),
		TokenizerPre:   f.StringOr("tokenizer.ggml.pre", ""),
		Version:        f.Version,
		FileSize:       f.Size,
		TensorCount:    len(f.Tensors),
		FileTypeID:     -1,
	}
	_, s.ChatTemplate = f.String("tokenizer.chat_template")
	arch := func(k string) int { return f.archInt(k) }
	s.ContextLength = arch("context_length")
	s.EmbeddingLength = arch("embedding_length")
	s.FeedForward = arch("feed_forward_length")
	s.Layers = arch("block_count")
	s.Heads = arch("attention.head_count")
	s.KVHeads = arch("attention.head_count_kv")
	if s.KVHeads == 0 {
		s.KVHeads = s.Heads
	}
	s.KeyLength = arch("attention.key_length")
	s.ValueLength = arch("attention.value_length")
	if s.KeyLength == 0 && s.Heads > 0 {
		s.KeyLength = s.EmbeddingLength / s.Heads
	}
	if s.ValueLength == 0 {
		s.ValueLength = s.KeyLength
	}
	if st := arch("ssm.state_size"); st > 0 && arch("ssm.time_step_rank") > 0 {
		// Hybrid (qwen35): all but every full_attention_interval-th layer
		// (default 4) of the main stack are recurrent.
		every := arch("full_attention_interval")
		if every <= 0 {
			every = 4
		}
		for l := 0; l < s.Layers-arch("nextn_predict_layers"); l++ {
			if (l+1)%every != 0 {
				s.RecurrentLayers++
			}
		}
		convDim := 2*arch("ssm.group_count")*st + arch("ssm.inner_size")
		perLayer := int64(max(arch("ssm.conv_kernel")-1, 0))*int64(convDim) + int64(arch("ssm.time_step_rank"))*int64(st)*int64(st)
		s.RecurrentState = int64(s.RecurrentLayers) * perLayer * 4
	}
	if toks, ok := f.Array("tokenizer.ggml.tokens"); ok {
		s.VocabSize = toks.Len()
	} else {
		s.VocabSize = arch("vocab_size")
	}

	byType := map[Type]*QuantShare{}
	for i := range f.Tensors {
		t := &f.Tensors[i]
		q := byType[t.Type]
		if q == nil {
			q = &QuantShare{Type: t.Type.String()}
			byType[t.Type] = q
		}
		q.Tensors++
		q.Params += t.Elements()
		q.Bytes += t.Size
		s.ParamCount += t.Elements()
		s.TensorBytes += t.Size
	}
	for _, q := range byType {
		if f.Size > 0 {
			q.Share = float64(q.Bytes) / float64(f.Size)
		}
		s.QuantMix = append(s.QuantMix, *q)
	}
	sort.Slice(s.QuantMix, func(a, b int) bool {
		if s.QuantMix[a].Bytes != s.QuantMix[b].Bytes {
			return s.QuantMix[a].Bytes > s.QuantMix[b].Bytes
		}
		return s.QuantMix[a].Type < s.QuantMix[b].Type
	})
	if s.SizeLabel == "" && s.ParamCount > 0 {
		s.SizeLabel = SizeLabel(s.ParamCount)
	}

	if id, ok := f.Uint("general.file_type"); ok && id < 1<<16 {
		s.FileTypeID = int(id)
		s.FileType, s.FileTypeDesc = FileTypeName(int(id))
	} else if t, ok := f.dominantMatrixType(); ok {
		s.FileType, s.FileTypeGuessed = t.String(), true
		s.FileTypeDesc = t.String() + " (guessed)"
	}
	return s
}

// archInt reads {arch}.key as an int; per-layer arrays (some architectures
// give head counts per layer) count as their largest value.
func (f *File) archInt(key string) int {
	k := f.ArchKey(key)
	if v, ok := f.Uint(k); ok && v <= 1<<40 {
		return int(v)
	}
	if vs, ok := f.Int32s(k); ok {
		m := 0
		for _, v := range vs {
			m = max(m, int(v))
		}
		return m
	}
	return 0
}

// dominantMatrixType is the type holding the most bytes among tensors of
// two or more dimensions (how llama.cpp guesses a missing file type).
func (f *File) dominantMatrixType() (Type, bool) {
	bytes := map[Type]int64{}
	for i := range f.Tensors {
		if t := &f.Tensors[i]; len(t.Shape) >= 2 {
			bytes[t.Type] += t.Size
		}
	}
	var best Type
	found := false
	for t, n := range bytes {
		if !found || n > bytes[best] || (n == bytes[best] && t < best) {
			best, found = t, true
		}
	}
	return best, found
}

// FileTypeName gives the short name ("Q4_K_M") and llama.cpp's description
// ("Q4_K - Medium") of a general.file_type value (llama_ftype).
func FileTypeName(id int) (short, desc string) {
	if ft, ok := fileTypes[id]; ok {
		return ft[0], ft[1]
	}
	return "unknown", "unknown, may not work"
}

var fileTypes = map[int][2]string{
	0:  {"F32", "all F32"},
	1:  {"F16", "F16"},
	2:  {"Q4_0", "Q4_0"},
	3:  {"Q4_1", "Q4_1"},
	7:  {"Q8_0", "Q8_0"},
	8:  {"Q5_0", "Q5_0"},
	9:  {"Q5_1", "Q5_1"},
	10: {"Q2_K", "Q2_K - Medium"},
	11: {"Q3_K_S", "Q3_K - Small"},
	12: {"Q3_K_M", "Q3_K - Medium"},
	13: {"Q3_K_L", "Q3_K - Large"},
	14: {"Q4_K_S", "Q4_K - Small"},
	15: {"Q4_K_M", "Q4_K - Medium"},
	16: {"Q5_K_S", "Q5_K - Small"},
	17: {"Q5_K_M", "Q5_K - Medium"},
	18: {"Q6_K", "Q6_K"},
	19: {"IQ2_XXS", "IQ2_XXS - 2.0625 bpw"},
	20: {"IQ2_XS", "IQ2_XS - 2.3125 bpw"},
	21: {"Q2_K_S", "Q2_K - Small"},
	22: {"IQ3_XS", "IQ3_XS - 3.3 bpw"},
	23: {"IQ3_XXS", "IQ3_XXS - 3.0625 bpw"},
	24: {"IQ1_S", "IQ1_S - 1.5625 bpw"},
	25: {"IQ4_NL", "IQ4_NL - 4.5 bpw"},
	26: {"IQ3_S", "IQ3_S - 3.4375 bpw"},
	27: {"IQ3_M", "IQ3_S mix - 3.66 bpw"},
	28: {"IQ2_S", "IQ2_S - 2.5 bpw"},
	29: {"IQ2_M", "IQ2_M - 2.7 bpw"},
	30: {"IQ4_XS", "IQ4_XS - 4.25 bpw"},
	31: {"IQ1_M", "IQ1_M - 1.75 bpw"},
	32: {"BF16", "BF16"},
	36: {"TQ1_0", "TQ1_0 - 1.69 bpw ternary"},
	37: {"TQ2_0", "TQ2_0 - 2.06 bpw ternary"},
	38: {"MXFP4_MOE", "MXFP4 MoE"},
	39: {"NVFP4", "NVFP4"},
	40: {"Q1_0", "Q1_0"},
}

// Memory is an estimate of what running a model takes.
type Memory struct {
	Context int    `json:"context"`
	Weights int64  `json:"weights"`           // mapped tensor data (the file's tensors)
	KVCache int64  `json:"kv_cache"`          // keys and values for Context tokens (F32 unless MemoryEstimateKV says)
	KVType  string `json:"kv_type,omitempty"` // the KV cache's type, "" for F32
	// Recurrent is the recurrent layers' state (it does not grow with the
	// context): the live one and the engine's rollback snapshots.
	Recurrent int64 `json:"recurrent,omitempty"`
	Compute   int64 `json:"compute"` // scratch buffers of the forward pass
	Total     int64 `json:"total"`
}

// recurrentCopies is how many copies of a recurrent state the llama
// engine keeps: the live one and three snapshots (its recSnapshots).
const recurrentCopies = 4

// computeBatch is the prompt batch the estimate assumes (the llama
// engine's maxBatch).
const computeBatch = 256

// MemoryEstimate is the memory needed to run the model with a context of
// ctx tokens: the mapped weights, an F32 KV cache
// (2 · layers · ctx · kvHeads · headDim · 4 bytes) and the forward pass's
// scratch buffers, counted as the llama engine allocates them (a batch of
// up to 256 prompt tokens, attention scores for ctx positions per head, and
// the logits). ctx <= 0 means the model's context length.
func (s Summary) MemoryEstimate(ctx int) Memory { return s.MemoryEstimateKV(ctx, "") }

// KVValueBytes is the bytes one cached value takes in a KV cache of type t,
// as a fraction: "f32" (or "") 4/1, "f16" 2/1, "q8_0" 34/32 (a block of 32
// int8 values and an F16 scale). ok is false for any other type.
func KVValueBytes(t string) (num, den int, ok bool) {
	switch strings.ToLower(t) {
	case "", "f32":
		return 4, 1, true
	case "f16":
		return 2, 1, true
	case "q8_0":
		return 34, 32, true
	}
	return 0, 0, false
}

// MemoryEstimateKV is MemoryEstimate with a KV cache of type kv ("f32",
// "f16" or "q8_0"; anything else counts as F32).
func (s Summary) MemoryEstimateKV(ctx int, kv string) Memory {
	num, den, ok := KVValueBytes(kv)
	if !ok || strings.EqualFold(kv, "f32") {
		num, den, kv = 4, 1, ""
	}
	if ctx <= 0 {
		ctx = s.ContextLength
	}
	m := Memory{Context: ctx, Weights: s.TensorBytes, KVType: strings.ToLower(kv)}
	// Computed in float64 and clamped, so absurd header values give a huge
	// estimate rather than an overflowed one.
	c := float64(max(ctx, 0))
	kvDimK := float64(s.KVHeads) * float64(s.KeyLength)
	kvDimV := float64(s.KVHeads) * float64(s.ValueLength)
	m.KVCache = clampBytes(float64(s.Layers-s.RecurrentLayers) * c * (kvDimK + kvDimV) * float64(num) / float64(den))
	m.Recurrent = s.RecurrentState * recurrentCopies
	if s.Layers > 0 {
		batch := min(c, computeBatch)
		dim, ff := float64(s.EmbeddingLength), float64(s.FeedForward)
		q := float64(s.Heads) * float64(s.KeyLength)
		perRow := (2*dim+2*q+kvDimK+kvDimV+2*ff)*4 + (dim+q+ff)*6
		m.Compute = clampBytes(batch*perRow + float64(s.Heads)*c*4 + float64(s.VocabSize)*4)
	}
	m.Total = clampBytes(float64(m.Weights) + float64(m.KVCache) + float64(m.Recurrent) + float64(m.Compute))
	return m
}

func clampBytes(v float64) int64 {
	if v >= math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(v)
}

// MemoryEstimate is f.Summary().MemoryEstimate(ctx).
func (f *File) MemoryEstimate(ctx int) Memory { return f.Summary().MemoryEstimate(ctx) }
