package api

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"burrow/app/apptest"
	"burrow/inference"
)

func newTestServer(t *testing.T, gen Generator, opts ServerOptions) *httptest.Server {
	t.Helper()
	if opts.Model == nil {
		opts.Model = apptest.LoadedFake
	}
	ts := httptest.NewServer(NewServer(gen, opts).Handler())
	t.Cleanup(ts.Close)
	return ts
}

// call sends one request and returns the status and body.
func call(t *testing.T, method, url, body string, header map[string]string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

// sseData returns the data of each server-sent event in a stream body.
func sseData(t *testing.T, body []byte) []string {
	t.Helper()
	var out []string
	sc := bufio.NewScanner(strings.NewReader(string(body)))
	for sc.Scan() {
		if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			out = append(out, d)
		}
	}
	return out
}

func decode[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return v
}

func TestChatCompletion(t *testing.T) {
	gen := apptest.NewFakeGen("Hello", ",", " world")
	ts := newTestServer(t, gen, ServerOptions{})
	status, _, b := call(t, "POST", ts.URL+"/v1/chat/completions", `{"model":"tiny","messages":[
		{"role":"developer","content":"Be brief."},
		{"role":"user","content":[{"type":"text","text":"Hi"},{"type":"text","text":" there"}]}],
		"temperature":0,"top_p":0.5,"seed":42,"max_tokens":9,"stop":"\n"}`, nil)
	if status != 200 {
		t.Fatalf("status %d: %s", status, b)
	}
	got := decode[apptest.WireChat](t, b)
	if got.Object != "chat.completion" || got.Model != "tiny" || !strings.HasPrefix(got.ID, "chatcmpl-") || got.Created == 0 {
		t.Errorf("head = %+v", got)
	}
	if len(got.Choices) != 1 || got.Choices[0].Message == nil {
		t.Fatalf("choices = %s", b)
	}
	c := got.Choices[0]
	if c.Message.Role != "assistant" || c.Message.Content != "Hello, world" || *c.FinishReason != "stop" {
		t.Errorf("choice = %+v %q", c.Message, *c.FinishReason)
	}
	if u := got.Usage; u == nil || u.PromptTokens != 5 || u.CompletionTokens != 3 || u.TotalTokens != 8 || u.PromptTokensDetails.CachedTokens != 2 {
		t.Errorf("usage = %+v", got.Usage)
	}
	req := gen.LastRequest()
	if req.Params.Temperature != 0 || req.Params.TopP != 0.5 || req.Params.Seed != 42 || req.MaxTokens != 9 ||
		!reflect.DeepEqual(req.Stop, []string{"\n"}) || req.TopLogprobs != 0 {
		t.Errorf("request = %+v", req)
	}
	if len(req.Messages) != 2 || req.Messages[0].Role != "system" || req.Messages[1].Content != "Hi there" {
		t.Errorf("messages = %+v", req.Messages)
	}
	if req.Params.TopK != 40 || req.Params.MinP != 0.05 {
		t.Errorf("unset fields should keep llama.cpp defaults: %+v", req.Params)
	}
}

