package llama

import (
	"encoding/json"
	"math"
	"os"
	"testing"

	"burrow/internal/testenv"
)

// llama-perplexity -c 128 on reference/ppl-stories.txt gave these (README).
func TestPerplexityMatchesLlamaCpp(t *testing.T) {
	data, err := os.ReadFile(testenv.Path(t, "reference", "ppl-stories.tokens.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var tokens []int
	if err := json.Unmarshal(data, &tokens); err != nil {
		t.Fatal(err)
	}
	// llama-perplexity ran with its defaults: F16 KV cache, flash attention.
	// The F32 cache gives nearly the same for the f32 model, but the q8_0
	// model is sensitive enough that it needs llama.cpp's F16 arithmetic.
	for _, tt := range []struct {
		model string
		kv    KVType
		want  float64
	}{
		{"stories260K-f32.gguf", KVF16Flash, 5.4657},
		{"stories260K-f32.gguf", KVF32, 5.4657},
		{"stories260K-q8_0.gguf", KVF16Flash, 5.4811},
	} {
		t.Run(tt.model+"-kv"+tt.kv.String(), func(t *testing.T) {
			m := loadModel(t, "models", tt.model)
			s, err := m.NewStateWith(StateOptions{Context: 128, Threads: 2, KV: tt.kv})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			r, err := Perplexity(s, tokens, 128, 1, nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("PPL = %.4f +/- %.5f over %d chunks (llama.cpp %.4f), running %.4f", r.PPL, r.StdErr, r.Chunks, tt.want, r.Running)
			if r.Chunks != 11 {
				t.Errorf("chunks = %d, want 11", r.Chunks)
			}
			if rel := math.Abs(r.PPL-tt.want) / tt.want; rel > 0.001 {
				t.Errorf("PPL = %.4f, want %.4f within 0.1%% (off by %.3f%%)", r.PPL, tt.want, rel*100)
			}
		})
	}
}
