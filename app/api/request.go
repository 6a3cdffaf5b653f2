package api

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"math"
	"net/http"
	"reflect"
	"slices"
	"strconv"

	"burrow/inference"
	"burrow/inference/chat"
	"burrow/inference/sample"
)

// samplerKnobs are the sampler's settings under the names both the OpenAI
// body and Ollama's "options" give them.
type samplerKnobs struct {
	Temperature      *float64    `json:"temperature"`
	TopP             *float64    `json:"top_p"`
	TopK             *int        `json:"top_k"`
	MinP             *float64    `json:"min_p"`
	RepeatPenalty    *float64    `json:"repeat_penalty"`
	FrequencyPenalty *float64    `json:"frequency_penalty"`
	PresencePenalty  *float64    `json:"presence_penalty"`
	Seed             *int64      `json:"seed"`
	Stop             stopStrings `json:"stop"`
}

// samplingFields are the request fields chat and text completions share.
// top_k, min_p and repeat_penalty are llama.cpp's server extensions.
type samplingFields struct {
	Model string `json:"model"`
	samplerKnobs
	N             *int `json:"n"`
	Stream        bool `json:"stream"`
	StreamOptions *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	// Structured output (format.go): OpenAI's response_format, or a GBNF
	// grammar as llama.cpp's server takes it.
	ResponseFormat *responseFormat `json:"response_format"`
	Grammar        *string         `json:"grammar"`
}

// stopStrings accepts OpenAI's "stop": a string, an array of strings or null.
type stopStrings []string

func (s *stopStrings) UnmarshalJSON(b []byte) error {
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		*s = nil
		return nil
	}
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*s = stopStrings{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return &json.UnmarshalTypeError{Value: "non-string", Type: stopType, Field: "stop"}
	}
	*s = many
	return nil
}

var stopType = reflect.TypeFor[stopStrings]()

const maxStopStrings = 16

// params turns the sampling fields into the sampler's settings on top of
// llama.cpp's defaults, checking ranges as OpenAI documents them.
func (f *samplingFields) params() (sample.Params, *apiError) {
	p := sample.DefaultParams()
	if f.N != nil && *f.N != 1 {
		return p, badRequest("n", "only n=1 is supported")
	}
	if v := f.Temperature; v != nil {
		if *v < 0 || *v > 2 || math.IsNaN(*v) {
			return p, badRequest("temperature", "temperature must be between 0 and 2")
		}
		p.Temperature = float32(*v)
	}
	if v := f.TopP; v != nil {
		if *v < 0 || *v > 1 {
			return p, badRequest("top_p", "top_p must be between 0 and 1")
		}
		p.TopP = float32(*v)
	}
	if v := f.TopK; v != nil {
		if *v < 0 {
			return p, badRequest("top_k", "top_k must be 0 (off) or more")
		}
		p.TopK = *v
	}
	if v := f.MinP; v != nil {
		if *v < 0 || *v > 1 {
			return p, badRequest("min_p", "min_p must be between 0 and 1")
		}
		p.MinP = float32(*v)
	}
	if v := f.RepeatPenalty; v != nil {
		if *v <= 0 {
			return p, badRequest("repeat_penalty", "repeat_penalty must be greater than 0")
		}
		p.RepeatPenalty = float32(*v)
	}
	for _, pen := range []struct {
		name string
		v    *float64
		dst  *float32
	}{{"frequency_penalty", f.FrequencyPenalty, &p.FrequencyPenalty}, {"presence_penalty", f.PresencePenalty, &p.PresencePenalty}} {
		if pen.v == nil {
			continue
		}
		if *pen.v < -2 || *pen.v > 2 {
			return p, badRequest(pen.name, "%s must be between -2 and 2", pen.name)
		}
		*pen.dst = float32(*pen.v)
	}
	if f.Seed != nil {
		p.Seed = uint64(*f.Seed)
	} else {
		p.Seed = randomSeed()
	}
	if len(f.Stop) > maxStopStrings {
		return p, badRequest("stop", "at most %d stop strings", maxStopStrings)
	}
	for _, s := range f.Stop {
		if s == "" {
			return p, badRequest("stop", "stop strings must not be empty")
		}
	}
	return p, nil
}

func (f *samplingFields) includeUsage() bool {
	return f.StreamOptions != nil && f.StreamOptions.IncludeUsage
}

// randomSeed picks a seed when the client gives none, as the CLI does.
func randomSeed() uint64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return binary.LittleEndian.Uint64(b[:])
}