func TestChatRequestFields(t *testing.T) {
	tests := []struct {
		name, body string
		check      func(inference.GenerateRequest) bool
	}{
		{"stop array", `"stop":["a","b"]`, func(r inference.GenerateRequest) bool { return reflect.DeepEqual(r.Stop, []string{"a", "b"}) }},
		{"stop null", `"stop":null`, func(r inference.GenerateRequest) bool { return r.Stop == nil }},
		{"max_completion_tokens wins", `"max_tokens":5,"max_completion_tokens":7`, func(r inference.GenerateRequest) bool { return r.MaxTokens == 7 }},
		{"no limit", ``, func(r inference.GenerateRequest) bool { return r.MaxTokens == 0 }},
		{"default temperature", ``, func(r inference.GenerateRequest) bool { return r.Params.Temperature == 0.8 }},
		{"extensions", `"top_k":3,"min_p":0.1,"repeat_penalty":1.1`, func(r inference.GenerateRequest) bool {
			return r.Params.TopK == 3 && r.Params.MinP == float32(0.1) && r.Params.RepeatPenalty == float32(1.1)
		}},
		{"penalties", `"frequency_penalty":0.5,"presence_penalty":-0.5`, func(r inference.GenerateRequest) bool {
			return r.Params.FrequencyPenalty == 0.5 && r.Params.PresencePenalty == -0.5
		}},
		{"logprobs alone asks for the chosen token", `"logprobs":true`, func(r inference.GenerateRequest) bool { return r.TopLogprobs == 1 }},
		{"top_logprobs", `"logprobs":true,"top_logprobs":4`, func(r inference.GenerateRequest) bool { return r.TopLogprobs == 4 }},
		{"shared cache slot", ``, func(r inference.GenerateRequest) bool {
			return r.Template == "" && r.ContextPolicy == inference.ContextStop
		}},
	}
	gen := apptest.NewFakeGen("x")
	ts := newTestServer(t, gen, ServerOptions{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := `{"messages":[{"role":"user","content":"hi"}]`
			if tt.body != "" {
				body += "," + tt.body
			}
			status, _, b := call(t, "POST", ts.URL+"/v1/chat/completions", body+"}", nil)
			if status != 200 {
				t.Fatalf("status %d: %s", status, b)
			}
			if r := gen.LastRequest(); !tt.check(r) {
				t.Errorf("request = %+v", r)
			}
		})
	}
}

func TestFinishReasons(t *testing.T) {
	for stop, want := range map[string]string{
		inference.StopEOS: "stop", inference.StopString: "stop",
		inference.StopMaxTokens: "length", inference.StopLength: "length",
	} {
		gen := apptest.NewFakeGen("a")
		gen.Stop = stop
		ts := newTestServer(t, gen, ServerOptions{})
		_, _, b := call(t, "POST", ts.URL+"/v1/chat/completions", `{"messages":[{"role":"user","content":"hi"}]}`, nil)
		if got := decode[apptest.WireChat](t, b); *got.Choices[0].FinishReason != want {
			t.Errorf("%s → %q, want %q", stop, *got.Choices[0].FinishReason, want)
		}
	}
}

func TestChatStream(t *testing.T) {
	for _, withUsage := range []bool{false, true} {
		gen := apptest.NewFakeGen("Hé", "llo")
		gen.Stop = inference.StopMaxTokens
		ts := newTestServer(t, gen, ServerOptions{})
		body := `{"model":"tiny","stream":true,"messages":[{"role":"user","content":"hi"}]`
		if withUsage {
			body += `,"stream_options":{"include_usage":true}`
		}
		status, h, b := call(t, "POST", ts.URL+"/v1/chat/completions", body+"}", nil)
		if status != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/event-stream") {
			t.Fatalf("status %d %q: %s", status, h.Get("Content-Type"), b)
		}
		data := sseData(t, b)
		if len(data) == 0 || data[len(data)-1] != "[DONE]" {
			t.Fatalf("stream does not end with [DONE]: %s", b)
		}
		chunks := data[:len(data)-1]
		wantChunks := 4 // role, 2 pieces, finish
		if withUsage {
			wantChunks++
		}
		if len(chunks) != wantChunks {
			t.Fatalf("%d chunks, want %d: %s", len(chunks), wantChunks, b)
		}
		var text, id string
		for i, d := range chunks {
			c := decode[apptest.WireChat](t, []byte(d))
			if c.Object != "chat.completion.chunk" || c.Model != "tiny" {
				t.Errorf("chunk %d head = %+v", i, c)
			}
			if id == "" {
				id = c.ID
			} else if c.ID != id {
				t.Errorf("chunk %d id %q, want %q throughout", i, c.ID, id)
			}
			switch {
			case i == 0:
				if c.Choices[0].Delta.Role != "assistant" || c.Choices[0].FinishReason != nil {
					t.Errorf("first chunk = %s", d)
				}
			case withUsage && i == len(chunks)-1:
				if len(c.Choices) != 0 || c.Usage == nil || c.Usage.CompletionTokens != 2 || c.Usage.TotalTokens != 7 {
					t.Errorf("usage chunk = %s", d)
				}
			case c.Choices[0].FinishReason != nil:
				if *c.Choices[0].FinishReason != "length" || c.Choices[0].Delta.Content != nil {
					t.Errorf("final chunk = %s", d)
				}
			default:
				text += *c.Choices[0].Delta.Content
			}
			if !(withUsage && i == len(chunks)-1) && c.Usage != nil {
				t.Errorf("usage in chunk %d: %s", i, d)
			}
		}
		if text != "Héllo" {
			t.Errorf("streamed text %q", text)
		}
	}
}

