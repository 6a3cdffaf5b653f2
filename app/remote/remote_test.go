package remote_test

import (
	"context"
	"errors"
	"math"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"burrow/app/api"
	"burrow/app/apptest"
	"burrow/app/remote"
	"burrow/inference"
	"burrow/inference/chat"
	"burrow/inference/grammar"
	"burrow/inference/sample"
)

// startBurrow runs Burrow's own server on a free loopback port.
func startBurrow(t *testing.T, gen api.Generator, opts api.ServerOptions) *api.Server {
	t.Helper()
	opts.Port = -1
	if opts.Model == nil {
		opts.Model = apptest.LoadedFake
	}
	srv := api.NewServer(gen, opts)
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Stop(context.Background()) })
	return srv
}

func loadRemote(t *testing.T, r *remote.Engine, model string) *inference.ModelInfo {
	t.Helper()
	_, last := apptest.Collect(r.Load(context.Background(), model, inference.LoadOptions{}))
	if last.Kind != inference.EventLoaded {
		t.Fatalf("load %q: %+v", model, last)
	}
	return last.Model
}

func TestRemoteEngineAgainstBurrow(t *testing.T) {
	gen := apptest.NewFakeGen("Once", " upon", " a", " time")
	gen.Stop = inference.StopMaxTokens
	srv := startBurrow(t, gen, api.ServerOptions{APIKey: "k"})
	root := strings.TrimSuffix(srv.Addr(), "/v1")
	r, err := remote.New(root, "k") // no path: /v1 is added
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	info := loadRemote(t, r, "") // the first model the server lists
	if info.Name != "tiny" || r.Model() != info {
		t.Fatalf("loaded %+v", info)
	}
	p := sample.Params{Temperature: 0.5, TopK: 7, TopP: 0.9, MinP: 0.02, RepeatPenalty: 1.1, Seed: 99}
	req := inference.GenerateRequest{
		Messages:  []chat.Message{{Role: "system", Content: "Tell stories."}, {Role: "user", Content: "Go"}},
		Params:    p,
		MaxTokens: 4,
		Stop:      []string{"END"},
	}
	pieces, last := apptest.Collect(r.Generate(context.Background(), req))
	if got := apptest.TextOf(pieces); got != "Once upon a time" || len(pieces) != 4 {
		t.Errorf("text %q in %d pieces", got, len(pieces))
	}
	if last.Kind != inference.EventDone || last.StopReason != inference.StopMaxTokens {
		t.Fatalf("last event %+v", last)
	}
	if s := last.Stats; s.PromptTokens != 5 || s.EvaluatedTokens != 3 || s.GenTokens != 4 || s.Receipt.Params != p {
		t.Errorf("stats %+v", s)
	}
	got := gen.LastRequest()
	if !reflect.DeepEqual(got.Messages, req.Messages) || got.MaxTokens != 4 || !reflect.DeepEqual(got.Stop, req.Stop) {
		t.Errorf("server got %+v", got)
	}
	if got.Params.Temperature != p.Temperature || got.Params.TopK != 7 || got.Params.TopP != p.TopP ||
		got.Params.MinP != p.MinP || got.Params.RepeatPenalty != p.RepeatPenalty || got.Params.Seed != 99 {
		t.Errorf("sampling reached the server as %+v, want %+v", got.Params, p)
	}

	// Plain OpenAI leaves the extensions out: the server keeps its defaults.
	r.PlainOpenAI = true
	apptest.Collect(r.Generate(context.Background(), req))
	if got := gen.LastRequest().Params; got.TopK != sample.DefaultParams().TopK {
		t.Errorf("plain OpenAI sent top_k: %+v", got)
	}
}

// A grammar is forwarded (llama.cpp's grammar field, which Burrow serves),
// and refused rather than dropped for a plain OpenAI server.
func TestRemoteEngineForwardsGrammar(t *testing.T) {
	gen := apptest.NewFakeGen("yes")
	srv := startBurrow(t, gen, api.ServerOptions{})
	r, _ := remote.New(srv.Addr(), "")
	loadRemote(t, r, "tiny")
	g, err := grammar.Parse(`root ::= "yes" | "no"`)
	if err != nil {
		t.Fatal(err)
	}
	req := inference.GenerateRequest{Messages: []chat.Message{{Role: "user", Content: "?"}}, Params: sample.DefaultParams(), Grammar: g}
	if _, last := apptest.Collect(r.Generate(context.Background(), req)); last.Kind != inference.EventDone {
		t.Fatalf("last event %+v", last)
	}
	if got := gen.LastRequest().Grammar; got == nil || got.Source() != g.Source() {
		t.Fatalf("the server got grammar %v", got)
	}
	r.PlainOpenAI = true
	if _, last := apptest.Collect(r.Generate(context.Background(), req)); last.Kind != inference.EventError {
		t.Fatalf("plain OpenAI with a grammar: %+v", last)
	}
}

