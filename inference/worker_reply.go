package inference

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"burrow/inference/llama"
	"burrow/inference/sample"
)

// evalChunk is how many prompt tokens run between cancellation checks.
const evalChunk = 64

// NoToken is the Token of an EventPiece that carries held-back text at the
// end of a reply rather than a new token.
const NoToken = -1

// serveGenerate runs one reply: render and tokenize the conversation, keep
// the cached prefix it shares with the KV cache, evaluate the rest, then
// sample token by token until a stop condition.
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
	w.mu.Lock()
	policy := w.policy
	w.mu.Unlock()

	params := req.Params
	if params.Seed == 0 {
		params.Seed = rand.Uint64() | 1 // 0 asks for a random seed; the receipt reports it
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
	stats := &Stats{
		PromptTokens: len(pr.tokens),
		ContextSize:  ctxLen,
		Receipt: Receipt{
			ModelFingerprint: m.Info.Fingerprint,
			Params:           params,
			MaxTokens:        req.MaxTokens,
			Stop:             req.Stop,
			ContextLength:    ctxLen,
		},
	}
	var notices []error
	if pr.fellBack != nil {
		notices = append(notices, fmt.Errorf("the model's chat template failed, used the built-in %q: %w", pr.template, pr.fellBack))
	}
	if pr.dropped > 0 {
		notices = append(notices, fmt.Errorf("%w: %d messages", ErrTurnsDropped, pr.dropped))
	}
	done := func(reason string) {
		stats.ContextUsed = s.st.Len()
		w.finish(r, Event{Kind: EventDone, StopReason: reason, Stats: stats, Err: errors.Join(notices...)})
	}

	logits, err := w.evalPrompt(r, s, pr.tokens, stats)
	stats.PromptTime = time.Since(start)
	switch {
	case err != nil:
		w.finish(r, Event{Kind: EventError, Err: err})
		return
	case logits == nil:
		done(StopCancelled)
		return
	}
	reason, err := w.decode(r, m, s, pr.tokens, params, logits, stats, start)
	if err != nil {
		w.finish(r, Event{Kind: EventError, Err: err})
		return
	}
	done(reason)
}

// evalPrompt keeps the longest prefix the cache shares with the prompt and
// evaluates the rest in chunks, checking for cancellation between them. It
// returns the logits after the prompt, or nil when cancelled.
func (w *Worker) evalPrompt(r *request, s *session, prompt []int, stats *Stats) ([]float32, error) {
	keep := commonPrefix(s.tokens, prompt)
	if keep == len(prompt) {
		keep-- // at least one token must run to give the logits for the reply
	}
	s.st.Truncate(keep)
	s.tokens = s.tokens[:keep]
	var logits []float32
	for rest := prompt[keep:]; len(rest) > 0; {
		if w.stopping(r) {
			return nil, nil
		}
		n := min(len(rest), evalChunk)
		var err error
		if logits, err = s.st.Eval(rest[:n]); err != nil {
			return nil, fmt.Errorf("evaluate the prompt: %w", err)
		}
		s.tokens = append(s.tokens, rest[:n]...)
		stats.EvaluatedTokens += n
		rest = rest[n:]
	}
	return logits, nil
}

// decode samples the reply token by token, sending each piece, until a
// stop condition; it returns the stop reason. Every sampled token but the
// last is evaluated into the cache (and recorded in s.tokens).
func (w *Worker) decode(r *request, m *loadedModel, s *session, prompt []int, params sample.Params, logits []float32, stats *Stats, start time.Time) (string, error) {
	req := r.gen
	sampler := sample.New(params, m.Tok.VocabSize())
	// The penalties look back over the prompt too, as in llama.cpp.
	if n := params.PenaltyLastN; n != 0 {
		from := 0
		if n > 0 {
			from = max(0, len(prompt)-n)
		}
		for _, id := range prompt[from:] {
			sampler.Accept(id)
		}
	}
	dec := m.Tok.NewStreamDecoder()
	stop := newStopMatcher(req.Stop)
	var cands []sample.Candidate
	genStart := time.Now()
	defer func() { stats.GenTime = time.Since(genStart) }()
	reason := ""
	for reason == "" {
		if w.stopping(r) {
			reason = StopCancelled
			break
		}
		id := sampler.Sample(logits)
		if w.pickHook != nil {
			id = w.pickHook(stats.GenTokens+1, id)
		}
		var top []TokenProb
		if req.TopLogprobs > 0 {
			cands = sampler.TopProbs(cands[:0], req.TopLogprobs)
			top = make([]TokenProb, len(cands))
			for i, c := range cands {
				top[i] = TokenProb{Token: int(c.ID), Piece: string(m.Tok.Piece(int(c.ID))), Prob: c.P}
			}
		}
		sampler.Accept(id)
		if stats.GenTokens == 0 {
			stats.TimeToFirst = time.Since(start)
		}
		stats.GenTokens++
		if m.Tok.IsEOG(id) {
			reason = StopEOS
			break
		}
		// The decoder holds back an unfinished character; bytes that can
		// never form one are shown as U+FFFD, so every piece is valid UTF-8.
		out, hit := stop.push(strings.ToValidUTF8(dec.Add(id), "\uFFFD"))
		w.send(r, Event{Kind: EventPiece, Piece: out, Token: id, Top: top})
		switch {
		case hit:
			return StopString, nil
		case req.MaxTokens > 0 && stats.GenTokens >= req.MaxTokens:
			reason = StopMaxTokens
		case s.st.Len() >= s.st.ContextLen():
			reason = StopLength
		default:
			var err error
			logits, err = s.st.Eval([]int{id})
			switch {
			case errors.Is(err, llama.ErrContextFull):
				reason = StopLength
			case err != nil:
				return "", fmt.Errorf("evaluate token %d: %w", id, err)
			default:
				s.tokens = append(s.tokens, id)
			}
		}
	}
	// Text held back for a stop string that never came, and a character
	// cut off at the end, are released now.
	out, hit := stop.push(strings.ToValidUTF8(dec.Flush(), "\uFFFD"))
	if hit {
		reason = StopString
	} else {
		out += stop.flush()
	}
	if out != "" {
		w.send(r, Event{Kind: EventPiece, Piece: out, Token: NoToken})
	}
	return reason, nil
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
