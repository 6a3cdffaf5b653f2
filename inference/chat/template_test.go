package chat

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"burrow/inference/gguf"
	"burrow/internal/testenv"
)

// manifest is testdata/templates.json: the templates and conversations the
// golden renders (made by tools/templates/render_goldens.py) cover.
type manifest struct {
	Now       string `json:"now"`
	Templates []struct {
		Name    string  `json:"name"`
		GGUF    string  `json:"gguf"`
		File    string  `json:"file"`
		Builtin string  `json:"builtin"`
		BOS     *string `json:"bos"`
		EOS     *string `json:"eos"`
	} `json:"templates"`
	Conversations map[string]struct {
		AddGenerationPrompt bool                       `json:"add_generation_prompt"`
		Messages            []manifestMessage          `json:"messages"`
		Vars                map[string]json.RawMessage `json:"vars"` // apply_chat_template's other keyword arguments
	} `json:"conversations"`
}

// manifestMessage is a message as Python passes it: the reasoning under
// both names Render gives it (Qwen3 reads reasoning_content, gpt-oss thinking).
type manifestMessage struct {
	Role             string `json:"role"`
	Content          string `json:"content"`
	ReasoningContent string `json:"reasoning_content"`
	Thinking         string `json:"thinking"`
	ToolCalls        []struct {
		ID       string `json:"id"`
		Function struct {
			Name      string          `json:"name"`
			Arguments json.RawMessage `json:"arguments"`
		} `json:"function"`
	} `json:"tool_calls"`
	ToolCallID string `json:"tool_call_id"`
	Name       string `json:"name"`
}

func chatMessages(t *testing.T, ms []manifestMessage) []Message {
	t.Helper()
	out := make([]Message, len(ms))
	for i, m := range ms {
		if m.ReasoningContent != m.Thinking {
			t.Fatalf("message %d: reasoning_content %q and thinking %q differ; Render passes one reasoning as both", i, m.ReasoningContent, m.Thinking)
		}
		out[i] = Message{Role: m.Role, Content: m.Content, Reasoning: m.ReasoningContent, ToolCallID: m.ToolCallID, Name: m.Name}
		for _, c := range m.ToolCalls {
			out[i].ToolCalls = append(out[i].ToolCalls, ToolCall{ID: c.ID, Name: c.Function.Name, Arguments: string(c.Function.Arguments)})
		}
	}
	return out
}

// templateVars are a conversation's extra variables as the template gets
// them: JSON with its key order kept, as json.loads gives Python.
func templateVars(t *testing.T, vars map[string]json.RawMessage) map[string]any {
	t.Helper()
	out := map[string]any{}
	for k, raw := range vars {
		v, err := JSONValue(raw)
		if err != nil {
			t.Fatalf("var %s: %v", k, err)
		}
		out[k] = v
	}
	return out
}

