package inference

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestEmbedErrors: the worker's embedding requests fail clearly without a
// model, with a chat model, with too many inputs and after Close, and a
// chat model's cache is untouched by them.
func TestEmbedErrors(t *testing.T) {
	ctx := context.Background()
	empty := NewWorker()
	if _, err := empty.Embed(ctx, EmbedRequest{Inputs: []string{"a"}}); !errors.Is(err, ErrNoModel) {
		t.Errorf("no model: %v", err)
	}
	empty.Close()
	if _, err := empty.Embed(ctx, EmbedRequest{Inputs: []string{"a"}}); !errors.Is(err, ErrClosed) {
		t.Errorf("closed: %v", err)
	}

	w, info := startWorker(t, storiesPath(t), LoadOptions{Threads: 1})
	if info.Pooling != "" {
		t.Errorf("stories260K reports pooling %q", info.Pooling)
	}
	if _, err := w.Embed(ctx, EmbedRequest{Inputs: []string{"a"}}); !errors.Is(err, ErrNoPooling) {
		t.Errorf("chat model: %v", err)
	}
	if _, err := w.Embed(ctx, EmbedRequest{}); err == nil {
		t.Error("no inputs accepted")
	}
	if _, err := w.Embed(ctx, EmbedRequest{Inputs: make([]string, MaxEmbedInputs+1)}); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Errorf("too many inputs: %v", err)
	}
}