func TestChatLogprobs(t *testing.T) {
	ts := newTestServer(t, apptest.NewFakeGen("A", "B"), ServerOptions{})
	_, _, b := call(t, "POST", ts.URL+"/v1/chat/completions",
		`{"messages":[{"role":"user","content":"hi"}],"logprobs":true,"top_logprobs":2}`, nil)
	got := decode[apptest.WireChat](t, b)
	lp := got.Choices[0].Logprobs
	if lp == nil || len(lp.Content) != 2 {
		t.Fatalf("logprobs = %s", b)
	}
	first := lp.Content[0]
	if first.Token != "A" || !reflect.DeepEqual(first.Bytes, []int{'A'}) || len(first.TopLogprobs) != 2 ||
		first.TopLogprobs[1].Token != "alt" || first.Logprob > -0.69 || first.Logprob < -0.70 {
		t.Errorf("first token logprob = %+v", first)
	}

	// Streamed, each chunk carries its token's entry.
	_, _, b = call(t, "POST", ts.URL+"/v1/chat/completions",
		`{"messages":[{"role":"user","content":"hi"}],"logprobs":true,"stream":true}`, nil)
	data := sseData(t, b)
	c := decode[apptest.WireChat](t, []byte(data[1]))
	if c.Choices[0].Logprobs == nil || c.Choices[0].Logprobs.Content[0].Token != "A" || len(c.Choices[0].Logprobs.Content[0].TopLogprobs) != 0 {
		t.Errorf("streamed logprobs = %s", data[1])
	}
}

type wireCompletion struct {
	Object  string
	Choices []struct {
		Text         string
		FinishReason *string `json:"finish_reason"`
		Logprobs     *struct {
			Tokens        []string
			TokenLogprobs []float64            `json:"token_logprobs"`
			TopLogprobs   []map[string]float64 `json:"top_logprobs"`
			TextOffset    []int                `json:"text_offset"`
		}
	}
	Usage *struct {
		TotalTokens int `json:"total_tokens"`
	}
}

