package api

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"burrow/app/apptest"
	"burrow/inference/chat"
)

// Function tools in the Responses shape: flat, not under "function".
const respWeatherTools = `"tools":[{"type":"function","name":"get_weather","description":"Weather in a city.",
	"parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]},"strict":true}]`

type respEvent struct {
	Type           string          `json:"type"`
	SequenceNumber int             `json:"sequence_number"`
	OutputIndex    *int            `json:"output_index"`
	ItemID         string          `json:"item_id"`
	Delta          string          `json:"delta"`
	Arguments      string          `json:"arguments"`
	Name           string          `json:"name"`
	Item           *responseOutput `json:"item"`
	Response       *response       `json:"response"`
}

func respEvents(t *testing.T, b []byte) []respEvent {
	t.Helper()
	var out []respEvent
	for i, d := range sseData(t, b) {
		ev := decode[respEvent](t, []byte(d))
		if ev.SequenceNumber != i {
			t.Errorf("event %d has sequence_number %d", i, ev.SequenceNumber)
		}
		out = append(out, ev)
	}
	return out
}

// A reply with text and a Hermes call: a message item, then a
// function_call item with call_id, name and arguments.
func TestResponsesToolCallWhole(t *testing.T) {
	gen := apptest.NewFakeGen(append([]string{"Let me look.\n"}, hermesCall...)...)
	ts := newTestServer(t, gen, ServerOptions{Model: toolModel})
	status, _, b := call(t, "POST", ts.URL+"/v1/responses", `{"input":"Weather in Paris?",`+respWeatherTools+`}`, nil)
	if status != 200 {
		t.Fatalf("%d %s", status, b)
	}
	got := decode[response](t, b)
	if len(got.Output) != 2 || got.Output[0].Type != "message" || strings.TrimSpace(got.Output[0].Content[0].Text) != "Let me look." {
		t.Fatalf("output %s", b)
	}
	fc := got.Output[1]
	if fc.Type != "function_call" || !strings.HasPrefix(fc.ID, "fc_") || !strings.HasPrefix(fc.CallID, "call_") ||
		fc.Name != "get_weather" || fc.Arguments != `{"city":"Paris"}` || fc.Status != "completed" {
		t.Errorf("call %+v", fc)
	}
	// The echo: the tools as given, tool_choice auto, parallel calls on.
	if len(got.Tools) != 1 || !strings.Contains(string(got.Tools[0]), `"name":"get_weather"`) || string(got.ToolChoice) != `"auto"` || !got.ParallelToolCalls {
		t.Errorf("echo %s", b)
	}
	// A function_call item has no content or role; a message has content.
	var raw struct{ Output []map[string]json.RawMessage }
	_ = json.Unmarshal(b, &raw)
	if _, ok := raw.Output[1]["content"]; ok {
		t.Errorf("function_call with content: %s", b)
	}
	// The template gets the tools in chat completions' nested shape.
	if _, ok := gen.LastRequest().TemplateVars["tools"]; !ok {
		t.Error("no tools for the template")
	}
	r := decode[responsesRequest](t, []byte(`{`+respWeatherTools+`}`))
	tools, _, e := r.chatTools()
	if e != nil || !strings.HasPrefix(string(tools), `[{"type":"function","function":{"name":"get_weather","description":"Weather in a city.","parameters":{"type":"object"`) {
		t.Errorf("chat tools %s (%v)", tools, e)
	}
}

