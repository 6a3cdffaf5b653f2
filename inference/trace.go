package inference

import (
	"context"
	"errors"
	"fmt"

	"burrow/inference/chat"
	"burrow/inference/llama"
)

// TraceRequest asks what a prompt does inside the loaded model
// (llama.State.Trace): a plain text, tokenized as `burrow run` does, or,
// when Text is empty, a conversation rendered by the chat template.
type TraceRequest struct {
	Text     string
	Messages []chat.Message
	// TopK and MaxTokens are llama.TraceOptions'.
	TopK, MaxTokens int
}

// TraceResult is a trace with the text of its tokens.
type TraceResult struct {
	*llama.Trace
	// Pieces is the text of each prompt token (control tokens as written).
	Pieces []string
	// Logits are the model's logits after the prompt.
	Logits []float32
	vocab  *Vocab
}

// TokenText is the text of a token id (as Pieces shows prompt tokens).
func (r *TraceResult) TokenText(id int) string { return string(r.vocab.Tok.PieceSpecial(id)) }

// MaxTraceTokens bounds a traced prompt: the attention is recomputed per
// layer, head and token pair, so the cost grows with the square.
const MaxTraceTokens = 4096

// Trace runs the request's prompt through m in a state of its own (an F32
// KV cache just as long as the prompt), so any chat's cache is untouched.
func (m *Model) Trace(ctx context.Context, req TraceRequest) (*TraceResult, error) {
	var ids []int
	if req.Text != "" {
		ids = m.Tokenize(req.Text)
	} else if len(req.Messages) > 0 {
		p, err := m.Prompt(req.Messages)
		if err != nil {
			return nil, err
		}
		ids = p.Tokens
	}
	if len(ids) == 0 {
		return nil, errors.New("nothing to trace: the prompt is empty")
	}
	if len(ids) > MaxTraceTokens {
		return nil, fmt.Errorf("a prompt of %d tokens is longer than the %d a trace takes", len(ids), MaxTraceTokens)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	st, err := m.LM.NewStateWith(llama.StateOptions{Context: len(ids), Threads: m.Threads, KV: llama.KVF32})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	tr, logits, err := st.Trace(ids, llama.TraceOptions{TopK: req.TopK, MaxTokens: req.MaxTokens})
	if err != nil {
		return nil, err
	}
	res := &TraceResult{Trace: tr, Logits: append([]float32(nil), logits...), vocab: m.Vocab}
	for _, id := range ids {
		res.Pieces = append(res.Pieces, res.TokenText(id))
	}
	return res, nil
}

// Trace queues a trace of the loaded model (Model.Trace) and waits for it.
func (w *Worker) Trace(ctx context.Context, req TraceRequest) (*TraceResult, error) {
	r := &request{kind: reqTrace, ctx: ctx, trace: req, traceOut: make(chan answer[*TraceResult], 1)}
	return await(w, r, r.traceOut)
}

func (w *Worker) serveTrace(r *request) {
	var res answer[*TraceResult]
	if w.model == nil {
		res.err = ErrNoModel
	} else {
		res.out, res.err = w.model.Trace(r.ctx, r.trace)
	}
	r.traceOut <- res
	close(r.events)
}