type golden struct {
	BOS     *string `json:"bos"`
	EOS     *string `json:"eos"`
	Renders map[string]struct {
		Text  *string `json:"text"`
		Error *string `json:"error"`
	} `json:"renders"`
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// TestGoldenRenders renders every template in the manifest with every
// conversation and compares byte for byte with Python Jinja2's render.
func TestGoldenRenders(t *testing.T) {
	var m manifest
	readJSON(t, "testdata/templates.json", &m)
	now, err := time.Parse("2006-01-02", m.Now)
	if err != nil {
		t.Fatal(err)
	}
	real := 0
	for _, entry := range m.Templates {
		t.Run(entry.Name, func(t *testing.T) {
			var g golden
			readJSON(t, filepath.Join("testdata", "golden", entry.Name+".json"), &g)
			var src string
			switch {
			case entry.GGUF != "":
				f, err := gguf.Open(testenv.Path(t, strings.Split(entry.GGUF, "/")...))
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				meta := MetaFromGGUF(f)
				src = meta.Template
				if meta.BOS != deref(g.BOS) || meta.EOS != deref(g.EOS) {
					t.Errorf("special tokens from gguf = %q, %q; Python read %q, %q", meta.BOS, meta.EOS, deref(g.BOS), deref(g.EOS))
				}
			case entry.Builtin != "":
				var ok bool
				if src, ok = BuiltinSource(entry.Builtin); !ok {
					t.Fatalf("no built-in %q", entry.Builtin)
				}
			default:
				b, err := os.ReadFile(filepath.Join("testdata", "templates", entry.File))
				if err != nil {
					t.Fatal(err)
				}
				src = string(b)
			}
			if entry.Builtin == "" {
				real++
			}
			tmpl, err := Parse(entry.Name, src)
			if err != nil {
				t.Fatal(err)
			}
			for name, conv := range m.Conversations {
				want, ok := g.Renders[name]
				if !ok {
					t.Errorf("%s: no golden render (rerun tools/templates/render_goldens.py)", name)
					continue
				}
				got, err := tmpl.Render(chatMessages(t, conv.Messages), RenderOptions{
					AddGenerationPrompt: conv.AddGenerationPrompt,
					BOS:                 deref(g.BOS), EOS: deref(g.EOS), Now: now, Vars: templateVars(t, conv.Vars),
				})
				switch {
				case want.Error != nil:
					if err == nil {
						t.Errorf("%s: Jinja2 raised %q, Go rendered %q", name, *want.Error, got)
					} else if !strings.Contains(err.Error(), *want.Error) {
						t.Errorf("%s: error %q does not carry Jinja2's %q", name, err, *want.Error)
					}
				case err != nil:
					t.Errorf("%s: %v", name, err)
				case got != *want.Text:
					t.Errorf("%s:\n got %q\nwant %q", name, got, *want.Text)
				}
			}
		})
	}
	if real < 8 {
		t.Errorf("only %d real templates checked; the issue asks for 8", real)
	}
}

func TestBrokenTemplatesGiveErrorsNotPanics(t *testing.T) {
	cases := []struct{ name, src string }{
		{"unclosed tag", "{% for m in messages %}{{ m.content }}"},
		{"unclosed expression", "{{ messages[0].content "},
		{"unknown filter", "{{ messages | no_such_filter }}"},
		{"raise", "{{ raise_exception('nope') }}"},
		{"call non-callable", "{{ messages() }}"},
		{"empty", "  "},
	}
	msgs := []Message{{Role: "user", Content: "hi"}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tmpl, err := Parse(c.name, c.src)
			if err == nil {
				_, err = tmpl.Render(msgs, RenderOptions{AddGenerationPrompt: true})
			}
			if err == nil {
				t.Fatalf("%q rendered without an error", c.src)
			}
			if !errors.Is(err, ErrTemplate) {
				t.Errorf("error %v does not wrap ErrTemplate", err)
			}
		})
	}
}

func mustDate(t *testing.T, s string) time.Time {
	t.Helper()
	d, err := time.Parse("2006-01-02", s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestRangeMatchesPythonWithTheSandboxLimit(t *testing.T) {
	cases := map[string]string{
		"{{ range(3) | list }}":              "[0, 1, 2]",
		"{{ range(1, 4) | join(',') }}":      "1,2,3",
		"{{ range(10, 0, -3) | join(',') }}": "10,7,4,1",
		"{{ range(5, 2) | length }}":         "0",
		"{{ range(0, 7, 2) | join(',') }}":   "0,2,4,6",
	}
	for src, want := range cases {
		tmpl, err := Parse("range", src)
		if err != nil {
			t.Fatal(err)
		}
		got, err := tmpl.Render(nil, RenderOptions{})
		if err != nil || got != want {
			t.Errorf("%s = %q, %v; want %q", src, got, err, want)
		}
	}
	tmpl, _ := Parse("range", "{% for i in range(1000000000000) %}{% endfor %}")
	if _, err := tmpl.Render(nil, RenderOptions{}); err == nil || !errors.Is(err, ErrTemplate) {
		t.Errorf("a huge range: %v", err)
	}
}
