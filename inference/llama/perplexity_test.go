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
	for _, tt := range []struct {
		model string
		want  float64
	}{
		{"stories260K-f32.gguf", 5.4657},
		{"stories260K-q8_0.gguf", 5.4811},
	} {
		t.Run(tt.model, func(t *testing.T) {
			m := loadModel(t, "models", tt.model)
			s := newState(t, m, 128, 2)
			r, err := Perplexity(s, tokens, 128, 1, nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("PPL = %.4f +/- %.5f over %d chunks (llama.cpp %.4f)", r.PPL, r.StdErr, r.Chunks, tt.want)
			if r.Chunks != 11 {
				t.Errorf("chunks = %d, want 11", r.Chunks)
			}
			if rel := math.Abs(r.PPL-tt.want) / tt.want; rel > 0.001 {
				t.Errorf("PPL = %.4f, want %.4f within 0.1%% (off by %.3f%%)", r.PPL, tt.want, rel*100)
			}
		})
	}
}
