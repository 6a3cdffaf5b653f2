package app

import (
	"context"
	"errors"
	"io"
	"math"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"burrow/inference"
	"burrow/inference/chat"
	"burrow/inference/sample"
)

// The remote engine stands in for the local worker behind the Controller.
var _ Engine = (*RemoteEngine)(nil)

// startBurrow runs Burrow's own server on a free loopback port.
func startBurrow(t *testing.T, gen Generator, opts ServerOptions) *Server {
	t.Helper()
	opts.Port = -1
	if opts.Model == nil {
		opts.Model = loadedFake
	}
	srv := NewServer(gen, opts)
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Stop(context.Background()) })
	return srv
}

// collect reads a reply's events: the text, the pieces, and the last event.
func collect(ch <-chan inference.Event) (pieces []inference.Event, last inference.Event) {
	for ev := range ch {
		if ev.Kind == inference.EventPiece {
			pieces = append(pieces, ev)
		}
		last = ev
	}
	return pieces, last
}

func textOf(pieces []inference.Event) string {
	var b strings.Builder
	for _, p := range pieces {
		b.WriteString(p.Piece)
	}
	return b.String()
}

func loadRemote(t *testing.T, r *RemoteEngine, model string) *inference.ModelInfo {
	t.Helper()
	_, last := collect(r.Load(context.Background(), model, inference.LoadOptions{}))
	if last.Kind != inference.EventLoaded {
		t.Fatalf("load %q: %+v", model, last)
	}
	return last.Model
}

func TestRemoteEngineAgainstBurrow(t *testing.T) {
	gen := newFakeGen("Once", " upon", " a", " time")
	gen.stop = inference.StopMaxTokens
	srv := startBurrow(t, gen, ServerOptions{APIKey: "k"})
	root := strings.TrimSuffix(srv.Addr(), "/v1")
	r, err := NewRemoteEngine(root, "k") // no path: /v1 is added
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
	pieces, last := collect(r.Generate(context.Background(), req))
	if got := textOf(pieces); got != "Once upon a time" || len(pieces) != 4 {
		t.Errorf("text %q in %d pieces", got, len(pieces))
	}
	if last.Kind != inference.EventDone || last.StopReason != inference.StopMaxTokens {
		t.Fatalf("last event %+v", last)
	}
	if s := last.Stats; s.PromptTokens != 5 || s.EvaluatedTokens != 3 || s.GenTokens != 4 || s.Receipt.Params != p {
		t.Errorf("stats %+v", s)
	}
	got := gen.lastRequest()
	if !reflect.DeepEqual(got.Messages, req.Messages) || got.MaxTokens != 4 || !reflect.DeepEqual(got.Stop, req.Stop) {
		t.Errorf("server got %+v", got)
	}
	if got.Params.Temperature != p.Temperature || got.Params.TopK != 7 || got.Params.TopP != p.TopP ||
		got.Params.MinP != p.MinP || got.Params.RepeatPenalty != p.RepeatPenalty || got.Params.Seed != 99 {
		t.Errorf("sampling reached the server as %+v, want %+v", got.Params, p)
	}

	// Plain OpenAI leaves the extensions out: the server keeps its defaults.
	r.PlainOpenAI = true
	collect(r.Generate(context.Background(), req))
	if got := gen.lastRequest().Params; got.TopK != sample.DefaultParams().TopK {
		t.Errorf("plain OpenAI sent top_k: %+v", got)
	}
}

