package models

import (
	"fmt"
	"path/filepath"
	"strings"

	"burrow/inference/gguf"
)

// Meta is what the library shows about a model file, read from its header.
type Meta struct {
	Name           string `json:"name"`
	Architecture   string `json:"architecture"`
	SizeLabel      string `json:"size_label"`
	Quant          string `json:"quant"`
	Params         int64  `json:"params,omitempty"`
	ContextLength  int64  `json:"context_length,omitempty"`
	MemoryEstimate int64  `json:"memory_estimate"` // bytes to load it and run a default context
	Supported      bool   `json:"supported"`
	Reason         string `json:"reason,omitempty"` // why not, when not supported
}

// readMeta opens a GGUF file and summarises it. fileSize is the size of the
// whole model (all shards of a split set) for the memory estimate.
func readMeta(path string, fileSize int64) (Meta, error) {
	f, err := gguf.Open(path)
	if err != nil {
		return Meta{}, err
	}
	defer f.Close()
	m := summarize(f, filepath.Base(path), fileSize)
	if err := checkSupported(f); err != nil {
		m.Reason = err.Error()
	} else {
		m.Supported = true
	}
	return m, nil
}

// defaultContext is the context the CLI and UI use unless told otherwise
// (DESIGN.md: the model's, capped at 4096).
const defaultContext = 4096

// summarize derives the library's labels from gguf metadata.
//
// TODO(integration): the gguf helper is writing a Summary/MemoryEstimate API
// in inference/gguf; replace this function with it when it lands. It is kept
// small and self-contained so the swap touches nothing else.
func summarize(f *gguf.File, base string, fileSize int64) Meta {
	ni := ParseFileName(base)
	m := Meta{Architecture: f.Architecture()}
	m.Name = f.StringOr("general.name", "")
	if m.Name == "" {
		m.Name = strings.TrimSuffix(base, filepath.Ext(base))
	}
	for _, t := range f.Tensors {
		m.Params += t.Elements()
	}
	m.SizeLabel = f.StringOr("general.size_label", ni.SizeLabel)
	if m.SizeLabel == "" && ni.SplitCount == 0 {
		m.SizeLabel = paramLabel(m.Params)
	}
	if ft, ok := f.Uint("general.file_type"); ok {
		m.Quant = fileTypeName(ft)
	}
	if m.Quant == "" {
		m.Quant = ni.Quant
	}
	if m.Quant == "" {
		m.Quant = dominantType(f)
	}
	m.ContextLength = int64(f.UintOr(f.ArchKey("context_length"), 0))
	m.MemoryEstimate = memoryEstimate(f, fileSize)
	return m
}

// memoryEstimate is the weights (the file) plus an f32 KV cache at the
// default context plus a fixed allowance for activations and the runtime.
func memoryEstimate(f *gguf.File, fileSize int64) int64 {
	ctx := int64(f.UintOr(f.ArchKey("context_length"), defaultContext))
	if ctx <= 0 || ctx > defaultContext {
		ctx = defaultContext
	}
	layers := int64(f.UintOr(f.ArchKey("block_count"), 0))
	embd := int64(f.UintOr(f.ArchKey("embedding_length"), 0))
	heads := int64(f.UintOr(f.ArchKey("attention.head_count"), 0))
	kvHeads := int64(f.UintOr(f.ArchKey("attention.head_count_kv"), uint64(heads)))
	var kv int64
	if heads > 0 {
		headDim := embd / heads
		if kd, ok := f.Uint(f.ArchKey("attention.key_length")); ok {
			headDim = int64(kd)
		}
		kv = 2 * layers * ctx * kvHeads * headDim * 4
	}
	const runtime = 64 << 20
	return fileSize + kv + runtime
}

// paramLabel turns a parameter count into the "1.1B" style label.
func paramLabel(n int64) string {
	switch {
	case n <= 0:
		return ""
	case n >= 1e9:
		return trimZero(fmt.Sprintf("%.1f", float64(n)/1e9)) + "B"
	case n >= 1e6:
		return fmt.Sprintf("%.0fM", float64(n)/1e6)
	default:
		return fmt.Sprintf("%.0fK", float64(n)/1e3)
	}
}

func trimZero(s string) string { return strings.TrimSuffix(s, ".0") }

// dominantType names the tensor type holding the most bytes.
func dominantType(f *gguf.File) string {
	bytes := map[gguf.Type]int64{}
	var best gguf.Type
	for _, t := range f.Tensors {
		bytes[t.Type] += t.Size
		if bytes[t.Type] > bytes[best] {
			best = t.Type
		}
	}
	if len(bytes) == 0 {
		return ""
	}
	return strings.ToUpper(best.String())
}

// fileTypeName maps llama.cpp's general.file_type enum to its quant label.
func fileTypeName(ft uint64) string {
	names := map[uint64]string{
		0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1",
		10: "Q2_K", 11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M",
		16: "Q5_K_S", 17: "Q5_K_M", 18: "Q6_K", 19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S",
		22: "IQ3_XS", 23: "IQ3_XXS", 24: "IQ1_S", 25: "IQ4_NL", 26: "IQ3_S", 27: "IQ3_M",
		28: "IQ2_S", 29: "IQ2_M", 30: "IQ4_XS", 31: "IQ1_M", 32: "BF16", 36: "TQ1_0",
		37: "TQ2_0", 38: "MXFP4",
	}
	return names[ft]
}