func TestCompletions(t *testing.T) {
	gen := apptest.NewFakeGen(" upon", " a", " time")
	ts := newTestServer(t, gen, ServerOptions{})
	status, _, b := call(t, "POST", ts.URL+"/v1/completions",
		`{"model":"tiny.gguf","prompt":"Once","echo":true,"logprobs":1,"seed":3}`, nil)
	if status != 200 {
		t.Fatalf("status %d: %s", status, b)
	}
	got := decode[wireCompletion](t, b)
	if got.Object != "text_completion" || got.Choices[0].Text != "Once upon a time" || *got.Choices[0].FinishReason != "stop" {
		t.Errorf("completion = %s", b)
	}
	if lp := got.Choices[0].Logprobs; lp == nil || !reflect.DeepEqual(lp.TextOffset, []int{4, 9, 11}) || len(lp.TopLogprobs[0]) != 1 {
		t.Errorf("logprobs = %s", b)
	}
	req := gen.LastRequest()
	if req.Prompt != "Once" || len(req.Messages) != 0 || req.Template != "" ||
		req.MaxTokens != defaultCompletionMaxTokens || req.Params.Seed != 3 {
		t.Errorf("request = %+v", req)
	}

	status, _, b = call(t, "POST", ts.URL+"/v1/completions",
		`{"prompt":["Once"],"max_tokens":3,"stream":true,"stream_options":{"include_usage":true}}`, nil)
	data := sseData(t, b)
	if status != 200 || len(data) != 6 || data[5] != "[DONE]" {
		t.Fatalf("stream %d: %s", status, b)
	}
	var text string
	for _, d := range data[:3] {
		text += decode[wireCompletion](t, []byte(d)).Choices[0].Text
	}
	if fin := decode[wireCompletion](t, []byte(data[3])); text != " upon a time" || *fin.Choices[0].FinishReason != "stop" {
		t.Errorf("streamed %q, final %s", text, data[3])
	}
	if u := decode[wireCompletion](t, []byte(data[4])); u.Usage == nil || u.Usage.TotalTokens != 8 {
		t.Errorf("usage chunk %s", data[4])
	}
}

func TestModels(t *testing.T) {
	ts := newTestServer(t, apptest.NewFakeGen(), ServerOptions{Library: func() []string {
		return []string{"acme/tiny/tiny.gguf", "acme/big/big-q4_k_m.gguf"}
	}})
	status, _, b := call(t, "GET", ts.URL+"/v1/models", "", nil)
	type model struct {
		ID, Object string
		OwnedBy    string `json:"owned_by"`
		Loaded     bool
	}
	list := decode[struct {
		Object string
		Data   []model
	}](t, b)
	want := []model{{"tiny", "model", "burrow", true}, {"acme/big/big-q4_k_m.gguf", "model", "burrow", false}}
	if status != 200 || list.Object != "list" || !reflect.DeepEqual(list.Data, want) {
		t.Errorf("models %d = %s", status, b)
	}
	for id, wantStatus := range map[string]int{
		"tiny": 200, "tiny.gguf": 200, "Tiny Llama": 200, "acme/tiny/tiny.gguf": 200, "acme/big/big-q4_k_m.gguf": 200, "nope": 404,
	} {
		status, _, b := call(t, "GET", ts.URL+"/v1/models/"+id, "", nil)
		if status != wantStatus {
			t.Errorf("GET /v1/models/%s = %d: %s", id, status, b)
		}
	}

	empty := newTestServer(t, apptest.NewFakeGen(), ServerOptions{Model: func() *inference.ModelInfo { return nil }})
	if _, _, b := call(t, "GET", empty.URL+"/v1/models", "", nil); string(b) != "{\"object\":\"list\",\"data\":[]}\n" {
		t.Errorf("no models = %s", b)
	}
}

type wireError struct {
	Error *struct {
		Message string
		Type    string
		Param   *string
		Code    *string
	}
}

