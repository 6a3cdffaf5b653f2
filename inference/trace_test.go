package inference

import (
	"context"
	"errors"
	"slices"
	"testing"
)

// TestWorkerTrace: a trace queued on the worker runs in a state of its own:
// its logits are a fresh run's, the conversation's cache is left as it was
// (the next turn still reuses it), and with no model it says so.
func TestWorkerTrace(t *testing.T) {
	empty := NewWorker()
	defer empty.Close()
	if _, err := empty.Trace(context.Background(), TraceRequest{Text: "Hi"}); !errors.Is(err, ErrNoModel) {
		t.Fatalf("trace with no model: %v", err)
	}

	path := storiesPath(t)
	opts := LoadOptions{ContextLength: 128, Threads: 1}
	w, _ := startWorker(t, path, opts)
	turn1 := ask("Tom has a ball.")
	r1 := collect(t, w.Generate(context.Background(), GenerateRequest{Messages: turn1, Params: greedy(), MaxTokens: 8}))

	res, err := w.Trace(context.Background(), TraceRequest{Text: "Once upon a time", TopK: 4})
	if err != nil {
		t.Fatal(err)
	}
	m, err := LoadModel(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	ids := m.Tokenize("Once upon a time")
	if !slices.Equal(res.Tokens, ids) || len(res.Pieces) != len(ids) || res.Pieces[1] != string(m.Tok.PieceSpecial(ids[1])) {
		t.Fatalf("tokens %v pieces %q, want %v", res.Tokens, res.Pieces, ids)
	}
	st, err := m.NewState()
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	want, err := st.Eval(ids)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Logits, want) {
		t.Error("the trace's logits differ from a plain run's")
	}
	if len(res.Layers) != m.LM.Config.Layers || len(res.Layers[0].Lens) != 4 {
		t.Errorf("%d layers, lens %v", len(res.Layers), res.Layers[0].Lens)
	}
	// The chat's cache is untouched: the next turn evaluates only what is new.
	turn2 := ask("Tom has a ball.", r1.text, "Where is it?")
	r2 := collect(t, w.Generate(context.Background(), GenerateRequest{Messages: turn2, Params: greedy(), MaxTokens: 4}))
	if p2 := promptTokens(t, path, turn2); r2.done.Stats.EvaluatedTokens > len(p2)-len(promptTokens(t, path, turn1)) {
		t.Errorf("after a trace turn 2 evaluated %d of %d prompt tokens: the cache was lost", r2.done.Stats.EvaluatedTokens, len(p2))
	}
	// A chat prompt and an empty one.
	if res, err := w.Trace(context.Background(), TraceRequest{Messages: turn1}); err != nil || len(res.Tokens) != len(promptTokens(t, path, turn1)) {
		t.Errorf("conversation trace: %v", err)
	}
	if _, err := w.Trace(context.Background(), TraceRequest{}); err == nil {
		t.Error("an empty trace was accepted")
	}
}
