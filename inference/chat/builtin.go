package chat

import (
	"embed"
	"fmt"
	"sort"
	"strings"
)

// The built-in templates cover files that carry no chat template. They are
// plain Jinja so the same engine renders them and the golden script can
// check them against Python Jinja2.
//
//go:embed builtin/*.jinja
var builtinFS embed.FS

// Names of the built-in templates.
const (
	ChatML  = "chatml"
	Llama3  = "llama3"
	Llama2  = "llama2"
	Mistral = "mistral"
	Gemma   = "gemma"
	Phi3    = "phi3"
	// Qwen35 is ChatML whose generation prompt opens <think> (closed
	// empty when enable_thinking is false), as Qwen3.5/3.6's own does.
	Qwen35 = "qwen35"
	// Gemma4 is Gemma 4's <|turn>…<turn|> layout with its thought
	// channel (<|think|> in the system turn when enable_thinking is true).
	Gemma4 = "gemma4"
	// Completion is no chat format at all: the messages' text in order,
	// each user or system message on a new line and each reply right after
	// the text it continues, for base models (a story model continues the
	// user's text) and vocabularies without any family's turn markers.
	Completion = "completion"
)

// BuiltinNames lists the built-in templates.
func BuiltinNames() []string {
	entries, _ := builtinFS.ReadDir("builtin")
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".jinja"))
	}
	sort.Strings(names)
	return names
}

// BuiltinSource is the Jinja source of a built-in template.
func BuiltinSource(name string) (string, bool) {
	b, err := builtinFS.ReadFile("builtin/" + name + ".jinja")
	if err != nil {
		return "", false
	}
	return string(b), true
}

// Builtin compiles a built-in template by name.
func Builtin(name string) (*Template, error) {
	src, ok := BuiltinSource(name)
	if !ok {
		return nil, fmt.Errorf("%w: no built-in template %q (have %s)", ErrTemplate, name, strings.Join(BuiltinNames(), ", "))
	}
	return Parse(name, src)
}