func TestErrors(t *testing.T) {
	chat := "/v1/chat/completions"
	big := `{"messages":[{"role":"user","content":"` + strings.Repeat("x", 2048) + `"}]}`
	tests := []struct {
		name, method, path, body string
		opts                     ServerOptions
		header                   map[string]string
		status                   int
		code                     string
	}{
		{"bad json", "POST", chat, `{"messages":[`, ServerOptions{}, nil, 400, ""},
		{"two values", "POST", chat, `{} {}`, ServerOptions{}, nil, 400, ""},
		{"wrong type", "POST", chat, `{"messages":"hi"}`, ServerOptions{}, nil, 400, ""},
		{"bad stop", "POST", chat, `{"messages":[{"role":"user","content":"hi"}],"stop":3}`, ServerOptions{}, nil, 400, ""},
		{"no messages", "POST", chat, `{"messages":[]}`, ServerOptions{}, nil, 400, ""},
		{"bad role", "POST", chat, `{"messages":[{"role":"wizard","content":"hi"}]}`, ServerOptions{}, nil, 400, ""},
		{"image part", "POST", chat, `{"messages":[{"role":"user","content":[{"type":"image_url"}]}]}`, ServerOptions{}, nil, 400, ""},
		{"n=2", "POST", chat, `{"messages":[{"role":"user","content":"hi"}],"n":2}`, ServerOptions{}, nil, 400, ""},
		{"temperature", "POST", chat, `{"messages":[{"role":"user","content":"hi"}],"temperature":3}`, ServerOptions{}, nil, 400, ""},
		{"max_tokens 0", "POST", chat, `{"messages":[{"role":"user","content":"hi"}],"max_tokens":0}`, ServerOptions{}, nil, 400, ""},
		{"tools", "POST", chat, `{"messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function"}]}`, ServerOptions{}, nil, 400, ""},
		{"top_logprobs alone", "POST", chat, `{"messages":[{"role":"user","content":"hi"}],"top_logprobs":2}`, ServerOptions{}, nil, 400, ""},
		{"no prompt", "POST", "/v1/completions", `{}`, ServerOptions{}, nil, 400, ""},
		{"token prompt", "POST", "/v1/completions", `{"prompt":[1,2,3]}`, ServerOptions{}, nil, 400, ""},
		{"unknown model", "POST", chat, `{"model":"gpt-4","messages":[{"role":"user","content":"hi"}]}`, ServerOptions{}, nil, 404, "model_not_found"},
		{"no model loaded", "POST", chat, `{"messages":[{"role":"user","content":"hi"}]}`,
			ServerOptions{Model: func() *inference.ModelInfo { return nil }}, nil, 503, "model_not_loaded"},
		{"too large", "POST", chat, big, ServerOptions{MaxBodyBytes: 1024}, nil, 413, "request_too_large"},
		{"too large, chunked", "POST", chat, big, ServerOptions{MaxBodyBytes: 1024}, map[string]string{"Transfer-Encoding": "chunked"}, 413, "request_too_large"},
		{"no key", "GET", "/v1/models", "", ServerOptions{APIKey: "s3cret"}, nil, 401, "invalid_api_key"},
		{"wrong key", "GET", "/v1/models", "", ServerOptions{APIKey: "s3cret"}, map[string]string{"Authorization": "Bearer nope"}, 401, "invalid_api_key"},
		{"unknown route", "GET", "/v2/whatever", "", ServerOptions{}, nil, 404, "unknown_url"},
		{"wrong method", "GET", chat, "", ServerOptions{}, nil, 405, "method_not_allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestServer(t, apptest.NewFakeGen("x"), tt.opts)
			status, h, b := call(t, tt.method, ts.URL+tt.path, tt.body, tt.header)
			if status != tt.status {
				t.Fatalf("status %d, want %d: %s", status, tt.status, b)
			}
			if h.Get("Content-Type") != "application/json" {
				t.Errorf("content type %q", h.Get("Content-Type"))
			}
			e := decode[wireError](t, b)
			if e.Error == nil || e.Error.Message == "" || e.Error.Type == "" {
				t.Fatalf("not an OpenAI error: %s", b)
			}
			if tt.code != "" && (e.Error.Code == nil || *e.Error.Code != tt.code) {
				t.Errorf("code = %v, want %q: %s", e.Error.Code, tt.code, b)
			}
		})
	}
}

func TestAPIKeyAccepted(t *testing.T) {
	ts := newTestServer(t, apptest.NewFakeGen("x"), ServerOptions{APIKey: "s3cret"})
	status, _, b := call(t, "POST", ts.URL+"/v1/chat/completions", `{"messages":[{"role":"user","content":"hi"}]}`,
		map[string]string{"Authorization": "Bearer s3cret"})
	if status != 200 {
		t.Errorf("status %d: %s", status, b)
	}
}

