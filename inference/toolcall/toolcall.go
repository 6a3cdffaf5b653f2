// Package toolcall reads the tool calls a model writes back out of its
// reply text, in each family's own format, and tells a stream which text
// is an answer to show and which is a call being written:
//
//   - Hermes (Qwen2.5, Qwen3, many fine-tunes): <tool_call>{"name": ..., "arguments": {...}}</tool_call>,
//     and Qwen3.5/3.6's XML body in the same tags: <function=name><parameter=key>value</parameter></function>
//   - Llama 3.1/3.2: a JSON object {"name": ..., "parameters": {...}}, maybe after
//     <|python_tag|>, or the pythonic list [f(a=1), g(b="x")] of the 3.2 small models
//   - Mistral: [TOOL_CALLS][{"name": ..., "arguments": {...}}] and the newer
//     [TOOL_CALLS]name[ARGS]{...}
//   - Harmony (gpt-oss): <|channel|>commentary to=functions.name ... <|message|>{...}<|call|>
//   - Gemma 4: <|tool_call>call:name{key:<|"|>text<|"|>,n:3}<tool_call|>
//
// It knows nothing of models or the API; the chat template says which
// format a model uses (FormatOf).
package toolcall

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// Format is a family's way of writing tool calls.
type Format int

const (
	None Format = iota // the template shows no tool-call format
	Hermes
	Llama3
	Mistral
	Harmony
	Gemma4
)

func (f Format) String() string {
	return [...]string{"none", "hermes", "llama3", "mistral", "harmony", "gemma4"}[f]
}

// FormatOf guesses the format from a chat template's source, by the
// markers its tool branch writes (as llama.cpp's common/chat.cpp does).
func FormatOf(template string) Format {
	switch {
	case strings.Contains(template, "<|tool_call>call:"):
		return Gemma4
	case strings.Contains(template, "<|channel|>"):
		return Harmony
	case strings.Contains(template, "[TOOL_CALLS]"):
		return Mistral
	case strings.Contains(template, "<tool_call>"):
		return Hermes
	case strings.Contains(template, "<|python_tag|>"), strings.Contains(template, "ipython"):
		return Llama3
	}
	return None
}

