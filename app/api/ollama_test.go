package api

import (
	"bufio"
	"bytes"
	"strings"
	"testing"
	"time"

	"burrow/app/apptest"
	"burrow/inference"
)

// ndjson splits a streamed Ollama reply into its objects.
func ndjson(t *testing.T, body []byte) []ollamaReply {
	t.Helper()
	var out []ollamaReply
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		out = append(out, decode[ollamaReply](t, sc.Bytes()))
	}
	return out
}

func TestOllamaChatStream(t *testing.T) {
	gen := apptest.NewFakeGen("Hello", ",", " world")
	ts := newTestServer(t, gen, ServerOptions{})
	status, h, b := call(t, "POST", ts.URL+"/api/chat", `{"model":"tiny","messages":[
		{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}],
		"options":{"temperature":0,"seed":7,"num_predict":9,"top_k":3,"stop":["\n"]},"keep_alive":"5m"}`, nil)
	if status != 200 || h.Get("Content-Type") != "application/x-ndjson" {
		t.Fatalf("status %d %s: %s", status, h.Get("Content-Type"), b)
	}
	lines := ndjson(t, b)
	if len(lines) != 4 {
		t.Fatalf("want 3 pieces and a done line, got %s", b)
	}
	var text strings.Builder
	for _, l := range lines[:3] {
		if l.Done || l.Message == nil || l.Message.Role != "assistant" || l.Model != "tiny" || l.CreatedAt.IsZero() {
			t.Fatalf("piece line %+v", l)
		}
		text.WriteString(l.Message.Content)
	}
	if text.String() != "Hello, world" {
		t.Errorf("text %q", text.String())
	}
	end := lines[3]
	if !end.Done || end.DoneReason != "stop" || end.EvalCount != 3 || end.PromptEvalCount == 0 || end.Message == nil || end.Message.Content != "" {
		t.Errorf("done line %+v", end)
	}
	req := gen.LastRequest()
	if req.Params.Temperature != 0 || req.Params.Seed != 7 || req.MaxTokens != 9 || req.Params.TopK != 3 ||
		len(req.Stop) != 1 || len(req.Messages) != 2 || req.Messages[0].Role != "system" || req.ContextPolicy != inference.ContextStop {
		t.Errorf("request %+v", req)
	}
}

func TestOllamaChatWhole(t *testing.T) {
	gen := apptest.NewFakeGen("Hello", " there")
	gen.Stop = inference.StopMaxTokens
	ts := newTestServer(t, gen, ServerOptions{})
	status, _, b := call(t, "POST", ts.URL+"/api/chat", `{"messages":[{"role":"user","content":"Hi"}],"stream":false}`, nil)
	if status != 200 {
		t.Fatalf("status %d: %s", status, b)
	}
	got := decode[ollamaReply](t, b)
	if !got.Done || got.DoneReason != "length" || got.Message.Content != "Hello there" || got.EvalCount != 2 {
		t.Errorf("reply %s", b)
	}
}

func TestOllamaGenerate(t *testing.T) {
	gen := apptest.NewFakeGen("a", "b")
	ts := newTestServer(t, gen, ServerOptions{})
	_, _, b := call(t, "POST", ts.URL+"/api/generate", `{"prompt":"Why?","system":"Short.","stream":false}`, nil)
	got := decode[ollamaReply](t, b)
	if got.Response == nil || *got.Response != "ab" || !got.Done {
		t.Fatalf("reply %s", b)
	}
	if req := gen.LastRequest(); len(req.Messages) != 2 || req.Messages[1].Content != "Why?" || req.Prompt != "" {
		t.Errorf("templated request %+v", req)
	}
	_, _, b = call(t, "POST", ts.URL+"/api/generate", `{"prompt":"Once","raw":true}`, nil)
	lines := ndjson(t, b)
	if len(lines) != 3 || *lines[0].Response != "a" || !lines[2].Done {
		t.Fatalf("stream %s", b)
	}
	if req := gen.LastRequest(); req.Prompt != "Once" || req.Messages != nil {
		t.Errorf("raw request %+v", req)
	}
	// An empty prompt only loads (Ollama's way to warm a model).
	_, _, b = call(t, "POST", ts.URL+"/api/generate", `{"model":"tiny"}`, nil)
	if got := decode[ollamaReply](t, b); !got.Done || got.DoneReason != "load" {
		t.Errorf("load reply %s", b)
	}
}

