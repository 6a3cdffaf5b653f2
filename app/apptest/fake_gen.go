package apptest

import (
	"context"
	"sync"

	"burrow/inference"
)

// FakeGen is a scripted generator for the API server's tests: it replies
// with Pieces, or Err, and can hold a reply until released so tests can
// fill the queue or hang up.
type FakeGen struct {
	Pieces []string
	Stop   string // the reply's stop reason
	Err    error
	Panics bool
	Hold   chan struct{} // when set, a reply waits for it (or cancellation)
	// Reasoning splits Pieces into reasoning and answer as the worker does.
	Reasoning inference.ReasoningFormat

	mu        sync.Mutex
	reqs      []inference.GenerateRequest
	Started   chan struct{} // one value per Generate call
	Cancelled chan struct{} // one value per reply cut short by its context
}

// NewFakeGen replies with pieces and stops with StopEOS.
func NewFakeGen(pieces ...string) *FakeGen {
	return &FakeGen{Pieces: pieces, Stop: inference.StopEOS,
		Started: make(chan struct{}, 64), Cancelled: make(chan struct{}, 64)}
}

// Generate plays the script.
func (f *FakeGen) Generate(ctx context.Context, req inference.GenerateRequest) <-chan inference.Event {
	if f.Panics {
		panic("fake engine exploded")
	}
	f.mu.Lock()
	f.reqs = append(f.reqs, req)
	f.mu.Unlock()
	notify(f.Started)
	ch := make(chan inference.Event)
	go func() {
		defer close(ch)
		if f.Hold != nil {
			select {
			case <-f.Hold:
			case <-ctx.Done():
				notify(f.Cancelled)
				ch <- inference.Event{Kind: inference.EventDone, StopReason: inference.StopCancelled}
				return
			}
		}
		if f.Err != nil {
			ch <- inference.Event{Kind: inference.EventError, Err: f.Err}
			return
		}
		split := newReasoningEvents(f.Reasoning)
		for i, p := range f.Pieces {
			ev := inference.Event{Kind: inference.EventPiece, Piece: p, Token: 100 + i}
			if req.TopLogprobs > 0 {
				ev.Top = []inference.TokenProb{{Token: 100 + i, Piece: p, Prob: 0.5}, {Token: 7, Piece: "alt", Prob: 0.25}}[:min(req.TopLogprobs, 2)]
			}
			for _, ev := range split.piece(ev) {
				select {
				case ch <- ev:
				case <-ctx.Done():
					notify(f.Cancelled)
					ch <- inference.Event{Kind: inference.EventDone, StopReason: inference.StopCancelled}
					return
				}
			}
		}
		for _, ev := range split.flush() {
			ch <- ev
		}
		ch <- inference.Event{Kind: inference.EventDone, StopReason: f.Stop, Stats: &inference.Stats{
			PromptTokens: 5, EvaluatedTokens: 3, GenTokens: len(f.Pieces)}}
	}()
	return ch
}

// LastRequest is the newest request.
func (f *FakeGen) LastRequest() inference.GenerateRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reqs[len(f.reqs)-1]
}

// FakeModel is the model a FakeGen stands for.
var FakeModel = &inference.ModelInfo{Path: "/models/acme/tiny/tiny.gguf", Name: "Tiny Llama", Fingerprint: "fp1234"}

// LoadedFake reports FakeModel as loaded (ServerOptions.Model).
func LoadedFake() *inference.ModelInfo { return FakeModel }

// notify notes an event without ever blocking the engine (fuzzing makes
// more calls than the buffer holds; nobody reads them there).
func notify(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}