// Call is one tool call: the function's name and its arguments as a JSON
// object's text.
type Call struct {
	ID        string `json:"id,omitempty"`
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

// maxCalls bounds the calls one reply may make.
const maxCalls = 64

// Parse splits a whole reply into the text to show and the calls it makes.
// A reply whose call is malformed (not JSON, no name) is returned as text
// with the error, so nothing the model wrote is lost.
func Parse(f Format, text string) (content string, calls []Call, err error) {
	switch f {
	case Hermes:
		content, calls, err = parseHermes(text)
	case Llama3:
		content, calls, err = parseLlama3(text)
	case Mistral:
		content, calls, err = parseMistral(text)
	case Harmony:
		content, calls, err = parseHarmony(text)
	case Gemma4:
		content, calls, err = parseGemma4(text)
	default:
		return text, nil, nil
	}
	if err != nil {
		return text, nil, err
	}
	if len(calls) > maxCalls {
		return text, nil, fmt.Errorf("toolcall: %d calls in one reply are more than %d", len(calls), maxCalls)
	}
	for i := range calls {
		if calls[i].ID == "" {
			calls[i].ID = "call_" + strconv.Itoa(i)
		}
	}
	return content, calls, nil
}

// object reads one JSON value's call: {"name": ..., "arguments"|"parameters": {...}}.
func object(raw []byte) (Call, error) {
	var v struct {
		Name       string          `json:"name"`
		ID         string          `json:"id"`
		Arguments  json.RawMessage `json:"arguments"`
		Parameters json.RawMessage `json:"parameters"`
		Function   *struct {
			Name      string          `json:"name"`
			Arguments json.RawMessage `json:"arguments"`
		} `json:"function"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return Call{}, fmt.Errorf("toolcall: not a JSON call: %w", err)
	}
	args := v.Arguments
	if len(args) == 0 {
		args = v.Parameters
	}
	if v.Function != nil && v.Name == "" {
		v.Name, args = v.Function.Name, v.Function.Arguments
	}
	if v.Name == "" {
		return Call{}, errors.New("toolcall: a call without a name")
	}
	a, err := arguments(args)
	if err != nil {
		return Call{}, err
	}
	return Call{ID: v.ID, Name: v.Name, Arguments: a}, nil
}

// arguments normalises a call's arguments to a JSON object's text; some
// models write the object as a JSON string.
func arguments(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return "{}", nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		raw = []byte(s)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return "", fmt.Errorf("toolcall: arguments are not a JSON object: %w", err)
	}
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return "", err
	}
	return b.String(), nil
}

func parseHermes(text string) (string, []Call, error) {
	const open, closing = "<tool_call>", "</tool_call>"
	return taggedCalls(text, open, "", func(body string) (Call, string, error) {
		j := strings.Index(body, closing)
		if j < 0 {
			j = len(body) // the reply ended inside the call (a stop string ate the tag)
		}
		inner := strings.TrimSpace(body[:j])
		rest := body[min(len(body), j+len(closing)):]
		if strings.HasPrefix(inner, "<function=") {
			c, err := xmlCall(inner)
			return c, rest, err
		}
		c, err := object([]byte(inner))
		return c, rest, err
	})
}

// taggedCalls reads a reply whose calls each start with open: the text
// before the first call is content, and so is any text after the last.
// call reads one call from what follows open and returns the text after
// it. The reply ends at stop after a call (no stop when it is "").
func taggedCalls(text, open, stop string, call func(body string) (Call, string, error)) (string, []Call, error) {
	i := strings.Index(text, open)
	if i < 0 {
		return text, nil, nil
	}
	content, rest := text[:i], text[i:]
	var calls []Call
	for {
		rest = strings.TrimSpace(rest)
		if rest == "" || stop != "" && strings.HasPrefix(rest, stop) {
			break
		}
		body, ok := strings.CutPrefix(rest, open)
		if !ok {
			content += rest // text after the calls
			break
		}
		c, after, err := call(body)
		if err != nil {
			return "", nil, err
		}
		calls = append(calls, c)
		rest = after
	}
	return strings.TrimRight(content, " \n"), calls, nil
}

// xmlCall reads Qwen3.5/3.6's (and Qwen3-Coder's) call body:
// <function=NAME> then <parameter=KEY>\nVALUE\n</parameter> each, then
// </function>. A value that is JSON (a number, object, true, ...) is kept
// as such, anything else is a string: the reply carries no types.
func xmlCall(body string) (Call, error) {
	const fn, param, paramEnd = "<function=", "<parameter=", "</parameter>"
	rest := strings.TrimPrefix(body, fn)
	name, rest, ok := strings.Cut(rest, ">")
	name = strings.TrimSpace(name)
	if !ok || name == "" {
		return Call{}, errors.New("toolcall: a <function=...> call without a name")
	}
	var args orderedArgs[json.RawMessage]
	for {
		rest = strings.TrimLeft(rest, " \n")
		if rest == "" || strings.HasPrefix(rest, "</function>") {
			break
		}
		p, ok := strings.CutPrefix(rest, param)
		if !ok {
			return Call{}, fmt.Errorf("toolcall: unexpected text in <function=%s>: %.40q", name, rest)
		}
		key, p, ok := strings.Cut(p, ">")
		if !ok || strings.TrimSpace(key) == "" {
			return Call{}, errors.New("toolcall: a <parameter=...> without a name")
		}
		val, after, ok := strings.Cut(p, paramEnd)
		if !ok {
			val, after = p, "" // the reply ended inside the value
		}
		// The template writes a newline on each side of the value.
		val = strings.TrimSuffix(strings.TrimPrefix(val, "\n"), "\n")
		args.set(strings.TrimSpace(key), xmlValue(val))
		rest = after
	}
	a, err := args.json()
	if err != nil {
		return Call{}, err
	}
	return Call{Name: name, Arguments: a}, nil
}

// orderedArgs collects a call's arguments in the order the model gave
// them; a repeated key keeps its first place and takes the last value.
type orderedArgs[V any] struct {
	keys []string
	vals map[string]V
}

func (a *orderedArgs[V]) set(key string, v V) {
	if a.vals == nil {
		a.vals = map[string]V{}
	}
	if _, dup := a.vals[key]; !dup {
		a.keys = append(a.keys, key)
	}
	a.vals[key] = v
}

// json is the arguments as a JSON object's text.
func (a *orderedArgs[V]) json() (string, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range a.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		// A raw value goes as it is: json.Marshal would escape its <, > and &.
		vb, isRaw := any(a.vals[k]).(json.RawMessage)
		if !isRaw {
			var err error
			if vb, err = json.Marshal(a.vals[k]); err != nil {
				return "", err
			}
		}
		b.Write(kb)
		b.WriteByte(':')
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.String(), nil
}

// xmlValue is a parameter's value as JSON: itself when it is JSON other
// than a bare string, else the text as a string.
func xmlValue(v string) json.RawMessage {
	t := strings.TrimSpace(v)
	if t != "" && t[0] != '"' && json.Valid([]byte(t)) {
		var b bytes.Buffer
		if json.Compact(&b, []byte(t)) == nil {
			return b.Bytes()
		}
	}
	s, _ := json.Marshal(v)
	return s
}

func parseLlama3(text string) (string, []Call, error) {
	t := strings.TrimSpace(text)
	t = strings.TrimPrefix(t, "<|python_tag|>")
	t = strings.TrimSpace(strings.TrimSuffix(strings.TrimSuffix(t, "<|eom_id|>"), "<|eot_id|>"))
	switch {
	case strings.HasPrefix(t, "{"):
		var calls []Call
		// One object, or several separated by ';' (llama.cpp accepts both).
		dec := json.NewDecoder(strings.NewReader(t))
		for {
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				if len(calls) > 0 && strings.TrimSpace(t[dec.InputOffset():]) == "" {
					break
				}
				return text, nil, nil // not a call: an answer that starts with "{"
			}
			c, err := object(raw)
			if err != nil {
				return text, nil, nil
			}
			calls = append(calls, c)
			rest := strings.TrimLeft(t[dec.InputOffset():], " \n;")
			if rest == "" {
				break
			}
			dec = json.NewDecoder(strings.NewReader(rest))
			t = rest
		}
		return "", calls, nil
	case strings.HasPrefix(t, "[") && strings.HasSuffix(t, ")]"):
		calls, err := parsePythonic(t)
		if err != nil {
			return text, nil, nil // an answer in brackets, not a call
		}
		return "", calls, nil
	}
	return text, nil, nil
}

func parseMistral(text string) (string, []Call, error) {
	const marker = "[TOOL_CALLS]"
	i := strings.Index(text, marker)
	if i < 0 {
		return text, nil, nil
	}
	content, rest := strings.TrimRight(text[:i], " \n"), strings.TrimSpace(text[i+len(marker):])
	if strings.HasPrefix(rest, "[") {
		var raws []json.RawMessage
		if err := json.Unmarshal([]byte(rest), &raws); err != nil {
			return "", nil, fmt.Errorf("toolcall: [TOOL_CALLS] is not followed by a JSON array: %w", err)
		}
		var calls []Call
		for _, r := range raws {
			c, err := object(r)
			if err != nil {
				return "", nil, err
			}
			calls = append(calls, c)
		}
		return content, calls, nil
	}
	// name[ARGS]{...} (with [CALL_ID]id between in some versions), repeated.
	var calls []Call
	for _, seg := range strings.Split(text[i:], marker) {
		seg = strings.TrimSpace(seg)
		if seg == "" {
			continue
		}
		name, args, ok := strings.Cut(seg, "[ARGS]")
		if !ok {
			return "", nil, errors.New("toolcall: [TOOL_CALLS] without [ARGS]")
		}
		name, id, _ := strings.Cut(name, "[CALL_ID]")
		a, err := arguments(json.RawMessage(args))
		if err != nil {
			return "", nil, err
		}
		if strings.TrimSpace(name) == "" {
			return "", nil, errors.New("toolcall: a call without a name")
		}
		calls = append(calls, Call{ID: strings.TrimSpace(id), Name: strings.TrimSpace(name), Arguments: a})
	}
	return content, calls, nil
}

// parseHarmony reads gpt-oss's messages: the final channel is the answer,
// a commentary message addressed to=functions.NAME is a call.
func parseHarmony(text string) (string, []Call, error) {
	var content strings.Builder
	var calls []Call
	for _, msg := range strings.Split(text, "<|start|>") {
		head, body, ok := strings.Cut(msg, "<|message|>")
		if !ok {
			continue
		}
		for _, end := range []string{"<|call|>", "<|end|>", "<|return|>"} {
			if k := strings.Index(body, end); k >= 0 {
				body = body[:k]
			}
		}
		if k := strings.Index(head, "to=functions."); k >= 0 {
			name := head[k+len("to=functions."):]
			if e := strings.IndexFunc(name, func(r rune) bool { return unicode.IsSpace(r) || r == '<' }); e >= 0 {
				name = name[:e]
			}
			a, err := arguments(json.RawMessage(body))
			if err != nil {
				return "", nil, err
			}
			if name == "" {
				return "", nil, errors.New("toolcall: a call without a name")
			}
			calls = append(calls, Call{Name: name, Arguments: a})
			continue
		}
		if strings.Contains(head, "<|channel|>final") {
			content.WriteString(body)
		}
	}
	return content.String(), calls, nil
}

// ParseJSONCall reads a reply that is one call as a bare JSON object, as a
// grammar-forced call is written: {"name": ..., "arguments": {...}}.
func ParseJSONCall(text string) (Call, error) {
	return object([]byte(strings.TrimSpace(text)))
}
