package inference

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"burrow/inference/llama"
	"burrow/inference/sample"
	"burrow/inference/tokenizer"
)

// GenOptions are the settings of one Generate call.
type GenOptions struct {
	Params    sample.Params // Seed 0 draws a random seed (Stats.Receipt reports it)
	MaxTokens int           // 0: until the end of generation or a full context
	Stop      []string      // stop strings; the text stops before the first one
	// TopLogprobs > 0 fills each piece's Event.Top with that many
	// candidates; 0 costs nothing.
	TopLogprobs int
	// Cached is how many leading prompt tokens st already holds, as the
	// caller checked (the longest common prefix of the cache and the
	// prompt): they are kept, st is rolled back to them, and only the rest
	// is evaluated. 0 starts from an empty cache.
	Cached int
	// Start is when the request began (zero: when Generate is called), so
	// the prompt time and the time to first token include what the caller
	// did first, such as rendering the prompt.
	Start time.Time
	// Sampler, when set, sees each sampled token (n counts from 1) and
	// returns the one to use instead: tests force outputs or act at an
	// exact token with it. nil keeps the sampler's choice.
	Sampler Sampler
	// Reasoning splits the reply into reasoning and answer (Event.Reasoning);
	// the zero value has no reasoning.
	Reasoning ReasoningFormat
	// Constraint, when set, limits every sampled token to those it allows
	// (a grammar: grammar.NewConstraint) and is fed each generated token.
	// A constraint error ends the reply with an error. A constraint with a
	// Done method that reports true ends the reply (StopEOS) at once.
	Constraint sample.Constraint

	// eval, when set, evaluates tokens into st in place of st.Eval, decode
	// telling a generated token from a prompt chunk: the worker's batch
	// (worker_batch.go) runs them on its goroutine, the decode steps of
	// several replies together.
	eval func(tokens []int, decode bool) ([]float32, error)
}

// Sampler replaces the n-th sampled token id (GenOptions.Sampler).
type Sampler func(n, id int) int

// Result is what Generate produced.
type Result struct {
	Tokens     []int  // generated ids, the end-of-generation token included
	Text       string // the answer shown, without a stop string or what followed it
	Reasoning  string // the reasoning before it (GenOptions.Reasoning), markers removed
	StopReason string // StopEOS, StopString, StopMaxTokens, StopLength or StopCancelled
	Stats      Stats
}

// promptChunk is how many prompt tokens are evaluated between checks of
// ctx, so cancelling a long prompt does not wait for all of it.
const promptChunk = 64

// NoToken is the Token of an EventPiece that carries held-back text at the
// end of a reply rather than a new token.
const NoToken = -1

// Generate continues the prompt: it keeps the opts.Cached prompt tokens st
// holds, evaluates the rest, then samples token by token until an
// end-of-generation token, a stop string, MaxTokens, a full context, or
// ctx is cancelled (checked before every token and every prompt chunk).
//
// onPiece (if not nil) gets one EventPiece per generated token but the
// end-of-generation one, the worker's stream: Piece is the text that became
// complete with the token (valid UTF-8, maybe "", never part of a possible
// stop string), Token the id, Top the candidates when asked for. A last
// EventPiece with Token NoToken may release text held back at the end.
//
// When it returns, st holds the prompt followed by every generated token
// but the last (sampled, not evaluated), or only part of the prompt when
// cancelled during it. CachedTokens lists them, so the next call can pass
// their common prefix with its prompt as Cached.
func Generate(ctx context.Context, st *llama.State, m *Model, prompt []int, opts GenOptions, onPiece func(Event)) (*Result, error) {
	start := opts.Start
	if start.IsZero() {
		start = time.Now()
	}
	if len(prompt) == 0 {
		return nil, errors.New("generate: the prompt has no tokens")
	}
	if len(prompt) > st.ContextLen() {
		return nil, fmt.Errorf("generate: %w: the prompt is %d tokens and the context holds %d",
			ErrContextFull, len(prompt), st.ContextLen())
	}
	if opts.Cached < 0 || opts.Cached > st.Len() {
		return nil, fmt.Errorf("generate: %d cached tokens claimed, the cache holds %d", opts.Cached, st.Len())
	}
	params := opts.Params
	if params.Seed == 0 {
		params.Seed = rand.Uint64() | 1 // 0 asks for a random seed; the receipt reports it
	}
	res := &Result{}
	stats := &res.Stats
	stats.PromptTokens = len(prompt)
	stats.ContextSize = st.ContextLen()
	stats.Receipt = Receipt{
		ModelFingerprint: m.Info.Fingerprint,
		Params:           params,
		MaxTokens:        opts.MaxTokens,
		Stop:             opts.Stop,
		ContextLength:    st.ContextLen(),
		PromptHash:       PromptHash(prompt),
	}
	finish := func(reason string) (*Result, error) {
		res.StopReason = reason
		stats.ContextUsed = st.Len()
		return res, nil
	}

	if opts.eval == nil {
		opts.eval = func(tokens []int, _ bool) ([]float32, error) { return st.Eval(tokens) }
	}
	logits, err := evalPrompt(ctx, st, prompt, opts.Cached, stats, opts.eval)
	stats.PromptTime = time.Since(start)
	switch {
	case err != nil:
		return nil, err
	case logits == nil:
		return finish(StopCancelled)
	}

	d := decoder{m: m, st: st, opts: opts, stats: stats, onPiece: onPiece, start: start}
	reason, err := d.run(ctx, prompt, params, logits, res)
	if err != nil {
		return nil, err
	}
	return finish(reason)
}

