package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"burrow/app/api"
	"burrow/app/apptest"
	"burrow/app/remote"
	"burrow/inference"
	"burrow/inference/chat"
	"burrow/inference/gguf"
	"burrow/inference/sample"
	"burrow/internal/testenv"
)

// The request tools/api/client.mjs streams; the Go side repeats it.
const (
	clientPrompt    = "Once upon a time"
	clientSeed      = 42
	clientMaxTokens = 40
)

// TestServeStoriesWithOfficialClients serves stories260K through the real
// worker and drives the server with OpenAI clients nobody here wrote: the
// openai npm package (streamed chat) and openai-go (streamed chat and text
// completion). Their text must equal an in-process generation and `burrow
// run` with the same seed and settings.
func TestServeStoriesWithOfficialClients(t *testing.T) {
	path := testenv.Path(t, "models", "stories260K-f32.gguf")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	w := inference.NewWorker()
	defer w.Close()
	var loadLog bytes.Buffer
	info, err := loadModel(ctx, &loadLog, w, path, inference.LoadOptions{})
	if err != nil {
		t.Fatalf("%v\n%s", err, loadLog.String())
	}
	srv := api.NewServer(w, api.ServerOptions{Port: -1, APIKey: "test-key", Model: func() *inference.ModelInfo { return info }})
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Stop(context.Background())

	// The reference: the same chat request straight to the worker.
	msgs := []chat.Message{{Role: "user", Content: clientPrompt}}
	ref := inference.GenerateRequest{Messages: msgs, MaxTokens: clientMaxTokens}
	ref.Params = greedyParams()
	pieces, last := apptest.Collect(w.Generate(ctx, ref))
	if last.Kind != inference.EventDone {
		t.Fatalf("in-process generation: %+v", last)
	}
	wantChat := apptest.TextOf(pieces)
	if strings.TrimSpace(wantChat) == "" {
		t.Fatalf("the reference reply is empty (stop %s)", last.StopReason)
	}
	t.Logf("reference reply (%s): %q", last.StopReason, wantChat)

	t.Run("chat equals burrow run on the rendered prompt", func(t *testing.T) {
		got := burrowRun(t, path, renderedPrompt(t, path, msgs))
		if got != wantChat {
			t.Errorf("burrow run %q\nworker     %q", got, wantChat)
		}
	})

	t.Run("openai npm package", func(t *testing.T) {
		dir := nodeClientDir(t)
		cmd := exec.CommandContext(ctx, "node", filepath.Join(dir, "client.mjs"), srv.Addr(), "test-key")
		cmd.Env = append(os.Environ(), "BURROW_MODEL="+api.ModelID(info))
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("node client.mjs: %v\n%s", err, stderr.String())
		}
		var got struct {
			Text         string `json:"text"`
			FinishReason string `json:"finish_reason"`
			Chunks       int    `json:"chunks"`
			Usage        *struct {
				CompletionTokens int `json:"completion_tokens"`
			} `json:"usage"`
		}
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("client output %q: %v", out, err)
		}
		if got.Text != wantChat {
			t.Errorf("npm client %q\nworker     %q", got.Text, wantChat)
		}
		if got.FinishReason != api.FinishReason(last.StopReason) || got.Usage == nil ||
			got.Usage.CompletionTokens != last.Stats.GenTokens || got.Chunks < 3 {
			t.Errorf("npm client: finish %q, usage %+v, %d chunks; want %q, %d tokens",
				got.FinishReason, got.Usage, got.Chunks, api.FinishReason(last.StopReason), last.Stats.GenTokens)
		}
	})

	t.Run("openai npm package, responses", func(t *testing.T) {
		dir := nodeClientDir(t)
		cmd := exec.CommandContext(ctx, "node", filepath.Join(dir, "responses-client.mjs"), srv.Addr(), "test-key")
		cmd.Env = append(os.Environ(), "BURROW_MODEL="+api.ModelID(info))
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("node responses-client.mjs: %v\n%s", err, stderr.String())
		}
		var got struct {
			Text        string   `json:"text"`
			Status      string   `json:"status"`
			StreamText  string   `json:"stream_text"`
			Events      []string `json:"events"`
			FinalStatus string   `json:"final_status"`
			Usage       struct {
				OutputTokens int `json:"output_tokens"`
			} `json:"usage"`
		}
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("client output %q: %v", out, err)
		}
		if got.Text != wantChat || got.StreamText != wantChat {
			t.Errorf("responses: whole %q, streamed %q\nworker %q", got.Text, got.StreamText, wantChat)
		}
		wantStatus := "completed"
		if api.FinishReason(last.StopReason) == "length" {
			wantStatus = "incomplete"
		}
		if got.Status != wantStatus || got.FinalStatus != wantStatus || got.Usage.OutputTokens != last.Stats.GenTokens {
			t.Errorf("responses: status %q/%q, usage %+v; want %q, %d tokens (events %v)", got.Status, got.FinalStatus, got.Usage, wantStatus, last.Stats.GenTokens, got.Events)
		}
	})

	t.Run("ollama npm package", func(t *testing.T) {
		dir := nodeClientDir(t)
		host := strings.TrimSuffix(srv.Addr(), "/v1")
		cmd := exec.CommandContext(ctx, "node", filepath.Join(dir, "ollama-client.mjs"), host, "test-key")
		cmd.Env = append(os.Environ(), "BURROW_MODEL="+api.ModelID(info))
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("node ollama-client.mjs: %v\n%s", err, stderr.String())
		}
		var got struct {
			Version    string   `json:"version"`
			Models     []string `json:"models"`
			Show       struct{ Format, Family string }
			Chat       string `json:"chat"`
			DoneReason string `json:"done_reason"`
			EvalCount  int    `json:"eval_count"`
			Chunks     int    `json:"chunks"`
			Generate   string `json:"generate"`
		}
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("client output %q: %v", out, err)
		}
		if got.Chat != wantChat {
			t.Errorf("ollama client chat %q\nworker           %q", got.Chat, wantChat)
		}
		if got.DoneReason != api.FinishReason(last.StopReason) || got.EvalCount != last.Stats.GenTokens || got.Chunks < 3 {
			t.Errorf("ollama client: done %q, eval_count %d, %d chunks; want %q, %d tokens",
				got.DoneReason, got.EvalCount, got.Chunks, api.FinishReason(last.StopReason), last.Stats.GenTokens)
		}
		if len(got.Models) == 0 || got.Models[0] != api.ModelID(info) || got.Show.Format != "gguf" || got.Show.Family != "llama" || got.Version == "" {
			t.Errorf("ollama client: models %v, show %+v, version %q", got.Models, got.Show, got.Version)
		}
		if want := burrowRun(t, path, clientPrompt); got.Generate != want {
			t.Errorf("ollama client raw generate %q\nburrow run              %q", got.Generate, want)
		}
	})

	client := openai.NewClient(option.WithBaseURL(srv.Addr()+"/"), option.WithAPIKey("test-key"), option.WithMaxRetries(0))

	t.Run("openai-go chat stream", func(t *testing.T) {
		stream := client.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{
			Model:         api.ModelID(info),
			Messages:      []openai.ChatCompletionMessageParamUnion{openai.UserMessage(clientPrompt)},
			Temperature:   openai.Float(0),
			Seed:          openai.Int(clientSeed),
			MaxTokens:     openai.Int(clientMaxTokens),
			StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
		})
		var acc openai.ChatCompletionAccumulator
		for stream.Next() {
			acc.AddChunk(stream.Current())
		}
		if err := stream.Err(); err != nil {
			t.Fatal(err)
		}
		if len(acc.Choices) != 1 || acc.Choices[0].Message.Content != wantChat || acc.Usage.CompletionTokens != int64(last.Stats.GenTokens) {
			t.Errorf("openai-go %+v\nwant %q", acc.ChatCompletion, wantChat)
		}
	})

	t.Run("openai-go text completion equals burrow run", func(t *testing.T) {
		want := burrowRun(t, path, clientPrompt)
		stream := client.Completions.NewStreaming(ctx, openai.CompletionNewParams{
			Model:       openai.CompletionNewParamsModel(api.ModelID(info)),
			Prompt:      openai.CompletionNewParamsPromptUnion{OfString: openai.String(clientPrompt)},
			Temperature: openai.Float(0),
			Seed:        openai.Int(clientSeed),
			MaxTokens:   openai.Int(clientMaxTokens),
		})
		var text strings.Builder
		for stream.Next() {
			for _, c := range stream.Current().Choices {
				text.WriteString(c.Text)
			}
		}
		if err := stream.Err(); err != nil {
			t.Fatal(err)
		}
		if text.String() != want {
			t.Errorf("completion %q\nburrow run %q", text.String(), want)
		}
	})

	t.Run("remote engine", func(t *testing.T) {
		r, err := remote.New(srv.Addr(), "test-key")
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		loadRemote(t, r, api.ModelID(info))
		req := ref
		req.TopLogprobs = 2
		pieces, done := apptest.Collect(r.Generate(ctx, req))
		if got := apptest.TextOf(pieces); got != wantChat || done.StopReason != last.StopReason || done.Stats.GenTokens != last.Stats.GenTokens {
			t.Errorf("remote %q (%s, %d tokens)\nworker %q (%s, %d tokens)", got, done.StopReason, done.Stats.GenTokens,
				wantChat, last.StopReason, last.Stats.GenTokens)
		}
		if len(pieces) == 0 || len(pieces[0].Top) != 2 {
			t.Errorf("remote pieces carry no alternatives: %+v", pieces)
		}
	})

	t.Run("openai-go errors", func(t *testing.T) {
		_, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
			Model:    "no-such-model",
			Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")},
		})
		var apiErr *openai.Error
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 404 || apiErr.Code != "model_not_found" {
			t.Errorf("unknown model: %v", err)
		}
	})
}

