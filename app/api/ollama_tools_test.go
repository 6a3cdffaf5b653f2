package api

import (
	"strings"
	"testing"

	"burrow/app/apptest"
	"burrow/inference/chat"
)

// Ollama's tool calls: message.tool_calls with the arguments as an object.
func TestOllamaToolCallWhole(t *testing.T) {
	gen := apptest.NewFakeGen(hermesCall...)
	ts := newTestServer(t, gen, ServerOptions{Model: toolModel})
	status, _, b := call(t, "POST", ts.URL+"/api/chat", `{"messages":[{"role":"user","content":"Weather in Paris?"}],"stream":false,`+weatherTools+`}`, nil)
	if status != 200 {
		t.Fatalf("%d %s", status, b)
	}
	if !strings.Contains(string(b), `"tool_calls":[{"function":{"index":0,"name":"get_weather","arguments":{"city":"Paris"}}}]`) ||
		!strings.Contains(string(b), `"done_reason":"stop"`) || strings.Contains(string(b), "<tool_call>") {
		t.Errorf("reply %s", b)
	}
	if _, ok := gen.LastRequest().TemplateVars["tools"]; !ok {
		t.Error("the template did not get the tools")
	}
}

func TestOllamaToolCallStream(t *testing.T) {
	gen := apptest.NewFakeGen(append([]string{"Let me look.\n"}, hermesCall...)...)
	ts := newTestServer(t, gen, ServerOptions{Model: toolModel})
	_, _, b := call(t, "POST", ts.URL+"/api/chat", `{"messages":[{"role":"user","content":"?"}],`+weatherTools+`}`, nil)
	lines := ndjson(t, b)
	var text string
	var calls int
	for i, l := range lines {
		text += l.Message.Content
		calls += len(l.Message.ToolCalls)
		if len(l.Message.ToolCalls) > 0 && (l.Done || i != len(lines)-2 || l.Message.ToolCalls[0].Function.Name != "get_weather" ||
			string(l.Message.ToolCalls[0].Function.Arguments) != `{"city":"Paris"}`) {
			t.Errorf("call line %d: %+v", i, l)
		}
	}
	if strings.TrimSpace(text) != "Let me look." || calls != 1 || !lines[len(lines)-1].Done || strings.Contains(string(b), "<tool_call>") {
		t.Errorf("text %q, %d calls: %s", text, calls, b)
	}
}

// The round trip in Ollama's shape: the assistant's calls (arguments as an
// object, no ids) and role tool turns, matched to the calls in order.
func TestOllamaToolRoundTrip(t *testing.T) {
	gen := apptest.NewFakeGen("It is sunny.")
	ts := newTestServer(t, gen, ServerOptions{Model: toolModel})
	status, _, b := call(t, "POST", ts.URL+"/api/chat", `{"stream":false,"messages":[{"role":"user","content":"Weather?"},
		{"role":"assistant","content":"","tool_calls":[{"function":{"name":"get_weather","arguments":{"city":"Paris"}}},
			{"function":{"name":"get_time","arguments":"{\"tz\":\"CET\"}"}}]},
		{"role":"tool","content":"12:00","tool_name":"get_time"},
		{"role":"tool","content":"{\"sky\":\"clear\"}"}],`+weatherTools+`}`, nil)
	if status != 200 || !strings.Contains(string(b), `"content":"It is sunny."`) {
		t.Fatalf("%d %s", status, b)
	}
	msgs := gen.LastRequest().Messages
	want := []chat.ToolCall{{ID: "call_1_0", Name: "get_weather", Arguments: `{"city":"Paris"}`}, {ID: "call_1_1", Name: "get_time", Arguments: `{"tz":"CET"}`}}
	if len(msgs) != 4 || len(msgs[1].ToolCalls) != 2 || msgs[1].ToolCalls[0] != want[0] || msgs[1].ToolCalls[1] != want[1] ||
		msgs[2].Role != "tool" || msgs[2].ToolCallID != "call_1_1" || msgs[2].Name != "get_time" || msgs[2].Content != "12:00" ||
		msgs[3].ToolCallID != "call_1_0" || msgs[3].Name != "get_weather" {
		t.Errorf("messages %+v", msgs)
	}
}

func TestOllamaToolErrors(t *testing.T) {
	ts := newTestServer(t, apptest.NewFakeGen("x"), ServerOptions{Model: toolModel})
	plain := newTestServer(t, apptest.NewFakeGen("x"), ServerOptions{})
	msg := `{"messages":[{"role":"user","content":"?"}],`
	for _, tc := range []struct{ url, body, want string }{
		{ts.URL, msg + `"tools":[{"type":"function","function":{"name":""}}]}`, "needs a name"},
		{ts.URL, msg + `"tools":"x"}`, "array"},
		{ts.URL, `{"messages":[{"role":"assistant","tool_calls":[{"function":{"arguments":{}}}]}]}`, "function name"},
		{plain.URL, msg + weatherTools + `}`, "no tool calling"},
	} {
		status, _, b := call(t, "POST", tc.url+"/api/chat", tc.body, nil)
		if status != 400 || !strings.HasPrefix(string(b), `{"error":"`) || !strings.Contains(string(b), tc.want) {
			t.Errorf("%s: %d %s", tc.body, status, b)
		}
	}
}
