package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"burrow/app/api"
	"burrow/app/apptest"
)

// TestReasoningWithTheOpenAINpmClient: the official openai npm client reads
// a thinking reply's reasoning from reasoning_content, whole and streamed,
// and the content holds only the answer.
func TestReasoningWithTheOpenAINpmClient(t *testing.T) {
	dir := nodeClientDir(t)
	gen := apptest.NewFakeGen(apptest.ThinkingPieces...)
	gen.Reasoning = apptest.ThinkTags
	srv := api.NewServer(gen, api.ServerOptions{Port: -1, Model: apptest.LoadedFake})
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Stop(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", filepath.Join(dir, "reasoning.mjs"), srv.Addr())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node reasoning.mjs: %v\n%s", err, stderr.String())
	}
	var got struct {
		Content         string `json:"content"`
		Reasoning       string `json:"reasoning"`
		StreamContent   string `json:"stream_content"`
		StreamReasoning string `json:"stream_reasoning"`
		Ordered         bool   `json:"reasoning_chunks_before_content"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("client output %q: %v", out, err)
	}
	const wantR, wantA = "The user says hi. A short, warm greeting fits.", "Hello! How can I help?"
	if got.Content != wantA || got.Reasoning != wantR || got.StreamContent != wantA || got.StreamReasoning != wantR || !got.Ordered {
		t.Errorf("npm client read %s", out)
	}
}
