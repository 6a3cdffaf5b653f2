package toolcall

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// Replies as the families write them (from their model cards and chat
// templates), with the calls they carry.
var cases = []struct {
	name    string
	f       Format
	reply   string
	content string
	calls   []Call
}{
	{"qwen3 one call", Hermes, "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"unit\": \"celsius\"}}\n</tool_call>", "",
		[]Call{{"call_0", "get_weather", `{"city":"Paris","unit":"celsius"}`}}},
	{"qwen3 text then two calls", Hermes, "Let me check both.\n<tool_call>\n{\"name\": \"a\", \"arguments\": {}}\n</tool_call>\n<tool_call>\n{\"name\": \"b\", \"arguments\": {\"x\": [1, 2]}}\n</tool_call>",
		"Let me check both.", []Call{{"call_0", "a", `{}`}, {"call_1", "b", `{"x":[1,2]}`}}},
	{"qwen arguments as a string", Hermes, `<tool_call>{"name": "f", "arguments": "{\"q\": 1}"}</tool_call>`, "", []Call{{"call_0", "f", `{"q":1}`}}},
	{"qwen3.5 xml call", Hermes, "<tool_call>\n<function=get_weather>\n<parameter=city>\nParis\n</parameter>\n<parameter=unit>\ncelsius\n</parameter>\n</function>\n</tool_call>", "",
		[]Call{{"call_0", "get_weather", `{"city":"Paris","unit":"celsius"}`}}},
	{"qwen3.5 text then xml calls", Hermes, "Checking.\n\n<tool_call>\n<function=add>\n<parameter=a>\n2\n</parameter>\n<parameter=b>\n[1, 2]\n</parameter>\n</function>\n</tool_call>\n<tool_call>\n<function=note>\n<parameter=text>\nline one\nline \"two\"\n</parameter>\n</function>\n</tool_call>",
		"Checking.", []Call{{"call_0", "add", `{"a":2,"b":[1,2]}`}, {"call_1", "note", `{"text":"line one\nline \"two\""}`}}},
	{"qwen3.5 xml call without parameters", Hermes, "<tool_call>\n<function=now>\n</function>\n</tool_call>", "", []Call{{"call_0", "now", `{}`}}},
	{"hermes no call", Hermes, "Paris is sunny.", "Paris is sunny.", nil},
	{"llama3 json", Llama3, `{"name": "get_weather", "parameters": {"location": "San Francisco, CA"}}`, "",
		[]Call{{"call_0", "get_weather", `{"location":"San Francisco, CA"}`}}},
	{"llama3 python tag", Llama3, `<|python_tag|>{"type": "function", "name": "search", "parameters": {"query": "go"}}<|eom_id|>`, "",
		[]Call{{"call_0", "search", `{"query":"go"}`}}},
	{"llama3 two objects", Llama3, `{"name": "a", "parameters": {}}; {"name": "b", "parameters": {"n": 2}}`, "",
		[]Call{{"call_0", "a", `{}`}, {"call_1", "b", `{"n":2}`}}},
	{"llama3.2 pythonic", Llama3, `[get_weather(city="San Francisco", days=3, metric=True), get_time(zone='UTC', tags=["a", 'b'], opts={"x": None})]`, "",
		[]Call{{"call_0", "get_weather", `{"city":"San Francisco","days":3,"metric":true}`}, {"call_1", "get_time", `{"zone":"UTC","tags":["a","b"],"opts":{"x":null}}`}}},
	{"llama3 answer in braces", Llama3, `{curly} is not a call`, `{curly} is not a call`, nil},
	{"llama3 answer in brackets", Llama3, `[1] The first point.`, `[1] The first point.`, nil},
	{"mistral array", Mistral, `[TOOL_CALLS][{"name": "get_weather", "arguments": {"city": "Lyon"}, "id": "abcDEF123"}]`, "",
		[]Call{{"abcDEF123", "get_weather", `{"city":"Lyon"}`}}},
	{"mistral v11", Mistral, `Sure.[TOOL_CALLS]get_weather[ARGS]{"city": "Lyon"}[TOOL_CALLS]get_time[ARGS]{}`, "Sure.",
		[]Call{{"call_0", "get_weather", `{"city":"Lyon"}`}, {"call_1", "get_time", `{}`}}},
	{"gpt-oss harmony", Harmony, "<|channel|>analysis<|message|>Need weather.<|end|><|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{\"city\":\"Oslo\"}<|call|>", "",
		[]Call{{"call_0", "get_weather", `{"city":"Oslo"}`}}},
	{"gemma4 call", Gemma4, "<|tool_call>call:get_weather{city:<|\"|>Paris<|\"|>,unit:<|\"|>celsius<|\"|>}<tool_call|><|tool_response>", "",
		[]Call{{"call_0", "get_weather", `{"city":"Paris","unit":"celsius"}`}}},
	{"gemma4 text then two calls", Gemma4, "Let me add.<|tool_call>call:add{a:2,b:-3.5}<tool_call|><|tool_call>call:f{opts:{deep:[1,<|\"|>x, y}<|\"|>,true,None]},s:<|\"|>a \"q\"<|\"|>}<tool_call|>",
		"Let me add.", []Call{{"call_0", "add", `{"a":2,"b":-3.5}`}, {"call_1", "f", `{"opts":{"deep":[1,"x, y}",true,null]},"s":"a \"q\""}`}}},
	{"gemma4 no call", Gemma4, "Paris is sunny.", "Paris is sunny.", nil},
	{"gpt-oss final", Harmony, "<|channel|>analysis<|message|>Easy.<|end|><|start|>assistant<|channel|>final<|message|>It is 4.<|return|>", "It is 4.", nil},
}

