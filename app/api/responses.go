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
	"burrow/inference/toolcall"
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
	ParallelToolCalls  *bool           `json:"parallel_tool_calls"`
	Text               *struct {
		Format *struct {
			Type   string          `json:"type"`
			Name   string          `json:"name,omitempty"`
			Schema json.RawMessage `json:"schema,omitempty"`
			Strict *bool           `json:"strict,omitempty"`
		} `json:"format"`
	} `json:"text"`
	Metadata json.RawMessage `json:"metadata"`
}

// responseItem is one input item: a message, a function call the model
// made earlier, or a call's output going back to the model.
type responseItem struct {
	Type      string          `json:"type"`
	Role      string          `json:"role"`
	Content   json.RawMessage `json:"content"`
	CallID    string          `json:"call_id"`
	Name      string          `json:"name"`
	Arguments string          `json:"arguments"`
	Output    json.RawMessage `json:"output"`
}

// responsesTool is a function tool in the Responses shape: flat, where
// chat completions nest it under "function".
type responsesTool struct {
	Type        string          `json:"type"`
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Parameters  json.RawMessage `json:"parameters,omitempty"`
	Strict      *bool           `json:"strict,omitempty"`
}

// chatTools rewrites tools and tool_choice into chat completions' shape,
// which planTools checks and the chat templates read.
func (r *responsesRequest) chatTools() (tools, choice json.RawMessage, e *apiError) {
	if listGiven(r.Tools) {
		var in []responsesTool
		if err := json.Unmarshal(r.Tools, &in); err != nil {
			return nil, nil, badRequest("tools", "tools must be an array of {\"type\": \"function\", \"name\": ...}")
		}
		type fn struct {
			Name        string          `json:"name"`
			Description string          `json:"description,omitempty"`
			Parameters  json.RawMessage `json:"parameters,omitempty"`
			Strict      *bool           `json:"strict,omitempty"`
		}
		out := make([]struct {
			Type     string `json:"type"`
			Function fn     `json:"function"`
		}, len(in))
		for i, t := range in {
			if t.Type != "function" {
				return nil, nil, badRequest("tools["+strconv.Itoa(i)+"].type", "tool type %q is not supported: Burrow runs no hosted tools, only your function tools", t.Type)
			}
			out[i].Type, out[i].Function = "function", fn{t.Name, t.Description, t.Parameters, t.Strict}
		}
		tools, _ = json.Marshal(out)
	}
	raw := bytes.TrimSpace(r.ToolChoice)
	if len(raw) == 0 || raw[0] != '{' {
		return tools, raw, nil // none, auto, required: the same words
	}
	var named struct {
		Type string `json:"type"`
		Name string `json:"name"`
	}
	if json.Unmarshal(raw, &named) != nil || named.Type != "function" || named.Name == "" {
		return nil, nil, badRequest("tool_choice", "tool_choice must be none, auto, required or {\"type\": \"function\", \"name\": ...}")
	}
	choice, _ = json.Marshal(map[string]any{"type": "function", "function": map[string]string{"name": named.Name}})
	return tools, choice, nil
}