// maxTokens checks a max_tokens-like field; 0 means "until the end".
func maxTokens(param string, v *int) (int, *apiError) {
	if v == nil {
		return 0, nil
	}
	if *v < 1 {
		return 0, badRequest(param, "%s must be at least 1", param)
	}
	return *v, nil
}

// chatRequest is POST /v1/chat/completions.
type chatRequest struct {
	samplingFields
	Messages            []chatMessageIn `json:"messages"`
	MaxTokens           *int            `json:"max_tokens"`
	MaxCompletionTokens *int            `json:"max_completion_tokens"`
	Logprobs            bool            `json:"logprobs"`
	TopLogprobs         *int            `json:"top_logprobs"`
	Tools               json.RawMessage `json:"tools"`
	ToolChoice          json.RawMessage `json:"tool_choice"`
	// ParallelToolCalls is accepted: replies may hold several calls
	// unless the call is forced (tool_choice required or named: one).
	ParallelToolCalls *bool `json:"parallel_tool_calls"`
	// ChatTemplateKwargs are chat template variables, as vLLM and
	// llama.cpp's server take them ({"enable_thinking": false} for Qwen3).
	ChatTemplateKwargs map[string]any `json:"chat_template_kwargs"`
	// ReasoningEffort is OpenAI's reasoning knob; gpt-oss's template reads it.
	ReasoningEffort string `json:"reasoning_effort"`
}

// chatMessageIn is a message as clients send it: content is a string or an
// array of parts, of which Burrow understands text.
type chatMessageIn struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
	// A reply's reasoning, as DeepSeek and LM Studio return it (OpenRouter
	// says reasoning): the template decides whether the model sees it.
	ReasoningContent string `json:"reasoning_content"`
	Reasoning        string `json:"reasoning"`
	// An assistant turn's calls, and which call a tool turn answers.
	ToolCalls  []wireCall `json:"tool_calls"`
	ToolCallID string     `json:"tool_call_id"`
	Name       string     `json:"name"`
}

// generateBody is a request body that builds one generation.
type generateBody interface {
	toGenerate() (inference.GenerateRequest, *apiError)
}

// readRequest decodes body and builds its generation. When either fails it
// has written the error and returns ok false.
func readRequest(w http.ResponseWriter, r *http.Request, body generateBody) (req inference.GenerateRequest, ok bool) {
	e := decodeBody(r, body)
	if e == nil {
		req, e = body.toGenerate()
	}
	if e != nil {
		writeError(w, e)
		return req, false
	}
	return req, true
}

const maxTopLogprobs = 20

// toGenerate checks a chat request and builds the worker's request.
func (c *chatRequest) toGenerate() (inference.GenerateRequest, *apiError) {
	var req inference.GenerateRequest
	p, e := c.params()
	if e != nil {
		return req, e
	}
	if len(c.Messages) == 0 {
		return req, badRequest("messages", "messages must hold at least one message")
	}
	g, e := c.grammar()
	if e != nil {
		return req, e
	}
	msgs := make([]chat.Message, 0, len(c.Messages))
	for i, m := range c.Messages {
		msg, e := m.toChat(i)
		if e != nil {
			return req, e
		}
		msgs = append(msgs, msg)
	}
	limit, e := maxTokens("max_completion_tokens", c.MaxCompletionTokens)
	if e != nil {
		return req, e
	}
	if limit == 0 {
		if limit, e = maxTokens("max_tokens", c.MaxTokens); e != nil {
			return req, e
		}
	}
	top := 0
	if c.TopLogprobs != nil {
		if !c.Logprobs {
			return req, badRequest("top_logprobs", "top_logprobs needs logprobs: true")
		}
		if *c.TopLogprobs < 0 || *c.TopLogprobs > maxTopLogprobs {
			return req, badRequest("top_logprobs", "top_logprobs must be between 0 and %d", maxTopLogprobs)
		}
		top = *c.TopLogprobs
	}
	if c.Logprobs && top == 0 {
		top = 1 // the chosen token's own probability is looked up among the candidates
	}
	var vars map[string]any
	if len(c.ChatTemplateKwargs) > 0 || c.ReasoningEffort != "" {
		vars = map[string]any{}
		for k, v := range c.ChatTemplateKwargs {
			switch k {
			case "messages", "tools", "documents", "add_generation_prompt", "bos_token", "eos_token":
				// apply_chat_template refuses these as extra arguments too.
				return req, badRequest("chat_template_kwargs", "chat_template_kwargs cannot set %q", k)
			}
			vars[k] = v
		}
	}
	switch c.ReasoningEffort {
	case "":
	case "low", "medium", "high":
		vars["reasoning_effort"] = c.ReasoningEffort
	default:
		return req, badRequest("reasoning_effort", "reasoning_effort must be low, medium or high")
	}
	return inference.GenerateRequest{
		TemplateVars: vars,
		Messages:     msgs,
		Params:       p,
		MaxTokens:    limit,
		Stop:         c.Stop,
		TopLogprobs:  top,
		Grammar:      g,
		// Clients keep their own history: a long one is a 400
		// (context_length_exceeded), never silently shortened, even on
		// the window's worker whose chats drop their oldest turns.
		ContextPolicy: inference.ContextStop,
	}, nil
}

