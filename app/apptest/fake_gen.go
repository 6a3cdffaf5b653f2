package app

import (
	"context"
	"sync"

	"burrow/inference"
)

// fakeGen is a scripted engine: it replies with pieces, or an error, and
// can hold a reply until released so tests can fill the queue or hang up.
type fakeGen struct {
	pieces []string
	stop   string
	err    error
	panics bool
	hold   chan struct{} // when set, a reply waits for it (or cancellation)

	mu        sync.Mutex
	reqs      []inference.GenerateRequest
	started   chan struct{} // one value per Generate call
	cancelled chan struct{} // one value per reply cut short by its context
}

func newFakeGen(pieces ...string) *fakeGen {
	return &fakeGen{pieces: pieces, stop: inference.StopEOS,
		started: make(chan struct{}, 64), cancelled: make(chan struct{}, 64)}
}

func (f *fakeGen) Generate(ctx context.Context, req inference.GenerateRequest) <-chan inference.Event {
	if f.panics {
		panic("fake engine exploded")
	}
	f.mu.Lock()
	f.reqs = append(f.reqs, req)
	f.mu.Unlock()
	notify(f.started)
	ch := make(chan inference.Event)
	go func() {
		defer close(ch)
		if f.hold != nil {
			select {
			case <-f.hold:
			case <-ctx.Done():
				notify(f.cancelled)
				ch <- inference.Event{Kind: inference.EventDone, StopReason: inference.StopCancelled}
				return
			}
		}
		if f.err != nil {
			ch <- inference.Event{Kind: inference.EventError, Err: f.err}
			return
		}
		for i, p := range f.pieces {
			ev := inference.Event{Kind: inference.EventPiece, Piece: p, Token: 100 + i}
			if req.TopLogprobs > 0 {
				ev.Top = []inference.TokenProb{{Token: 100 + i, Piece: p, Prob: 0.5}, {Token: 7, Piece: "alt", Prob: 0.25}}[:min(req.TopLogprobs, 2)]
			}
			select {
			case ch <- ev:
			case <-ctx.Done():
				notify(f.cancelled)
				ch <- inference.Event{Kind: inference.EventDone, StopReason: inference.StopCancelled}
				return
			}
		}
		ch <- inference.Event{Kind: inference.EventDone, StopReason: f.stop, Stats: &inference.Stats{
			PromptTokens: 5, EvaluatedTokens: 3, GenTokens: len(f.pieces)}}
	}()
	return ch
}

func (f *fakeGen) lastRequest() inference.GenerateRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reqs[len(f.reqs)-1]
}

var fakeModel = &inference.ModelInfo{Path: "/models/acme/tiny/tiny.gguf", Name: "Tiny Llama", Fingerprint: "fp1234"}

func loadedFake() *inference.ModelInfo { return fakeModel }

// notify notes an event without ever blocking the engine (fuzzing makes
// more calls than the buffer holds; nobody reads them there).
func notify(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}