func TestResponsesToolCallStream(t *testing.T) {
	gen := apptest.NewFakeGen(append([]string{"Let me look.\n"}, hermesCall...)...)
	ts := newTestServer(t, gen, ServerOptions{Model: toolModel})
	_, _, b := call(t, "POST", ts.URL+"/v1/responses", `{"input":"?","stream":true,`+respWeatherTools+`}`, nil)
	evs := respEvents(t, b)
	var types []string
	var text, args string
	for _, ev := range evs {
		types = append(types, ev.Type)
		switch ev.Type {
		case "response.output_text.delta":
			text += ev.Delta
		case "response.function_call_arguments.delta":
			args += ev.Delta
			if *ev.OutputIndex != 1 || !strings.HasPrefix(ev.ItemID, "fc_") {
				t.Errorf("arguments delta %+v", ev)
			}
		}
	}
	want := "response.created response.in_progress response.output_item.added response.content_part.added " +
		"response.output_text.delta response.output_text.done response.content_part.done response.output_item.done " +
		"response.output_item.added response.function_call_arguments.delta response.function_call_arguments.done " +
		"response.output_item.done response.completed"
	if strings.Join(types, " ") != want {
		t.Fatalf("events %v\n%s", types, b)
	}
	if strings.TrimSpace(text) != "Let me look." || args != `{"city":"Paris"}` || strings.Contains(string(b), "<tool_call>") {
		t.Errorf("text %q args %q", text, args)
	}
	added, done, argsDone, final := evs[8], evs[11], evs[10], evs[12].Response
	if added.Item.Type != "function_call" || added.Item.Status != "in_progress" || added.Item.Name != "get_weather" || added.Item.Arguments != "" {
		t.Errorf("added %+v", added.Item)
	}
	if argsDone.Arguments != args || argsDone.Name != "get_weather" || argsDone.ItemID != added.Item.ID {
		t.Errorf("arguments.done %+v", argsDone)
	}
	if !reflect.DeepEqual(*done.Item, final.Output[1]) || done.Item.Status != "completed" || done.Item.CallID != added.Item.CallID || len(final.Output) != 2 {
		t.Errorf("done %+v final %+v", done.Item, final.Output)
	}
}

// tool_choice required and a named function force one call through the
// grammar: the output is only the call, streamed and not.
func TestResponsesToolChoiceForced(t *testing.T) {
	gen := apptest.NewFakeGen(`{"name": "get_weather", "arguments": {"city": "Oslo"}}`)
	ts := newTestServer(t, gen, ServerOptions{Model: toolModel})
	for _, choice := range []string{`"required"`, `{"type":"function","name":"get_weather"}`} {
		status, _, b := call(t, "POST", ts.URL+"/v1/responses", `{"input":"?","tool_choice":`+choice+`,`+respWeatherTools+`}`, nil)
		got := decode[response](t, b)
		if status != 200 || len(got.Output) != 1 || got.Output[0].Type != "function_call" || got.Output[0].Arguments != `{"city":"Oslo"}` ||
			string(got.ToolChoice) != choice {
			t.Errorf("%s: %d %s", choice, status, b)
		}
		if gen.LastRequest().Grammar == nil {
			t.Errorf("%s: no grammar", choice)
		}
		_, _, b = call(t, "POST", ts.URL+"/v1/responses", `{"input":"?","stream":true,"tool_choice":`+choice+`,`+respWeatherTools+`}`, nil)
		evs := respEvents(t, b)
		var types []string
		for _, ev := range evs {
			types = append(types, ev.Type)
		}
		want := "response.created response.in_progress response.output_item.added response.function_call_arguments.delta " +
			"response.function_call_arguments.done response.output_item.done response.completed"
		if strings.Join(types, " ") != want || evs[3].Delta != `{"city":"Oslo"}` || *evs[3].OutputIndex != 0 {
			t.Errorf("%s: events %v\n%s", choice, types, b)
		}
	}
	// none: text, no tools shown to the template.
	status, _, b := call(t, "POST", ts.URL+"/v1/responses", `{"input":"?","tool_choice":"none",`+respWeatherTools+`}`, nil)
	if _, shown := gen.LastRequest().TemplateVars["tools"]; status != 200 || shown || decode[response](t, b).Output[0].Type != "message" {
		t.Errorf("none: %d %s", status, b)
	}
}

