package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/adrg/xdg"

	"burrow/app/apptest"
	"burrow/internal/testenv"
)

// syncBuffer is a bytes.Buffer the command and the test can share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestServeCommand runs `burrow serve` as a user would: it prints the
// address on stderr, answers with the key, and stops cleanly on Ctrl+C
// (here, its context).
func TestServeCommand(t *testing.T) {
	path := testenv.Path(t, "models", "stories260K-f32.gguf")
	home := t.TempDir()   // the library GET /v1/models lists is this test's own
	t.Cleanup(xdg.Reload) // runs after the variables are restored
	for _, v := range []string{"XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME"} {
		t.Setenv(v, filepath.Join(home, v))
	}
	xdg.Reload()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr syncBuffer
	root := NewCLI()
	root.SetArgs([]string{"serve", path, "--port", "0", "--api-key", "k", "--ctx", "256", "--threads", "1"})
	root.SetErr(&stderr)
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()

	addrRE := regexp.MustCompile(`at (http://127\.0\.0\.1:\d+/v1)`)
	var addr string
	for addr == "" {
		select {
		case err := <-done:
			t.Fatalf("serve ended early: %v\n%s", err, stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
		if m := addrRE.FindStringSubmatch(stderr.String()); m != nil {
			addr = m[1]
		}
	}

	req, _ := http.NewRequest("POST", addr+"/chat/completions",
		strings.NewReader(`{"messages":[{"role":"user","content":"Hi"}],"max_tokens":5,"temperature":0}`))
	req.Header.Set("Authorization", "Bearer k")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var got apptest.WireChat
	err = json.NewDecoder(resp.Body).Decode(&got)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || got.Usage == nil || got.Usage.CompletionTokens == 0 {
		t.Fatalf("chat: %d %v %+v", resp.StatusCode, err, got)
	}
	if resp, err := http.Get(addr + "/models"); err != nil || resp.StatusCode != 401 {
		t.Errorf("no key: %v %v", resp, err)
	}

	cancel() // Ctrl+C
	if err := <-done; err != nil {
		t.Fatalf("serve: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "stopping") {
		t.Errorf("stderr: %s", stderr.String())
	}
	if _, err := http.Get(addr + "/models"); err == nil {
		t.Error("the server still answers after Ctrl+C")
	}
}

func TestServeCommandNeedsModel(t *testing.T) {
	root := NewCLI()
	root.SetArgs([]string{"serve"})
	if err := root.ExecuteContext(context.Background()); err == nil || !strings.Contains(err.Error(), "--model") {
		t.Errorf("err = %v", err)
	}
}
