package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"burrow/app/api"
	"burrow/inference"
	"burrow/inference/gguf"
	"burrow/inference/synth"
	"burrow/internal/testenv"
)

// TestServeEmbeddingsWithOfficialClients: the openai and ollama npm clients
// get from /v1/embeddings and /api/embed exactly the vectors the worker
// computes for an embedding model (a synthesized qwen3 with last-token
// pooling, Qwen3-Embedding's kind), and a clear error from a chat model.
func TestServeEmbeddingsWithOfficialClients(t *testing.T) {
	dir := nodeClientDir(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	embPath := filepath.Join(t.TempDir(), "embed-qwen3.gguf")
	if err := synth.Write(embPath, synth.Options{Arch: "qwen3", Preset: "tiny", Type: gguf.TypeF32, Std: 0.5, Seed: 3, Pooling: 3}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path string
		embeds     bool
	}{
		{"embedding model", embPath, true},
		{"chat model", testenv.Path(t, "models", "stories260K-f32.gguf"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := inference.NewWorker()
			defer w.Close()
			var log bytes.Buffer
			info, err := loadModel(ctx, &log, w, tc.path, inference.LoadOptions{})
			if err != nil {
				t.Fatalf("%v\n%s", err, log.String())
			}
			srv := api.NewServer(w, api.ServerOptions{Port: -1, Model: func() *inference.ModelInfo { return info }})
			if err := srv.Start(); err != nil {
				t.Fatal(err)
			}
			defer srv.Stop(context.Background())
			cmd := exec.CommandContext(ctx, "node", filepath.Join(dir, "embed-client.mjs"), srv.Addr())
			cmd.Env = append(os.Environ(), "BURROW_MODEL="+api.ModelID(info))
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("node embed-client.mjs: %v\n%s", err, stderr.String())
			}
			var got struct {
				OpenAI [][]float32 `json:"openai"`
				Ollama [][]float32 `json:"ollama"`
				Tokens int         `json:"tokens"`
				Error  string      `json:"error"`
			}
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatalf("client output %q: %v", out, err)
			}
			if !tc.embeds {
				if !strings.HasPrefix(got.Error, "400") || !strings.Contains(got.Error, "embedding model") {
					t.Errorf("chat model: client saw %q", got.Error)
				}
				return
			}
			want, err := w.Embed(ctx, inference.EmbedRequest{Inputs: []string{"Once upon a time", "The little bird sang."}})
			if err != nil {
				t.Fatal(err)
			}
			if got.Error != "" || len(got.OpenAI) != 2 || len(got.Ollama) != 2 || got.Tokens != want.Tokens {
				t.Fatalf("clients: %s", out)
			}
			for i := range want.Vectors {
				for j, v := range want.Vectors[i] {
					if got.OpenAI[i][j] != v || got.Ollama[i][j] != v {
						t.Fatalf("input %d value %d: openai %v, ollama %v, worker %v", i, j, got.OpenAI[i][j], got.Ollama[i][j], v)
					}
				}
			}
		})
	}
}
