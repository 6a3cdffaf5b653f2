package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"

	"burrow/inference"
	"burrow/inference/chat"
	"burrow/inference/grammar"
	"burrow/inference/toolcall"
)

// Function calling on chat completions: the tools go to the chat template
// (its tools variable, as apply_chat_template passes them), the reply is
// read back into OpenAI's tool_calls in the model family's own format
// (inference/toolcall). tool_choice "required" or a named function makes a
// grammar of the call, so the call is always well-formed JSON.

// toolDef is one entry of "tools".
type toolDef struct {
	Type     string `json:"type"`
	Function struct {
		Name        string          `json:"name"`
		Description string          `json:"description"`
		Parameters  json.RawMessage `json:"parameters"`
		Strict      *bool           `json:"strict"`
	} `json:"function"`
}

// toolPlan is what a request's tools ask of the reply.
type toolPlan struct {
	format toolcall.Format
	forced bool // required or named: the reply is one call, as grammar-constrained JSON
}

const maxTools = 128

var toolName = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// present reports whether a JSON field holds more than null or [].
func listGiven(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) > 0 && !bytes.Equal(raw, []byte("null")) && !bytes.Equal(raw, []byte("[]"))
}

// planTools checks tools and tool_choice against the loaded model and sets
// req up: the template's tools variable, and for a forced call its grammar.
// A nil plan means the reply is plain text.
func planTools(toolsRaw, choiceRaw json.RawMessage, info *inference.ModelInfo, req *inference.GenerateRequest) (*toolPlan, *apiError) {
	choice, named, e := toolChoice(choiceRaw)
	if e != nil {
		return nil, e
	}
	if !listGiven(toolsRaw) {
		if choice == "required" || named != "" {
			return nil, badRequest("tool_choice", "tool_choice %q needs tools", choiceRaw)
		}
		return nil, nil
	}
	var defs []toolDef
	if err := json.Unmarshal(toolsRaw, &defs); err != nil {
		return nil, badRequest("tools", "tools must be an array of {\"type\": \"function\", \"function\": {...}}")
	}
	if len(defs) > maxTools {
		return nil, badRequest("tools", "%d tools are more than the %d supported", len(defs), maxTools)
	}
	names := map[string]toolDef{}
	for i, d := range defs {
		param := "tools[" + strconv.Itoa(i) + "]"
		if d.Type != "function" {
			return nil, badRequest(param+".type", "tool type %q is not supported; only \"function\"", d.Type)
		}
		if !toolName.MatchString(d.Function.Name) {
			return nil, badRequest(param+".function.name", "a tool needs a name of 1 to 64 letters, digits, _, . or -")
		}
		if _, dup := names[d.Function.Name]; dup {
			return nil, badRequest(param+".function.name", "tool %q is given twice", d.Function.Name)
		}
		if hasJSON(d.Function.Parameters) {
			var obj map[string]json.RawMessage
			if json.Unmarshal(d.Function.Parameters, &obj) != nil {
				return nil, badRequest(param+".function.parameters", "parameters must be a JSON Schema object")
			}
		}
		names[d.Function.Name] = d
	}
	if named != "" {
		if _, ok := names[named]; !ok {
			return nil, badRequest("tool_choice", "tool_choice names %q, which is not among the tools", named)
		}
	}
	if choice == "none" {
		return nil, nil // the model answers in text; the tools are not shown
	}
	if info == nil {
		return nil, errNoModel()
	}
	format := toolcall.Format(info.ToolFormat)
	if format == toolcall.None {
		return nil, badRequest("tools", "the chat template of %s has no tool calling; load a model whose template takes tools (Qwen, Llama 3.1+, Mistral, gpt-oss)", ModelID(info))
	}
	tools, err := chat.JSONValue(toolsRaw)
	if err != nil {
		return nil, badRequest("tools", "%v", err)
	}
	if req.TemplateVars == nil {
		req.TemplateVars = map[string]any{}
	}
	req.TemplateVars["tools"] = tools
	plan := &toolPlan{format: format}
	if choice == "required" || named != "" {
		if req.Grammar != nil {
			return nil, badRequest("tool_choice", "a forced tool call cannot be combined with response_format or grammar")
		}
		g, e := callGrammar(defs, named)
		if e != nil {
			return nil, e
		}
		req.Grammar, plan.forced = g, true
	}
	return plan, nil
}