// responsesParam renames a chat completions parameter in planTools's
// errors to its Responses spelling (tools[0].function.name: tools[0].name).
func responsesParam(e *apiError) *apiError {
	if e.Param != nil {
		p := strings.Replace(*e.Param, "].function.", "].", 1)
		e.Param = &p
	}
	return e
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
		names := map[string]string{} // call_id: the function, for the tool turn that answers it
		for i, it := range items {
			param := "input[" + strconv.Itoa(i) + "]"
			switch it.Type {
			case "", "message":
				if it.Role == "tool" {
					return req, badRequest(param+".role", "a tool's result goes in a function_call_output item")
				}
				msg, e := chatMessageIn{Role: it.Role}.toChat(i)
				if e != nil {
					return req, badRequest(param+".role", "%s", e.Message)
				}
				if msg.Content, e = responseContent(it.Content, param+".content"); e != nil {
					return req, e
				}
				msgs = append(msgs, msg)
			case "function_call":
				switch {
				case it.CallID == "":
					return req, badRequest(param+".call_id", "a function_call item needs its call_id")
				case it.Name == "":
					return req, badRequest(param+".name", "a function_call item needs the function's name")
				}
				args := it.Arguments
				if strings.TrimSpace(args) == "" {
					args = "{}"
				}
				call := chat.ToolCall{ID: it.CallID, Name: it.Name, Arguments: args}
				names[it.CallID] = it.Name
				// Calls after the assistant's text (or after each other)
				// are that one turn, as a chat template wants them.
				if n := len(msgs); n > 0 && msgs[n-1].Role == "assistant" {
					msgs[n-1].ToolCalls = append(msgs[n-1].ToolCalls, call)
				} else {
					msgs = append(msgs, chat.Message{Role: "assistant", ToolCalls: []chat.ToolCall{call}})
				}
			case "function_call_output":
				if it.CallID == "" {
					return req, badRequest(param+".call_id", "a function_call_output item needs the call_id it answers")
				}
				out, e := responseContent(it.Output, param+".output")
				if e != nil {
					return req, e
				}
				msgs = append(msgs, chat.Message{Role: "tool", Content: out, ToolCallID: it.CallID, Name: names[it.CallID]})
			default:
				return req, badRequest(param+".type", "input item type %q is not supported; only message, function_call and function_call_output", it.Type)
			}
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
	return contentText(raw, param, "input_text and output_text", "input_text", "output_text", "text")
}

// response is the Responses API's response object.
type response struct {
	ID                string            `json:"id"`
	Object            string            `json:"object"`
	CreatedAt         int64             `json:"created_at"`
	Status            string            `json:"status"`
	Error             *apiError         `json:"error"`
	IncompleteDetails *incomplete       `json:"incomplete_details"`
	Instructions      *string           `json:"instructions"`
	MaxOutputTokens   *int              `json:"max_output_tokens"`
	Model             string            `json:"model"`
	Output            []responseOutput  `json:"output"`
	ParallelToolCalls bool              `json:"parallel_tool_calls"`
	Temperature       float32           `json:"temperature"`
	TopP              float32           `json:"top_p"`
	ToolChoice        json.RawMessage   `json:"tool_choice"`
	Tools             []json.RawMessage `json:"tools"`
	Text              map[string]any    `json:"text"`
	Store             bool              `json:"store"`
	Usage             *responseUsage    `json:"usage"`
	Metadata          json.RawMessage   `json:"metadata"`
}

type incomplete struct {
	Reason string `json:"reason"`
}

// responseOutput is an output item: a message, or a function call
// (call_id, name, arguments). MarshalJSON writes only its kind's fields.
type responseOutput struct {
	Type    string         `json:"type"`
	ID      string         `json:"id"`
	Status  string         `json:"status"`
	Role    string         `json:"role,omitempty"`
	Content []responsePart `json:"content,omitempty"`

	CallID    string `json:"call_id,omitempty"`
	Name      string `json:"name,omitempty"`
	Arguments string `json:"arguments,omitempty"`
}

func (o responseOutput) MarshalJSON() ([]byte, error) {
	if o.Type == "function_call" {
		return json.Marshal(struct {
			Type      string `json:"type"`
			ID        string `json:"id"`
			CallID    string `json:"call_id"`
			Name      string `json:"name"`
			Arguments string `json:"arguments"`
			Status    string `json:"status"`
		}{o.Type, o.ID, o.CallID, o.Name, o.Arguments, o.Status})
	}
	content := o.Content
	if content == nil {
		content = []responsePart{} // clients append the parts to it
	}
	return json.Marshal(struct {
		Type    string         `json:"type"`
		ID      string         `json:"id"`
		Status  string         `json:"status"`
		Role    string         `json:"role"`
		Content []responsePart `json:"content"`
	}{o.Type, o.ID, o.Status, o.Role, content})
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

// callItems are a reply's calls as function_call output items.
func callItems(calls []toolcall.Call) []responseOutput {
	out := make([]responseOutput, 0, len(calls))
	for _, c := range wireCalls(calls, false) {
		out = append(out, responseOutput{Type: "function_call", ID: newID("fc_"), Status: "completed",
			CallID: c.ID, Name: c.Function.Name, Arguments: c.Function.Arguments})
	}
	return out
}

func (s *Server) handleResponses(w http.ResponseWriter, r *http.Request) {
	var body responsesRequest
	req, ok := readRequest(w, r, &body)
	if !ok {
		return
	}
	tools, choice, e := body.chatTools()
	if e != nil {
		writeError(w, e)
		return
	}
	plan, e := planTools(tools, choice, s.opts.Model(), &req)
	if e != nil {
		writeError(w, responsesParam(e))
		return
	}
	parallel := body.ParallelToolCalls == nil || *body.ParallelToolCalls
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
		Output: []responseOutput{}, ParallelToolCalls: parallel, Temperature: req.Params.Temperature, TopP: req.Params.TopP,
		ToolChoice: json.RawMessage(`"auto"`), Tools: []json.RawMessage{}, Text: map[string]any{"format": map[string]string{"type": "text"}},
		Metadata: meta,
	}
	if present(body.ToolChoice) {
		head.ToolChoice = body.ToolChoice
	}
	if tf := body.Text; tf != nil && tf.Format != nil && tf.Format.Type != "" {
		head.Text = map[string]any{"format": tf.Format} // the format asked for, echoed as OpenAI does
	}
	if listGiven(body.Tools) {
		_ = json.Unmarshal(body.Tools, &head.Tools) // checked by chatTools
	}
	msgID := newID("msg_")
	// calls keeps what parallel_tool_calls allows.
	keep := func(calls []toolcall.Call) []toolcall.Call {
		if !parallel && len(calls) > 1 {
			return calls[:1]
		}
		return calls
	}
	message := func(text, status string) responseOutput {
		return responseOutput{Type: "message", ID: msgID, Status: status, Role: "assistant",
			Content: []responsePart{{Type: "output_text", Text: text, Annotations: []any{}}}}
	}
	finish := func(rep *inference.Reply, output []responseOutput) response {
		out := head
		out.Status = "completed"
		if FinishReason(rep.StopReason) == "length" {
			out.Status, out.IncompleteDetails = "incomplete", &incomplete{Reason: "max_output_tokens"}
		}
		for i := range output {
			if output[i].Type == "message" {
				output[i].Status = out.Status
			}
		}
		out.Output = output
		out.Usage = responseUsageOf(rep.Stats)
		return out
	}
	if !body.Stream {
		rep, _, e := wholeReply(first, ch, nil)
		if e != nil {
			writeError(w, e)
			return
		}
		text, calls := plan.parseReply(rep.Text())
		var output []responseOutput
		if text != "" || len(calls) == 0 {
			output = append(output, message(text, ""))
		}
		writeOK(w, finish(rep, append(output, callItems(keep(calls))...)))
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
	part := responsePart{Type: "output_text", Annotations: []any{}}
	loc := func(m map[string]any) map[string]any {
		m["item_id"], m["output_index"], m["content_index"] = msgID, 0, 0
		return m
	}
	if !emit("response.created", map[string]any{"response": head}) ||
		!emit("response.in_progress", map[string]any{"response": head}) {
		return
	}
	// The message item opens with its first text, so a reply that is
	// only calls has none; it is always the first item.
	var text strings.Builder
	opened := false
	open := func() bool {
		if opened {
			return true
		}
		opened = true
		item := responseOutput{Type: "message", ID: msgID, Status: "in_progress", Role: "assistant"}
		return emit("response.output_item.added", map[string]any{"output_index": 0, "item": item}) &&
			emit("response.content_part.added", loc(map[string]any{"part": part}))
	}
	show := func(piece string) bool {
		if piece == "" {
			return true
		}
		if !open() {
			return false
		}
		text.WriteString(piece)
		return emit("response.output_text.delta", loc(map[string]any{"delta": piece, "logprobs": []any{}}))
	}
	var calls *toolcall.Stream
	var held strings.Builder // a forced call: the whole reply
	if plan != nil && !plan.forced {
		calls = toolcall.NewStream(plan.format)
	}
	var rep inference.Reply
	for ev := range eventsFrom(first, ch) {
		rep.Add(ev)
		switch ev.Kind {
		case inference.EventPiece:
			piece := ev.Piece
			switch {
			case ev.Reasoning:
				continue // not the answer's text, as rep.Text() leaves it out
			case plan != nil && plan.forced:
				held.WriteString(piece)
				continue
			case calls != nil:
				piece = calls.Feed(piece) // held while it may be a call
			}
			if !show(piece) {
				return
			}
		case inference.EventError:
			e := errGeneration(orUnknown(ev.Err))
			emit("error", map[string]any{"code": e.Code, "message": e.Message, "param": e.Param})
			return
		case inference.EventDone:
			var rest string
			var made []toolcall.Call
			switch {
			case plan != nil && plan.forced:
				rest, made = plan.parseReply(held.String())
			case calls != nil:
				var err error
				if rest, made, err = calls.Finish(); err != nil {
					made = nil
				}
			}
			made = keep(made)
			if !show(rest) || (len(made) == 0 && !open()) {
				return
			}
			final := finish(&rep, nil)
			var output []responseOutput
			if opened {
				part.Text = text.String()
				msg := message(part.Text, final.Status)
				if !emit("response.output_text.done", loc(map[string]any{"text": part.Text, "logprobs": []any{}})) ||
					!emit("response.content_part.done", loc(map[string]any{"part": part})) ||
					!emit("response.output_item.done", map[string]any{"output_index": 0, "item": msg}) {
					return
				}
				output = append(output, msg)
			}
			for _, item := range callItems(made) {
				idx := len(output)
				start := item
				start.Status, start.Arguments = "in_progress", ""
				if !emit("response.output_item.added", map[string]any{"output_index": idx, "item": start}) ||
					!emit("response.function_call_arguments.delta", map[string]any{"item_id": item.ID, "output_index": idx, "delta": item.Arguments}) ||
					!emit("response.function_call_arguments.done", map[string]any{"item_id": item.ID, "output_index": idx, "name": item.Name, "arguments": item.Arguments}) ||
					!emit("response.output_item.done", map[string]any{"output_index": idx, "item": item}) {
					return
				}
				output = append(output, item)
			}
			final.Output = output
			emit("response."+map[bool]string{true: "completed", false: "incomplete"}[final.Status == "completed"], map[string]any{"response": final})
			return
		}
	}
	emit("error", map[string]any{"code": "generation_failed", "message": "the engine ended without a reply", "param": nil})
}