// evalPrompt rolls st back to the cached prefix (at least one token must
// run to give the logits for the reply) and evaluates the rest in chunks.
// It returns the logits after the prompt, or nil when ctx was cancelled.
func evalPrompt(ctx context.Context, st *llama.State, prompt []int, cached int, stats *Stats, eval func([]int, bool) ([]float32, error)) ([]float32, error) {
	// A sliding-window cache may keep less than asked (see llama.State.Truncate).
	keep := st.Truncate(min(cached, len(prompt)-1))
	var logits []float32
	for rest := prompt[keep:]; len(rest) > 0; {
		if ctx.Err() != nil {
			return nil, nil
		}
		n := min(len(rest), promptChunk)
		var err error
		if logits, err = eval(rest[:n], false); err != nil {
			return nil, fmt.Errorf("generate: evaluate the prompt: %w", err)
		}
		stats.EvaluatedTokens += n
		rest = rest[n:]
	}
	return logits, nil
}

// decoder is the sampling loop of one Generate call.
type decoder struct {
	m       *Model
	st      *llama.State
	opts    GenOptions
	stats   *Stats
	onPiece func(Event)
	start   time.Time
	text    strings.Builder
	think   strings.Builder
	split   *ReasoningSplitter // nil without reasoning
	parts   []Part
}

// emit sends a token's text. With reasoning, the splitter removes the
// markers and may cut the text in two (the end of the reasoning and the
// start of the answer): the first part carries the token, the next one
// NoToken, so the token still counts once.
func (d *decoder) emit(ev Event) {
	if d.split == nil {
		d.send(ev)
		return
	}
	d.parts = d.split.Push(d.parts[:0], ev.Piece)
	d.sendParts(ev)
}

// sendParts sends d.parts as ev's pieces (ev with no text when the
// splitter held it all back, so the token is still reported).
func (d *decoder) sendParts(ev Event) {
	if len(d.parts) == 0 {
		if ev.Token != NoToken {
			ev.Piece, ev.Reasoning = "", d.split.InReasoning()
			d.send(ev)
		}
		return
	}
	for i, p := range d.parts {
		if i > 0 {
			ev = Event{Kind: EventPiece, Token: NoToken}
		}
		ev.Piece, ev.Reasoning = p.Text, p.Reasoning
		d.send(ev)
	}
}

func (d *decoder) send(ev Event) {
	ev.ContextUsed, ev.ContextSize = d.st.Len(), d.st.ContextLen()
	if ev.Reasoning {
		d.think.WriteString(ev.Piece)
	} else {
		d.text.WriteString(ev.Piece)
	}
	if d.onPiece != nil {
		d.onPiece(ev)
	}
}

// flushSplit releases what the splitter still holds at the end of the reply.
func (d *decoder) flushSplit() {
	if d.split != nil {
		d.parts = d.split.Flush(d.parts[:0])
		d.sendParts(Event{Kind: EventPiece, Token: NoToken})
	}
}