func TestEngineErrors(t *testing.T) {
	gen := apptest.NewFakeGen()
	gen.Err = io.ErrUnexpectedEOF
	ts := newTestServer(t, gen, ServerOptions{})
	for _, stream := range []string{"false", "true"} {
		status, _, b := call(t, "POST", ts.URL+"/v1/chat/completions",
			`{"stream":`+stream+`,"messages":[{"role":"user","content":"hi"}]}`, nil)
		if e := decode[wireError](t, b); status != 500 || e.Error == nil || !strings.Contains(e.Error.Message, "unexpected EOF") {
			t.Errorf("stream=%s: status %d: %s", stream, status, b)
		}
	}
}

func TestPanicIsA500(t *testing.T) {
	gen := apptest.NewFakeGen()
	gen.Panics = true
	ts := newTestServer(t, gen, ServerOptions{})
	status, _, b := call(t, "POST", ts.URL+"/v1/chat/completions", `{"messages":[{"role":"user","content":"hi"}]}`, nil)
	if status != 500 || decode[wireError](t, b).Error == nil {
		t.Errorf("status %d: %s", status, b)
	}
	// The server still answers.
	if status, _, _ := call(t, "GET", ts.URL+"/v1/models", "", nil); status != 200 {
		t.Errorf("after a panic: status %d", status)
	}
}

func TestQueueFull(t *testing.T) {
	gen := apptest.NewFakeGen("x")
	gen.Hold = make(chan struct{})
	ts := newTestServer(t, gen, ServerOptions{MaxQueue: 1})
	body := `{"messages":[{"role":"user","content":"hi"}]}`
	results := make(chan int, 2)
	for range 2 { // one running, one waiting: the queue is full
		go func() {
			status, _, _ := call(t, "POST", ts.URL+"/v1/chat/completions", body, nil)
			results <- status
		}()
		<-gen.Started
	}
	status, _, b := call(t, "POST", ts.URL+"/v1/chat/completions", body, nil)
	if e := decode[wireError](t, b); status != 503 || e.Error == nil || *e.Error.Code != "server_busy" {
		t.Errorf("third request: status %d: %s", status, b)
	}
	close(gen.Hold)
	for range 2 {
		if s := <-results; s != 200 {
			t.Errorf("held request: status %d", s)
		}
	}
	// With the queue drained, requests are admitted again.
	if status, _, b := call(t, "POST", ts.URL+"/v1/chat/completions", body, nil); status != 200 {
		t.Errorf("after drain: status %d: %s", status, b)
	}
}

func TestClientDisconnectCancels(t *testing.T) {
	for _, stream := range []string{"false", "true"} {
		gen := apptest.NewFakeGen("x")
		gen.Hold = make(chan struct{})
		ts := newTestServer(t, gen, ServerOptions{MaxQueue: 1})
		ctx, cancel := context.WithCancel(context.Background())
		req, _ := http.NewRequestWithContext(ctx, "POST", ts.URL+"/v1/chat/completions",
			strings.NewReader(`{"stream":`+stream+`,"messages":[{"role":"user","content":"hi"}]}`))
		errc := make(chan error, 1)
		go func() {
			resp, err := http.DefaultClient.Do(req)
			if err == nil {
				_, err = io.ReadAll(resp.Body)
				resp.Body.Close()
			}
			errc <- err
		}()
		<-gen.Started
		cancel()
		<-gen.Cancelled // the engine saw the hang-up through its context
		if err := <-errc; err == nil {
			t.Errorf("stream=%s: the request should have failed", stream)
		}
	}
}