// toolChoice reads "none", "auto", "required" or {"type": "function",
// "function": {"name": ...}}.
func toolChoice(raw json.RawMessage) (choice, named string, e *apiError) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return "auto", "", nil
	}
	if json.Unmarshal(raw, &choice) == nil {
		switch choice {
		case "none", "auto", "required":
			return choice, "", nil
		}
		return "", "", badRequest("tool_choice", "tool_choice must be none, auto, required or a named function")
	}
	var obj struct {
		Type     string `json:"type"`
		Function struct {
			Name string `json:"name"`
		} `json:"function"`
	}
	if json.Unmarshal(raw, &obj) != nil || obj.Type != "function" || obj.Function.Name == "" {
		return "", "", badRequest("tool_choice", "tool_choice must be none, auto, required or {\"type\": \"function\", \"function\": {\"name\": ...}}")
	}
	return "function", obj.Function.Name, nil
}

// callGrammar is the grammar of one call as a JSON object
// {"name": ..., "arguments": {...}} whose arguments follow the tool's
// parameter schema: any of the tools, or the named one.
func callGrammar(defs []toolDef, named string) (*grammar.Grammar, *apiError) {
	var alts []json.RawMessage
	for _, d := range defs {
		if named != "" && d.Function.Name != named {
			continue
		}
		params := d.Function.Parameters
		if !hasJSON(params) {
			params = json.RawMessage(`{"type": "object"}`)
		}
		name, _ := json.Marshal(d.Function.Name)
		alts = append(alts, json.RawMessage(fmt.Sprintf(
			`{"type": "object", "properties": {"name": {"const": %s}, "arguments": %s}, "required": ["name", "arguments"], "additionalProperties": false}`,
			name, params)))
	}
	schema := alts[0]
	if len(alts) > 1 {
		b, _ := json.Marshal(map[string]any{"anyOf": alts})
		schema = b
	}
	gbnf, e := schemaGrammar(schema, "tools")
	if e != nil {
		return nil, e
	}
	g, err := grammar.Parse(gbnf)
	if err != nil {
		return nil, badRequest("tools", "%v", err)
	}
	return g, nil
}

// wireCall is a call in OpenAI's shape, as a client sends it back.
type wireCall struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Function struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

// wireToolCall is a call as Burrow writes it, whole or as a stream delta.
type wireToolCall struct {
	Index *int `json:"index,omitempty"`
	wireCall
}

func wireCalls(calls []toolcall.Call, withIndex bool) []wireToolCall {
	out := make([]wireToolCall, len(calls))
	for i, c := range calls {
		out[i] = wireToolCall{wireCall: wireCall{ID: "call_" + newID("")[:16], Type: "function"}}
		if c.ID != "" && c.ID != "call_"+strconv.Itoa(i) {
			out[i].ID = c.ID // the model's own id (Mistral writes one)
		}
		out[i].Function.Name, out[i].Function.Arguments = c.Name, c.Arguments
		if withIndex {
			out[i].Index = &i
		}
	}
	return out
}

// parseReply splits a whole reply by the plan: its text and its calls. A
// nil plan (no tools) leaves the text whole.
func (p *toolPlan) parseReply(text string) (string, []toolcall.Call) {
	if p == nil {
		return text, nil
	}
	if p.forced {
		if c, err := toolcall.ParseJSONCall(text); err == nil {
			return "", []toolcall.Call{c}
		}
		return text, nil
	}
	content, calls, err := toolcall.Parse(p.format, text)
	if err != nil {
		return text, nil // a malformed call stays text, nothing lost
	}
	return content, calls
}

// toolMessages reads a message's tool fields into the chat message.
func (m chatMessageIn) toolFields(i int, msg *chat.Message) *apiError {
	param := "messages[" + strconv.Itoa(i) + "]"
	for j, c := range m.ToolCalls {
		if c.Function.Name == "" {
			return badRequest(param+".tool_calls["+strconv.Itoa(j)+"]", "a tool call needs a function name")
		}
		msg.ToolCalls = append(msg.ToolCalls, chat.ToolCall{ID: c.ID, Name: c.Function.Name, Arguments: c.Function.Arguments})
	}
	if m.Role == "tool" && m.ToolCallID == "" && m.Name == "" {
		return badRequest(param+".tool_call_id", "a tool message needs the tool_call_id it answers")
	}
	msg.ToolCallID, msg.Name = m.ToolCallID, m.Name
	return nil
}
