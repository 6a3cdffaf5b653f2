package api

import (
	"strings"
	"testing"

	"burrow/app/apptest"
	"burrow/inference"
	"burrow/inference/chat"
	"burrow/inference/toolcall"
)

const weatherTools = `"tools":[{"type":"function","function":{"name":"get_weather","description":"Weather in a city.",
	"parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}]`

// toolModel is a loaded model whose template writes Hermes calls (Qwen).
func toolModel() *inference.ModelInfo {
	m := *apptest.FakeModel
	m.ToolFormat = int(toolcall.Hermes)
	return &m
}

var hermesCall = []string{"<tool", "_call>\n{\"name\": \"get_", "weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>"}

func TestToolCallWhole(t *testing.T) {
	gen := apptest.NewFakeGen(hermesCall...)
	ts := newTestServer(t, gen, ServerOptions{Model: toolModel})
	status, _, b := call(t, "POST", ts.URL+"/v1/chat/completions", `{"messages":[{"role":"user","content":"Weather in Paris?"}],`+weatherTools+`}`, nil)
	if status != 200 {
		t.Fatalf("%d %s", status, b)
	}
	body := string(b)
	if !strings.Contains(body, `"finish_reason":"tool_calls"`) || !strings.Contains(body, `"name":"get_weather","arguments":"{\"city\":\"Paris\"}"`) ||
		!strings.Contains(body, `"type":"function"`) || strings.Contains(body, "<tool_call>") {
		t.Errorf("response %s", b)
	}
	req := gen.LastRequest()
	if _, ok := req.TemplateVars["tools"]; !ok || req.Grammar != nil {
		t.Errorf("request: vars %v, grammar %v", req.TemplateVars, req.Grammar)
	}
}

func TestToolCallStream(t *testing.T) {
	gen := apptest.NewFakeGen(append([]string{"Let me look.\n"}, hermesCall...)...)
	ts := newTestServer(t, gen, ServerOptions{Model: toolModel})
	_, _, b := call(t, "POST", ts.URL+"/v1/chat/completions", `{"messages":[{"role":"user","content":"?"}],"stream":true,`+weatherTools+`}`, nil)
	var content strings.Builder
	var calls, finishes []string
	for _, d := range sseData(t, b) {
		if d == "[DONE]" {
			continue
		}
		c := decode[struct {
			Choices []struct {
				Delta struct {
					Content   *string
					ToolCalls []struct {
						Index    *int
						ID       string
						Function struct{ Name, Arguments string }
					} `json:"tool_calls"`
				}
				FinishReason *string `json:"finish_reason"`
			}
		}](t, []byte(d))
		for _, ch := range c.Choices {
			if ch.Delta.Content != nil {
				content.WriteString(*ch.Delta.Content)
			}
			for _, tc := range ch.Delta.ToolCalls {
				if tc.Index == nil || tc.ID == "" {
					t.Errorf("a streamed call without index or id: %s", d)
				}
				calls = append(calls, tc.Function.Name+tc.Function.Arguments)
			}
			if ch.FinishReason != nil {
				finishes = append(finishes, *ch.FinishReason)
			}
		}
	}
	if strings.TrimSpace(content.String()) != "Let me look." || len(calls) != 1 || calls[0] != `get_weather{"city":"Paris"}` ||
		len(finishes) != 1 || finishes[0] != "tool_calls" {
		t.Errorf("content %q calls %v finishes %v\n%s", content.String(), calls, finishes, b)
	}
}

func TestToolChoiceRequiredUsesAGrammar(t *testing.T) {
	gen := apptest.NewFakeGen(`{"name": "get_weather", "arguments": {"city": "Oslo"}}`)
	ts := newTestServer(t, gen, ServerOptions{Model: toolModel})
	for _, choice := range []string{`"required"`, `{"type":"function","function":{"name":"get_weather"}}`} {
		_, _, b := call(t, "POST", ts.URL+"/v1/chat/completions", `{"messages":[{"role":"user","content":"?"}],"tool_choice":`+choice+`,`+weatherTools+`}`, nil)
		if !strings.Contains(string(b), `"arguments":"{\"city\":\"Oslo\"}"`) || !strings.Contains(string(b), `"tool_calls"`) {
			t.Errorf("%s: %s", choice, b)
		}
		if gen.LastRequest().Grammar == nil {
			t.Errorf("%s: no grammar", choice)
		}
	}
}

