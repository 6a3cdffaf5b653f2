package synth

import (
	"path/filepath"
	"testing"

	"burrow/inference/gguf"
	"burrow/inference/llama"
)

// The real shapes have their releases' parameter counts (within 10%: the
// names round, and gemma-3-4b's count leaves out its vision tower).
func TestPresetParamCounts(t *testing.T) {
	for name, want := range map[string]float64{
		"qwen3-0.6b": 0.6e9, "qwen3-4b": 4.0e9, "qwen3-30b-a3b": 30.5e9, "gemma-3-1b": 1.0e9,
		"gemma-3-4b": 3.9e9, "phi-4-mini": 3.8e9, "gemma-2-2b": 2.6e9, "llama-3.2-1b": 1.24e9,
		"qwen3.5-0.8b": 0.8e9, "qwen3.5-35b-a3b": 35e9, // both without their vision towers
		"gemma-4-26b-a4b": 25.2e9, // the model card's total without the vision tower
	} {
		c, err := resolve(Options{Preset: name})
		if err != nil {
			t.Fatal(err)
		}
		got := float64(c.paramCount())
		t.Logf("%s: %.3g parameters", name, got)
		if got < 0.9*want || got > 1.1*want {
			t.Errorf("%s: %.3g parameters, want about %.3g", name, got, want)
		}
	}
}

// Every small preset writes a file package llama loads and runs to finite
// logits, with the family's hyperparameters read back.
func TestSmallPresetsRun(t *testing.T) {
	for _, name := range []string{"qwen3-small", "gemma3-small", "gemma2-small", "phi3-small", "qwen3moe-small",
		"qwen35-small", "qwen35moe-small", "gemma4moe-small"} {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), name+".gguf")
			if err := Write(p, Options{Preset: name, Type: gguf.TypeQ8_0, Seed: 3, Std: 0.5}); err != nil {
				t.Fatal(err)
			}
			f, err := gguf.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			m, err := llama.Load(f)
			if err != nil {
				t.Fatal(err)
			}
			pr, _ := LookupPreset(name)
			c := m.Config
			if c.Window != pr.Window && pr.Window != 0 || c.Experts != pr.Experts || c.RopeDim != pr.RopeSize() || c.HeadDim != pr.HeadSize() {
				t.Fatalf("config %+v from preset %+v", c, pr)
			}
			s, err := m.NewState(64, 1)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			logits, err := s.Eval([]int{1, 300, 301, 302, 303, 304, 305, 306, 307, 308, 309})
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range logits {
				if v != v || v > 1e30 || v < -1e30 {
					t.Fatalf("logit %d is %v", i, v)
				}
			}
		})
	}
}

// The memory estimate of a qwen35 file counts a KV cache for its
// attention layers only and the recurrent state, which does not grow.
func TestQwen35MemoryEstimate(t *testing.T) {
	p := filepath.Join(t.TempDir(), "q.gguf")
	if err := Write(p, Options{Preset: "qwen35-small", Type: gguf.TypeQ8_0}); err != nil {
		t.Fatal(err)
	}
	f, err := gguf.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := f.Summary()
	// Six of eight layers: conv state 3 x (2*4*32+256) and 8 heads of 32x32.
	if want := int64(6 * (3*(2*4*32+256) + 8*32*32) * 4); s.RecurrentLayers != 6 || s.RecurrentState != want {
		t.Fatalf("%d recurrent layers, %d bytes of state, want 6 and %d", s.RecurrentLayers, s.RecurrentState, want)
	}
	a, b := s.MemoryEstimate(1024), s.MemoryEstimate(2048)
	if kv := int64(2 * 1024 * 2 * 2 * 64 * 4); a.KVCache != kv || a.Recurrent != b.Recurrent || a.Recurrent < s.RecurrentState {
		t.Errorf("estimate %+v at 1024 (KV want %d), %+v at 2048", a, kv, b)
	}
}
