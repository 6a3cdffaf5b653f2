package api

import (
	"context"
	"net/http"
	"time"

	"burrow/inference"
)

// chatResponse is a whole (non-streamed) chat completion.
type chatResponse struct {
	ID                string       `json:"id"`
	Object            string       `json:"object"`
	Created           int64        `json:"created"`
	Model             string       `json:"model"`
	SystemFingerprint string       `json:"system_fingerprint,omitempty"`
	Choices           []chatChoice `json:"choices"`
	Usage             *usage       `json:"usage,omitempty"`
}

type chatChoice struct {
	Index        int           `json:"index"`
	Message      *chatMessage  `json:"message,omitempty"`
	Delta        *chatMessage  `json:"delta,omitempty"`
	Logprobs     *chatLogprobs `json:"logprobs"`
	FinishReason *string       `json:"finish_reason"`
}

type chatMessage struct {
	Role    string  `json:"role,omitempty"`
	Content *string `json:"content,omitempty"`
	// ReasoningContent is a thinking model's reasoning, kept out of
	// Content, as DeepSeek and LM Studio send it.
	ReasoningContent *string `json:"reasoning_content,omitempty"`
}

type chatLogprobs struct {
	Content []tokenLogprob `json:"content"`
}

type tokenLogprob struct {
	Token       string        `json:"token"`
	Logprob     float64       `json:"logprob"`
	Bytes       []int         `json:"bytes"`
	TopLogprobs []topLogprobs `json:"top_logprobs"`
}

type topLogprobs struct {
	Token   string  `json:"token"`
	Logprob float64 `json:"logprob"`
	Bytes   []int   `json:"bytes"`
}

// tokenLogprobOf describes one generated piece with up to top alternatives.
func tokenLogprobOf(ev inference.Event, top int) tokenLogprob {
	t := tokenLogprob{
		Token:       ev.Piece,
		Logprob:     logprobOf(chosenProb(ev)),
		Bytes:       byteInts(ev.Piece),
		TopLogprobs: []topLogprobs{},
	}
	for i, c := range ev.Top {
		if i == top {
			break
		}
		t.TopLogprobs = append(t.TopLogprobs, topLogprobs{Token: c.Piece, Logprob: logprobOf(c.Prob), Bytes: byteInts(c.Piece)})
	}
	return t
}

func strPtr(s string) *string { return &s }

// handleChat serves POST /v1/chat/completions, whole or streamed.
func (s *Server) handleChat(w http.ResponseWriter, r *http.Request) {
	var body chatRequest
	if e := decodeBody(r, &body); e != nil {
		writeError(w, e)
		return
	}
	req, e := body.toGenerate()
	if e != nil {
		writeError(w, e)
		return
	}
	top := 0
	if body.TopLogprobs != nil {
		top = *body.TopLogprobs
	}
	// Returning, for whatever reason, ends the generation.
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	info, first, ch, ok := s.startReply(ctx, w, body.Model, req)
	if !ok {
		return
	}
	head := chatResponse{
		ID:                newID("chatcmpl-"),
		Created:           time.Now().Unix(),
		Model:             ModelID(info),
		SystemFingerprint: info.Fingerprint,
	}
	shape := &chatShape{head: head, logprobs: body.Logprobs, top: top}
	if body.Logprobs {
		shape.lp = &chatLogprobs{Content: []tokenLogprob{}}
	}
	relay(w, first, ch, shape, body.Stream, body.includeUsage())
}

// chatShape writes chat completions (replyShape).
type chatShape struct {
	head     chatResponse
	logprobs bool
	top      int
	lp       *chatLogprobs // the whole response's, when asked for
}

// chunk is a chat.completion.chunk with one choice.
func (c *chatShape) chunk(ch chatChoice) chatResponse {
	h := c.head
	h.Object = "chat.completion.chunk"
	h.Choices = []chatChoice{ch}
	return h
}

func (c *chatShape) start() (any, bool) {
	return c.chunk(chatChoice{Delta: &chatMessage{Role: "assistant", Content: strPtr("")}}), true
}

func (c *chatShape) piece(ev inference.Event) (any, bool) {
	if ev.Piece == "" && !c.logprobs {
		return nil, false // text held back by a stop string; nothing to show yet
	}
	ch := chatChoice{Delta: &chatMessage{Content: strPtr(ev.Piece)}}
	if ev.Reasoning {
		ch.Delta = &chatMessage{ReasoningContent: strPtr(ev.Piece)}
	}
	if c.logprobs {
		ch.Logprobs = &chatLogprobs{Content: []tokenLogprob{tokenLogprobOf(ev, c.top)}}
	}
	return c.chunk(ch), true
}

func (c *chatShape) finish(stop string) any {
	return c.chunk(chatChoice{Delta: &chatMessage{}, FinishReason: strPtr(FinishReason(stop))})
}

func (c *chatShape) usage(st *inference.Stats) any {
	h := c.head
	h.Object = "chat.completion.chunk"
	h.Choices = []chatChoice{}
	h.Usage = usageOf(st)
	return h
}

func (c *chatShape) add(ev inference.Event) {
	if c.lp != nil {
		c.lp.Content = append(c.lp.Content, tokenLogprobOf(ev, c.top))
	}
}

func (c *chatShape) whole(rep *inference.Reply) any {
	h := c.head
	h.Object = "chat.completion"
	msg := &chatMessage{Role: "assistant", Content: strPtr(rep.Text())}
	if r := rep.Reasoning(); r != "" {
		msg.ReasoningContent = &r
	}
	h.Choices = []chatChoice{{
		Message:      msg,
		Logprobs:     c.lp,
		FinishReason: strPtr(FinishReason(rep.StopReason)),
	}}
	h.Usage = usageOf(rep.Stats)
	return h
}
