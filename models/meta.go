package models

import (
	"fmt"
	"path/filepath"
	"strings"

	"burrow/inference/gguf"
	"burrow/inference/llama"
)

// Meta is what the library shows about a model file, read from its header.
type Meta struct {
	Name           string `json:"name"`
	Architecture   string `json:"architecture"`
	SizeLabel      string `json:"size_label"`
	Quant          string `json:"quant"`
	Params         int64  `json:"params,omitempty"`
	ContextLength  int64  `json:"context_length,omitempty"`
	MemoryEstimate int64  `json:"memory_estimate"` // bytes to load it and run the default context
	Supported      bool   `json:"supported"`
	Reason         string `json:"reason,omitempty"` // why not, when not supported
}

// defaultContext is the context the CLI and UI use unless told otherwise
// (DESIGN.md: the model's, capped at 4096).
const defaultContext = 4096

// readMeta opens a GGUF file and summarises it. fileSize is the size of the
// whole model (all shards of a split set) for the memory estimate.
func readMeta(path string, fileSize int64) (Meta, error) {
	f, err := gguf.Open(path)
	if err != nil {
		return Meta{}, err
	}
	defer f.Close()
	s := f.Summary()
	ni := ParseFileName(path)
	m := Meta{
		Name:          s.Name,
		Architecture:  s.Architecture,
		SizeLabel:     s.SizeLabel,
		Quant:         s.FileType,
		Params:        s.ParamCount,
		ContextLength: int64(s.ContextLength),
	}
	if m.Name == "" {
		m.Name = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	}
	if _, ok := f.String("general.size_label"); !ok && ni.SizeLabel != "" {
		// Counted parameters are wrong for shard 1 of a split set and less
		// familiar than the publisher's label otherwise.
		m.SizeLabel = ni.SizeLabel
	}
	if ni.SplitCount > 1 {
		if ni.Quant != "" {
			m.Quant = ni.Quant
		}
	}
	ctx := s.ContextLength
	if ctx <= 0 || ctx > defaultContext {
		ctx = defaultContext
	}
	est := s.MemoryEstimate(ctx)
	if e, err := llama.EstimateMemory(f, ctx, llama.DefaultKV); err == nil { // the engine counts windows and shared layers
		est = e.Estimate()
	}
	m.MemoryEstimate = est.Total + max(fileSize-f.Size, 0) // other shards' weights
	switch err := checkSupported(f); {
	case ni.SplitCount > 1:
		m.Reason = fmt.Sprintf("split into %d files; loading split models is not supported yet", ni.SplitCount)
	case err != nil:
		m.Reason = err.Error()
	default:
		m.Supported = true
	}
	return m, nil
}
