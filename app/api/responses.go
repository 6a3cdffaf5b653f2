package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"burrow/inference"
	"burrow/inference/chat"
)

// OpenAI's Responses API (POST /v1/responses), stateless: the input items
// and instructions go in, the output items come back whole or as its typed
// stream events. Burrow keeps no responses, so previous_response_id and
// store: true are refused rather than half-honoured.

type responsesRequest struct {
	samplingFields
	Input              json.RawMessage `json:"input"`
	Instructions       *string         `json:"instructions"`
	MaxOutputTokens    *int            `json:"max_output_tokens"`
	PreviousResponseID *string         `json:"previous_response_id"`
	Store              *bool           `json:"store"`
	Tools              json.RawMessage `json:"tools"`
	ToolChoice         json.RawMessage `json:"tool_choice"`
	Text               *struct {
		Format *struct {
			Type   string          `json:"type"`
			Name   string          `json:"name"`
			Schema json.RawMessage `json:"schema"`
			Strict *bool           `json:"strict"`
		} `json:"format"`
	} `json:"text"`
	Metadata json.RawMessage `json:"metadata"`
}

// responseItem is one input item: a message (the only kind without tools).
type responseItem struct {
	Type    string          `json:"type"`
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

func (r *responsesRequest) toGenerate() (inference.GenerateRequest, *apiError) {
	var req inference.GenerateRequest
	p, e := r.params()
	if e != nil {
		return req, e
	}
	switch {
	case r.PreviousResponseID != nil && *r.PreviousResponseID != "":
		return req, badRequest("previous_response_id", "Burrow keeps no responses: send the whole conversation in input")
	case r.Store != nil && *r.Store:
		return req, badRequest("store", "Burrow keeps no responses: store must be false")
	case present(r.Tools) && !bytes.Equal(bytes.TrimSpace(r.Tools), []byte("[]")):
		return req, badRequest("tools", "tools (function calling) are not supported yet")
	}
	// text.format is response_format in the Responses shape: the same grammar.
	if tf := r.Text; tf != nil && tf.Format != nil {
		switch tf.Format.Type {
		case "", "text":
		case "json_object":
			r.ResponseFormat = &responseFormat{Type: "json_object"}
		case "json_schema":
			rf := &responseFormat{Type: "json_schema"}
			rf.JSONSchema = &struct {
				Name   string          `json:"name"`
				Schema json.RawMessage `json:"schema"`
				Strict *bool           `json:"strict"`
			}{tf.Format.Name, tf.Format.Schema, tf.Format.Strict}
			r.ResponseFormat = rf
		default:
			return req, badRequest("text.format", "text.format %q is not supported (text, json_object, json_schema)", tf.Format.Type)
		}
	}
	g, e := r.grammar()
	if e != nil {
		if e.Param != nil && strings.HasPrefix(*e.Param, "response_format") {
			param := "text.format"
			e.Param = &param
		}
		return req, e
	}
	var msgs []chat.Message
	if r.Instructions != nil && *r.Instructions != "" {
		msgs = append(msgs, chat.Message{Role: "system", Content: *r.Instructions})
	}
	raw := bytes.TrimSpace(r.Input)
	var one string
	switch {
	case len(raw) == 0 || bytes.Equal(raw, []byte("null")):
		return req, badRequest("input", "input is required")
	case json.Unmarshal(raw, &one) == nil:
		msgs = append(msgs, chat.Message{Role: "user", Content: one})
	default:
		var items []responseItem
		if err := json.Unmarshal(raw, &items); err != nil {
			return req, badRequest("input", "input must be a string or an array of input items")
		}
		for i, it := range items {
			param := "input[" + strconv.Itoa(i) + "]"
			if it.Type != "" && it.Type != "message" {
				return req, badRequest(param+".type", "input item type %q is not supported; only messages", it.Type)
			}
			msg, e := chatMessageIn{Role: it.Role}.toChat(i)
			if e != nil {
				return req, badRequest(param+".role", "%s", e.Message)
			}
			if msg.Content, e = responseContent(it.Content, param+".content"); e != nil {
				return req, e
			}
			msgs = append(msgs, msg)
		}
	}
	if len(msgs) == 0 || msgs[len(msgs)-1].Role == "system" {
		return req, badRequest("input", "input must hold at least one message")
	}
	limit, e := maxTokens("max_output_tokens", r.MaxOutputTokens)
	if e != nil {
		return req, e
	}
	return inference.GenerateRequest{Messages: msgs, Params: p, MaxTokens: limit, Stop: r.Stop, ContextPolicy: inference.ContextStop, Grammar: g}, nil
}

// responseContent flattens an item's content: a string, or parts of type
// input_text / output_text (the assistant's earlier turns).
func responseContent(raw json.RawMessage, param string) (string, *apiError) {
	raw = bytes.TrimSpace(raw)
	var s string
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return "", nil
	}
	if json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	var parts []struct {
		Type string  `json:"type"`
		Text *string `json:"text"`
	}
	if err := json.Unmarshal(raw, &parts); err != nil {
		return "", badRequest(param, "content must be a string or an array of content parts")
	}
	var b bytes.Buffer
	for j, p := range parts {
		if (p.Type != "input_text" && p.Type != "output_text" && p.Type != "text") || p.Text == nil {
			return "", badRequest(param, "content part %d has type %q; only input_text and output_text are supported", j, p.Type)
		}
		b.WriteString(*p.Text)
	}
	return b.String(), nil
}

