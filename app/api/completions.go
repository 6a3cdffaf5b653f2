package api

import (
	"context"
	"net/http"
	"strings"
	"time"

	"burrow/inference"
)

// completionResponse is a legacy text completion, whole or one chunk.
type completionResponse struct {
	ID                string             `json:"id"`
	Object            string             `json:"object"`
	Created           int64              `json:"created"`
	Model             string             `json:"model"`
	SystemFingerprint string             `json:"system_fingerprint,omitempty"`
	Choices           []completionChoice `json:"choices"`
	Usage             *usage             `json:"usage,omitempty"`
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
	head := completionResponse{
		ID:                newID("cmpl-"),
		Object:            "text_completion",
		Created:           time.Now().Unix(),
		Model:             ModelID(info),
		SystemFingerprint: info.Fingerprint,
	}
	echo := ""
	if body.Echo {
		echo = prompt
	}
	if body.Stream {
		s.streamCompletion(w, head, first, ch, echo, top, body.includeUsage())
		return
	}
	var text strings.Builder
	text.WriteString(echo)
	var lp *completionLogprobs
	if top >= 0 {
		lp = newCompletionLogprobs()
	}
	for ev := range eventsFrom(first, ch) {
		switch ev.Kind {
		case inference.EventPiece:
			if lp != nil {
				lp.add(ev, top, text.Len())
			}
			text.WriteString(ev.Piece)
		case inference.EventError:
			writeError(w, errGeneration(orUnknown(ev.Err)))
			return
		case inference.EventDone:
			head.Choices = []completionChoice{{Text: text.String(), Logprobs: lp, FinishReason: strPtr(FinishReason(ev.StopReason))}}
			head.Usage = usageOf(ev.Stats)
			writeOK(w, head)
			return
		}
	}
	writeError(w, errGeneration(orUnknown(nil)))
}

func (s *Server) streamCompletion(w http.ResponseWriter, head completionResponse, first inference.Event, ch <-chan inference.Event, echo string, top int, withUsage bool) {
	out := startSSE(w)
	chunk := func(c completionChoice) completionResponse {
		h := head
		h.Choices = []completionChoice{c}
		return h
	}
	offset := len(echo)
	if echo != "" && out.send(chunk(completionChoice{Text: echo})) != nil {
		return
	}
	for ev := range eventsFrom(first, ch) {
		switch ev.Kind {
		case inference.EventPiece:
			if ev.Piece == "" && top < 0 {
				continue // text held back by a stop string; nothing to show yet
			}
			c := completionChoice{Text: ev.Piece}
			if top >= 0 {
				c.Logprobs = newCompletionLogprobs()
				c.Logprobs.add(ev, top, offset)
			}
			offset += len(ev.Piece)
			if out.send(chunk(c)) != nil {
				return
			}
		case inference.EventError:
			_ = out.sendError(errGeneration(orUnknown(ev.Err)))
			return
		case inference.EventDone:
			if out.send(chunk(completionChoice{FinishReason: strPtr(FinishReason(ev.StopReason))})) != nil {
				return
			}
			if withUsage {
				h := head
				h.Choices = []completionChoice{}
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
