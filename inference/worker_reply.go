package inference

import (
	"context"
	"fmt"
	"strings"
	"time"

	"burrow/inference/grammar"
	"burrow/inference/sample"
)

// serveGenerate runs one reply: render and tokenize the conversation, then
// let Generate keep the prefix the KV cache shares with it, evaluate the
// rest and sample until a stop condition, streaming each piece.
func (w *Worker) serveGenerate(r *request) {
	start := time.Now()
	req := r.gen
	if w.stopping(r) {
		w.finish(r, Event{Kind: EventDone, StopReason: StopCancelled, Stats: &Stats{}})
		return
	}
	m, s := w.model, w.session
	if m == nil || s == nil {
		w.finish(r, Event{Kind: EventError, Err: ErrNoModel})
		return
	}
	policy := req.ContextPolicy
	if policy == ContextDefault {
		w.mu.Lock()
		policy = w.policy
		w.mu.Unlock()
	}

	ctxLen := s.st.ContextLen()
	reserve := ctxLen / 4
	if req.MaxTokens > 0 {
		reserve = min(req.MaxTokens, ctxLen/2)
	}
	pr, err := m.buildPrompt(req, ctxLen, max(reserve, 1), policy)
	if err != nil {
		w.finish(r, Event{Kind: EventError, Err: err})
		return
	}

	// Close cancels the reply too.
	ctx, cancel := context.WithCancel(r.ctx)
	defer cancel()
	defer context.AfterFunc(w.life, cancel)()
	ctx = closingContext{ctx, w.closed}

	var constraint sample.Constraint
	if req.Grammar != nil {
		gv, err := m.GrammarVocab()
		if err == nil {
			constraint, err = grammar.NewConstraint(req.Grammar, gv)
		}
		if err != nil {
			w.finish(r, Event{Kind: EventError, Err: fmt.Errorf("grammar: %w", err)})
			return
		}
	}
	opts := GenOptions{
		Params:      req.Params,
		MaxTokens:   req.MaxTokens,
		Stop:        req.Stop,
		TopLogprobs: req.TopLogprobs,
		Cached:      commonPrefix(s.tokens, pr.Tokens),
		Start:       start,
		Sampler:     w.sampler,
		Reasoning:   pr.Reasoning,
		Constraint:  constraint,
	}
	res, err := Generate(ctx, s.st, m, pr.Tokens, opts, func(ev Event) { w.send(r, ev) })
	s.tokens = CachedTokens(s.st, pr.Tokens, res)
	if s.tokens == nil {
		s.st.Truncate(0) // what the cache holds is unknown after the failure
	}
	if err != nil {
		w.finish(r, Event{Kind: EventError, Err: err})
		return
	}
	w.finish(r, Event{Kind: EventDone, StopReason: res.StopReason, Stats: &res.Stats, Notice: pr.notice()})
}

// notice says what the user should know about how the prompt was made.
func (p prompt) notice() string {
	var notes []string
	if p.FellBack != nil {
		notes = append(notes, fmt.Sprintf("the model's chat template failed, used the built-in %q: %v", p.Template, p.FellBack))
	}
	if p.dropped > 0 {
		notes = append(notes, fmt.Sprintf("%v: %d messages", ErrTurnsDropped, p.dropped))
	}
	return strings.Join(notes, "; ")
}

// closingContext ends when the worker closes as seen by Err at once: the
// AfterFunc that cancels it runs a moment later on its own goroutine, and
// "cancel within one token" must hold from the moment Close begins.
type closingContext struct {
	context.Context
	closed <-chan struct{}
}

func (c closingContext) Err() error {
	select {
	case <-c.closed:
		return context.Canceled
	default:
		return c.Context.Err()
	}
}

// stopping reports whether the request was cancelled or the worker is closing.
func (w *Worker) stopping(r *request) bool {
	if r.ctx.Err() != nil {
		return true
	}
	select {
	case <-w.closed:
		return true
	default:
		return false
	}
}