func TestOllamaModels(t *testing.T) {
	gen := apptest.NewFakeGen("x")
	mod := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	files := func() []ModelFile {
		return []ModelFile{{ID: "bartowski/Llama-3.2-1B-Instruct-GGUF/Llama-3.2-1B-Instruct-Q4_K_M.gguf", Path: "/m/l.gguf",
			Size: 808e6, Modified: mod, Architecture: "llama", SizeLabel: "1B", Quant: "Q4_K_M"}}
	}
	ts := newTestServer(t, gen, ServerOptions{Files: files})
	_, _, b := call(t, "GET", ts.URL+"/api/tags", "", nil)
	tags := decode[struct{ Models []ollamaModel }](t, b)
	if len(tags.Models) != 2 || tags.Models[0].Name != "tiny" {
		t.Fatalf("tags %s", b)
	}
	m := tags.Models[1]
	if m.Size != 808e6 || !m.ModifiedAt.Equal(mod) || m.Details.Family != "llama" || m.Details.QuantizationLevel != "Q4_K_M" ||
		m.Details.ParameterSize != "1B" || m.Details.Format != "gguf" || len(m.Digest) != 64 {
		t.Errorf("library model %+v", m)
	}
	_, _, b = call(t, "GET", ts.URL+"/api/ps", "", nil)
	ps := decode[struct{ Models []ollamaModel }](t, b)
	if len(ps.Models) != 1 || ps.Models[0].Name != "tiny" || ps.Models[0].SizeVRAM == nil {
		t.Errorf("ps %s", b)
	}
	status, _, b := call(t, "POST", ts.URL+"/api/show", `{"model":"tiny"}`, nil)
	if status != 200 || !strings.Contains(string(b), `"capabilities":["completion"]`) {
		t.Errorf("show %d %s", status, b)
	}
	status, _, b = call(t, "POST", ts.URL+"/api/show", `{"model":"nope"}`, nil)
	if status != 404 || !strings.Contains(string(b), `{"error":"model \"nope\" not found"}`) {
		t.Errorf("show unknown %d %s", status, b)
	}
	_, _, b = call(t, "GET", ts.URL+"/api/version", "", nil)
	if !strings.Contains(string(b), `"version":"0.`) {
		t.Errorf("version %s", b)
	}
}

// TestOllamaErrors: what Burrow cannot do is refused in Ollama's error
// shape, never silently ignored.
func TestOllamaErrors(t *testing.T) {
	gen := apptest.NewFakeGen("x")
	ts := newTestServer(t, gen, ServerOptions{})
	for _, tc := range []struct {
		method, path, body string
		status             int
		want               string
	}{
		{"POST", "/api/chat", `{"messages":[{"role":"user","content":"hi"}],"format":"yaml"}`, 400, "format"},
		{"POST", "/api/chat", `{"messages":[{"role":"user","content":"hi"}],"format":{"type":"object","properties":{"a":{"type":"wat"}}}}`, 400, "JSON schema"},
		{"POST", "/api/chat", `{"messages":[{"role":"user","content":"hi","images":["aGk="]}]}`, 400, "images"},
		{"POST", "/api/chat", `{"messages":[{"role":"robot","content":"hi"}]}`, 400, "role"},
		{"POST", "/api/chat", `{"messages":[{"role":"user","content":"hi"}],"options":{"temperature":9}}`, 400, "temperature"},
		{"POST", "/api/chat", `{"model":"other","messages":[{"role":"user","content":"hi"}]}`, 404, "other"},
		{"POST", "/api/chat", `{"messages":`, 400, "not valid JSON"},
		{"POST", "/api/generate", `{"prompt":"x","context":[1,2]}`, 400, "context"},
		{"POST", "/api/generate", `{"prompt":"x","suffix":"y"}`, 400, "suffix"},
		{"POST", "/api/embed", `{"input":"x"}`, 501, "cannot compute embeddings"},
		{"POST", "/api/pull", `{"model":"llama3"}`, 501, "burrow pull"},
		{"DELETE", "/api/delete", `{"model":"llama3"}`, 501, "burrow rm"},
	} {
		status, _, b := call(t, tc.method, ts.URL+tc.path, tc.body, nil)
		if status != tc.status || !strings.HasPrefix(string(b), `{"error":"`) || !strings.Contains(string(b), tc.want) {
			t.Errorf("%s %s %s: %d %s", tc.method, tc.path, tc.body, status, b)
		}
	}
	gen.Err = inference.ErrContextFull
	status, _, b := call(t, "POST", ts.URL+"/api/chat", `{"messages":[{"role":"user","content":"hi"}]}`, nil)
	if status != 400 || !strings.HasPrefix(string(b), `{"error":"`) {
		t.Errorf("context full: %d %s", status, b)
	}
}

// TestOllamaFormat: format "json" or a schema becomes the reply's grammar.
func TestOllamaFormat(t *testing.T) {
	gen := apptest.NewFakeGen(`{"a": 1}`)
	ts := newTestServer(t, gen, ServerOptions{})
	for _, format := range []string{`"json"`, `{"type":"object","properties":{"a":{"type":"integer"}},"required":["a"]}`} {
		status, _, b := call(t, "POST", ts.URL+"/api/chat", `{"messages":[{"role":"user","content":"hi"}],"stream":false,"format":`+format+`}`, nil)
		if status != 200 || gen.LastRequest().Grammar == nil {
			t.Errorf("format %s: %d %s", format, status, b)
		}
		_, _, b = call(t, "POST", ts.URL+"/api/generate", `{"prompt":"hi","stream":false,"format":`+format+`}`, nil)
		if gen.LastRequest().Grammar == nil {
			t.Errorf("generate format %s: %s", format, b)
		}
	}
}

// TestOllamaCanBeLeftOut: with NoOllama only OpenAI's routes answer.
func TestOllamaCanBeLeftOut(t *testing.T) {
	ts := newTestServer(t, apptest.NewFakeGen("x"), ServerOptions{NoOllama: true})
	if status, _, _ := call(t, "GET", ts.URL+"/api/tags", "", nil); status != 404 {
		t.Errorf("/api/tags with NoOllama: %d", status)
	}
	if status, _, _ := call(t, "GET", ts.URL+"/v1/models", "", nil); status != 200 {
		t.Errorf("/v1/models with NoOllama: %d", status)
	}
}
