package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"path/filepath"
	"strings"

	"burrow/inference"
)

// usage is OpenAI's token accounting; cached_tokens tells how much of the
// prompt came from the KV cache.
type usage struct {
	PromptTokens        int `json:"prompt_tokens"`
	CompletionTokens    int `json:"completion_tokens"`
	TotalTokens         int `json:"total_tokens"`
	PromptTokensDetails struct {
		CachedTokens int `json:"cached_tokens"`
	} `json:"prompt_tokens_details"`
}

func usageOf(st *inference.Stats) *usage {
	u := &usage{}
	if st != nil {
		u.PromptTokens = st.PromptTokens
		u.CompletionTokens = st.GenTokens
		u.PromptTokensDetails.CachedTokens = max(st.PromptTokens-st.EvaluatedTokens, 0)
	}
	u.TotalTokens = u.PromptTokens + u.CompletionTokens
	return u
}

// FinishReason maps Burrow's stop reasons to OpenAI's.
func FinishReason(stop string) string {
	switch stop {
	case inference.StopMaxTokens, inference.StopLength:
		return "length"
	default: // eos, stop string, cancelled
		return "stop"
	}
}

// newID makes a response id such as "chatcmpl-1f3a...".
func newID(prefix string) string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// logprobOf turns a probability into the log-probability OpenAI reports;
// -9999 stands for "too unlikely to say", as OpenAI itself uses.
func logprobOf(p float32) float64 {
	if p <= 0 {
		return -9999
	}
	return math.Log(float64(p))
}

// chosenProb finds the generated token's probability among the candidates.
// TODO(integration): the worker could report it directly (an Event field),
// which would also cover a sampled token outside the top candidates.
func chosenProb(ev inference.Event) float32 {
	for _, c := range ev.Top {
		if c.Token == ev.Token {
			return c.Prob
		}
	}
	return 0
}

// byteInts is how OpenAI spells a token's UTF-8 bytes: an array of numbers.
func byteInts(s string) []int {
	out := make([]int, len(s))
	for i := 0; i < len(s); i++ {
		out[i] = int(s[i])
	}
	return out
}

// resolveModel checks the request's model against the loaded one. An empty
// name means "whatever is loaded", as llama.cpp's server allows.
func (s *Server) resolveModel(requested string) (*inference.ModelInfo, *apiError) {
	info := s.opts.Model()
	if info == nil {
		return nil, errNoModel()
	}
	if requested == "" || modelMatches(info, requested) {
		return info, nil
	}
	return nil, errUnknownModel(requested)
}

// ModelID is the id the API shows for the loaded model: its file name
// without ".gguf" (unique and free of spaces, unlike general.name, which is
// often just "llama"), else its name.
func ModelID(info *inference.ModelInfo) string {
	if strings.HasSuffix(strings.ToLower(info.Path), ".gguf") {
		return filepath.Base(info.Path[:len(info.Path)-len(".gguf")])
	}
	if info.Name != "" {
		return info.Name
	}
	return filepath.Base(info.Path)
}

// modelMatches accepts the model's id, its file name with or without
// ".gguf", or its path, so clients can name it the way they know it.
func modelMatches(info *inference.ModelInfo, id string) bool {
	base := filepath.Base(info.Path)
	switch id {
	case ModelID(info), info.Name, info.Path, base, strings.TrimSuffix(base, ".gguf"):
		return id != "" && id != "."
	}
	// A library id such as "owner/repo/file.gguf" names the file at its end.
	return info.Path != "" && strings.HasSuffix(filepath.ToSlash(info.Path), "/"+strings.TrimPrefix(id, "/"))
}

// sse writes server-sent events, flushing each so clients see tokens as
// they come.
type sse struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

func startSSE(w http.ResponseWriter) *sse {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("Connection", "keep-alive")
	h.Set("X-Accel-Buffering", "no") // proxies: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	return &sse{w: w, rc: http.NewResponseController(w)}
}

func (s *sse) send(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.raw(b)
}

func (s *sse) raw(data []byte) error {
	if _, err := s.w.Write(append(append([]byte("data: "), data...), '\n', '\n')); err != nil {
		return err
	}
	return s.rc.Flush()
}

func (s *sse) done() error { return s.raw([]byte("[DONE]")) }

// sendError reports a failure after the stream began, the way OpenAI does:
// an error object as an event.
func (s *sse) sendError(e *apiError) error {
	return s.send(struct {
		Error *apiError `json:"error"`
	}{e})
}

// startReply resolves the requested model and starts the generation, up to
// its first event, so that an error can still get its status code. When it
// fails it has written the error response and returns ok false.
func (s *Server) startReply(ctx context.Context, w http.ResponseWriter, model string, req inference.GenerateRequest) (info *inference.ModelInfo, first inference.Event, ch <-chan inference.Event, ok bool) {
	info, first, ch, e := s.startGeneration(ctx, model, req)
	if e != nil {
		writeError(w, e)
		return nil, first, nil, false
	}
	return info, first, ch, true
}

// startGeneration is startReply's work, for APIs that write errors their own way.
func (s *Server) startGeneration(ctx context.Context, model string, req inference.GenerateRequest) (info *inference.ModelInfo, first inference.Event, ch <-chan inference.Event, e *apiError) {
	info, e = s.resolveModel(model)
	if e == nil {
		ch, e = s.generate(ctx, req)
	}
	if e == nil {
		first, e = firstEvent(ch)
	}
	return info, first, ch, e
}

// firstEvent waits for the generation's first event so that failures
// before any token (prompt too long, no model) still get a status code.
func firstEvent(ch <-chan inference.Event) (inference.Event, *apiError) {
	for ev := range ch {
		switch ev.Kind {
		case inference.EventProgress, inference.EventLoaded:
			continue
		case inference.EventError:
			return ev, errGeneration(orUnknown(ev.Err))
		}
		return ev, nil
	}
	return inference.Event{}, errGeneration(errors.New("the engine ended without a reply"))
}

func orUnknown(err error) error {
	if err == nil {
		return errors.New("unknown error")
	}
	return err
}
