package api

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"burrow/app/apptest"
)

// routes are the generation endpoints FuzzRequestBodies posts to.
var routes = []string{"/v1/completions", "/v1/chat/completions", "/v1/responses", "/v1/embeddings", "/api/chat", "/api/generate", "/api/embed"}

// FuzzRequestBodies: whatever the body, the server answers with a status
// a client can act on, never a 500 (a recovered panic) or a hang.
func FuzzRequestBodies(f *testing.F) {
	for _, seed := range []string{
		`{"messages":[{"role":"user","content":"hi"}]}`,
		`{"messages":[{"role":"user","content":[{"type":"text","text":"a"}]}],"stream":true,"logprobs":true,"top_logprobs":3}`,
		`{"prompt":"Once","max_tokens":2,"logprobs":2,"echo":true,"stream":true}`,
		`{"stop":["a",1]}`, `{"seed":-1,"temperature":null}`, `[]`, `null`, `{"n":0}`, "\x00",
		`{"messages":[{"role":"user","content":"hi","images":null}],"options":{"num_predict":-1,"stop":"x"},"stream":false}`,
		`{"prompt":"x","raw":true,"context":[],"format":""}`,
		`{"prompt":"a","grammar":"root ::= [a-z]{1,3}"}`,
		`{"messages":[{"role":"user","content":"hi"}],"response_format":{"type":"json_schema","json_schema":{"schema":{"type":"array","items":{"enum":[1,"a"]}}}}}`,
		`{"input":[{"role":"user","content":"x"},{"type":"function_call","call_id":"c","name":"f","arguments":"{}"},{"type":"function_call_output","call_id":"c","output":[{"type":"input_text","text":"1"}]}],"tools":[{"type":"function","name":"f"}],"tool_choice":{"type":"function","name":"f"},"stream":true}`,
		`{"messages":[{"role":"assistant","tool_calls":[{"function":{"name":"f","arguments":{"a":1}}}]},{"role":"tool","content":"1","tool_name":"f"}],"tools":[{"type":"function","function":{"name":"f"}}]}`,
	} {
		for route := range routes {
			f.Add(seed, uint8(route))
		}
	}
	// A tool-calling model whose replies hold a call, so tool paths run too.
	h := NewServer(&fakeEmbedder{FakeGen: apptest.NewFakeGen(append([]string{"a"}, hermesCall...)...)}, ServerOptions{Model: toolModel, MaxBodyBytes: 4096}).Handler()
	f.Fuzz(func(t *testing.T, body string, route uint8) {
		path := routes[int(route)%len(routes)]
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		req.Host = "127.0.0.1:1234"
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		default:
			t.Fatalf("POST %s %q: status %d: %s", path, body, rec.Code, rec.Body)
		}
		want := `{"error":{` // OpenAI's error object
		if strings.HasPrefix(path, "/api/") {
			want = `{"error":"` // Ollama's message
		}
		if rec.Code != http.StatusOK && !strings.HasPrefix(rec.Body.String(), want) {
			t.Fatalf("POST %s: not the API's error shape: %s", path, rec.Body)
		}
	})
}
