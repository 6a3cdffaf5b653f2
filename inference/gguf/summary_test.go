package gguf

import (
	"testing"

	"burrow/internal/testenv"
)

func TestSummaryStoriesF32(t *testing.T) {
	f, err := Open(testenv.Path(t, "models", "stories260K-f32.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := f.Summary()
	// The f32 file has no general.file_type: it is guessed from the matrices.
	if s.FileTypeID != -1 || !s.FileTypeGuessed || s.FileType != "F32" {
		t.Errorf("file type %q id %d guessed %v", s.FileType, s.FileTypeID, s.FileTypeGuessed)
	}
	if s.ParamCount != 292800 || s.TensorCount != 48 || s.TensorBytes != 292800*4 {
		t.Errorf("params %d tensors %d bytes %d", s.ParamCount, s.TensorCount, s.TensorBytes)
	}
	if len(s.QuantMix) != 1 || s.QuantMix[0].Type != "F32" || s.QuantMix[0].Tensors != 48 {
		t.Errorf("quant mix %+v", s.QuantMix)
	}
}

func TestMemoryEstimate(t *testing.T) {
	// Llama-3.2-1B's shape: the KV cache at 4096 tokens is
	// 2 * 16 layers * 4096 * (8 KV heads * 64) * 4 bytes = 256 MiB.
	s := Summary{Layers: 16, Heads: 32, KVHeads: 8, KeyLength: 64, ValueLength: 64, EmbeddingLength: 2048,
		FeedForward: 8192, VocabSize: 128256, ContextLength: 131072, TensorBytes: 1_300_000_000}
	m := s.MemoryEstimate(4096)
	if m.KVCache != 256<<20 {
		t.Errorf("KV cache %d, want %d", m.KVCache, 256<<20)
	}
	if m.Compute <= 0 || m.Compute > 200<<20 || m.Total != m.Weights+m.KVCache+m.Compute || m.Weights != s.TensorBytes {
		t.Errorf("estimate %+v", m)
	}
	if full := s.MemoryEstimate(0); full.Context != 131072 || full.KVCache != 32*m.KVCache {
		t.Errorf("at the model's context: %+v", full)
	}
	// F16 halves the cache, Q8_0 takes 34 bytes per 32 values.
	if f16 := s.MemoryEstimateKV(4096, "f16"); f16.KVCache != 128<<20 || f16.KVType != "f16" {
		t.Errorf("F16 cache: %+v", f16)
	}
	if q8 := s.MemoryEstimateKV(4096, "Q8_0"); q8.KVCache != 256<<20/4/32*34 || q8.KVType != "q8_0" ||
		q8.Total != q8.Weights+q8.KVCache+q8.Compute {
		t.Errorf("Q8_0 cache: %+v", q8)
	}
	if x := s.MemoryEstimateKV(4096, "q4_0"); x.KVCache != m.KVCache || x.KVType != "" {
		t.Errorf("unknown type counts as F32: %+v", x)
	}
	if v := (Summary{}).MemoryEstimate(100); v.Total != 0 {
		t.Errorf("vocab-only file needs %d", v.Total)
	}
}

func TestFileTypeName(t *testing.T) {
	for id, want := range map[int]string{0: "F32", 1: "F16", 7: "Q8_0", 15: "Q4_K_M", 32: "BF16", 38: "MXFP4_MOE", 999: "unknown"} {
		if got, _ := FileTypeName(id); got != want {
			t.Errorf("FileTypeName(%d) = %q, want %q", id, got, want)
		}
	}
	if _, desc := FileTypeName(15); desc != "Q4_K - Medium" {
		t.Errorf("desc %q", desc)
	}
}
