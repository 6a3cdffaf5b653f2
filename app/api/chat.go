package api

import (
	"context"
	"net/http"
	"strings"
	"time"

	"burrow/inference"
	"burrow/inference/toolcall"
)

// chatResponse is a whole (non-streamed) chat completion.
type chatResponse struct {
	completionHead
	Choices []chatChoice `json:"choices"`
	Usage   *usage       `json:"usage,omitempty"`
}

// completionHead begins a chat or text completion object.
type completionHead struct {
	ID                string `json:"id"`
	Object            string `json:"object"`
	Created           int64  `json:"created"`
	Model             string `json:"model"`
	SystemFingerprint string `json:"system_fingerprint,omitempty"`
}

// newCompletionHead heads a reply of the model info describes, created now.
func newCompletionHead(idPrefix, object string, info *inference.ModelInfo) completionHead {
	return completionHead{
		ID:                newID(idPrefix),
		Object:            object,
		Created:           time.Now().Unix(),
		Model:             ModelID(info),
		SystemFingerprint: info.Fingerprint,
	}
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
	ReasoningContent *string        `json:"reasoning_content,omitempty"`
	ToolCalls        []wireToolCall `json:"tool_calls,omitempty"`
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
	req, ok := readRequest(w, r, &body)
	if !ok {
		return
	}
	plan, e := planTools(body.Tools, body.ToolChoice, s.opts.Model(), &req)
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
	head := chatResponse{completionHead: newCompletionHead("chatcmpl-", "", info)}
	shape := &chatShape{head: head, logprobs: body.Logprobs, top: top, tools: plan}
	if plan != nil && !plan.forced {
		shape.calls = toolcall.NewStream(plan.format)
	}
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
	tools    *toolPlan     // nil: no tools
	calls    *toolcall.Stream
	held     strings.Builder // a forced call's text, sent as tool_calls at the end
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
	switch {
	case ev.Reasoning:
		ch.Delta = &chatMessage{ReasoningContent: strPtr(ev.Piece)}
	case c.tools != nil && c.tools.forced:
		c.held.WriteString(ev.Piece) // the whole reply is the call
		return nil, false
	case c.calls != nil:
		shown := c.calls.Feed(ev.Piece)
		if shown == "" && !c.logprobs {
			return nil, false // maybe a call beginning: held until it is clear
		}
		ch.Delta = &chatMessage{Content: strPtr(shown)}
	}
	if c.logprobs {
		ch.Logprobs = &chatLogprobs{Content: []tokenLogprob{tokenLogprobOf(ev, c.top)}}
	}
	return c.chunk(ch), true
}

func (c *chatShape) finish(stop string) []any {
	reason := FinishReason(stop)
	var out []any
	var calls []toolcall.Call
	switch {
	case c.tools != nil && c.tools.forced:
		var rest string
		rest, calls = c.tools.parseReply(c.held.String())
		if rest != "" {
			out = append(out, c.chunk(chatChoice{Delta: &chatMessage{Content: strPtr(rest)}}))
		}
	case c.calls != nil:
		rest, cs, err := c.calls.Finish()
		if err == nil {
			calls = cs
		}
		if rest != "" {
			out = append(out, c.chunk(chatChoice{Delta: &chatMessage{Content: strPtr(rest)}}))
		}
	}
	if len(calls) > 0 {
		out = append(out, c.chunk(chatChoice{Delta: &chatMessage{ToolCalls: wireCalls(calls, true)}}))
		reason = "tool_calls"
	}
	return append(out, c.chunk(chatChoice{Delta: &chatMessage{}, FinishReason: strPtr(reason)}))
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
	reason := FinishReason(rep.StopReason)
	if c.tools != nil {
		content, calls := c.tools.parseReply(rep.Text())
		if len(calls) > 0 {
			msg.ToolCalls, reason = wireCalls(calls, false), "tool_calls"
			msg.Content = nil // OpenAI sends null content beside calls
			if content != "" {
				msg.Content = &content
			}
		}
	}
	h.Choices = []chatChoice{{
		Message:      msg,
		Logprobs:     c.lp,
		FinishReason: strPtr(reason),
	}}
	h.Usage = usageOf(rep.Stats)
	return h
}