// response is the Responses API's response object.
type response struct {
	ID                string           `json:"id"`
	Object            string           `json:"object"`
	CreatedAt         int64            `json:"created_at"`
	Status            string           `json:"status"`
	Error             *apiError        `json:"error"`
	IncompleteDetails *incomplete      `json:"incomplete_details"`
	Instructions      *string          `json:"instructions"`
	MaxOutputTokens   *int             `json:"max_output_tokens"`
	Model             string           `json:"model"`
	Output            []responseOutput `json:"output"`
	ParallelToolCalls bool             `json:"parallel_tool_calls"`
	Temperature       float32          `json:"temperature"`
	TopP              float32          `json:"top_p"`
	ToolChoice        string           `json:"tool_choice"`
	Tools             []any            `json:"tools"`
	Text              map[string]any   `json:"text"`
	Store             bool             `json:"store"`
	Usage             *responseUsage   `json:"usage"`
	Metadata          json.RawMessage  `json:"metadata"`
}

type incomplete struct {
	Reason string `json:"reason"`
}

type responseOutput struct {
	Type    string         `json:"type"`
	ID      string         `json:"id"`
	Status  string         `json:"status"`
	Role    string         `json:"role"`
	Content []responsePart `json:"content"`
}

type responsePart struct {
	Type        string `json:"type"`
	Text        string `json:"text"`
	Annotations []any  `json:"annotations"`
}

type responseUsage struct {
	InputTokens         int `json:"input_tokens"`
	InputTokensDetails  any `json:"input_tokens_details"`
	OutputTokens        int `json:"output_tokens"`
	OutputTokensDetails any `json:"output_tokens_details"`
	TotalTokens         int `json:"total_tokens"`
}

func responseUsageOf(st *inference.Stats) *responseUsage {
	if st == nil {
		return nil
	}
	return &responseUsage{
		InputTokens:         st.PromptTokens,
		InputTokensDetails:  map[string]int{"cached_tokens": st.PromptTokens - st.EvaluatedTokens},
		OutputTokens:        st.GenTokens,
		OutputTokensDetails: map[string]int{"reasoning_tokens": 0},
		TotalTokens:         st.PromptTokens + st.GenTokens,
	}
}