// run samples until a stop condition and returns the stop reason. Every
// sampled token but the last is evaluated into st.
func (d *decoder) run(ctx context.Context, prompt []int, params sample.Params, logits []float32, res *Result) (string, error) {
	m, st, stats := d.m, d.st, d.stats
	// Sampling is limited to the vocabulary's tokens: embedding rows past it
	// (padding) have no text.
	sampler := sample.New(params, m.Tok.VocabSize())
	if d.opts.Constraint != nil {
		sampler.SetConstraint(d.opts.Constraint)
	}
	// The penalties look back over the prompt too, as in llama.cpp; the
	// sampler keeps only the last PenaltyLastN, so only those are fed.
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
	if f := d.opts.Reasoning; f.Syntax != ReasoningNone {
		// The markers reach the splitter as text: <think> is a user-defined
		// token, and the tokenizer makes harmony's <|channel|>, <|message|>,
		// <|start|> and <|end|> user-defined too, as llama.cpp does.
		d.split = NewReasoningSplitter(f)
	}
	stop := newStopMatcher(d.opts.Stop)
	var cands []sample.Candidate
	var one [1]int // the token to evaluate, in an array so the call allocates nothing
	genStart := time.Now()
	defer func() {
		stats.GenTime = time.Since(genStart)
		res.Text, res.Reasoning = d.text.String(), d.think.String()
	}()
	for {
		if ctx.Err() != nil {
			return d.release(dec, stop, StopCancelled), nil
		}
		id, err := sampler.Next(logits)
		if err != nil {
			return "", fmt.Errorf("generate: token %d: %w", stats.GenTokens+1, err)
		}
		if d.opts.Sampler != nil {
			id = d.opts.Sampler(stats.GenTokens+1, id)
		}
		if c := d.opts.Constraint; c != nil {
			if err := c.Accept(id); err != nil {
				return "", fmt.Errorf("generate: token %d: %w", stats.GenTokens+1, err)
			}
		}
		var top []TokenProb
		if n := d.opts.TopLogprobs; n > 0 {
			cands = sampler.TopProbs(cands[:0], n)
			top = make([]TokenProb, len(cands))
			for i, c := range cands {
				top[i] = TokenProb{Token: int(c.ID), Piece: string(m.Tok.Piece(int(c.ID))), Prob: c.P}
			}
		}
		sampler.Accept(id)
		if stats.GenTokens == 0 {
			stats.TimeToFirst = time.Since(d.start)
		}
		stats.GenTokens++
		res.Tokens = append(res.Tokens, id)
		if id < m.Tok.VocabSize() && m.Tok.IsEOG(id) {
			return d.release(dec, stop, StopEOS), nil
		}
		// The decoder holds back an unfinished character; bytes that can
		// never form one are shown as U+FFFD, so every piece is valid UTF-8.
		out, hit := stop.push(strings.ToValidUTF8(dec.Add(id), "\uFFFD"))
		d.emit(Event{Kind: EventPiece, Piece: out, Token: id, Top: top})
		switch {
		case hit:
			d.flushSplit()
			return StopString, nil
		case d.grammarDone():
			// Nothing but the end can follow: stop without spending a
			// forward pass on the end-of-generation token.
			return d.release(dec, stop, StopEOS), nil
		case d.opts.MaxTokens > 0 && stats.GenTokens >= d.opts.MaxTokens:
			return d.release(dec, stop, StopMaxTokens), nil
		case st.Len() >= st.ContextLen():
			return d.release(dec, stop, StopLength), nil
		}
		one[0] = id
		logits, err = d.opts.eval(one[:], true)
		switch {
		case errors.Is(err, ErrContextFull):
			return d.release(dec, stop, StopLength), nil
		case err != nil:
			return "", fmt.Errorf("generate: evaluate token %d: %w", id, err)
		}
	}
}

// grammarDone reports whether the constraint allows nothing more.
func (d *decoder) grammarDone() bool {
	c, ok := d.opts.Constraint.(interface{ Done() bool })
	return ok && c.Done()
}

// release sends the text held back for a stop string that never came, and
// a character cut off by the end; the stop string may still complete in it.
func (d *decoder) release(dec *tokenizer.StreamDecoder, stop *stopMatcher, reason string) string {
	out, hit := stop.push(strings.ToValidUTF8(dec.Flush(), "\uFFFD"))
	if hit {
		reason = StopString
	} else {
		out += stop.flush()
	}
	if out != "" {
		d.emit(Event{Kind: EventPiece, Piece: out, Token: NoToken})
	}
	d.flushSplit()
	return reason
}

// CachedTokens is what st holds after a Generate call with this prompt and
// result (or nil after an error): the prompt, then the generated tokens
// that were evaluated, cut to st.Len().
func CachedTokens(st *llama.State, prompt []int, res *Result) []int {
	n := st.Len()
	if n <= len(prompt) {
		return prompt[:n:n]
	}
	if res == nil {
		return nil // unknown: the caller should roll the cache back
	}
	out := make([]int, 0, n)
	out = append(out, prompt...)
	return append(out, res.Tokens[:min(n-len(prompt), len(res.Tokens))]...)
}

// PromptHash identifies a prompt's tokens: the SHA-256 of the ids as
// little-endian 32-bit integers.
func PromptHash(tokens []int) string {
	h := sha256.New()
	var b [4]byte
	for _, id := range tokens {
		binary.LittleEndian.PutUint32(b[:], uint32(int32(id)))
		h.Write(b[:])
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}
