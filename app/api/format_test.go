package api

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"burrow/app/apptest"
	"burrow/inference"
	"burrow/internal/testenv"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

const personSchema = `{"type": "object", "properties": {"name": {"type": "string", "maxLength": 5}, "age": {"type": "integer"}}, "required": ["name", "age"], "additionalProperties": false}`

// response_format and grammar reach the worker as a compiled grammar;
// text (or nothing) leaves the reply free.
func TestStructuredOutputFields(t *testing.T) {
	gen := apptest.NewFakeGen("{}")
	ts := newTestServer(t, gen, ServerOptions{})
	tests := []struct {
		path, extra string
		want        bool
	}{
		{"/v1/chat/completions", `"response_format": {"type": "text"}`, false},
		{"/v1/chat/completions", `"response_format": {"type": "json_object"}`, true},
		{"/v1/chat/completions", `"response_format": {"type": "json_schema", "json_schema": {"name": "p", "strict": true, "schema": ` + personSchema + `}}`, true},
		{"/v1/chat/completions", `"response_format": {"type": "json_object", "schema": ` + personSchema + `}`, true},
		{"/v1/chat/completions", `"grammar": "root ::= \"yes\" | \"no\""`, true},
		{"/v1/completions", `"grammar": "root ::= [0-9]+"`, true},
		{"/v1/completions", `"response_format": {"type": "json_object"}`, true},
		{"/v1/completions", `"grammar": ""`, false},
	}
	for _, tt := range tests {
		body := `{"messages": [{"role": "user", "content": "hi"}], ` + tt.extra + `}`
		if tt.path == "/v1/completions" {
			body = `{"prompt": "hi", ` + tt.extra + `}`
		}
		status, _, b := call(t, "POST", ts.URL+tt.path, body, nil)
		if status != 200 {
			t.Fatalf("%s %s: %d %s", tt.path, tt.extra, status, b)
		}
		if got := gen.LastRequest().Grammar != nil; got != tt.want {
			t.Errorf("%s %s: grammar set = %v, want %v", tt.path, tt.extra, got, tt.want)
		}
	}
}

func TestStructuredOutputErrors(t *testing.T) {
	ts := newTestServer(t, apptest.NewFakeGen("x"), ServerOptions{})
	tests := []struct{ extra, param, msg string }{
		{`"response_format": {"type": "xml"}`, "response_format", "not supported"},
		{`"response_format": {"type": "json_schema"}`, "response_format.json_schema.schema", "needs json_schema.schema"},
		{`"response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "string", "pattern": "\\bword\\b"}}}`, "response_format.json_schema.schema", "word boundary"},
		{`"response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": false}}`, "response_format.json_schema.schema", "allows no value"},
		{`"response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {"$ref": "#/$defs/nope"}}}`, "response_format.json_schema.schema", "points at nothing"},
		{`"grammar": "root ::= root \"a\" | \"b\""`, "grammar", "left-recursive"},
		{`"grammar": "start ::= \"a\""`, "grammar", "no root"},
		{`"grammar": "root ::= \"a\"", "response_format": {"type": "json_object"}`, "grammar", "not both"},
		{`"grammar": "root ::= \"` + strings.Repeat("a", 1<<20) + `\""`, "grammar", "at most"},
	}
	for _, tt := range tests {
		status, _, b := call(t, "POST", ts.URL+"/v1/chat/completions", `{"messages": [{"role": "user", "content": "hi"}], `+tt.extra+`}`, nil)
		var e struct {
			Error apiError `json:"error"`
		}
		if err := json.Unmarshal(b, &e); err != nil || status != 400 || e.Error.Param == nil || *e.Error.Param != tt.param || !strings.Contains(e.Error.Message, tt.msg) {
			t.Errorf("%.80s: %d %.300s; want 400 on %s mentioning %q", tt.extra, status, b, tt.param, tt.msg)
		}
	}
	// The server is still up.
	if status, _, _ := call(t, "POST", ts.URL+"/v1/chat/completions", `{"messages": [{"role": "user", "content": "hi"}]}`, nil); status != 200 {
		t.Fatalf("after the bad requests: %d", status)
	}
}

