// Package apptest holds fake engines for tests of the Controller, the API
// server and the window, as net/http/httptest does for HTTP.
package apptest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"burrow/inference"
)

// FakeEngine is an app.Engine for tests of the Controller and the window: it
// "loads" any path and replies with Pieces. With Gate set, each piece waits
// for a value on Gate (or cancellation), so a test can step through a reply.
type FakeEngine struct {
	Pieces  []string
	Gate    chan struct{}
	LoadErr error  // returned by every Load when set
	Notice  string // sent with every EventDone (a template fallback, dropped turns)
	// Reasoning splits Pieces into reasoning and answer as the worker does
	// (ThinkTags with ThinkingPieces); the zero value has no reasoning.
	Reasoning inference.ReasoningFormat
	// Replies, when set, script the replies in turn: the n-th Generate
	// plays Replies[n] (Pieces once they run out), so a test can answer a
	// tool result differently from the call.
	Replies [][]string
	// ToolFormat is the loaded model's inference.ModelInfo.ToolFormat (a
	// toolcall.Format; 0: the template takes no tools).
	ToolFormat int

	mu       sync.Mutex
	vocab    *inference.Vocab // of the loaded path, when it is a real GGUF
	loads    []string
	loadOpts []inference.LoadOptions
	requests []inference.GenerateRequest
	unloads  int
	closed   bool
}

// NewFakeEngine replies "Once upon a time, there was a burrow."
func NewFakeEngine() *FakeEngine {
	return &FakeEngine{Pieces: []string{"Once", " upon", " a", " time", ",", " there", " was", " a", " burrow", "."}}
}

// Load reports progress and then the model (or LoadErr).
func (f *FakeEngine) Load(ctx context.Context, path string, opts inference.LoadOptions) <-chan inference.Event {
	f.mu.Lock()
	f.loads = append(f.loads, path)
	f.loadOpts = append(f.loadOpts, opts)
	f.mu.Unlock()
	ch := make(chan inference.Event, 4)
	go func() {
		defer close(ch)
		ch <- inference.Event{Kind: inference.EventProgress, Progress: 0.5}
		if f.LoadErr != nil {
			ch <- inference.Event{Kind: inference.EventError, Err: f.LoadErr}
			return
		}
		if ctx.Err() != nil {
			ch <- inference.Event{Kind: inference.EventError, Err: ctx.Err()}
			return
		}
		ctxLen := opts.ContextLength
		if ctxLen == 0 {
			ctxLen = 512
		}
		name := path[strings.LastIndexAny(path, `/\`)+1:]
		v, _ := inference.LoadVocab(path) // nil for a file that only looks like a model
		f.mu.Lock()
		f.vocab = v
		f.mu.Unlock()
		info := &inference.ModelInfo{
			Path: path, Name: strings.TrimSuffix(name, ".gguf"), Architecture: "llama", ContextLength: ctxLen, Fingerprint: "fake",
			ToolFormat: f.ToolFormat,
		}
		if f.Reasoning.Syntax == inference.ReasoningThinkTags {
			info.Reasoning, info.ThinkSwitch = "think", true
		}
		ch <- inference.Event{Kind: inference.EventLoaded, Model: info}
	}()
	return ch
}

// Generate streams Pieces, stopping early when ctx is cancelled.
func (f *FakeEngine) Generate(ctx context.Context, req inference.GenerateRequest) <-chan inference.Event {
	f.mu.Lock()
	pieces := f.Pieces
	if n := len(f.requests); n < len(f.Replies) {
		pieces = f.Replies[n]
	}
	f.requests = append(f.requests, req)
	f.mu.Unlock()
	ch := make(chan inference.Event)
	go func() {
		defer close(ch)
		start := time.Now()
		prompt := len(strings.Fields(req.Prompt))
		for _, m := range req.Messages {
			prompt += len(strings.Fields(m.Content)) + 4
		}
		stats := &inference.Stats{PromptTokens: prompt, EvaluatedTokens: prompt, ContextSize: 512}
		done := func(reason string) {
			stats.GenTime = time.Since(start)
			stats.ContextUsed = prompt + stats.GenTokens
			ch <- inference.Event{Kind: inference.EventDone, StopReason: reason, Stats: stats, Notice: f.Notice}
		}
		split := newReasoningEvents(f.Reasoning)
		if req.TemplateVars["enable_thinking"] == false {
			split = newReasoningEvents(inference.ReasoningFormat{})
		}
		for i, p := range pieces {
			if f.Gate != nil {
				select {
				case <-f.Gate:
				case <-ctx.Done():
					done(inference.StopCancelled)
					return
				}
			}
			if ctx.Err() != nil {
				done(inference.StopCancelled)
				return
			}
			if i == 0 {
				stats.TimeToFirst = time.Since(start)
			}
			stats.GenTokens++
			ev := inference.Event{Kind: inference.EventPiece, Piece: p, Token: i,
				ContextUsed: prompt + stats.GenTokens, ContextSize: stats.ContextSize}
			for k := 0; k < req.TopLogprobs; k++ {
				// The chosen token first, then made-up runners-up.
				alt := inference.TokenProb{Token: i + 1000*k, Piece: p, Prob: 0.6 / float32(k+1)}
				if k > 0 {
					alt.Piece = fmt.Sprintf(" alt%d", k)
				}
				ev.Top = append(ev.Top, alt)
			}
			for _, ev := range split.piece(ev) {
				select {
				case ch <- ev:
				case <-ctx.Done():
					done(inference.StopCancelled)
					return
				}
			}
		}
		for _, ev := range split.flush() {
			ch <- ev
		}
		done(inference.StopEOS)
	}()
	return ch
}

// Vocab is the loaded file's tokenizer and template, when it is a real GGUF.
func (f *FakeEngine) Vocab() *inference.Vocab {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.vocab
}

// Unload forgets the model.
func (f *FakeEngine) Unload() {
	f.mu.Lock()
	f.vocab = nil
	f.unloads++
	f.mu.Unlock()
}

// Close ends the engine.
func (f *FakeEngine) Close() {
	f.mu.Lock()
	f.closed = true
	f.mu.Unlock()
}

// Loads returns the paths asked to load, in order.
func (f *FakeEngine) Loads() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.loads...)
}

// LoadOptions returns the options of each load, in order.
func (f *FakeEngine) LoadOptions() []inference.LoadOptions {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]inference.LoadOptions(nil), f.loadOpts...)
}

// Requests returns the generate requests, in order.
func (f *FakeEngine) Requests() []inference.GenerateRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]inference.GenerateRequest(nil), f.requests...)
}

// ErrFakeLoad is a load failure tests can ask for.
var ErrFakeLoad = errors.New("unsupported tensor type Q4_K in blk.0.attn_q.weight (fake engine)")
