package llama_test

// Tests that write files with synth, which reads the family registry of
// package llama, so they live outside it.

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"burrow/inference/gguf"
	"burrow/inference/llama"
	"burrow/inference/sample"
	"burrow/inference/synth"
	"burrow/internal/testenv"
)

// sampleRun generates n tokens with a seeded sampler on the given thread
// count, failing on a NaN or Inf logit.
func sampleRun(t *testing.T, m *llama.Model, threads, n int) []int {
	t.Helper()
	s, err := m.NewState(64, threads)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p := sample.DefaultParams()
	p.Seed = 1234
	sm := sample.New(p, m.Config.VocabSize)
	tok := []int{1, 2, 3, 4, 5}
	var out []int
	for range n {
		logits, err := s.Eval(tok)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range logits {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				t.Fatalf("logit %d is %v after %d tokens", i, v, s.Len())
			}
		}
		id := sm.Sample(logits)
		sm.Accept(id)
		out = append(out, id)
		tok = []int{id}
	}
	return out
}

// Synthesized models of several shapes, llama and qwen2, F32 and Q8_0: no
// NaN or Inf, and the same seed gives the same tokens on 1 and 2 threads.
func TestSynthModelsFiniteAndThreadIndependent(t *testing.T) {
	type model struct{ name, path string }
	var models []model
	dir := t.TempDir()
	for _, preset := range []string{"tiny", "small"} {
		for _, arch := range []string{"llama", "qwen2"} {
			for _, typ := range []gguf.Type{gguf.TypeF32, gguf.TypeQ8_0} {
				name := fmt.Sprintf("%s-%s-%s", arch, preset, typ)
				p := filepath.Join(dir, name+".gguf")
				if err := synth.Write(p, synth.Options{Arch: arch, Preset: preset, Type: typ, Seed: 7, Std: 0.5}); err != nil {
					t.Fatal(err)
				}
				models = append(models, model{name, p})
			}
		}
	}
	for _, rel := range []string{"synth-qwen2-f32.gguf", "synth-llama3rope-f32.gguf", "synth-llama-q8_0.gguf"} {
		models = append(models, model{rel, testenv.Path(t, "models", "synth", rel)})
	}
	if os.Getenv("BURROW_TEST_LARGE") != "" {
		// Llama-3.2-1B shape in Q8_0: about 1.3 GB written and run.
		p := filepath.Join(dir, "llama-3.2-1b.gguf")
		if err := synth.Write(p, synth.Options{Preset: "llama-3.2-1b", Type: gguf.TypeQ8_0, Seed: 7, Context: 256}); err != nil {
			t.Fatal(err)
		}
		models = append(models, model{"llama-3.2-1b-q8_0", p})
	}
	for _, mm := range models {
		t.Run(mm.name, func(t *testing.T) {
			f, err := gguf.Open(mm.path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			m, err := llama.Load(f)
			if err != nil {
				t.Fatal(err)
			}
			a := sampleRun(t, m, 1, 12)
			b := sampleRun(t, m, 2, 12)
			if !slices.Equal(a, b) {
				t.Fatalf("1 thread %v, 2 threads %v", a, b)
			}
		})
	}
}
