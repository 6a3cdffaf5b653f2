package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"burrow/inference"
	"burrow/inference/chat"
	"burrow/inference/grammar"
	"burrow/inference/toolcall"
)

// Ollama's API (/api/...) on the same server and worker as the OpenAI one,
// so tools written for Ollama (Open WebUI, Continue, the ollama npm and
// Python clients) work when pointed at Burrow's address. Replies stream as
// NDJSON, one object a line, as Ollama sends them; errors are Ollama's
// {"error": "..."}.

// ollamaVersion is the Ollama API version Burrow speaks (clients check it
// for features; this is the shape of Ollama 0.12).
const ollamaVersion = "0.12.0"

// ModelFile describes a model on disk for Ollama's /api/tags.
type ModelFile struct {
	ID           string
	Path         string
	Size         int64
	Modified     time.Time
	Architecture string
	SizeLabel    string // "1B"
	Quant        string // "Q4_K_M"
}

type ollamaDetails struct {
	ParentModel       string   `json:"parent_model"`
	Format            string   `json:"format"`
	Family            string   `json:"family"`
	Families          []string `json:"families"`
	ParameterSize     string   `json:"parameter_size"`
	QuantizationLevel string   `json:"quantization_level"`
}

type ollamaModel struct {
	Name       string        `json:"name"`
	Model      string        `json:"model"`
	ModifiedAt time.Time     `json:"modified_at"`
	Size       int64         `json:"size"`
	Digest     string        `json:"digest"`
	Details    ollamaDetails `json:"details"`
	// /api/ps only
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	SizeVRAM  *int64     `json:"size_vram,omitempty"`
}

// ollamaOptions are the "options" Burrow's sampler has; others are ignored,
// as Ollama ignores options a model does not use.
type ollamaOptions struct {
	samplerKnobs
	NumPredict *int `json:"num_predict"`
}

type ollamaMessage struct {
	Role     string          `json:"role"`
	Content  string          `json:"content"`
	Images   json.RawMessage `json:"images,omitempty"`
	Thinking string          `json:"thinking,omitempty"`
	// An assistant turn's calls; a tool turn names the function it
	// answers (tool_name; some clients send OpenAI's tool_call_id).
	ToolCalls  []ollamaToolCall `json:"tool_calls,omitempty"`
	ToolName   string           `json:"tool_name,omitempty"`
	ToolCallID string           `json:"tool_call_id,omitempty"`
}

// ollamaToolCall is a call in Ollama's shape: arguments are a JSON object,
// not OpenAI's string holding one.
type ollamaToolCall struct {
	ID       string `json:"id,omitempty"`
	Function struct {
		Index     int             `json:"index"`
		Name      string          `json:"name"`
		Arguments json.RawMessage `json:"arguments"`
	} `json:"function"`
}

func ollamaCalls(calls []toolcall.Call) []ollamaToolCall {
	out := make([]ollamaToolCall, len(calls))
	for i, c := range calls {
		out[i].Function.Index, out[i].Function.Name = i, c.Name
		out[i].Function.Arguments = json.RawMessage(c.Arguments) // the parsers hand back a JSON object's text
		if !json.Valid(out[i].Function.Arguments) {
			out[i].Function.Arguments = json.RawMessage("{}")
		}
	}
	return out
}