func TestToolRoundTripMessages(t *testing.T) {
	gen := apptest.NewFakeGen("It is sunny.")
	ts := newTestServer(t, gen, ServerOptions{Model: toolModel})
	status, _, b := call(t, "POST", ts.URL+"/v1/chat/completions", `{"messages":[{"role":"user","content":"Weather?"},
		{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},
		{"role":"tool","tool_call_id":"call_1","content":"{\"sky\":\"clear\"}"}],`+weatherTools+`}`, nil)
	if status != 200 || !strings.Contains(string(b), `"content":"It is sunny."`) || !strings.Contains(string(b), `"finish_reason":"stop"`) {
		t.Fatalf("%d %s", status, b)
	}
	msgs := gen.LastRequest().Messages
	want := chat.ToolCall{ID: "call_1", Name: "get_weather", Arguments: `{"city":"Paris"}`}
	if len(msgs) != 3 || len(msgs[1].ToolCalls) != 1 || msgs[1].ToolCalls[0] != want || msgs[2].Role != "tool" || msgs[2].ToolCallID != "call_1" {
		t.Errorf("messages %+v", msgs)
	}
}

func TestToolErrors(t *testing.T) {
	gen := apptest.NewFakeGen("x")
	ts := newTestServer(t, gen, ServerOptions{Model: toolModel})
	plain := newTestServer(t, gen, ServerOptions{}) // a template without tool calling
	msg := `{"messages":[{"role":"user","content":"?"}],`
	for _, tc := range []struct {
		url, body, want string
	}{
		{ts.URL, msg + `"tools":[{"type":"function","function":{"name":""}}]}`, "needs a name"},
		{ts.URL, msg + `"tools":[{"type":"retrieval"}]}`, "retrieval"},
		{ts.URL, msg + `"tools":{"a":1}}`, "array"},
		{ts.URL, msg + `"tool_choice":"required"}`, "needs tools"},
		{ts.URL, msg + `"tool_choice":"sometimes",` + weatherTools + `}`, "tool_choice must be"},
		{ts.URL, msg + `"tool_choice":{"type":"function","function":{"name":"nope"}},` + weatherTools + `}`, "not among the tools"},
		{ts.URL, msg + `"tool_choice":"required","response_format":{"type":"json_object"},` + weatherTools + `}`, "cannot be combined"},
		{ts.URL, `{"messages":[{"role":"tool","content":"1"}]}`, "tool_call_id"},
		{ts.URL, `{"messages":[{"role":"assistant","tool_calls":[{"function":{"arguments":"{}"}}]}]}`, "function name"},
		{ts.URL, msg + `"tools":[` + strings.Repeat(`{"type":"function","function":{"name":"f"}},`, 2) + `{"type":"function","function":{"name":"g"}}]}`, "given twice"},
		{plain.URL, msg + weatherTools + `}`, "no tool calling"},
	} {
		status, _, b := call(t, "POST", tc.url+"/v1/chat/completions", tc.body, nil)
		if status != 400 || !strings.Contains(string(b), tc.want) {
			t.Errorf("%s: %d %s", tc.body, status, b)
		}
	}
	// tool_choice none: the reply is text and the tools are not shown.
	status, _, b := call(t, "POST", ts.URL+"/v1/chat/completions", msg+`"tool_choice":"none",`+weatherTools+`}`, nil)
	if _, shown := gen.LastRequest().TemplateVars["tools"]; status != 200 || shown {
		t.Errorf("none: %d %s", status, b)
	}
}