func TestRemoteEngineLogprobs(t *testing.T) {
	srv := startBurrow(t, newFakeGen("A", "B"), ServerOptions{})
	r, _ := NewRemoteEngine(srv.Addr(), "")
	loadRemote(t, r, "tiny")
	pieces, last := collect(r.Generate(context.Background(), inference.GenerateRequest{
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
	failing := newFakeGen()
	failing.err = errors.New("the GPU caught fire")
	srv := startBurrow(t, failing, ServerOptions{APIKey: "right"})
	msgs := []chat.Message{{Role: "user", Content: "hi"}}

	wrong, _ := NewRemoteEngine(srv.Addr(), "wrong")
	_, last := collect(wrong.Load(context.Background(), "tiny", inference.LoadOptions{}))
	var re *RemoteError
	if last.Kind != inference.EventError || !errors.As(last.Err, &re) || re.Status != http.StatusUnauthorized ||
		!strings.Contains(re.Message, "API key") {
		t.Errorf("wrong key: %+v", last)
	}

	r, _ := NewRemoteEngine(srv.Addr(), "right")
	if _, last := collect(r.Generate(context.Background(), inference.GenerateRequest{Messages: msgs})); !errors.Is(last.Err, inference.ErrNoModel) {
		t.Errorf("generate before load: %+v", last)
	}
	if _, last := collect(r.Load(context.Background(), "gpt-4", inference.LoadOptions{})); last.Kind != inference.EventError || !strings.Contains(last.Err.Error(), "tiny") {
		t.Errorf("unknown model: %+v", last)
	}
	loadRemote(t, r, "tiny")
	_, last = collect(r.Generate(context.Background(), inference.GenerateRequest{Messages: msgs, Params: sample.DefaultParams()}))
	if last.Kind != inference.EventError || !strings.Contains(last.Err.Error(), "GPU caught fire") {
		t.Errorf("engine failure: %+v", last)
	}
	r.Unload()
	if r.Model() != nil {
		t.Error("Unload should forget the model")
	}

	down, _ := NewRemoteEngine("http://127.0.0.1:1/v1", "")
	if _, last := collect(down.Load(context.Background(), "", inference.LoadOptions{})); last.Kind != inference.EventError {
		t.Errorf("server down: %+v", last)
	}
}

func TestRemoteEngineCancel(t *testing.T) {
	gen := newFakeGen("x")
	gen.hold = make(chan struct{})
	srv := startBurrow(t, gen, ServerOptions{})
	r, _ := NewRemoteEngine(srv.Addr(), "")
	loadRemote(t, r, "tiny")
	ctx, cancel := context.WithCancel(context.Background())
	ch := r.Generate(ctx, inference.GenerateRequest{Messages: []chat.Message{{Role: "user", Content: "hi"}}, Params: sample.DefaultParams()})
	select {
	case <-gen.started:
	case ev := <-ch:
		t.Fatalf("the request did not reach the engine: %+v", ev)
	}
	cancel()
	<-gen.cancelled // the hang-up reached the server's engine
	if _, last := collect(ch); last.Kind != inference.EventDone || last.StopReason != inference.StopCancelled {
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
		r, err := NewRemoteEngine(tt.in, "")
		switch {
		case tt.want == "" && err == nil:
			t.Errorf("%q: want an error, got %q", tt.in, r.BaseURL())
		case tt.want != "" && (err != nil || r.BaseURL() != tt.want):
			t.Errorf("%q: got %v %v, want %q", tt.in, r, err, tt.want)
		}
	}
}

func TestReadSSE(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
		err      error
	}{
		{"openai", "data: {\"a\":1}\n\ndata: {\"a\":2}\n\ndata: [DONE]\n\n", []string{`{"a":1}`, `{"a":2}`}, nil},
		{"crlf, no space, comments, other fields", ": ping\r\nevent: x\r\nid: 3\r\ndata:{\"a\":1}\r\n\r\ndata: [DONE]\r\n\r\n", []string{`{"a":1}`}, nil},
		{"multi-line data", "data: {\"a\":\ndata: 1}\n\n", []string{"{\"a\":\n1}"}, io.ErrUnexpectedEOF},
		{"last event without blank line", "data: x\n\ndata: [DONE]", []string{"x"}, nil},
		{"cut off", "data: x\n\ndata: y", []string{"x", "y"}, io.ErrUnexpectedEOF},
		{"empty", "", nil, io.ErrUnexpectedEOF},
		{"stops at DONE", "data: [DONE]\n\ndata: late\n\n", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			err := readSSE(strings.NewReader(tt.in), func(d []byte) error { got = append(got, string(d)); return nil })
			if !errors.Is(err, tt.err) || (err == nil) != (tt.err == nil) || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, %v; want %q, %v", got, err, tt.want, tt.err)
			}
		})
	}
}

func TestStopReasonOf(t *testing.T) {
	tests := []struct {
		finish         string
		maxTokens, gen int
		want           string
	}{
		{"stop", 0, 3, inference.StopEOS},
		{"length", 3, 3, inference.StopMaxTokens},
		{"length", 0, 3, inference.StopLength},
		{"length", 10, 3, inference.StopLength},
		{"content_filter", 0, 1, inference.StopEOS},
	}
	for _, tt := range tests {
		if got := stopReasonOf(tt.finish, tt.maxTokens, tt.gen); got != tt.want {
			t.Errorf("stopReasonOf(%q, %d, %d) = %q, want %q", tt.finish, tt.maxTokens, tt.gen, got, tt.want)
		}
	}
}
