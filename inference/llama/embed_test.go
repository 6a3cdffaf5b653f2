package llama_test

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"burrow/inference/gguf"
	"burrow/inference/llama"
	"burrow/inference/synth"
	"burrow/inference/tokenizer"
)

// embeddingRef is testdata/embeddings-llamacpp.json: llama.cpp's embedding
// (node-llama-cpp's embedding context, the model's own pooling) of one text
// on tiny synthesized models, made by the command it records.
type embeddingRef struct {
	Text  string `json:"text"`
	Cases []struct {
		Arch      string    `json:"arch"`
		Pooling   int       `json:"pooling"`
		IDs       []int     `json:"ids"`
		Embedding []float64 `json:"embedding"`
	} `json:"cases"`
}

// TestEmbedMatchesLlamaCpp: last-token, mean and CLS pooling of the final
// normed hidden states equal llama.cpp's vectors (scaled to unit length, as
// its server returns them).
func TestEmbedMatchesLlamaCpp(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "embeddings-llamacpp.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref embeddingRef
	if err := json.Unmarshal(data, &ref); err != nil {
		t.Fatal(err)
	}
	for _, c := range ref.Cases {
		t.Run(c.Arch+"-"+llama.Pooling(c.Pooling).String(), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "m.gguf")
			if err := synth.Write(path, synth.Options{Arch: c.Arch, Preset: "tiny", Type: gguf.TypeF32, Std: 0.5, Seed: 3, Pooling: c.Pooling}); err != nil {
				t.Fatal(err)
			}
			f, m := openSynth(t, path)
			if m.Config.Pooling != llama.Pooling(c.Pooling) {
				t.Fatalf("pooling read as %v", m.Config.Pooling)
			}
			tok, err := tokenizer.FromGGUF(f)
			if err != nil {
				t.Fatal(err)
			}
			ids := tok.Encode(ref.Text, true, false)
			if !slices.Equal(ids, c.IDs) {
				t.Fatalf("token ids %v, llama.cpp's %v", ids, c.IDs)
			}
			// llama.cpp's embedding context keeps an F16 KV cache and runs
			// flash attention (the vectors match that arithmetic to 1e-6,
			// the non-flash one to 4e-4).
			s, err := m.NewStateWith(llama.StateOptions{Context: 64, Threads: 2, KV: llama.KVF16Flash})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			got := make([]float32, m.Config.Dim)
			if err := s.Embed(ids, m.Config.Pooling, got); err != nil {
				t.Fatal(err)
			}
			var norm float64
			for _, v := range c.Embedding {
				norm += v * v
			}
			norm = math.Sqrt(norm)
			var worst float64
			for i, v := range c.Embedding {
				worst = max(worst, math.Abs(float64(got[i])-v/norm))
			}
			t.Logf("max |Δ| against llama.cpp's unit vector: %.2g", worst)
			if worst > 1e-5 {
				t.Errorf("max |Δ| = %g", worst)
			}
		})
	}
}

// TestEmbedRefusesChatModels: a model without pooling gets ErrNoPooling,
// bad arguments an error, never a panic.
func TestEmbedRefusesChatModels(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.gguf")
	if err := synth.Write(path, synth.Options{Arch: "llama", Preset: "tiny", Type: gguf.TypeF32, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	_, m := openSynth(t, path)
	s, err := m.NewState(16, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	out := make([]float32, m.Config.Dim)
	if err := s.Embed([]int{1, 2}, m.Config.Pooling, out); !errors.Is(err, llama.ErrNoPooling) {
		t.Errorf("chat model: %v", err)
	}
	for _, tc := range []struct {
		ids []int
		out []float32
	}{{nil, out}, {[]int{1}, out[:3]}, {make([]int, 17), out}, {[]int{-1}, out}} {
		if err := s.Embed(tc.ids, llama.PoolLast, tc.out); err == nil {
			t.Errorf("Embed(%v, %d values) succeeded", tc.ids, len(tc.out))
		}
	}
}

// openSynth opens a synthesized file (closed with the test).
// loadSynth writes the synthesized model o describes and loads it.
func loadSynth(t *testing.T, o synth.Options) *llama.Model {
	t.Helper()
	path := filepath.Join(t.TempDir(), o.Preset+".gguf")
	if err := synth.Write(path, o); err != nil {
		t.Fatal(err)
	}
	_, m := openSynth(t, path)
	return m
}

func openSynth(t *testing.T, path string) (*gguf.File, *llama.Model) {
	t.Helper()
	f, err := gguf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	m, err := llama.Load(f)
	if err != nil {
		t.Fatal(err)
	}
	return f, m
}
