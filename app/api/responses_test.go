package api

import (
	"strings"
	"testing"

	"burrow/app/apptest"
	"burrow/inference"
)

func TestResponsesInputItems(t *testing.T) {
	gen := apptest.NewFakeGen("Hi", " there")
	ts := newTestServer(t, gen, ServerOptions{})
	status, _, b := call(t, "POST", ts.URL+"/v1/responses", `{"model":"tiny","instructions":"Be brief.",
		"input":[{"role":"user","content":"Hello"},{"type":"message","role":"assistant","content":[{"type":"output_text","text":"Yes?"}]},
		{"role":"user","content":[{"type":"input_text","text":"More"}]}],"max_output_tokens":5,"temperature":0,"store":false}`, nil)
	if status != 200 {
		t.Fatalf("%d %s", status, b)
	}
	got := decode[response](t, b)
	if got.Object != "response" || got.Status != "completed" || !strings.HasPrefix(got.ID, "resp_") || len(got.Output) != 1 ||
		got.Output[0].Content[0].Text != "Hi there" || got.Usage == nil || got.Usage.OutputTokens != 2 {
		t.Errorf("response %s", b)
	}
	req := gen.LastRequest()
	if len(req.Messages) != 4 || req.Messages[0].Role != "system" || req.Messages[2].Content != "Yes?" || req.Messages[3].Content != "More" || req.MaxTokens != 5 {
		t.Errorf("request %+v", req)
	}
	gen.Stop = inference.StopMaxTokens
	_, _, b = call(t, "POST", ts.URL+"/v1/responses", `{"input":"x"}`, nil)
	if got := decode[response](t, b); got.Status != "incomplete" || got.IncompleteDetails == nil || got.IncompleteDetails.Reason != "max_output_tokens" {
		t.Errorf("incomplete %s", b)
	}
}

func TestResponsesStreamEvents(t *testing.T) {
	ts := newTestServer(t, apptest.NewFakeGen("a", "b"), ServerOptions{})
	_, _, b := call(t, "POST", ts.URL+"/v1/responses", `{"input":"x","stream":true}`, nil)
	var types []string
	for _, d := range sseData(t, b) {
		types = append(types, decode[struct{ Type string }](t, []byte(d)).Type)
	}
	want := "response.created response.in_progress response.output_item.added response.content_part.added " +
		"response.output_text.delta response.output_text.delta response.output_text.done response.content_part.done " +
		"response.output_item.done response.completed"
	if strings.Join(types, " ") != want {
		t.Errorf("events %v", types)
	}
	if !strings.Contains(string(b), "event: response.completed\n") {
		t.Errorf("no event lines: %s", b)
	}
}

func TestResponsesErrors(t *testing.T) {
	ts := newTestServer(t, apptest.NewFakeGen("x"), ServerOptions{})
	for _, tc := range []struct{ body, want string }{
		{`{}`, "input is required"},
		{`{"input":[]}`, "at least one message"},
		{`{"input":"x","previous_response_id":"resp_1"}`, "keeps no responses"},
		{`{"input":"x","store":true}`, "store"},
		{`{"input":"x","tools":[{"type":"function","name":"f"}]}`, "tools"},
		{`{"input":"x","text":{"format":{"type":"xml"}}}`, "text.format"},
		{`{"input":"x","text":{"format":{"type":"json_schema"}}}`, "text.format"},
		{`{"input":[{"type":"function_call_output","output":"1"}]}`, "function_call_output"},
		{`{"input":[{"role":"user","content":[{"type":"input_image"}]}]}`, "input_image"},
		{`{"input":[{"role":"robot","content":"x"}]}`, "robot"},
		{`{"input":"x","max_output_tokens":0}`, "max_output_tokens"},
	} {
		status, _, b := call(t, "POST", ts.URL+"/v1/responses", tc.body, nil)
		if status != 400 || !strings.Contains(string(b), tc.want) {
			t.Errorf("%s: %d %s", tc.body, status, b)
		}
	}
}

// TestResponsesTextFormat: text.format json_schema and json_object become
// the reply's grammar, as response_format does on chat completions.
func TestResponsesTextFormat(t *testing.T) {
	gen := apptest.NewFakeGen(`{"a": 1}`)
	ts := newTestServer(t, gen, ServerOptions{})
	for _, f := range []string{`{"type":"json_object"}`, `{"type":"json_schema","name":"x","strict":true,"schema":{"type":"object","properties":{"a":{"type":"integer"}},"required":["a"]}}`} {
		status, _, b := call(t, "POST", ts.URL+"/v1/responses", `{"input":"x","text":{"format":`+f+`}}`, nil)
		echo := decode[struct {
			Text struct{ Format struct{ Type, Name string } }
		}](t, b).Text.Format
		if status != 200 || gen.LastRequest().Grammar == nil || !strings.Contains(f, `"type":"`+echo.Type+`"`) || (echo.Type == "json_schema" && echo.Name != "x") {
			t.Errorf("%s: %d %s", f, status, b)
		}
	}
}