// ollamaChatMessages turns Ollama's messages into the template's. Ollama's
// calls carry no ids and its tool turns only a name, so the calls get ids
// and each tool turn answers the next unanswered call before it.
func ollamaChatMessages(in []ollamaMessage) ([]chat.Message, *apiError) {
	msgs := make([]chat.Message, 0, len(in))
	var open []chat.ToolCall // the latest assistant turn's calls not yet answered
	for i, m := range in {
		if e := ollamaUnsupported(m.Images); e != nil {
			return nil, e
		}
		cm := chatMessageIn{Role: m.Role, ToolCallID: m.ToolCallID, Name: m.ToolName}
		if m.Role == "tool" && cm.ToolCallID == "" && len(open) > 0 {
			k := -1 // the first open call, or the first of the function named
			for j, c := range open {
				if c.Name == cm.Name || cm.Name == "" {
					k = j
					break
				}
			}
			if k >= 0 {
				cm.ToolCallID, cm.Name = open[k].ID, open[k].Name
			}
		}
		if m.Role == "tool" && cm.ToolCallID == "" && cm.Name == "" {
			cm.Name = "tool" // a result with no call before it: still the tool's turn
		}
		msg, e := cm.toChat(i)
		if e != nil {
			return nil, e
		}
		msg.Content = m.Content
		for j, c := range m.ToolCalls {
			param := "messages[" + strconv.Itoa(i) + "].tool_calls[" + strconv.Itoa(j) + "]"
			if c.Function.Name == "" {
				return nil, badRequest(param, "a tool call needs a function name")
			}
			args := bytes.TrimSpace(c.Function.Arguments)
			var s string
			switch {
			case len(args) == 0 || bytes.Equal(args, []byte("null")):
				args = []byte("{}")
			case json.Unmarshal(args, &s) == nil: // OpenAI's string form
				args = []byte(s)
			}
			id := c.ID
			if id == "" {
				id = "call_" + strconv.Itoa(i) + "_" + strconv.Itoa(j)
			}
			msg.ToolCalls = append(msg.ToolCalls, chat.ToolCall{ID: id, Name: c.Function.Name, Arguments: string(args)})
		}
		switch {
		case len(msg.ToolCalls) > 0:
			open = append([]chat.ToolCall(nil), msg.ToolCalls...)
		case msg.Role == "tool":
			for k, c := range open {
				if c.ID == msg.ToolCallID {
					open = append(open[:k:k], open[k+1:]...)
					break
				}
			}
		default:
			open = nil
		}
		msgs = append(msgs, msg)
	}
	return msgs, nil
}

// ollamaRun holds the fields /api/chat and /api/generate share.
type ollamaRun struct {
	Model   string          `json:"model"`
	Stream  *bool           `json:"stream"`
	Format  json.RawMessage `json:"format"`
	Options *ollamaOptions  `json:"options"`
	Think   json.RawMessage `json:"think"`
	// KeepAlive is accepted and ignored: the model stays loaded until the
	// user unloads it.
	KeepAlive json.RawMessage `json:"keep_alive"`
}

// streams reports whether to stream: Ollama streams unless told not to.
func (o *ollamaRun) streams() bool { return o.Stream == nil || *o.Stream }

type ollamaChatRequest struct {
	ollamaRun
	Messages []ollamaMessage `json:"messages"`
	Tools    json.RawMessage `json:"tools"`
}

type ollamaGenerateRequest struct {
	ollamaRun
	Prompt   string          `json:"prompt"`
	Suffix   string          `json:"suffix"`
	System   string          `json:"system"`
	Template string          `json:"template"`
	Raw      bool            `json:"raw"`
	Images   json.RawMessage `json:"images"`
	Context  json.RawMessage `json:"context"`
}

// ollamaReply is one line of a chat or generate reply (the last has Done).
type ollamaReply struct {
	Model      string         `json:"model"`
	CreatedAt  time.Time      `json:"created_at"`
	Message    *ollamaMessage `json:"message,omitempty"`
	Response   *string        `json:"response,omitempty"`
	Done       bool           `json:"done"`
	DoneReason string         `json:"done_reason,omitempty"`

	TotalDuration      int64 `json:"total_duration,omitempty"`
	LoadDuration       int64 `json:"load_duration,omitempty"`
	PromptEvalCount    int   `json:"prompt_eval_count,omitempty"`
	PromptEvalDuration int64 `json:"prompt_eval_duration,omitempty"`
	EvalCount          int   `json:"eval_count,omitempty"`
	EvalDuration       int64 `json:"eval_duration,omitempty"`
}

// writeOllamaError sends e as Ollama does: {"error": "message"}.
func writeOllamaError(w http.ResponseWriter, e *apiError) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.Status)
	_ = json.NewEncoder(w).Encode(struct {
		Error string `json:"error"`
	}{e.Message})
}

func (s *Server) handleOllamaVersion(w http.ResponseWriter, r *http.Request) {
	writeOK(w, map[string]string{"version": ollamaVersion})
}

// ollamaModels lists the loaded model first, then the library's files.
func (s *Server) ollamaModels() []ollamaModel {
	var out []ollamaModel
	var files []ModelFile
	if s.opts.Files != nil {
		files = s.opts.Files()
	}
	info := s.opts.Model()
	if info != nil {
		out = append(out, ollamaModelOf(info, files))
	}
	for _, f := range files {
		if f.ID == "" || (info != nil && (modelMatches(info, f.ID) || f.Path == info.Path)) {
			continue
		}
		out = append(out, ollamaModelFromFile(f))
	}
	return out
}