func (s *Server) handleResponses(w http.ResponseWriter, r *http.Request) {
	var body responsesRequest
	if e := decodeBody(r, &body); e != nil {
		writeError(w, e)
		return
	}
	req, e := body.toGenerate()
	if e != nil {
		writeError(w, e)
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	info, first, ch, ok := s.startReply(ctx, w, body.Model, req)
	if !ok {
		return
	}
	meta := body.Metadata
	if !present(meta) {
		meta = json.RawMessage("{}")
	}
	head := response{
		ID: newID("resp_"), Object: "response", CreatedAt: time.Now().Unix(), Status: "in_progress",
		Instructions: body.Instructions, MaxOutputTokens: body.MaxOutputTokens, Model: ModelID(info),
		Output: []responseOutput{}, Temperature: req.Params.Temperature, TopP: req.Params.TopP,
		ToolChoice: "auto", Tools: []any{}, Text: map[string]any{"format": map[string]string{"type": "text"}},
		Metadata: meta,
	}
	msgID := newID("msg_")
	finish := func(rep *inference.Reply) response {
		out := head
		out.Status = "completed"
		if FinishReason(rep.StopReason) == "length" {
			out.Status, out.IncompleteDetails = "incomplete", &incomplete{Reason: "max_output_tokens"}
		}
		out.Output = []responseOutput{{Type: "message", ID: msgID, Status: out.Status, Role: "assistant",
			Content: []responsePart{{Type: "output_text", Text: rep.Text(), Annotations: []any{}}}}}
		out.Usage = responseUsageOf(rep.Stats)
		return out
	}
	if !body.Stream {
		var rep inference.Reply
		for ev := range eventsFrom(first, ch) {
			rep.Add(ev)
			switch ev.Kind {
			case inference.EventError:
				writeError(w, errGeneration(orUnknown(ev.Err)))
				return
			case inference.EventDone:
				writeOK(w, finish(&rep))
				return
			}
		}
		writeError(w, errGeneration(orUnknown(nil)))
		return
	}
	out := startSSE(w)
	seq := 0
	emit := func(typ string, fields map[string]any) bool {
		fields["type"], fields["sequence_number"] = typ, seq
		seq++
		b, err := json.Marshal(fields)
		if err != nil {
			return false
		}
		_, err = fmt.Fprintf(out.w, "event: %s\n", typ)
		return err == nil && out.raw(b) == nil
	}
	item := responseOutput{Type: "message", ID: msgID, Status: "in_progress", Role: "assistant", Content: []responsePart{}}
	part := responsePart{Type: "output_text", Annotations: []any{}}
	loc := func(m map[string]any) map[string]any {
		m["item_id"], m["output_index"], m["content_index"] = msgID, 0, 0
		return m
	}
	if !emit("response.created", map[string]any{"response": head}) ||
		!emit("response.in_progress", map[string]any{"response": head}) ||
		!emit("response.output_item.added", map[string]any{"output_index": 0, "item": item}) ||
		!emit("response.content_part.added", loc(map[string]any{"part": part})) {
		return
	}
	var rep inference.Reply
	for ev := range eventsFrom(first, ch) {
		rep.Add(ev)
		switch ev.Kind {
		case inference.EventPiece:
			if ev.Piece != "" && !emit("response.output_text.delta", loc(map[string]any{"delta": ev.Piece, "logprobs": []any{}})) {
				return
			}
		case inference.EventError:
			e := errGeneration(orUnknown(ev.Err))
			emit("error", map[string]any{"code": e.Code, "message": e.Message, "param": e.Param})
			return
		case inference.EventDone:
			final := finish(&rep)
			part.Text = rep.Text()
			done := final.Output[0]
			_ = emit("response.output_text.done", loc(map[string]any{"text": part.Text, "logprobs": []any{}})) &&
				emit("response.content_part.done", loc(map[string]any{"part": part})) &&
				emit("response.output_item.done", map[string]any{"output_index": 0, "item": done}) &&
				emit("response."+map[bool]string{true: "completed", false: "incomplete"}[final.Status == "completed"], map[string]any{"response": final})
			return
		}
	}
	emit("error", map[string]any{"code": "generation_failed", "message": "the engine ended without a reply", "param": nil})
}
