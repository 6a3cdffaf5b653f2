package chat

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/ardanlabs/jinja"
)

// ErrTemplate marks a chat template that cannot be parsed or rendered.
var ErrTemplate = errors.New("chat template")

// Template is a compiled Jinja chat template.
type Template struct {
	Name   string // "gguf", "override" or a built-in's name
	Source string
	tmpl   *jinja.Template
}

// RenderOptions are the variables Hugging Face's apply_chat_template passes
// besides the messages.
type RenderOptions struct {
	AddGenerationPrompt bool
	BOS, EOS            string    // special-token texts; empty leaves them undefined
	Now                 time.Time // what strftime_now formats; zero: the current time
	Vars                map[string]any
}

// Parse compiles a Jinja chat template. A template the engine cannot handle
// gives an error wrapping ErrTemplate, never a panic.
func Parse(name, source string) (t *Template, err error) {
	defer func() {
		if r := recover(); r != nil {
			t, err = nil, fmt.Errorf("%w %q: the template engine failed while parsing: %v", ErrTemplate, name, r)
		}
	}()
	if strings.TrimSpace(source) == "" {
		return nil, fmt.Errorf("%w %q: empty", ErrTemplate, name)
	}
	// The engine's tojson sorts keys when indenting and its builtins
	// cannot be replaced, so templates call ours (jsonvalue.go) by name.
	c, err := jinja.Compile(tojsonFilter.ReplaceAllString(source, "|${1}burrow_tojson"))
	if err != nil {
		return nil, fmt.Errorf("%w %q: %w", ErrTemplate, name, err)
	}
	return &Template{Name: name, Source: source, tmpl: c}, nil
}

// Render renders the conversation as the model's prompt text.
func (t *Template) Render(msgs []Message, opts RenderOptions) (out string, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = "", fmt.Errorf("%w %q: the template engine failed while rendering: %v", ErrTemplate, t.Name, r)
		}
	}()
	out, err = t.tmpl.RenderValues(renderData(msgs, opts))
	if err != nil {
		return "", fmt.Errorf("%w %q: %w", ErrTemplate, t.Name, err)
	}
	return out, nil
}

// tojsonFilter finds the tojson filter after a pipe.
var tojsonFilter = regexp.MustCompile(`\|(\s*)tojson\b`)

// renderData builds the template's variables the way apply_chat_template
// does: messages as dicts (role first, as in the JSON people write), tools
// and documents none, the special tokens, and the helpers HF registers.
func renderData(msgs []Message, opts RenderOptions) map[string]jinja.Value {
	list := make([]jinja.Value, len(msgs))
	for i, m := range msgs {
		d := jinja.NewDict()
		d.AsDict().Set("role", jinja.NewString(m.Role))
		d.AsDict().Set("content", jinja.NewString(m.Content))
		if m.Reasoning != "" {
			// Set only when there is some: Qwen3's template falls back to
			// parsing <think> out of the content when the field is missing.
			d.AsDict().Set("reasoning_content", jinja.NewString(m.Reasoning))
			d.AsDict().Set("thinking", jinja.NewString(m.Reasoning))
		}
		setToolFields(d, m)
		list[i] = d
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	data := map[string]jinja.Value{
		"messages":              jinja.NewList(list),
		"tools":                 jinja.None(),
		"documents":             jinja.None(),
		"add_generation_prompt": jinja.NewBool(opts.AddGenerationPrompt),
		"range":                 jinja.NewCallable("range", safeRange),
		"burrow_tojson":         jinja.NewCallable("tojson", tojson),
		"strftime_now": jinja.NewCallable("strftime_now", func(args []jinja.Value, _ map[string]jinja.Value) (jinja.Value, error) {
			format := "%Y-%m-%d"
			if len(args) > 0 && args[0].IsString() {
				format = args[0].AsString()
			}
			return jinja.NewString(strftime(now, format)), nil
		}),
	}
	if opts.BOS != "" {
		data["bos_token"] = jinja.NewString(opts.BOS)
	}
	if opts.EOS != "" {
		data["eos_token"] = jinja.NewString(opts.EOS)
	}
	for k, v := range opts.Vars {
		if jv, ok := v.(jinja.Value); ok { // already a template value (JSONValue)
			data[k] = jv
			continue
		}
		data[k] = jinja.FromGoValue(v)
	}
	return data
}

// setToolFields adds a turn's tool calls (as HF's apply_chat_template
// receives them: {id, type, function: {name, arguments}} with the arguments
// as a dict, which templates pass to tojson) and a tool turn's ids.
func setToolFields(d jinja.Value, m Message) {
	if len(m.ToolCalls) > 0 {
		calls := make([]jinja.Value, len(m.ToolCalls))
		for i, c := range m.ToolCalls {
			fn := jinja.NewDict()
			fn.AsDict().Set("name", jinja.NewString(c.Name))
			fn.AsDict().Set("arguments", argumentsValue(c.Arguments))
			call := jinja.NewDict()
			call.AsDict().Set("id", jinja.NewString(c.ID))
			call.AsDict().Set("type", jinja.NewString("function"))
			call.AsDict().Set("function", fn)
			calls[i] = call
		}
		d.AsDict().Set("tool_calls", jinja.NewList(calls))
	}
	if m.ToolCallID != "" {
		d.AsDict().Set("tool_call_id", jinja.NewString(m.ToolCallID))
	}
	if m.Name != "" {
		d.AsDict().Set("name", jinja.NewString(m.Name))
	}
}

// maxRange is Jinja2's sandbox limit on range(), which HF renders under: a
// template (from any downloaded file) cannot make the app allocate without bound.
const maxRange = 100000

// safeRange is Python's range with the sandbox's size limit.
func safeRange(args []jinja.Value, _ map[string]jinja.Value) (jinja.Value, error) {
	var bounds [3]int64
	for i, a := range args {
		if i >= 3 || !a.IsInt() {
			return jinja.Undefined(), fmt.Errorf("range: want 1 to 3 integers")
		}
		bounds[i] = a.AsInt()
	}
	start, stop, step := int64(0), bounds[0], int64(1)
	switch len(args) {
	case 0:
		return jinja.Undefined(), fmt.Errorf("range: want 1 to 3 integers")
	case 2:
		start, stop = bounds[0], bounds[1]
	case 3:
		start, stop, step = bounds[0], bounds[1], bounds[2]
	}
	if step == 0 {
		return jinja.Undefined(), fmt.Errorf("range: step must not be zero")
	}
	n := int64(0)
	if step > 0 && stop > start {
		n = (stop - start + step - 1) / step
	} else if step < 0 && start > stop {
		n = (start - stop - step - 1) / -step
	}
	if n > maxRange {
		return jinja.Undefined(), fmt.Errorf("range too big: the sandbox blocks ranges larger than %d", maxRange)
	}
	items := make([]jinja.Value, n)
	for i := range items {
		items[i] = jinja.NewInt(start + int64(i)*step)
	}
	return jinja.NewList(items), nil
}