func ollamaModelFromFile(f ModelFile) ollamaModel {
	sum := sha256.Sum256([]byte(f.Path)) // a stable id; hashing the file itself would read gigabytes
	family := f.Architecture
	return ollamaModel{
		Name: f.ID, Model: f.ID, ModifiedAt: f.Modified, Size: f.Size, Digest: hex.EncodeToString(sum[:]),
		Details: ollamaDetails{Format: "gguf", Family: family, Families: []string{family},
			ParameterSize: f.SizeLabel, QuantizationLevel: f.Quant},
	}
}

// ollamaModelOf describes the loaded model, from the library's entry for
// its file when there is one.
func ollamaModelOf(info *inference.ModelInfo, files []ModelFile) ollamaModel {
	f := ModelFile{ID: ModelID(info), Path: info.Path, Architecture: info.Architecture}
	for _, lf := range files {
		if lf.Path == info.Path {
			f = lf
			f.ID = ModelID(info)
			break
		}
	}
	if f.Size == 0 {
		if st, err := os.Stat(info.Path); err == nil {
			f.Size, f.Modified = st.Size(), st.ModTime()
		}
	}
	m := ollamaModelFromFile(f)
	if info.Fingerprint != "" {
		m.Digest = info.Fingerprint
	}
	return m
}

func (s *Server) handleOllamaTags(w http.ResponseWriter, r *http.Request) {
	list := s.ollamaModels()
	if list == nil {
		list = []ollamaModel{}
	}
	writeOK(w, map[string][]ollamaModel{"models": list})
}

func (s *Server) handleOllamaPs(w http.ResponseWriter, r *http.Request) {
	list := []ollamaModel{}
	if info := s.opts.Model(); info != nil {
		var files []ModelFile
		if s.opts.Files != nil {
			files = s.opts.Files()
		}
		m := ollamaModelOf(info, files)
		never := time.Now().Add(100 * 365 * 24 * time.Hour) // loaded until the user unloads it
		zero := int64(0)                                    // no GPU
		m.ExpiresAt, m.SizeVRAM = &never, &zero
		list = append(list, m)
	}
	writeOK(w, map[string][]ollamaModel{"models": list})
}

func (s *Server) handleOllamaShow(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Model string `json:"model"`
		Name  string `json:"name"` // the older field
	}
	if e := decodeBody(r, &body); e != nil {
		writeOllamaError(w, e)
		return
	}
	id := body.Model
	if id == "" {
		id = body.Name
	}
	var m *ollamaModel
	for _, c := range s.ollamaModels() {
		if c.Name == id || strings.TrimSuffix(c.Name, ".gguf") == id {
			m = &c
			break
		}
	}
	info := s.opts.Model()
	if m == nil && info != nil && modelMatches(info, id) {
		lm := ollamaModelOf(info, nil)
		m = &lm
	}
	if m == nil {
		writeOllamaError(w, newAPIError(http.StatusNotFound, "", "", "model", "model %q not found", id))
		return
	}
	modelInfo := map[string]any{"general.architecture": m.Details.Family}
	if info != nil && modelMatches(info, m.Name) && info.ContextLength > 0 {
		modelInfo[m.Details.Family+".context_length"] = info.ContextLength
	}
	writeOK(w, map[string]any{
		"modelfile":    "",
		"parameters":   "",
		"template":     "",
		"details":      m.Details,
		"model_info":   modelInfo,
		"capabilities": capabilities(info, m.Name),
		"modified_at":  m.ModifiedAt,
	})
}

// capabilities are what /api/show says a model does: Ollama's clients
// look for "embedding" before they embed.
func capabilities(info *inference.ModelInfo, name string) []string {
	if info != nil && modelMatches(info, name) && info.Pooling != "" {
		return []string{"embedding"}
	}
	return []string{"completion"}
}

// sampling maps Ollama's options onto the OpenAI request's fields, so both
// APIs check and default them the same way.
func (o *ollamaOptions) sampling(model string, stream bool) (samplingFields, int) {
	f := samplingFields{Model: model, Stream: stream}
	if o == nil {
		return f, 0
	}
	f.samplerKnobs = o.samplerKnobs
	limit := 0
	if n := o.NumPredict; n != nil && *n > 0 { // -1 and -2 mean "until the end" and "fill the context"
		limit = *n
	}
	return f, limit
}