func TestCORS(t *testing.T) {
	preflight := map[string]string{"Origin": "http://example.com", "Access-Control-Request-Method": "POST",
		"Access-Control-Request-Headers": "authorization, content-type"}

	off := newTestServer(t, apptest.NewFakeGen(), ServerOptions{})
	status, h, _ := call(t, "OPTIONS", off.URL+"/v1/chat/completions", "", preflight)
	if status == 204 || h.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("CORS off: preflight %d, allow-origin %q", status, h.Get("Access-Control-Allow-Origin"))
	}

	on := newTestServer(t, apptest.NewFakeGen("x"), ServerOptions{CORS: true, APIKey: "k"})
	status, h, _ = call(t, "OPTIONS", on.URL+"/v1/chat/completions", "", preflight)
	if status != 204 || h.Get("Access-Control-Allow-Origin") != "*" ||
		!strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST") ||
		h.Get("Access-Control-Allow-Headers") != "authorization, content-type" {
		t.Errorf("CORS on: preflight %d %v", status, h)
	}
	status, h, _ = call(t, "GET", on.URL+"/v1/models", "", map[string]string{"Origin": "http://example.com", "Authorization": "Bearer k"})
	if status != 200 || h.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("CORS on: GET %d %v", status, h)
	}
}

func TestStartStop(t *testing.T) {
	srv := NewServer(apptest.NewFakeGen("x"), ServerOptions{Port: -1, Model: apptest.LoadedFake})
	if srv.Addr() != "" || srv.Running() {
		t.Fatal("a new server should not be running")
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err == nil {
		t.Error("a second Start should fail")
	}
	addr := srv.Addr()
	if !strings.HasPrefix(addr, "http://127.0.0.1:") || !strings.HasSuffix(addr, "/v1") {
		t.Errorf("Addr = %q", addr)
	}
	if status, _, b := call(t, "GET", addr+"/models", "", nil); status != 200 {
		t.Errorf("GET models: %d %s", status, b)
	}
	if err := srv.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if srv.Running() || srv.Addr() != "" {
		t.Error("Stop should clear the address")
	}
	if err := srv.Stop(context.Background()); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if _, err := http.Get(addr + "/models"); err == nil {
		t.Error("the server still answers after Stop")
	}
	if err := srv.Start(); err != nil { // the UI toggles it on again
		t.Fatalf("restart: %v", err)
	}
	_ = srv.Stop(context.Background())
}

func TestHostCheck(t *testing.T) {
	ts := newTestServer(t, apptest.NewFakeGen(), ServerOptions{}) // 127.0.0.1 by default
	for host, want := range map[string]int{
		"": 200, "localhost:1234": 200, "LOCALHOST": 200, "app.localhost": 200, "127.0.0.1:1": 200, "[::1]:1234": 200,
		"evil.example.com": 403, "evil.example.com:1234": 403,
	} {
		req, _ := http.NewRequest("GET", ts.URL+"/v1/models", nil)
		if host != "" {
			req.Host = host
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("Host %q: status %d, want %d", host, resp.StatusCode, want)
		}
	}
	// Listening on every interface, names are the operator's business.
	open := newTestServer(t, apptest.NewFakeGen(), ServerOptions{Host: "0.0.0.0"})
	req, _ := http.NewRequest("GET", open.URL+"/v1/models", nil)
	req.Host = "gpu-box.lan:1234"
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Errorf("0.0.0.0 with a name: %v %v", resp, err)
	}
}

// TestStopCancelsStreams: Stop waits for replies until its context ends,
// then cancels the generations still running.
func TestStopCancelsStreams(t *testing.T) {
	gen := apptest.NewFakeGen("x")
	gen.Hold = make(chan struct{})
	srv := NewServer(gen, ServerOptions{Port: -1, Model: apptest.LoadedFake})
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		resp, err := http.Post(srv.Addr()+"/chat/completions", "application/json",
			strings.NewReader(`{"stream":true,"messages":[{"role":"user","content":"hi"}]}`))
		if err == nil {
			_, err = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		errc <- err
	}()
	<-gen.Started
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // no grace: cancel at once
	_ = srv.Stop(ctx)
	<-gen.Cancelled
	<-errc // the client sees the end of the stream, whatever its error
	if srv.Running() {
		t.Error("still running")
	}
}
