package llama_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"burrow/inference/gguf"
	"burrow/inference/llama"
	"burrow/internal/testenv"
)

// An F16 KV cache (KVF16) generates llama.cpp's ids without flash
// attention (node-llama-cpp's default: F16 dot scores, F32 softmax, the
// weights rounded to F16, each value an F16 dot over the positions) on
// llama and qwen3 Q8_0 files and the round-2 gemma3 Q8_0 file, within
// 1e-3 in every step's top-8 log-probabilities (a few 1e-6 seen, the
// references' rounding). gemma3-small (window 8, an 18-token prompt) keeps
// llama.cpp's ids but its log-probs are 0.3 away with every cache type:
// its F32 and flash-F16 runs miss llama.cpp's by 0.2 and 0.29 as well, so
// the gap is in the windowed model, not in this attention.
func TestKVF16NoFlashMatchesLlamaCpp(t *testing.T) {
	for _, c := range []struct {
		name string
		tol  float64
	}{
		{"peer-small-q8_0-kvf16nf.json", 1e-3},
		{"peer-qwen3-small-q8_0-kvf16nf.json", 1e-3},
		{"peer-gemma3-small-q8_0-kvf16nf.json", 0.5},
		{"peer-gpt-oss-small-q8_0-mxfp4-kvf16nf.json", 1e-3}, // sinks, window
	} {
		t.Run(c.name, func(t *testing.T) { checkPeerRef(t, c.name, c.tol) })
	}
	t.Run("round2-gemma3-q8_0", func(t *testing.T) {
		const name = "peer-round2-gemma3-q8_0-kvf16nf.json"
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		var ref peerRef
		if err := json.Unmarshal(data, &ref); err != nil {
			t.Fatal(err)
		}
		f, err := gguf.Open(testenv.Path(t, "models", "round2", "gemma3-q8_0.gguf"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		m, err := llama.Load(f)
		if err != nil {
			t.Fatal(err)
		}
		runPeerRef(t, name, m, ref, 1e-3)
	})
}