// unsupported refuses the request fields Burrow cannot honour yet, rather
// than ignoring what the client asked for.
func ollamaUnsupported(images json.RawMessage) *apiError {
	if present(images) && !bytes.Equal(bytes.TrimSpace(images), []byte("[]")) {
		return badRequest("images", "images are not supported: the loaded models read text only")
	}
	return nil
}

// request is what chat and generate share: the sampler from the options,
// the token limit, the stop strings and the format's grammar.
func (o *ollamaRun) request() (inference.GenerateRequest, *apiError) {
	f, limit := o.Options.sampling(o.Model, o.streams())
	p, e := f.params()
	if e != nil {
		return inference.GenerateRequest{}, e
	}
	g, e := ollamaFormat(o.Format)
	if e != nil {
		return inference.GenerateRequest{}, e
	}
	return inference.GenerateRequest{Params: p, MaxTokens: limit, Stop: f.Stop, ContextPolicy: inference.ContextStop, Grammar: g}, nil
}

// ollamaFormat is Ollama's "format": "json" (any JSON value) or a JSON
// Schema, as a grammar the reply must follow (nil: free text).
func ollamaFormat(raw json.RawMessage) (*grammar.Grammar, *apiError) {
	if !present(raw) {
		return nil, nil
	}
	var f samplingFields
	var s string
	switch {
	case json.Unmarshal(raw, &s) == nil && s == "json":
		f.ResponseFormat = &responseFormat{Type: "json_object"}
	case json.Unmarshal(raw, &s) == nil:
		return nil, badRequest("format", "format must be \"json\" or a JSON schema object")
	default:
		f.ResponseFormat = &responseFormat{Type: "json_object", Schema: raw}
	}
	g, e := f.grammar()
	if e != nil {
		e.Message = strings.Replace(e.Message, "response_format", "format", 1)
	}
	return g, e
}

func present(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) > 0 && !bytes.Equal(raw, []byte("null")) && !bytes.Equal(raw, []byte(`""`))
}

func (s *Server) handleOllamaChat(w http.ResponseWriter, r *http.Request) {
	var body ollamaChatRequest
	if e := decodeBody(r, &body); e != nil {
		writeOllamaError(w, e)
		return
	}
	stream := body.streams()
	req, e := body.request()
	if e != nil {
		writeOllamaError(w, e)
		return
	}
	if len(body.Messages) == 0 {
		// Ollama loads the model on an empty chat and answers done.
		if _, e := s.resolveModel(body.Model); e != nil {
			writeOllamaError(w, e)
			return
		}
		writeOK(w, ollamaReply{Model: body.Model, CreatedAt: time.Now().UTC(), Message: &ollamaMessage{Role: "assistant"}, Done: true, DoneReason: "load"})
		return
	}
	if req.Messages, e = ollamaChatMessages(body.Messages); e != nil {
		writeOllamaError(w, e)
		return
	}
	// Ollama has no tool_choice: the model decides (auto).
	plan, e := planTools(body.Tools, nil, s.opts.Model(), &req)
	if e != nil {
		writeOllamaError(w, e)
		return
	}
	s.ollamaReply(w, r, body.Model, req, stream, plan, func(text string) ollamaReply {
		return ollamaReply{Message: &ollamaMessage{Role: "assistant", Content: text}}
	})
}

func (s *Server) handleOllamaGenerate(w http.ResponseWriter, r *http.Request) {
	var body ollamaGenerateRequest
	if e := decodeBody(r, &body); e != nil {
		writeOllamaError(w, e)
		return
	}
	stream := body.streams()
	if e := ollamaUnsupported(body.Images); e != nil {
		writeOllamaError(w, e)
		return
	}
	switch {
	case body.Suffix != "":
		writeOllamaError(w, badRequest("suffix", "suffix (fill-in-the-middle) is not supported"))
		return
	case body.Template != "":
		writeOllamaError(w, badRequest("template", "a request template is not supported; the model's own chat template is used"))
		return
	case present(body.Context) && !bytes.Equal(bytes.TrimSpace(body.Context), []byte("[]")):
		writeOllamaError(w, badRequest("context", "context (token ids from an earlier reply) is not supported; send the conversation to /api/chat"))
		return
	}
	req, e := body.request()
	if e != nil {
		writeOllamaError(w, e)
		return
	}
	if body.Prompt == "" {
		if _, e := s.resolveModel(body.Model); e != nil {
			writeOllamaError(w, e)
			return
		}
		empty := ""
		writeOK(w, ollamaReply{Model: body.Model, CreatedAt: time.Now().UTC(), Response: &empty, Done: true, DoneReason: "load"})
		return
	}

	if body.Raw {
		req.Prompt = body.Prompt // as given, no template
	} else {
		if body.System != "" {
			req.Messages = append(req.Messages, chat.Message{Role: "system", Content: body.System})
		}
		req.Messages = append(req.Messages, chat.Message{Role: "user", Content: body.Prompt})
	}
	s.ollamaReply(w, r, body.Model, req, stream, nil, func(text string) ollamaReply {
		return ollamaReply{Response: &text}
	})
}

