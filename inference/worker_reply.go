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
	j := w.prepareGenerate(r, func([]int) (*session, error) { return w.session, nil })
	if j != nil {
		j.run()
	}
}

// genJob is a reply ready to run: its prompt, options and KV cache.
type genJob struct {
	w      *Worker
	r      *request
	m      *Model
	s      *session
	ctx    context.Context
	cancel func()
	pr     prompt
	opts   GenOptions
}

// prepareGenerate does what comes before a reply's tokens: the prompt in
// the context policy, the grammar, the options, and the session pick
// chooses for the prompt's tokens. It answers the request itself (and
// returns nil) when the reply cannot start.
func (w *Worker) prepareGenerate(r *request, pick func(tokens []int) (*session, error)) *genJob {
	start := time.Now()
	req := r.gen
	if w.stopping(r) {
		w.finish(r, Event{Kind: EventDone, StopReason: StopCancelled, Stats: &Stats{}})
		return nil
	}
	m := w.model
	if m == nil || w.session == nil {
		w.finish(r, Event{Kind: EventError, Err: ErrNoModel})
		return nil
	}
	policy := req.ContextPolicy
	if policy == ContextDefault {
		w.mu.Lock()
		policy = w.policy
		w.mu.Unlock()
	}

	ctxLen := w.session.st.ContextLen() // every session's
	reserve := ctxLen / 4
	if req.MaxTokens > 0 {
		reserve = min(req.MaxTokens, ctxLen/2)
	}
	pr, err := m.buildPrompt(req, ctxLen, max(reserve, 1), policy)
	if err != nil {
		w.finish(r, Event{Kind: EventError, Err: err})
		return nil
	}

	var constraint sample.Constraint
	if req.Grammar != nil {
		gv, err := m.GrammarVocab()
		if err == nil {
			constraint, err = grammar.NewConstraint(req.Grammar, gv)
		}
		if err != nil {
			w.finish(r, Event{Kind: EventError, Err: fmt.Errorf("grammar: %w", err)})
			return nil
		}
	}
	s, err := pick(pr.Tokens)
	if err != nil {
		w.finish(r, Event{Kind: EventError, Err: err})
		return nil
	}

	// Close cancels the reply too.
	ctx, cancel := context.WithCancel(r.ctx)
	stop := context.AfterFunc(w.life, cancel)
	j := &genJob{w: w, r: r, m: m, s: s, pr: pr,
		ctx:    closingContext{ctx, w.closed},
		cancel: func() { stop(); cancel() },
	}
	j.opts = GenOptions{
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
	return j
}

// run generates the reply and answers the request.
func (j *genJob) run() {
	defer j.cancel()
	w, r, s, pr := j.w, j.r, j.s, j.pr
	res, err := Generate(j.ctx, s.st, j.m, pr.Tokens, j.opts, func(ev Event) { w.send(r, ev) })
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
