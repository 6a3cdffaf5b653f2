package inference

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"burrow/inference/llama"
	"burrow/inference/sample"
)

// GenOptions are the settings of one Generate call.
type GenOptions struct {
	Params    sample.Params
	MaxTokens int      // 0: until the end of generation or a full context
	Stop      []string // stop strings; the text stops before the first one
}

// Result is what Generate produced.
type Result struct {
	Tokens     []int  // generated ids, the end-of-generation token included
	Text       string // the text shown, without a stop string or what followed it
	StopReason string // StopEOS, StopString, StopMaxTokens, StopLength or StopCancelled
	Stats      Stats
}

// promptChunk is how many prompt tokens are evaluated between checks of
// ctx, so cancelling a long prompt does not wait for all of it.
const promptChunk = 64

// Generate evaluates prompt from an empty cache in st, then samples token
// by token until an end-of-generation token, a stop string, MaxTokens, a
// full context, or ctx is cancelled (checked before every token). Each
// piece of complete UTF-8 text goes to onPiece (if not nil) as soon as it
// cannot be part of a stop string; id is the token that completed it, or
// -1 for text released at the end.
func Generate(ctx context.Context, st *llama.State, m *Model, prompt []int, opts GenOptions, onPiece func(piece string, id int)) (*Result, error) {
	if len(prompt) == 0 {
		return nil, errors.New("generate: the prompt has no tokens")
	}
	if len(prompt) > st.ContextLen() {
		return nil, fmt.Errorf("generate: %w: the prompt is %d tokens and the context holds %d",
			llama.ErrContextFull, len(prompt), st.ContextLen())
	}
	res := &Result{}
	stats := &res.Stats
	stats.PromptTokens = len(prompt)
	stats.ContextSize = st.ContextLen()
	stats.Receipt = Receipt{
		ModelFingerprint: m.Info.Fingerprint,
		Params:           opts.Params,
		MaxTokens:        opts.MaxTokens,
		Stop:             opts.Stop,
		ContextLength:    st.ContextLen(),
	}
	start := time.Now()
	finish := func(reason string) (*Result, error) {
		res.StopReason = reason
		stats.ContextUsed = st.Len()
		return res, nil
	}

	// Prompt: evaluated in chunks so cancellation is prompt.
	st.Truncate(0)
	var logits []float32
	for rest := prompt; len(rest) > 0; {
		if ctx.Err() != nil {
			stats.PromptTime = time.Since(start)
			return finish(StopCancelled)
		}
		n := min(len(rest), promptChunk)
		var err error
		if logits, err = st.Eval(rest[:n]); err != nil {
			return nil, fmt.Errorf("generate: evaluate the prompt: %w", err)
		}
		stats.EvaluatedTokens += n
		rest = rest[n:]
	}
	stats.PromptTime = time.Since(start)

	// The penalties look back over the prompt too, as in llama.cpp.
	sampler := sample.New(opts.Params, m.LM.Config.VocabSize)
	for _, id := range prompt {
		sampler.Accept(id)
	}
	dec := m.Tok.NewStreamDecoder()
	stop := newStopMatcher(opts.Stop)
	var text strings.Builder
	emit := func(piece string, id int) {
		if piece == "" {
			return
		}
		text.WriteString(piece)
		if onPiece != nil {
			onPiece(piece, id)
		}
	}

	genStart := time.Now()
	reason := ""
	for reason == "" {
		if ctx.Err() != nil {
			reason = StopCancelled
			break
		}
		id := sampler.Sample(logits)
		sampler.Accept(id)
		if stats.GenTokens == 0 {
			stats.TimeToFirst = time.Since(start)
		}
		stats.GenTokens++
		res.Tokens = append(res.Tokens, id)
		if id < m.Tok.VocabSize() && m.Tok.IsEOG(id) {
			reason = StopEOS
			break
		}
		out, hit := stop.push(dec.Add(id))
		emit(out, id)
		switch {
		case hit:
			reason = StopString
		case opts.MaxTokens > 0 && stats.GenTokens >= opts.MaxTokens:
			reason = StopMaxTokens
		case st.Len() >= st.ContextLen():
			reason = StopLength
		default:
			var err error
			if logits, err = st.Eval([]int{id}); err != nil {
				return nil, fmt.Errorf("generate: evaluate token %d: %w", id, err)
			}
		}
	}
	stats.GenTime = time.Since(genStart)
	if reason != StopString {
		// Text held back for a stop string that never came, and a
		// character cut off by the end, are released now.
		out, hit := stop.push(strings.ToValidUTF8(dec.Flush(), "\uFFFD"))
		if !hit {
			out += stop.flush()
		} else {
			reason = StopString
		}
		emit(out, -1)
	}
	res.Text = text.String()
	return finish(reason)
}