// The round trip: the call and its output go back as input items and
// reach the template as the assistant's call and a tool turn.
func TestResponsesFunctionCallOutputRoundTrip(t *testing.T) {
	gen := apptest.NewFakeGen("It is sunny.")
	ts := newTestServer(t, gen, ServerOptions{Model: toolModel})
	status, _, b := call(t, "POST", ts.URL+"/v1/responses", `{"input":[{"role":"user","content":"Weather?"},
		{"type":"message","role":"assistant","content":[{"type":"output_text","text":"Looking."}]},
		{"type":"function_call","id":"fc_1","call_id":"call_1","name":"get_weather","arguments":"{\"city\":\"Paris\"}","status":"completed"},
		{"type":"function_call","call_id":"call_2","name":"get_weather","arguments":"{\"city\":\"Rome\"}"},
		{"type":"function_call_output","call_id":"call_1","output":"{\"sky\":\"clear\"}"},
		{"type":"function_call_output","call_id":"call_2","output":[{"type":"input_text","text":"rain"}]}],`+respWeatherTools+`}`, nil)
	if status != 200 || decode[response](t, b).Output[0].Content[0].Text != "It is sunny." {
		t.Fatalf("%d %s", status, b)
	}
	msgs := gen.LastRequest().Messages
	want := []chat.ToolCall{{ID: "call_1", Name: "get_weather", Arguments: `{"city":"Paris"}`}, {ID: "call_2", Name: "get_weather", Arguments: `{"city":"Rome"}`}}
	if len(msgs) != 4 || msgs[1].Role != "assistant" || msgs[1].Content != "Looking." || len(msgs[1].ToolCalls) != 2 ||
		msgs[1].ToolCalls[0] != want[0] || msgs[1].ToolCalls[1] != want[1] ||
		msgs[2].Role != "tool" || msgs[2].ToolCallID != "call_1" || msgs[2].Name != "get_weather" || msgs[2].Content != `{"sky":"clear"}` ||
		msgs[3].ToolCallID != "call_2" || msgs[3].Content != "rain" {
		t.Errorf("messages %+v", msgs)
	}
}

// parallel_tool_calls false keeps the first of several calls.
func TestResponsesParallelToolCallsOff(t *testing.T) {
	two := strings.Join(hermesCall, "") + "\n" + strings.Replace(strings.Join(hermesCall, ""), "Paris", "Rome", 1)
	ts := newTestServer(t, apptest.NewFakeGen(two), ServerOptions{Model: toolModel})
	for _, tc := range []struct {
		extra string
		calls int
	}{{"", 2}, {`"parallel_tool_calls":false,`, 1}} {
		_, _, b := call(t, "POST", ts.URL+"/v1/responses", `{"input":"?",`+tc.extra+respWeatherTools+`}`, nil)
		n := 0
		for _, o := range decode[response](t, b).Output {
			if o.Type == "function_call" {
				n++
			}
		}
		if n != tc.calls {
			t.Errorf("%s: %d calls: %s", tc.extra, n, b)
		}
	}
}

func TestResponsesToolErrors(t *testing.T) {
	ts := newTestServer(t, apptest.NewFakeGen("x"), ServerOptions{Model: toolModel})
	for _, tc := range []struct{ body, param, want string }{
		{`{"input":"x","tools":[{"type":"function"}]}`, "tools[0].name", "needs a name"},
		{`{"input":"x","tools":[{"type":"web_search"}]}`, "tools[0].type", "web_search"},
		{`{"input":"x","tools":{"a":1}}`, "tools", "array"},
		{`{"input":"x","tools":[{"type":"function","name":"f","parameters":[1]}]}`, "tools[0].parameters", "JSON Schema object"},
		{`{"input":"x","tool_choice":"required"}`, "tool_choice", "needs tools"},
		{`{"input":"x","tool_choice":{"type":"function","name":"nope"},` + respWeatherTools + `}`, "tool_choice", "not among the tools"},
		{`{"input":"x","tool_choice":{"type":"file_search"},` + respWeatherTools + `}`, "tool_choice", "tool_choice must be"},
		{`{"input":"x","tool_choice":"sometimes",` + respWeatherTools + `}`, "tool_choice", "tool_choice must be"},
		{`{"input":[{"type":"function_call","name":"f","arguments":"{}"}]}`, "input[0].call_id", "call_id"},
		{`{"input":[{"type":"function_call","call_id":"c"}]}`, "input[0].name", "name"},
		{`{"input":[{"type":"function_call_output","output":"1"}]}`, "input[0].call_id", "call_id"},
		{`{"input":[{"role":"tool","content":"1"}]}`, "input[0].role", "function_call_output"},
		{`{"input":[{"type":"reasoning"}]}`, "input[0].type", "reasoning"},
	} {
		status, _, b := call(t, "POST", ts.URL+"/v1/responses", tc.body, nil)
		var e struct {
			Error apiError `json:"error"`
		}
		if err := json.Unmarshal(b, &e); err != nil || status != 400 || e.Error.Param == nil || *e.Error.Param != tc.param || !strings.Contains(e.Error.Message, tc.want) {
			t.Errorf("%s: %d %s; want %s mentioning %q", tc.body, status, b, tc.param, tc.want)
		}
	}
}