func TestParse(t *testing.T) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			content, calls, err := Parse(c.f, c.reply)
			if err != nil {
				t.Fatal(err)
			}
			if content != c.content || !equalCalls(calls, c.calls) {
				t.Errorf("got %q %+v\nwant %q %+v", content, calls, c.content, c.calls)
			}
		})
	}
}

// TestStream: fed a token at a time (every split of the reply), the shown
// text plus Finish's rest is the content, no call text is ever shown, and
// the calls are those Parse finds.
func TestStream(t *testing.T) {
	for _, c := range cases {
		for _, size := range []int{1, 2, 3, 7, 1000} {
			s := NewStream(c.f)
			var shown strings.Builder
			for _, piece := range split(c.reply, size) {
				shown.WriteString(s.Feed(piece))
			}
			rest, calls, err := s.Finish()
			if err != nil {
				t.Fatalf("%s/%d: %v", c.name, size, err)
			}
			if c.f == Harmony {
				continue // its channels are for the reasoning splitter; only calls matter here
			}
			if got := shown.String() + rest; strings.TrimSpace(got) != c.content || !equalCalls(calls, c.calls) {
				t.Errorf("%s/%d: shown %q + rest %q, calls %+v; want %q %+v", c.name, size, shown.String(), rest, calls, c.content, c.calls)
			}
			for _, marker := range []string{"<tool_call>", "[TOOL_CALLS]", `"name"`} {
				if len(c.calls) > 0 && strings.Contains(shown.String(), marker) {
					t.Errorf("%s/%d: call text shown: %q", c.name, size, shown.String())
				}
			}
		}
	}
}

func TestMalformedCallsStayText(t *testing.T) {
	for _, c := range []struct {
		f     Format
		reply string
	}{
		{Hermes, "<tool_call>{not json}</tool_call>"},
		{Hermes, `<tool_call>{"arguments": {}}</tool_call>`},
		{Hermes, `<tool_call>{"name": "f", "arguments": [1]}</tool_call>`},
		{Hermes, "<tool_call>\n<function=>\n</function>\n</tool_call>"},
		{Hermes, "<tool_call>\n<function=f>\nstray text\n</function>\n</tool_call>"},
		{Mistral, "[TOOL_CALLS][{oops"},
		{Mistral, "[TOOL_CALLS]f{}"},
		{Gemma4, "<|tool_call>call:f{a:<|\"|>open}<tool_call|>"},
		{Gemma4, "<|tool_call>call:{a:1}<tool_call|>"},
		{Harmony, "<|start|>assistant<|channel|>commentary to=functions.f<|message|>nope<|call|>"},
	} {
		content, calls, err := Parse(c.f, c.reply)
		if err == nil || calls != nil || content != c.reply {
			t.Errorf("%v %q: %q %v %v", c.f, c.reply, content, calls, err)
		}
	}
}

func TestFormatOf(t *testing.T) {
	for tmpl, want := range map[string]Format{
		"{% if tools %}<tool_call>{{ tool_call }}</tool_call>{% endif %}": Hermes,
		"{{ '[TOOL_CALLS]' }}":                        Mistral,
		"<|start_header_id|>ipython<|end_header_id|>": Llama3,
		"<|channel|>final<|message|>":                 Harmony,
		"{{ messages }}":                              None,
		"{{- '<|tool_call>call:' + function['name'] + '{' -}}{{- '}<tool_call|>' -}}<|channel>thought\n<channel|>": Gemma4,
	} {
		if got := FormatOf(tmpl); got != want {
			t.Errorf("%q: %v, want %v", tmpl, got, want)
		}
	}
}

// FuzzParse: whatever a model writes, parsing ends without a panic, and a
// stream shows only valid text it was given.
func FuzzParse(f *testing.F) {
	for _, c := range cases {
		f.Add(c.reply, uint8(c.f))
	}
	f.Add("[f(a=[[[[[[", uint8(Llama3))
	f.Fuzz(func(t *testing.T, reply string, format uint8) {
		fm := Format(int(format) % 6)
		_, _, _ = Parse(fm, reply)
		s := NewStream(fm)
		var shown strings.Builder
		for _, p := range split(reply, 3) {
			shown.WriteString(s.Feed(p))
		}
		rest, _, _ := s.Finish()
		if !strings.HasPrefix(reply, shown.String()) && utf8.ValidString(reply) {
			t.Fatalf("shown %q is not a prefix of %q", shown.String(), reply)
		}
		_ = rest
	})
}

func split(s string, n int) []string {
	var out []string
	for len(s) > n {
		out = append(out, s[:n])
		s = s[n:]
	}
	return append(out, s)
}

func equalCalls(a, b []Call) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