// ollamaReply runs req and writes its reply, streamed as NDJSON lines or
// whole; part makes the line for a piece of text. With tools (plan), the
// calls are read out of the reply into message.tool_calls.
func (s *Server) ollamaReply(w http.ResponseWriter, r *http.Request, model string, req inference.GenerateRequest, stream bool, plan *toolPlan, part func(string) ollamaReply) {
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	info, first, ch, e := s.startGeneration(ctx, model, req)
	if e != nil {
		writeOllamaError(w, e)
		return
	}
	name := ModelID(info)
	line := func(text string) ollamaReply {
		o := part(text)
		o.Model, o.CreatedAt = name, time.Now().UTC()
		return o
	}
	last := func(ev inference.Event, text string) ollamaReply {
		o := line(text)
		o.Done, o.DoneReason = true, FinishReason(ev.StopReason) // "stop" or "length", as Ollama says
		if st := ev.Stats; st != nil {
			o.PromptEvalCount, o.PromptEvalDuration = st.EvaluatedTokens, st.PromptTime.Nanoseconds()
			o.EvalCount, o.EvalDuration = st.GenTokens, st.GenTime.Nanoseconds()
			o.TotalDuration = (st.PromptTime + st.GenTime).Nanoseconds()
		}
		return o
	}
	if !stream {
		rep, done, e := wholeReply(first, ch, nil)
		if e != nil {
			writeOllamaError(w, e)
			return
		}
		text, calls := plan.parseReply(rep.Text())
		o := last(done, text)
		if len(calls) > 0 {
			o.Message.ToolCalls = ollamaCalls(calls)
		}
		writeOK(w, o)
		return
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	send := func(v any) bool {
		if enc.Encode(v) != nil {
			return false // the client is gone; returning cancels the generation
		}
		if flusher != nil {
			flusher.Flush()
		}
		return true
	}
	var calls *toolcall.Stream
	if plan != nil {
		calls = toolcall.NewStream(plan.format)
	}
	for ev := range eventsFrom(first, ch) {
		switch ev.Kind {
		case inference.EventPiece:
			piece := ev.Piece
			if calls != nil && !ev.Reasoning {
				piece = calls.Feed(piece) // held while it may be a call
			}
			if piece != "" && !send(line(piece)) {
				return
			}
		case inference.EventError:
			// Headers are out: Ollama reports a late error as a line.
			send(map[string]string{"error": errGeneration(orUnknown(ev.Err)).Message})
			return
		case inference.EventDone:
			if calls != nil {
				// As Ollama does: the calls in a line of their own, then done.
				rest, made, err := calls.Finish()
				if rest != "" && !send(line(rest)) {
					return
				}
				if err == nil && len(made) > 0 {
					o := line("")
					o.Message.ToolCalls = ollamaCalls(made)
					if !send(o) {
						return
					}
				}
			}
			send(last(ev, ""))
			return
		}
	}
	send(map[string]string{"error": "the engine ended without a reply"})
}

// handleOllamaModelStore answers the routes that change Ollama's own model
// store (pull, push, create, copy, delete): Burrow's library is managed in
// its Downloads view and `burrow pull`, so these say where to go.
func (s *Server) handleOllamaModelStore(w http.ResponseWriter, r *http.Request) {
	writeOllamaError(w, newAPIError(http.StatusNotImplemented, "", "", "",
		"%s is not available: Burrow's models are managed in its window (Downloads) or with `burrow pull` and `burrow rm`", r.URL.Path))
}
