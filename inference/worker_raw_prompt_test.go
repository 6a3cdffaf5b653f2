package inference

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"burrow/inference/sample"
)

// TestRawPromptMatchesGenerate: a request with Prompt continues the text
// exactly as `burrow run` does (Tokenize, then Generate on those ids),
// ignoring Messages and Template, with special tokens left as text.
func TestRawPromptMatchesGenerate(t *testing.T) {
	path := storiesPath(t)
	w, _ := startWorker(t, path, LoadOptions{ContextLength: 128, Threads: 1})
	m := loadStories(t, "stories260K-f32.gguf", 128)
	p := sample.DefaultParams()
	p.Seed = 42 // sampled, not greedy: the seed must reach the sampler the same way
	for _, text := range []string{"Once upon a time", "The cat <s> sat </s> on"} {
		ids := m.Tokenize(text)
		if special := m.Tok.Encode(text, true, true); strings.Contains(text, "<s>") && slices.Equal(special, ids) {
			t.Fatalf("%q: parsing special tokens makes no difference, the test proves nothing", text)
		}
		st, err := m.NewState()
		if err != nil {
			t.Fatal(err)
		}
		want, err := Generate(context.Background(), st, m, ids, GenOptions{Params: p, MaxTokens: 20}, nil)
		st.Close()
		if err != nil {
			t.Fatal(err)
		}
		got := collect(t, w.Generate(context.Background(), GenerateRequest{
			Prompt:   text,
			Messages: ask("ignored"), Template: "{{ broken",
			Params: p, MaxTokens: 20,
		}))
		if got.text != want.Text || !slices.Equal(got.ids, want.Tokens) || got.done.StopReason != want.StopReason {
			t.Errorf("%q: worker %q %v (%s), Generate %q %v (%s)", text, got.text, got.ids, got.done.StopReason, want.Text, want.Tokens, want.StopReason)
		}
		if got.done.Stats.PromptTokens != len(ids) || got.done.Notice != "" {
			t.Errorf("%q: %d prompt tokens (want %d), notice %q", text, got.done.Stats.PromptTokens, len(ids), got.done.Notice)
		}
	}

	long := strings.Repeat("Once upon a time ", 64)
	for ev := range w.Generate(context.Background(), GenerateRequest{Prompt: long, Params: p, ContextPolicy: ContextDropOldest}) {
		if ev.Kind == EventDone {
			t.Fatalf("a prompt longer than the context was answered: %+v", ev)
		}
		if ev.Kind == EventError && !errors.Is(ev.Err, ErrContextFull) {
			t.Errorf("long prompt: %v, want ErrContextFull", ev.Err)
		}
	}
}