// End to end on the real tiny story model: with a schema, the reply
// always parses and validates, for several seeds and temperatures.
func TestJSONSchemaOnRealModel(t *testing.T) {
	w := inference.NewWorker()
	t.Cleanup(w.Close)
	var info *inference.ModelInfo
	for ev := range w.Load(context.Background(), testenv.Path(t, "models", "stories260K-f32.gguf"), inference.LoadOptions{ContextLength: 512, Threads: 2}) {
		switch ev.Kind {
		case inference.EventLoaded:
			info = ev.Model
		case inference.EventError:
			t.Fatal(ev.Err)
		}
	}
	if info == nil {
		t.Fatal("no model loaded")
	}
	ts := newTestServer(t, w, ServerOptions{Model: func() *inference.ModelInfo { return info }})
	sch := compileAPISchema(t, personSchema)
	for _, temp := range []string{"0", "0.9", "1.6"} {
		for _, seed := range []string{"1", "2", "3"} {
			for _, path := range []string{"/v1/completions", "/v1/chat/completions"} {
				body := `{"prompt": "Once upon a time", "max_tokens": 400, "temperature": ` + temp + `, "seed": ` + seed +
					`, "response_format": {"type": "json_schema", "json_schema": {"name": "person", "strict": true, "schema": ` + personSchema + `}}}`
				if path == "/v1/chat/completions" {
					body = strings.Replace(body, `"prompt": "Once upon a time"`, `"messages": [{"role": "user", "content": "Tell me about Lily."}]`, 1)
				}
				status, _, b := call(t, "POST", ts.URL+path, body, nil)
				if status != 200 {
					t.Fatalf("%s: %d %s", path, status, b)
				}
				var resp struct {
					Choices []struct {
						Text         string `json:"text"`
						FinishReason string `json:"finish_reason"`
						Message      struct {
							Content string `json:"content"`
						} `json:"message"`
					} `json:"choices"`
				}
				if err := json.Unmarshal(b, &resp); err != nil || len(resp.Choices) != 1 {
					t.Fatalf("%s: %s", path, b)
				}
				text := resp.Choices[0].Text + resp.Choices[0].Message.Content
				if resp.Choices[0].FinishReason != "stop" {
					t.Fatalf("%s temp %s seed %s: finish %q: %q", path, temp, seed, resp.Choices[0].FinishReason, text)
				}
				inst, err := jsonschema.UnmarshalJSON(strings.NewReader(text))
				if err != nil {
					t.Fatalf("%s temp %s seed %s: %q is not JSON: %v", path, temp, seed, text, err)
				}
				if err := sch.Validate(inst); err != nil {
					t.Fatalf("%s temp %s seed %s: %q does not validate: %v", path, temp, seed, text, err)
				}
			}
		}
	}
}

// streamed: the deltas join into valid JSON too.
func TestJSONSchemaStreamedOnRealModel(t *testing.T) {
	w := inference.NewWorker()
	t.Cleanup(w.Close)
	var info *inference.ModelInfo
	for ev := range w.Load(context.Background(), testenv.Path(t, "models", "stories260K-f32.gguf"), inference.LoadOptions{ContextLength: 512, Threads: 2}) {
		if ev.Kind == inference.EventLoaded {
			info = ev.Model
		}
	}
	if info == nil {
		t.Fatal("no model loaded")
	}
	ts := newTestServer(t, w, ServerOptions{Model: func() *inference.ModelInfo { return info }})
	sch := compileAPISchema(t, personSchema)
	for _, seed := range []string{"4", "5", "6"} {
		status, _, b := call(t, "POST", ts.URL+"/v1/chat/completions", `{"stream": true, "max_tokens": 400, "seed": `+seed+
			`, "messages": [{"role": "user", "content": "Who is Tom?"}], "response_format": {"type": "json_schema", "json_schema": {"name": "p", "schema": `+personSchema+`}}}`, nil)
		if status != 200 {
			t.Fatalf("%d %s", status, b)
		}
		data := sseData(t, b)
		var text, finish string
		for _, d := range data[:len(data)-1] {
			c := decode[apptest.WireChat](t, []byte(d))
			if len(c.Choices) == 0 {
				continue
			}
			if c.Choices[0].Delta.Content != nil {
				text += *c.Choices[0].Delta.Content
			}
			if c.Choices[0].FinishReason != nil {
				finish = *c.Choices[0].FinishReason
			}
		}
		inst, err := jsonschema.UnmarshalJSON(strings.NewReader(text))
		if err != nil || finish != "stop" {
			t.Fatalf("seed %s: finish %q, %q: %v", seed, finish, text, err)
		}
		if err := sch.Validate(inst); err != nil {
			t.Fatalf("seed %s: %q: %v", seed, text, err)
		}
	}
}

func compileAPISchema(t *testing.T, src string) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}