func (m chatMessageIn) toChat(i int) (chat.Message, *apiError) {
	param := "messages[" + strconv.Itoa(i) + "]"
	role := m.Role
	switch role {
	case "system", "user", "assistant", "tool":
	case "developer": // OpenAI's newer name for system
		role = "system"
	case "":
		return chat.Message{}, badRequest(param+".role", "message %d has no role", i)
	default:
		return chat.Message{}, badRequest(param+".role", "role %q is not supported (system, developer, user, assistant, tool)", m.Role)
	}
	text, e := contentText(m.Content, param+".content", "text parts", "text")
	if e != nil {
		return chat.Message{}, e
	}
	reasoning := m.ReasoningContent
	if reasoning == "" {
		reasoning = m.Reasoning
	}
	msg := chat.Message{Role: role, Content: text, Reasoning: reasoning}
	if e := m.toolFields(i, &msg); e != nil {
		return chat.Message{}, e
	}
	return msg, nil
}

// contentText flattens content: a string, null, or parts whose type is one
// of types; only names those types in the error.
func contentText(raw json.RawMessage, param, only string, types ...string) (string, *apiError) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
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
		if !slices.Contains(types, p.Type) || p.Text == nil {
			return "", badRequest(param, "content part %d has type %q; only %s are supported", j, p.Type, only)
		}
		b.WriteString(*p.Text)
	}
	return b.String(), nil
}

// completionRequest is POST /v1/completions (raw text continuation).
type completionRequest struct {
	samplingFields
	Prompt    json.RawMessage `json:"prompt"`
	MaxTokens *int            `json:"max_tokens"`
	Logprobs  *int            `json:"logprobs"`
	Echo      bool            `json:"echo"`
	Suffix    *string         `json:"suffix"`
	BestOf    *int            `json:"best_of"`
}

// defaultCompletionMaxTokens is OpenAI's documented default for /v1/completions.
const defaultCompletionMaxTokens = 16

func (c *completionRequest) prompt() (string, *apiError) {
	raw := bytes.TrimSpace(c.Prompt)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return "", badRequest("prompt", "prompt is required")
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var many []string
	if err := json.Unmarshal(raw, &many); err == nil {
		if len(many) != 1 {
			return "", badRequest("prompt", "exactly one prompt is supported per request")
		}
		return many[0], nil
	}
	return "", badRequest("prompt", "prompt must be a string (token arrays are not supported)")
}

func (c *completionRequest) toGenerate() (inference.GenerateRequest, string, *apiError) {
	var req inference.GenerateRequest
	p, e := c.params()
	if e != nil {
		return req, "", e
	}
	prompt, e := c.prompt()
	if e != nil {
		return req, "", e
	}
	if c.Suffix != nil && *c.Suffix != "" {
		return req, "", badRequest("suffix", "suffix (fill-in-the-middle) is not supported")
	}
	if c.BestOf != nil && *c.BestOf != 1 {
		return req, "", badRequest("best_of", "only best_of=1 is supported")
	}
	g, e := c.grammar()
	if e != nil {
		return req, "", e
	}
	limit := defaultCompletionMaxTokens
	if c.MaxTokens != nil {
		if limit, e = maxTokens("max_tokens", c.MaxTokens); e != nil {
			return req, "", e
		}
	}
	top := 0
	if c.Logprobs != nil {
		if *c.Logprobs < 0 || *c.Logprobs > maxTopLogprobs {
			return req, "", badRequest("logprobs", "logprobs must be between 0 and %d", maxTopLogprobs)
		}
		top = max(*c.Logprobs, 1)
	}
	return inference.GenerateRequest{
		Prompt:      prompt, // tokenized like burrow run: no template, special tokens as text
		Params:      p,
		MaxTokens:   limit,
		Stop:        c.Stop,
		TopLogprobs: top,
		Grammar:     g,
	}, prompt, nil
}