func TestRemoteEngineLogprobs(t *testing.T) {
	srv := startBurrow(t, apptest.NewFakeGen("A", "B"), api.ServerOptions{})
	r, _ := remote.New(srv.Addr(), "")
	loadRemote(t, r, "tiny")
	pieces, last := apptest.Collect(r.Generate(context.Background(), inference.GenerateRequest{
		Messages: []chat.Message{{Role: "user", Content: "hi"}}, TopLogprobs: 2, Params: sample.DefaultParams()}))
	if last.Kind != inference.EventDone || len(pieces) != 2 {
		t.Fatalf("pieces %+v, last %+v", pieces, last)
	}
	top := pieces[0].Top
	if len(top) != 2 || top[0].Piece != "A" || math.Abs(float64(top[0].Prob)-0.5) > 1e-6 || top[1].Piece != "alt" {
		t.Errorf("top = %+v", top)
	}
}

func TestRemoteEngineErrors(t *testing.T) {
	failing := apptest.NewFakeGen()
	failing.Err = errors.New("the GPU caught fire")
	srv := startBurrow(t, failing, api.ServerOptions{APIKey: "right"})
	msgs := []chat.Message{{Role: "user", Content: "hi"}}

	wrong, _ := remote.New(srv.Addr(), "wrong")
	_, last := apptest.Collect(wrong.Load(context.Background(), "tiny", inference.LoadOptions{}))
	var re *remote.Error
	if last.Kind != inference.EventError || !errors.As(last.Err, &re) || re.Status != http.StatusUnauthorized ||
		!strings.Contains(re.Message, "API key") {
		t.Errorf("wrong key: %+v", last)
	}

	r, _ := remote.New(srv.Addr(), "right")
	if _, last := apptest.Collect(r.Generate(context.Background(), inference.GenerateRequest{Messages: msgs})); !errors.Is(last.Err, inference.ErrNoModel) {
		t.Errorf("generate before load: %+v", last)
	}
	if _, last := apptest.Collect(r.Load(context.Background(), "gpt-4", inference.LoadOptions{})); last.Kind != inference.EventError || !strings.Contains(last.Err.Error(), "tiny") {
		t.Errorf("unknown model: %+v", last)
	}
	loadRemote(t, r, "tiny")
	_, last = apptest.Collect(r.Generate(context.Background(), inference.GenerateRequest{Messages: msgs, Params: sample.DefaultParams()}))
	if last.Kind != inference.EventError || !strings.Contains(last.Err.Error(), "GPU caught fire") {
		t.Errorf("engine failure: %+v", last)
	}
	r.Unload()
	if r.Model() != nil {
		t.Error("Unload should forget the model")
	}

	down, _ := remote.New("http://127.0.0.1:1/v1", "")
	if _, last := apptest.Collect(down.Load(context.Background(), "", inference.LoadOptions{})); last.Kind != inference.EventError {
		t.Errorf("server down: %+v", last)
	}
}

func TestRemoteEngineCancel(t *testing.T) {
	gen := apptest.NewFakeGen("x")
	gen.Hold = make(chan struct{})
	srv := startBurrow(t, gen, api.ServerOptions{})
	r, _ := remote.New(srv.Addr(), "")
	loadRemote(t, r, "tiny")
	ctx, cancel := context.WithCancel(context.Background())
	ch := r.Generate(ctx, inference.GenerateRequest{Messages: []chat.Message{{Role: "user", Content: "hi"}}, Params: sample.DefaultParams()})
	select {
	case <-gen.Started:
	case ev := <-ch:
		t.Fatalf("the request did not reach the engine: %+v", ev)
	}
	cancel()
	<-gen.Cancelled // the hang-up reached the server's engine
	if _, last := apptest.Collect(ch); last.Kind != inference.EventDone || last.StopReason != inference.StopCancelled {
		t.Errorf("last event %+v", last)
	}
}

func TestNewRemoteEngineURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"http://localhost:11434", "http://localhost:11434/v1"},
		{"http://localhost:11434/", "http://localhost:11434/v1"},
		{"http://gpu-box:8000/v1/", "http://gpu-box:8000/v1"},
		{"https://openrouter.ai/api/v1", "https://openrouter.ai/api/v1"},
		{" http://h:1/v1?x=1 ", "http://h:1/v1"},
		{"ftp://h", ""},
		{"localhost:8000", ""},
		{"", ""},
	}
	for _, tt := range tests {
		r, err := remote.New(tt.in, "")
		switch {
		case tt.want == "" && err == nil:
			t.Errorf("%q: want an error, got %q", tt.in, r.BaseURL())
		case tt.want != "" && (err != nil || r.BaseURL() != tt.want):
			t.Errorf("%q: got %v %v, want %q", tt.in, r, err, tt.want)
		}
	}
}
