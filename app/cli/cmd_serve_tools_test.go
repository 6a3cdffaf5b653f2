package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
	"unicode/utf8"

	"burrow/app/api"
	"burrow/inference"
	"burrow/inference/gguf"
	"burrow/inference/synth"
	"burrow/internal/testenv"
)

// TestServeToolCallsWithOpenAINpmClient: on a random-weight model with
// Qwen2.5's real vocabulary and chat template (whose tool format is
// Hermes), the official openai npm client gets a well-formed forced call
// (tool_choice required), whole and streamed, and can send the tool's
// result back for the next turn.
func TestServeToolCallsWithOpenAINpmClient(t *testing.T) {
	dir := nodeClientDir(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	path := filepath.Join(t.TempDir(), "qwen-tools.gguf")
	if err := synth.Write(path, synth.Options{Arch: "qwen2", Preset: "tiny", Type: gguf.TypeQ8_0, Std: 0.5, Seed: 3,
		VocabFrom: testenv.Path(t, "vocab", "ggml-vocab-qwen2.gguf"), Context: 2048}); err != nil {
		t.Fatal(err)
	}
	w := inference.NewWorker()
	defer w.Close()
	var log bytes.Buffer
	info, err := loadModel(ctx, &log, w, path, inference.LoadOptions{ContextLength: 2048})
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	if info.ToolFormat == 0 {
		t.Fatal("Qwen2.5's template should have a tool format")
	}
	srv := api.NewServer(w, api.ServerOptions{Port: -1, Model: func() *inference.ModelInfo { return info }})
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Stop(context.Background())
	cmd := exec.CommandContext(ctx, "node", filepath.Join(dir, "tools-client.mjs"), srv.Addr())
	cmd.Env = append(os.Environ(), "BURROW_MODEL="+api.ModelID(info))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node tools-client.mjs: %v\n%s", err, stderr.String())
	}
	type choice struct {
		FinishReason string `json:"finish_reason"`
		ToolCalls    []struct {
			ID, Type, Name, Arguments string
		} `json:"tool_calls"`
		Content *string `json:"content"`
	}
	var got struct {
		Whole     choice `json:"whole"`
		Streamed  choice `json:"streamed"`
		AfterTool choice `json:"after_tool"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("client output %q: %v", out, err)
	}
	for name, c := range map[string]choice{"whole": got.Whole, "streamed": got.Streamed} {
		if c.FinishReason != "tool_calls" || len(c.ToolCalls) != 1 || c.ToolCalls[0].Name != "get_weather" ||
			c.ToolCalls[0].Type != "function" || c.ToolCalls[0].ID == "" {
			t.Fatalf("%s: %s", name, out)
		}
		var args struct {
			City *string `json:"city"`
			Unit string  `json:"unit"`
		}
		if err := json.Unmarshal([]byte(c.ToolCalls[0].Arguments), &args); err != nil || args.City == nil ||
			utf8.RuneCountInString(*args.City) > 12 || (args.Unit != "celsius" && args.Unit != "fahrenheit") {
			t.Errorf("%s: arguments %q do not follow the schema (%v)", name, c.ToolCalls[0].Arguments, err)
		}
	}
	if got.AfterTool.FinishReason == "" {
		t.Errorf("after the tool's result: %s", out)
	}
	t.Logf("whole %+v; streamed %+v; after %+v", got.Whole, got.Streamed, got.AfterTool)
}
