package inference

import (
	"context"
	"errors"
	"fmt"

	"burrow/inference/llama"
)

// EmbedRequest asks for one embedding per input text.
type EmbedRequest struct {
	Inputs []string
	// Truncate cuts inputs longer than the context instead of refusing
	// them (Ollama's truncate; OpenAI refuses).
	Truncate bool
}

// Embeddings is the answer to an EmbedRequest: one unit vector per input,
// in order, and the tokens they took.
type Embeddings struct {
	Vectors [][]float32
	Tokens  int
	Pooling string
}

// MaxEmbedInputs bounds one request, so a client cannot queue hours of work
// behind a single call.
const MaxEmbedInputs = 2048

// ErrNoPooling is the error of an embedding request to a chat model.
var ErrNoPooling = llama.ErrNoPooling

// Embed queues computing embeddings with the loaded model (its GGUF's
// pooling type) and waits for them. Each input runs alone from position 0
// in a state of its own, so the chat's KV cache is left as it was.
func (w *Worker) Embed(ctx context.Context, req EmbedRequest) (*Embeddings, error) {
	if len(req.Inputs) == 0 {
		return nil, errors.New("no input to embed")
	}
	if len(req.Inputs) > MaxEmbedInputs {
		return nil, fmt.Errorf("%d inputs are more than the %d one request may hold", len(req.Inputs), MaxEmbedInputs)
	}
	r := &request{kind: reqEmbed, ctx: ctx, embed: req, embedOut: make(chan answer[*Embeddings], 1)}
	return await(w, r, r.embedOut)
}

func (w *Worker) serveEmbed(r *request) {
	out, err := w.embed(r.ctx, r.embed)
	r.embedOut <- answer[*Embeddings]{out, err}
	close(r.events)
}

func (w *Worker) embed(ctx context.Context, req EmbedRequest) (*Embeddings, error) {
	m := w.model
	if m == nil {
		return nil, ErrNoModel
	}
	c := &m.LM.Config
	if c.Pooling == llama.PoolNone {
		return nil, ErrNoPooling
	}
	ctxLen := m.ContextLength
	toks := make([][]int, len(req.Inputs))
	longest := 1
	for i, text := range req.Inputs {
		ids := m.Tok.Encode(text, true, true)
		if len(ids) == 0 {
			return nil, fmt.Errorf("input %d is empty", i)
		}
		if len(ids) > ctxLen {
			if !req.Truncate {
				return nil, fmt.Errorf("%w: input %d has %d tokens, the context holds %d", ErrContextFull, i, len(ids), ctxLen)
			}
			ids = ids[:ctxLen]
		}
		toks[i] = ids
		longest = max(longest, len(ids))
	}
	st, err := m.LM.NewStateWith(llama.StateOptions{Context: longest, Threads: m.Threads, KV: m.KV})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	out := &Embeddings{Vectors: make([][]float32, len(toks)), Pooling: c.Pooling.String()}
	for i, ids := range toks {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		v := make([]float32, c.Dim)
		if err := st.Embed(ids, c.Pooling, v); err != nil {
			return nil, err
		}
		out.Vectors[i] = v
		out.Tokens += len(ids)
	}
	return out, nil
}
