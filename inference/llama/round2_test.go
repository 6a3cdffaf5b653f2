package llama

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"burrow/internal/testenv"
)

// round2Runs lists the files of ../shared/testdata/models/round2 the engine
// runs (llama.cpp's greedy ids and last-prompt logits, F32 KV cache). A file
// joins this list when its weight type and family are supported; the list
// is explicit so a gap shows as a missing name, not as a silent skip.
var round2Runs = []string{
	"llamakq-f32", "llamakq-q8_0", "llamakq-q4_k_m", "llamakq-q5_k_m",
	"llamakq-q2_k", "llamakq-q3_k_m", "llamakq-iq4_xs",
	"qwen3-f32", "qwen3-q8_0", "qwen3-q4_k_m",
	"phi3-f32", "phi3-q8_0", "phi3-q4_k_m",
	"gemma3-f32", "gemma3-q8_0", "gemma3-q4_k_m",
	"llamakq-q5_0", "llamakq-iq4_nl",
	"llamakq-q4_0", "llamakq-q6_k", "llamakq-q4_1", "llamakq-q5_1",
	"qwen3moe-f32", "qwen3moe-q8_0", "qwen3moe-q4_k_m", "qwen3moe-mxfp4_moe",
}

// round2Tolerance is the largest |Δlogit| accepted at the last prompt
// position: F32 files follow llama.cpp's arithmetic closely; quantized
// files differ where llama.cpp sums in another order (repacked weights).
func round2Tolerance(file string) float64 {
	if strings.HasSuffix(file, "-f32") {
		return 1e-3
	}
	return 0.05
}

func TestRound2MatchesLlamaCpp(t *testing.T) {
	for _, file := range round2Runs {
		t.Run(file, func(t *testing.T) {
			m := loadModel(t, "models", "round2", file+".gguf")
			for _, p := range []string{"p1", "p2"} {
				data, err := os.ReadFile(testenv.Path(t, "models", "round2", file+"-"+p+".json"))
				if err != nil {
					t.Fatal(err)
				}
				var ref reference
				if err := json.Unmarshal(data, &ref); err != nil {
					t.Fatal(err)
				}
				s := newState(t, m, 128, 2)
				ids, logits := greedy(t, s, ref.PromptIDs, len(ref.GeneratedIDs))
				if !slices.Equal(ids, ref.GeneratedIDs) {
					t.Errorf("%s: generated ids differ\n got %v\nwant %v", p, ids, ref.GeneratedIDs)
				}
				d := maxAbsDiff(logits, ref.LastLogits)
				t.Logf("%s: max |Δlogit| at the last prompt position: %.6f", p, d)
				if d > round2Tolerance(file) {
					t.Errorf("%s: max |Δlogit| = %.6f, want <= %g", p, d, round2Tolerance(file))
				}
			}
		})
	}
}
