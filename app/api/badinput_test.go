package api

import (
	"encoding/json"
	"strings"
	"testing"

	"burrow/app/apptest"
)

// TestBadInputLeavesServerUp is the bad-input list, each through
// the HTTP server: a schema no value satisfies, a grammar over 1 MiB, a
// tool with no name, 10 000 embedding inputs. Each is a 400 in OpenAI's
// error shape naming the field (Ollama's routes: its own {"error": ...}),
// and the next ordinary request still works.
func TestBadInputLeavesServerUp(t *testing.T) {
	gen := &fakeEmbedder{FakeGen: apptest.NewFakeGen("ok")}
	ts := newTestServer(t, gen, ServerOptions{Model: toolModel})
	msg := `"messages":[{"role":"user","content":"hi"}]`
	rf := func(schema string) string {
		return `{` + msg + `,"response_format":{"type":"json_schema","json_schema":{"name":"x","strict":true,"schema":` + schema + `}}}`
	}
	bigGrammar, _ := json.Marshal(`root ::= "a"` + strings.Repeat(` | "abcdefghijklmnop"`, 1<<20/20+1))
	inputs, _ := json.Marshal(make([]string, 10000))
	inputs = []byte(strings.ReplaceAll(string(inputs), `""`, `"some text"`))
	for _, tc := range []struct {
		path, body, param, want string
	}{
		{"/v1/chat/completions", rf(`false`), "response_format.json_schema.schema", "allows no value"},
		{"/v1/chat/completions", rf(`{"type":"integer","minimum":5,"maximum":1}`), "response_format.json_schema.schema", "no integer"},
		{"/v1/chat/completions", rf(`{"type":"string","enum":[1,2]}`), "response_format.json_schema.schema", "no enum value"},
		{"/v1/chat/completions", rf(`{"type":"object","properties":{"a":{"type":"string"}},"required":["a","b"],"additionalProperties":false}`), "response_format.json_schema.schema", "required"},
		{"/v1/chat/completions", rf(`{"type":"array","items":{"type":"string","minLength":3,"maxLength":1},"minItems":1}`), "response_format.json_schema.schema", "below minLength"},
		{"/v1/completions", `{"prompt":"x","response_format":{"type":"json_schema","json_schema":{"schema":false}}}`, "response_format.json_schema.schema", "allows no value"},
		{"/v1/responses", `{"input":"x","text":{"format":{"type":"json_schema","name":"x","schema":{"type":"string","const":3}}}}`, "text.format", "no value is allowed"},
		{"/v1/chat/completions", `{` + msg + `,"grammar":` + string(bigGrammar) + `}`, "grammar", "at most 1048576"},
		{"/v1/completions", `{"prompt":"x","grammar":` + string(bigGrammar) + `}`, "grammar", "at most 1048576"},
		{"/v1/chat/completions", `{` + msg + `,"tools":[{"type":"function","function":{"description":"no name"}}]}`, "tools[0].function.name", "needs a name"},
		{"/v1/chat/completions", `{` + msg + `,"tool_choice":"required","tools":[{"type":"function","function":{"name":"ok"}},{"type":"function","function":{"name":""}}]}`, "tools[1].function.name", "needs a name"},
		{"/v1/responses", `{"input":"x","tools":[{"type":"function","description":"no name"}]}`, "tools[0].name", "needs a name"},
		{"/v1/embeddings", `{"input":` + string(inputs) + `}`, "input", "more than the"},
	} {
		status, _, b := call(t, "POST", ts.URL+tc.path, tc.body, nil)
		var e struct {
			Error *apiError `json:"error"`
		}
		if err := json.Unmarshal(b, &e); err != nil || status != 400 || e.Error == nil || e.Error.Type != "invalid_request_error" ||
			e.Error.Param == nil || *e.Error.Param != tc.param || !strings.Contains(e.Error.Message, tc.want) {
			t.Errorf("%s %.100s: %d %.300s; want 400 on %s mentioning %q", tc.path, tc.body, status, b, tc.param, tc.want)
		}
		// Still up: an ordinary request right after.
		if status, _, b := call(t, "POST", ts.URL+"/v1/chat/completions", `{`+msg+`}`, nil); status != 200 || !strings.Contains(string(b), `"content":"ok"`) {
			t.Fatalf("after %s %.60s: %d %s", tc.path, tc.body, status, b)
		}
	}
	// Ollama's routes say the same in Ollama's shape.
	for _, tc := range []struct{ path, body, want string }{
		{"/api/chat", `{` + msg + `,"format":false}`, "allows no value"},
		{"/api/chat", `{` + msg + `,"tools":[{"type":"function","function":{}}]}`, "needs a name"},
		{"/api/generate", `{"prompt":"x","format":{"type":"integer","minimum":5,"maximum":1}}`, "no integer"},
		{"/api/embed", `{"input":` + string(inputs) + `}`, "more than the"},
	} {
		status, _, b := call(t, "POST", ts.URL+tc.path, tc.body, nil)
		if status != 400 || !strings.HasPrefix(string(b), `{"error":"`) || !strings.Contains(string(b), tc.want) {
			t.Errorf("%s %.80s: %d %.300s", tc.path, tc.body, status, b)
		}
	}
	if status, _, b := call(t, "POST", ts.URL+"/api/chat", `{"stream":false,`+msg+`}`, nil); status != 200 || !strings.Contains(string(b), `"content":"ok"`) {
		t.Fatalf("Ollama after the bad requests: %d %s", status, b)
	}
}
