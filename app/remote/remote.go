// Package remote is the client of another OpenAI-compatible server: an
// engine the Controller can use instead of the local worker.
package remote

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"burrow/inference"
	"burrow/inference/chat"
)

// Engine is an engine on another machine: any OpenAI-compatible
// server (vLLM, llama.cpp's server, Ollama, LM Studio, another Burrow). It
// speaks the worker's contract (Load, Generate, Unload, Close and their
// events), so a conversation can use it like the local model, streaming
// included.
type Engine struct {
	base   string // ends at the API root, e.g. http://host:8000/v1
	apiKey string
	client *http.Client

	// PlainOpenAI sends only OpenAI's own sampling fields. By default the
	// llama.cpp extensions (top_k, min_p, repeat_penalty) go too, which
	// vLLM, llama.cpp, Ollama and Burrow understand.
	PlainOpenAI bool

	mu    sync.Mutex
	model *inference.ModelInfo // chosen by Load
}

// New makes an engine for the server at baseURL. A URL with no
// path gets "/v1" (http://localhost:11434 → http://localhost:11434/v1);
// one with a path is used as given. apiKey may be empty.
func New(baseURL, apiKey string) (*Engine, error) {
	u, err := url.Parse(strings.TrimSpace(baseURL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("remote engine: %q is not an http(s) URL", baseURL)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	if u.Path == "" {
		u.Path = "/v1"
	}
	u.RawQuery, u.Fragment = "", ""
	return &Engine{base: u.String(), apiKey: apiKey, client: &http.Client{}}, nil
}

// BaseURL is the API root requests go to.
func (r *Engine) BaseURL() string { return r.base }

// Models lists the model ids the server offers.
func (r *Engine) Models(ctx context.Context) ([]string, error) {
	resp, err := r.do(ctx, http.MethodGet, "/models", nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var list struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 16<<20)).Decode(&list); err != nil {
		return nil, fmt.Errorf("remote %s: read the model list: %w", r.base, err)
	}
	ids := make([]string, 0, len(list.Data))
	for _, m := range list.Data {
		ids = append(ids, m.ID)
	}
	return ids, nil
}

// Load picks the server's model named model ("" picks the first it lists),
// checking that it exists. Load options do not apply to a remote server.
func (r *Engine) Load(ctx context.Context, model string, _ inference.LoadOptions) <-chan inference.Event {
	out := make(chan inference.Event, 1)
	go func() {
		defer close(out)
		ids, err := r.Models(ctx)
		if err != nil {
			out <- inference.Event{Kind: inference.EventError, Err: err}
			return
		}
		if model == "" && len(ids) > 0 {
			model = ids[0]
		}
		found := false
		for _, id := range ids {
			found = found || id == model
		}
		if !found {
			out <- inference.Event{Kind: inference.EventError, Err: fmt.Errorf("remote %s: no model %q (it offers %s)", r.base, model, strings.Join(ids, ", "))}
			return
		}
		info := &inference.ModelInfo{Path: r.base + "#" + model, Name: model, Architecture: "remote", Fingerprint: "remote:" + r.base + "#" + model}
		r.mu.Lock()
		r.model = info
		r.mu.Unlock()
		out <- inference.Event{Kind: inference.EventLoaded, Model: info}
	}()
	return out
}

// Model is the model Load chose, or nil.
func (r *Engine) Model() *inference.ModelInfo {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.model
}

// Unload forgets the chosen model.
func (r *Engine) Unload() {
	r.mu.Lock()
	r.model = nil
	r.mu.Unlock()
}

// Close releases idle connections.
func (r *Engine) Close() { r.client.CloseIdleConnections() }

// Generate streams one reply from the server as worker events: pieces as
// they arrive, then EventDone (or EventError). Cancelling ctx ends the
// request and the reply with StopCancelled. The chat template is the
// server's: req.Template does not apply.
func (r *Engine) Generate(ctx context.Context, req inference.GenerateRequest) <-chan inference.Event {
	out := make(chan inference.Event, 16)
	go func() {
		defer close(out)
		info := r.Model()
		if info == nil {
			out <- inference.Event{Kind: inference.EventError, Err: inference.ErrNoModel}
			return
		}
		if req.Grammar != nil && r.PlainOpenAI {
			// Dropping the grammar would return unchecked text.
			out <- inference.Event{Kind: inference.EventError, Err: errors.New("remote: this server takes no grammar (plain OpenAI); structured output needs a llama.cpp-style server")}
			return
		}
		out <- r.stream(ctx, info, req, func(ev inference.Event) { out <- ev })
	}()
	return out
}

// stream runs one streamed chat completion, sending pieces through emit,
// and returns the final event.
func (r *Engine) stream(ctx context.Context, info *inference.ModelInfo, req inference.GenerateRequest, emit func(inference.Event)) inference.Event {
	start := time.Now()
	stats := &inference.Stats{Receipt: inference.Receipt{
		ModelFingerprint: info.Fingerprint, Params: req.Params, MaxTokens: req.MaxTokens, Stop: req.Stop,
	}}
	body, err := json.Marshal(r.chatBody(info.Name, req))
	if err != nil {
		return inference.Event{Kind: inference.EventError, Err: fmt.Errorf("remote: encode the request: %w", err)}
	}
	resp, err := r.do(ctx, http.MethodPost, "/chat/completions", body)
	if err != nil {
		if ctx.Err() != nil {
			return inference.Event{Kind: inference.EventDone, StopReason: inference.StopCancelled, Stats: stats}
		}
		return inference.Event{Kind: inference.EventError, Err: err}
	}
	defer resp.Body.Close()

	var genStart time.Time
	finish, pieces := "", 0
	var used *remoteUsage
	err = readSSE(resp.Body, func(data []byte) error {
		var c remoteChunk
		if err := json.Unmarshal(data, &c); err != nil {
			return fmt.Errorf("remote %s: bad stream event %.200q: %w", r.base, data, err)
		}
		if c.Error != nil {
			return fmt.Errorf("remote %s: %s", r.base, c.Error.Message)
		}
		if c.Usage != nil {
			used = c.Usage
		}
		for _, ch := range c.Choices {
			if ch.FinishReason != nil && *ch.FinishReason != "" {
				finish = *ch.FinishReason
			}
			// Thinking models' reasoning: DeepSeek and LM Studio call it
			// reasoning_content, OpenRouter and Ollama reasoning.
			reasoning := ch.Delta.ReasoningContent + ch.Delta.Reasoning
			if ch.Delta.Content == "" && reasoning == "" {
				continue
			}
			if pieces == 0 {
				genStart = time.Now()
				stats.TimeToFirst = genStart.Sub(start)
				stats.PromptTime = stats.TimeToFirst
			}
			pieces++
			if reasoning != "" {
				emit(inference.Event{Kind: inference.EventPiece, Piece: reasoning, Reasoning: true, Token: -1})
			}
			if ch.Delta.Content == "" {
				continue
			}
			ev := inference.Event{Kind: inference.EventPiece, Piece: ch.Delta.Content, Token: -1}
			if ch.Logprobs != nil {
				ev.Top = ch.Logprobs.top()
			}
			emit(ev)
		}
		return nil
	})
	if pieces > 0 {
		stats.GenTime = time.Since(genStart)
	}
	stats.GenTokens = pieces
	if used != nil {
		stats.PromptTokens = used.PromptTokens
		stats.EvaluatedTokens = used.PromptTokens - used.PromptTokensDetails.CachedTokens
		stats.GenTokens = used.CompletionTokens
	}
	switch {
	case ctx.Err() != nil:
		return inference.Event{Kind: inference.EventDone, StopReason: inference.StopCancelled, Stats: stats}
	case err != nil && !(errors.Is(err, io.ErrUnexpectedEOF) && finish != ""):
		return inference.Event{Kind: inference.EventError, Err: err}
	case finish == "":
		return inference.Event{Kind: inference.EventError, Err: fmt.Errorf("remote %s: the stream ended without a finish reason", r.base)}
	}
	return inference.Event{Kind: inference.EventDone, StopReason: stopReasonOf(finish, req.MaxTokens, stats.GenTokens), Stats: stats}
}

// stopReasonOf maps OpenAI's finish_reason back to Burrow's stop reasons.
// "stop" cannot tell an end token from a stop string; it reads as eos.
func stopReasonOf(finish string, maxTokens, gen int) string {
	if finish == "length" {
		if maxTokens > 0 && gen >= maxTokens {
			return inference.StopMaxTokens
		}
		return inference.StopLength
	}
	return inference.StopEOS
}

// chatBody is the request the server gets.
func (r *Engine) chatBody(model string, req inference.GenerateRequest) map[string]any {
	p := req.Params
	b := map[string]any{
		"model":             model,
		"messages":          remoteMessages(req.Messages),
		"stream":            true,
		"stream_options":    map[string]any{"include_usage": true},
		"temperature":       p.Temperature,
		"top_p":             p.TopP,
		"seed":              p.Seed,
		"frequency_penalty": p.FrequencyPenalty,
		"presence_penalty":  p.PresencePenalty,
	}
	if !r.PlainOpenAI {
		b["top_k"], b["min_p"] = p.TopK, p.MinP
		if p.RepeatPenalty > 0 { // 0 is "unset" in a zero Params, not a valid penalty
			b["repeat_penalty"] = p.RepeatPenalty
		}
	}
	if req.MaxTokens > 0 {
		b["max_tokens"] = req.MaxTokens
	}
	if len(req.Stop) > 0 {
		b["stop"] = req.Stop
	}
	if req.Grammar != nil {
		b["grammar"] = req.Grammar.Source() // llama.cpp's field, which Burrow serves too
	}
	if req.TopLogprobs > 0 {
		b["logprobs"], b["top_logprobs"] = true, req.TopLogprobs
	}
	if len(req.TemplateVars) > 0 && !r.PlainOpenAI {
		b["chat_template_kwargs"] = req.TemplateVars // llama.cpp's server and vLLM read it
	}
	return b
}

// remoteMessages is the history as the server gets it: without past
// reasoning, which OpenAI's API does not take and DeepSeek's refuses.
func remoteMessages(msgs []chat.Message) []map[string]string {
	out := make([]map[string]string, len(msgs))
	for i, m := range msgs {
		out[i] = map[string]string{"role": m.Role, "content": m.Content}
	}
	return out
}

// remoteChunk is what this engine reads of a chat.completion.chunk.
type remoteChunk struct {
	Choices []struct {
		Delta struct {
			Content          string `json:"content"`
			ReasoningContent string `json:"reasoning_content"`
			Reasoning        string `json:"reasoning"`
		} `json:"delta"`
		Logprobs     *remoteLogprobs `json:"logprobs"`
		FinishReason *string         `json:"finish_reason"`
	} `json:"choices"`
	Usage *remoteUsage `json:"usage"`
	Error *struct {
		Message string `json:"message"`
	} `json:"error"`
}

// remoteUsage is what this engine reads of OpenAI's token accounting.
type remoteUsage struct {
	PromptTokens        int `json:"prompt_tokens"`
	CompletionTokens    int `json:"completion_tokens"`
	PromptTokensDetails struct {
		CachedTokens int `json:"cached_tokens"`
	} `json:"prompt_tokens_details"`
}

type remoteLogprobs struct {
	Content []struct {
		TopLogprobs []struct {
			Token   string  `json:"token"`
			Logprob float64 `json:"logprob"`
		} `json:"top_logprobs"`
	} `json:"content"`
}

// top turns the alternatives of a chunk's (usually single) token into the
// worker's TokenProb list; remote token ids are unknown (-1).
func (l *remoteLogprobs) top() []inference.TokenProb {
	var out []inference.TokenProb
	for _, c := range l.Content {
		for _, t := range c.TopLogprobs {
			out = append(out, inference.TokenProb{Token: -1, Piece: t.Token, Prob: float32(expLogprob(t.Logprob))})
		}
	}
	return out
}

// do sends one request with the key and maps a non-2xx reply to an error
// carrying the server's message.
func (r *Engine) do(ctx context.Context, method, path string, body []byte) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, r.base+path, rd)
	if err != nil {
		return nil, fmt.Errorf("remote %s: %w", r.base, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json, text/event-stream")
	if r.apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+r.apiKey)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("remote %s: %w", r.base, err)
	}
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var e struct {
		Error json.RawMessage `json:"error"`
	}
	text := strings.TrimSpace(string(msg))
	if json.Unmarshal(msg, &e) == nil && len(e.Error) > 0 {
		var obj struct{ Message string }
		if json.Unmarshal(e.Error, &obj) == nil && obj.Message != "" {
			text = obj.Message
		} else {
			var s string
			if json.Unmarshal(e.Error, &s) == nil { // Ollama's {"error": "..."}
				text = s
			}
		}
	}
	return nil, &Error{URL: r.base + path, Status: resp.StatusCode, Message: text}
}

// Error is a remote server's refusal, with its HTTP status.
type Error struct {
	URL     string
	Status  int
	Message string
}

// HTTPStatus lets a server that relays the reply (app/api) keep the status.
func (e *Error) HTTPStatus() int { return e.Status }

func (e *Error) Error() string {
	return fmt.Sprintf("remote %s: HTTP %d: %s", e.URL, e.Status, e.Message)
}
