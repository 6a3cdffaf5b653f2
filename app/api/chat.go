package api

import (
	"context"
	"iter"
	"net/http"
	"strings"
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
	if body.Stream {
		s.streamChat(w, head, first, ch, body.Logprobs, top, body.includeUsage())
		return
	}
	var text strings.Builder
	var lp *chatLogprobs
	if body.Logprobs {
		lp = &chatLogprobs{Content: []tokenLogprob{}}
	}
	for ev := range eventsFrom(first, ch) {
		switch ev.Kind {
		case inference.EventPiece:
			text.WriteString(ev.Piece)
			if lp != nil {
				lp.Content = append(lp.Content, tokenLogprobOf(ev, top))
			}
		case inference.EventError:
			writeError(w, errGeneration(orUnknown(ev.Err)))
			return
		case inference.EventDone:
			head.Object = "chat.completion"
			head.Choices = []chatChoice{{
				Message:      &chatMessage{Role: "assistant", Content: strPtr(text.String())},
				Logprobs:     lp,
				FinishReason: strPtr(FinishReason(ev.StopReason)),
			}}
			head.Usage = usageOf(ev.Stats)
			writeOK(w, head)
			return
		}
	}
	writeError(w, errGeneration(orUnknown(nil)))
}

// streamChat sends the reply as chat.completion.chunk events: the role
// first, then each piece, then the finish reason, the usage if asked, [DONE].
func (s *Server) streamChat(w http.ResponseWriter, head chatResponse, first inference.Event, ch <-chan inference.Event, logprobs bool, top int, withUsage bool) {
	out := startSSE(w)
	head.Object = "chat.completion.chunk"
	chunk := func(c chatChoice) chatResponse {
		h := head
		h.Choices = []chatChoice{c}
		return h
	}
	if out.send(chunk(chatChoice{Delta: &chatMessage{Role: "assistant", Content: strPtr("")}})) != nil {
		return // the client is gone; its context cancels the generation
	}
	for ev := range eventsFrom(first, ch) {
		switch ev.Kind {
		case inference.EventPiece:
			if ev.Piece == "" && !logprobs {
				continue // text held back by a stop string; nothing to show yet
			}
			c := chatChoice{Delta: &chatMessage{Content: strPtr(ev.Piece)}}
			if logprobs {
				c.Logprobs = &chatLogprobs{Content: []tokenLogprob{tokenLogprobOf(ev, top)}}
			}
			if out.send(chunk(c)) != nil {
				return
			}
		case inference.EventError:
			_ = out.sendError(errGeneration(orUnknown(ev.Err)))
			return
		case inference.EventDone:
			if out.send(chunk(chatChoice{Delta: &chatMessage{}, FinishReason: strPtr(FinishReason(ev.StopReason))})) != nil {
				return
			}
			if withUsage {
				h := head
				h.Choices = []chatChoice{}
				h.Usage = usageOf(ev.Stats)
				if out.send(h) != nil {
					return
				}
			}
			_ = out.done()
			return
		}
	}
	_ = out.sendError(errGeneration(orUnknown(nil)))
}

// eventsFrom replays the first event, already read, before the rest.
func eventsFrom(first inference.Event, rest <-chan inference.Event) iter.Seq[inference.Event] {
	return func(yield func(inference.Event) bool) {
		if !yield(first) {
			return
		}
		for ev := range rest {
			if !yield(ev) {
				return
			}
		}
	}
}