// greedyParams are the client's settings: temperature 0, its seed, the
// rest the defaults the server starts from.
func greedyParams() sample.Params {
	p := sample.DefaultParams()
	p.Temperature = 0
	p.Seed = clientSeed
	return p
}

// renderedPrompt is the text the worker feeds the model for msgs, minus a
// leading BOS text (burrow run adds BOS itself).
func renderedPrompt(t *testing.T, path string, msgs []chat.Message) string {
	t.Helper()
	f, err := gguf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	meta := chat.MetaFromGGUF(f)
	p, err := chat.NewPrompter(meta, "")
	if err != nil {
		t.Fatal(err)
	}
	r, err := p.Render(msgs, chat.RenderOptions{AddGenerationPrompt: true})
	if err != nil {
		t.Fatal(err)
	}
	if meta.BOS != "" {
		return strings.TrimPrefix(r.Text, meta.BOS)
	}
	return r.Text
}

// burrowRun runs `burrow run --json` in-process with the client's settings.
func burrowRun(t *testing.T, path, prompt string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	root := NewCLI()
	root.SetArgs([]string{"run", "--model", path, "--prompt", prompt, "--temp", "0",
		"--seed", "42", "--max-tokens", "40", "--json"})
	root.SetOut(&stdout)
	root.SetErr(&stderr)
	if err := root.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("burrow run: %v\n%s", err, stderr.String())
	}
	var out struct {
		Text string `json:"text"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("burrow run --json output %q: %v", stdout.String(), err)
	}
	return out.Text
}

// nodeClientDir finds tools/api with its openai and ollama packages installed,
// installing it (npm ci) when node_modules is missing. Without node or npm
// the test skips on a developer's machine and fails in CI.
func nodeClientDir(t *testing.T) string {
	t.Helper()
	need := func(format string, args ...any) {
		t.Helper()
		if os.Getenv("CI") != "" {
			t.Fatalf(format, args...)
		}
		t.Skipf(format, args...)
	}
	dir, err := filepath.Abs(filepath.Join("..", "..", "tools", "api"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("node"); err != nil {
		need("node is not installed: the openai npm client cannot run")
	}
	pkg := filepath.Join(dir, "node_modules", "openai", "package.json")
	_, errOpenAI := os.Stat(pkg)
	_, errOllama := os.Stat(filepath.Join(dir, "node_modules", "ollama", "package.json"))
	if errOpenAI != nil || errOllama != nil {
		npm, err := exec.LookPath("npm")
		if err != nil {
			need("npm is not installed: cannot install the openai client in %s", dir)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			need("npm ci in %s: %v\n%s", dir, err, out)
		}
		if _, err := os.Stat(pkg); err != nil {
			need("npm ci did not install the openai package in %s", dir)
		}
	}
	return dir
}

func loadRemote(t *testing.T, r *remote.Engine, model string) *inference.ModelInfo {
	t.Helper()
	_, last := apptest.Collect(r.Load(context.Background(), model, inference.LoadOptions{}))
	if last.Kind != inference.EventLoaded {
		t.Fatalf("load %q: %+v", model, last)
	}
	return last.Model
}
