package api

import (
	"context"
	"net/http"

	"burrow/inference"
)

// completionResponse is a legacy text completion, whole or one chunk.
type completionResponse struct {
	completionHead
	Choices []completionChoice `json:"choices"`
	Usage   *usage             `json:"usage,omitempty"`
}

type completionChoice struct {
	Text         string              `json:"text"`
	Index        int                 `json:"index"`
	Logprobs     *completionLogprobs `json:"logprobs"`
	FinishReason *string             `json:"finish_reason"`
}

// completionLogprobs is the legacy logprobs shape: parallel arrays.
type completionLogprobs struct {
	Tokens        []string             `json:"tokens"`
	TokenLogprobs []float64            `json:"token_logprobs"`
	TopLogprobs   []map[string]float64 `json:"top_logprobs"`
	TextOffset    []int                `json:"text_offset"`
}

func (l *completionLogprobs) add(ev inference.Event, top, offset int) {
	l.Tokens = append(l.Tokens, ev.Piece)
	l.TokenLogprobs = append(l.TokenLogprobs, logprobOf(chosenProb(ev)))
	alts := map[string]float64{}
	for i, c := range ev.Top {
		if i == top {
			break
		}
		alts[c.Piece] = logprobOf(c.Prob)
	}
	l.TopLogprobs = append(l.TopLogprobs, alts)
	l.TextOffset = append(l.TextOffset, offset)
}

func newCompletionLogprobs() *completionLogprobs {
	return &completionLogprobs{Tokens: []string{}, TokenLogprobs: []float64{}, TopLogprobs: []map[string]float64{}, TextOffset: []int{}}
}

// handleCompletions serves POST /v1/completions: the prompt is continued as
// plain text, with no chat template.
func (s *Server) handleCompletions(w http.ResponseWriter, r *http.Request) {
	var body completionRequest
	if e := decodeBody(r, &body); e != nil {
		writeError(w, e)
		return
	}
	req, prompt, e := body.toGenerate()
	if e != nil {
		writeError(w, e)
		return
	}
	top := -1 // no logprobs
	if body.Logprobs != nil {
		top = *body.Logprobs
	}
	// Returning, for whatever reason, ends the generation.
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	info, first, ch, ok := s.startReply(ctx, w, body.Model, req)
	if !ok {
		return
	}
	head := completionResponse{completionHead: newCompletionHead("cmpl-", "text_completion", info)}
	shape := &completionShape{head: head, top: top}
	if body.Echo {
		shape.echo = prompt
	}
	shape.offset = len(shape.echo)
	if top >= 0 {
		shape.lp = newCompletionLogprobs()
	}
	relay(w, first, ch, shape, body.Stream, body.includeUsage())
}

// completionShape writes text completions (replyShape).
type completionShape struct {
	head   completionResponse
	echo   string // the prompt, when echoed before the reply
	top    int    // alternatives per token; -1: no logprobs
	offset int    // where the next piece starts in the text
	lp     *completionLogprobs
}

func (c *completionShape) chunk(ch completionChoice) completionResponse {
	h := c.head
	h.Choices = []completionChoice{ch}
	return h
}

func (c *completionShape) start() (any, bool) {
	return c.chunk(completionChoice{Text: c.echo}), c.echo != ""
}

func (c *completionShape) piece(ev inference.Event) (any, bool) {
	if ev.Piece == "" && c.top < 0 {
		return nil, false // text held back by a stop string; nothing to show yet
	}
	ch := completionChoice{Text: ev.Piece}
	if c.top >= 0 {
		ch.Logprobs = newCompletionLogprobs()
		ch.Logprobs.add(ev, c.top, c.offset)
	}
	c.offset += len(ev.Piece)
	return c.chunk(ch), true
}

func (c *completionShape) finish(stop string) []any {
	return []any{c.chunk(completionChoice{FinishReason: strPtr(FinishReason(stop))})}
}

func (c *completionShape) usage(st *inference.Stats) any {
	h := c.head
	h.Choices = []completionChoice{}
	h.Usage = usageOf(st)
	return h
}

func (c *completionShape) add(ev inference.Event) {
	if c.lp != nil {
		c.lp.add(ev, c.top, c.offset)
	}
	c.offset += len(ev.Piece)
}

func (c *completionShape) whole(rep *inference.Reply) any {
	h := c.head
	h.Choices = []completionChoice{{Text: c.echo + rep.Text(), Logprobs: c.lp, FinishReason: strPtr(FinishReason(rep.StopReason))}}
	h.Usage = usageOf(rep.Stats)
	return h
}
