package inference

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"burrow/inference/gguf"
	"burrow/inference/llama"
	"burrow/inference/sample"
	"burrow/internal/testenv"
)

func loadStories(t *testing.T, file string, ctxLen int) *Model {
	t.Helper()
	m, err := LoadModel(testenv.Path(t, "models", file), LoadOptions{ContextLength: ctxLen, Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func greedyOpts(max int, stop ...string) GenOptions {
	p := sample.DefaultParams()
	p.Temperature = 0
	return GenOptions{Params: p, MaxTokens: max, Stop: stop}
}

type pieces []string

// add records the text pieces; empty ones (a token that completed no
// character yet) are left out.
func (p *pieces) add(ev Event) {
	if ev.Piece != "" {
		*p = append(*p, ev.Piece)
	}
}

func TestGenerateGreedyMatchesReference(t *testing.T) {
	data, err := os.ReadFile(testenv.Path(t, "reference", "greedy-q8_0-p1-kvf32.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		PromptIDs    []int  `json:"prompt_ids"`
		GeneratedIDs []int  `json:"generated_ids"`
		Text         string `json:"generated_text"`
	}
	if err := json.Unmarshal(data, &ref); err != nil {
		t.Fatal(err)
	}
	m := loadStories(t, "stories260K-q8_0.gguf", 128)
	ids := m.Tokenize("Once upon a time")
	if !slices.Equal(ids, ref.PromptIDs) {
		t.Fatalf("prompt ids %v, want %v", ids, ref.PromptIDs)
	}
	st, err := m.NewState()
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var got pieces
	res, err := Generate(context.Background(), st, m, ids, greedyOpts(64), got.add)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Tokens, ref.GeneratedIDs) || res.Text != ref.Text || strings.Join(got, "") != ref.Text {
		t.Fatalf("got %v %q, want %v %q", res.Tokens, res.Text, ref.GeneratedIDs, ref.Text)
	}
	if res.StopReason != StopMaxTokens || res.Stats.GenTokens != 64 || res.Stats.PromptTokens != 5 || res.Stats.ContextUsed != 5+63 {
		t.Fatalf("stop %q, stats %+v", res.StopReason, res.Stats)
	}
}

func TestGenerateStops(t *testing.T) {
	// Greedy P1 continues ", there was a little girl named Lily. She loved to play outside".
	tests := []struct {
		name     string
		ctxLen   int
		opts     GenOptions
		cancelAt int // cancel after this many pieces (0: never)
		reason   string
		text     string
	}{
		{"stop string across tokens", 128, greedyOpts(64, "little girl"), 0, StopString, ", there was a "},
		{"first of two stop strings", 128, greedyOpts(64, "Lily", "was a"), 0, StopString, ", there "},
		{"max tokens", 128, greedyOpts(3), 0, StopMaxTokens, ", there was"},
		{"context full", 8, greedyOpts(0), 0, StopLength, ""},
		{"cancelled", 128, greedyOpts(0), 2, StopCancelled, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := loadStories(t, "stories260K-f32.gguf", tt.ctxLen)
			st, err := m.NewState()
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var got pieces
			res, err := Generate(ctx, st, m, m.Tokenize("Once upon a time"), tt.opts, func(ev Event) {
				got.add(ev)
				if len(got) == tt.cancelAt {
					cancel()
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			if res.StopReason != tt.reason {
				t.Fatalf("stop %q, want %q (text %q)", res.StopReason, tt.reason, res.Text)
			}
			if tt.text != "" && res.Text != tt.text {
				t.Fatalf("text %q, want %q", res.Text, tt.text)
			}
			if strings.Join(got, "") != res.Text {
				t.Fatalf("streamed %q, result %q", strings.Join(got, ""), res.Text)
			}
			for _, s := range tt.opts.Stop {
				if strings.Contains(strings.Join(got, ""), s) {
					t.Fatalf("stop string %q reached the stream", s)
				}
			}
			switch tt.reason {
			case StopLength:
				if st.Len() != tt.ctxLen {
					t.Fatalf("context used %d of %d", st.Len(), tt.ctxLen)
				}
			case StopCancelled:
				if res.Stats.GenTokens != 2 {
					t.Fatalf("generated %d tokens after cancelling at the second", res.Stats.GenTokens)
				}
			}
		})
	}
}

// eosModel writes a one-layer model whose logits always favour </s> (id 2):
// embeddings of ones, blocks of zeros (they add nothing to the residual),
// and an output row of ones for id 2. The vocabulary is stories260K's.
func eosModel(t *testing.T) string {
	t.Helper()
	src, err := gguf.Open(testenv.Path(t, "models", "stories260K-f32.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	const dim, ff, vocab = 32, 64, 512
	w := gguf.NewWriter()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, kv := range src.KVs {
		if strings.HasPrefix(kv.Key, "tokenizer.") {
			must(w.SetKV(kv))
		}
	}
	must(w.Set("general.architecture", "llama"))
	for k, v := range map[string]uint32{"context_length": 64, "embedding_length": dim, "feed_forward_length": ff,
		"block_count": 1, "attention.head_count": 2} {
		must(w.Set("llama."+k, v))
	}
	f32 := func(n int, fill func(i int) float32) []byte {
		b := make([]byte, 4*n)
		for i := 0; i < n; i++ {
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(fill(i)))
		}
		return b
	}
	zero := func(int) float32 { return 0 }
	one := func(int) float32 { return 1 }
	add := func(name string, data []byte, shape ...int64) {
		_, err := w.AddTensorData(name, gguf.TypeF32, shape, data)
		must(err)
	}
	add("token_embd.weight", f32(dim*vocab, one), dim, vocab)
	add("output_norm.weight", f32(dim, one), dim)
	add("output.weight", f32(dim*vocab, func(i int) float32 {
		if i/dim == 2 {
			return 1
		}
		return 0
	}), dim, vocab)
	add("blk.0.attn_norm.weight", f32(dim, one), dim)
	add("blk.0.ffn_norm.weight", f32(dim, one), dim)
	for _, n := range []string{"attn_q", "attn_k", "attn_v", "attn_output"} {
		add("blk.0."+n+".weight", f32(dim*dim, zero), dim, dim)
	}
	add("blk.0.ffn_gate.weight", f32(dim*ff, zero), dim, ff)
	add("blk.0.ffn_up.weight", f32(dim*ff, zero), dim, ff)
	add("blk.0.ffn_down.weight", f32(dim*ff, zero), ff, dim)
	p := filepath.Join(t.TempDir(), "eos.gguf")
	must(w.WriteFile(p, nil))
	return p
}

func TestGenerateStopsAtEOS(t *testing.T) {
	m, err := LoadModel(eosModel(t), LoadOptions{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	st, err := m.NewState()
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var got pieces
	res, err := Generate(context.Background(), st, m, m.Tokenize("Once upon a time"), greedyOpts(0), got.add)
	if err != nil {
		t.Fatal(err)
	}
	if res.StopReason != StopEOS || !slices.Equal(res.Tokens, []int{2}) || res.Text != "" || len(got) != 0 {
		t.Fatalf("stop %q, tokens %v, text %q, pieces %q", res.StopReason, res.Tokens, res.Text, got)
	}
}

func TestGenerateSameSeedSameText(t *testing.T) {
	m := loadStories(t, "stories260K-q8_0.gguf", 128)
	run := func(threads int, seed uint64) []int {
		m.Threads = threads
		st, err := m.NewState()
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		p := sample.DefaultParams()
		p.Seed = seed
		res, err := Generate(context.Background(), st, m, m.Tokenize("One day"), GenOptions{Params: p, MaxTokens: 40}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return res.Tokens
	}
	a, b := run(1, 99), run(2, 99)
	if !slices.Equal(a, b) {
		t.Fatalf("seed 99: 1 thread %v, 2 threads %v", a, b)
	}
	if slices.Equal(a, run(2, 100)) {
		t.Fatal("seeds 99 and 100 gave the same 40 tokens")
	}
}

func TestLoadModelErrors(t *testing.T) {
	if _, err := LoadModel("/nonexistent/model.gguf", LoadOptions{}); err == nil || !strings.Contains(err.Error(), "/nonexistent/model.gguf") {
		t.Fatalf("error %v does not name the file", err)
	}
	m := loadStories(t, "stories260K-f32.gguf", 0)
	if m.ContextLength != 128 || m.Info.ContextLength != 128 || m.Info.Architecture != "llama" {
		t.Fatalf("default context %d, info %+v", m.ContextLength, m.Info)
	}
}

// TestGenerateContinuesFromCache: with Cached set, Generate keeps the
// cached prefix, evaluates only the rest, and replies as from an empty
// cache; the receipt names the prompt.
func TestGenerateContinuesFromCache(t *testing.T) {
	m := loadStories(t, "stories260K-f32.gguf", 128)
	newState := func() *llama.State {
		st, err := m.NewState()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(st.Close)
		return st
	}
	st := newState()
	p1 := m.Tokenize("Once upon a time")
	r1, err := Generate(context.Background(), st, m, p1, greedyOpts(8), nil)
	if err != nil {
		t.Fatal(err)
	}
	cached := CachedTokens(st, p1, r1)
	if len(cached) != len(p1)+7 || st.Len() != len(cached) || !slices.Equal(cached[len(p1):], r1.Tokens[:7]) {
		t.Fatalf("cache holds %d tokens (%v), want the prompt and 7 of %v", st.Len(), cached, r1.Tokens)
	}

	p2 := append(append(slices.Clone(p1), r1.Tokens...), m.Tok.Encode(" They played.", false, false)...)
	cases := []struct {
		name      string
		prompt    []int
		evaluated int
	}{
		{"continue", p2, len(p2) - len(cached)},
		{"regenerate", slices.Clone(p1), 1},
		{"edit", append(slices.Clone(p1[:3]), m.Tok.Encode(" day", false, false)...), 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			keep := commonPrefix(CachedTokens(st, p1, r1), c.prompt)
			want := c.evaluated
			if want == 0 {
				want = len(c.prompt) - keep
			}
			fresh, err := Generate(context.Background(), newState(), m, c.prompt, greedyOpts(8), nil)
			if err != nil {
				t.Fatal(err)
			}
			// Each case starts from turn 1's cache.
			if _, err := Generate(context.Background(), st, m, p1, greedyOpts(8), nil); err != nil {
				t.Fatal(err)
			}
			opts := greedyOpts(8)
			opts.Cached = keep
			got, err := Generate(context.Background(), st, m, c.prompt, opts, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got.Stats.EvaluatedTokens != want || got.Stats.PromptTokens != len(c.prompt) {
				t.Errorf("evaluated %d of %d prompt tokens, want %d", got.Stats.EvaluatedTokens, len(c.prompt), want)
			}
			if !slices.Equal(got.Tokens, fresh.Tokens) {
				t.Errorf("reply %v, from an empty cache %v", got.Tokens, fresh.Tokens)
			}
			if got.Stats.Receipt.PromptHash != PromptHash(c.prompt) || got.Stats.Receipt.PromptHash != fresh.Stats.Receipt.PromptHash {
				t.Errorf("prompt hash %q, fresh %q", got.Stats.Receipt.PromptHash, fresh.Stats.Receipt.PromptHash)
			}
		})
	}
	if PromptHash(p1) == PromptHash(p2) {
		t.Error("two prompts share a hash")
	}
	opts := greedyOpts(1)
	opts.Cached = st.Len() + 1
	if _, err := Generate(context.Background(), st, m, p2, opts, nil); err == nil {
		t.Error("claiming more cached tokens than the cache holds is not an error")
	}
}

// TestGenerateTopLogprobs: candidates come with each token only when asked.
func TestGenerateTopLogprobs(t *testing.T) {
	m := loadStories(t, "stories260K-f32.gguf", 128)
	st, err := m.NewState()
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, n := range []int{0, 3} {
		opts := greedyOpts(4)
		opts.TopLogprobs = n
		var evs []Event
		if _, err := Generate(context.Background(), st, m, m.Tokenize("Once"), opts, func(ev Event) { evs = append(evs, ev) }); err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs {
			if ev.Token == NoToken {
				continue
			}
			if len(ev.Top) != n || (n > 0 && ev.Top[0].Token != ev.Token) {
				t.Errorf("top %d: token %d has candidates %+v", n, ev.Token, ev.Top)
			}
		}
	}
}
