package chat

import (
	"errors"
	"fmt"
	"strings"

	"burrow/inference/gguf"
)

// Meta is what choosing and rendering a template needs from a model file.
type Meta struct {
	Architecture  string          // general.architecture
	Pre           string          // tokenizer.ggml.pre
	TokenizerKind string          // tokenizer.ggml.model: "llama" (SentencePiece), "gpt2" (BPE), ...
	Template      string          // tokenizer.chat_template; "" when the file has none
	Name          string          // general.name, general.basename and general.finetune, space-separated
	BOS, EOS      string          // texts of the BOS and EOS tokens
	Markers       map[string]bool // which family marker tokens the vocabulary has
}

// markers are token texts that give a model's chat family away.
var markers = []string{
	"<|im_start|>", "<|im_end|>", // ChatML (Qwen, Yi, SmolLM, ...)
	"<|eot_id|>", "<|start_header_id|>", // Llama 3
	"<start_of_turn>", "<end_of_turn>", // Gemma
	"<|turn>", "<turn|>", // Gemma 4
	"<|assistant|>", "<|end|>", "<|user|>", // Phi-3
	"[INST]", "[/INST]", // Mistral's control tokens
}

// MetaFromGGUF reads the template-related metadata of a GGUF file.
func MetaFromGGUF(f *gguf.File) Meta {
	m := Meta{
		Architecture:  f.Architecture(),
		Pre:           f.StringOr("tokenizer.ggml.pre", ""),
		TokenizerKind: f.StringOr("tokenizer.ggml.model", ""),
		Template:      f.StringOr("tokenizer.chat_template", ""),
		Markers:       map[string]bool{},
	}
	var names []string
	for _, k := range []string{"general.name", "general.basename", "general.finetune"} {
		if v := f.StringOr(k, ""); v != "" {
			names = append(names, v)
		}
	}
	m.Name = strings.Join(names, " ")
	tokens, _ := f.Strings("tokenizer.ggml.tokens")
	text := func(key string) string {
		id, ok := f.Uint(key)
		if !ok || id >= uint64(len(tokens)) {
			return ""
		}
		return tokens[id]
	}
	m.BOS = text("tokenizer.ggml.bos_token_id")
	m.EOS = text("tokenizer.ggml.eos_token_id")
	want := map[string]bool{}
	for _, s := range markers {
		want[s] = true
	}
	for _, t := range tokens {
		if want[t] {
			m.Markers[t] = true
		}
	}
	return m
}

// Family names the built-in template for a model that carries none: first
// by the marker tokens its vocabulary holds; with none of those, by its
// architecture when its name says it was tuned for chat (Llama 2 and early
// Mistral write their [INST] markers as plain text), else Completion: a
// base model would only see another family's markers spelled out in bytes.
func Family(m Meta) string {
	has := func(s string) bool { return m.Markers[s] }
	arch := strings.ToLower(m.Architecture)
	switch {
	case has("<|turn>") && has("<turn|>"):
		return Gemma4
	case has("<|im_start|>") && strings.HasPrefix(arch, "qwen35"):
		return Qwen35 // qwen35 and qwen35moe (Qwen3.5 and 3.6)
	case has("<|eot_id|>") || has("<|start_header_id|>"):
		return Llama3
	case has("<start_of_turn>"):
		return Gemma
	case has("<|im_start|>"):
		return ChatML
	case has("<|assistant|>") && has("<|end|>"):
		return Phi3
	case has("[INST]"):
		return Mistral
	}
	if len(m.Markers) == 0 && !chatTuned(m.Name) {
		return Completion
	}
	switch {
	case strings.HasPrefix(arch, "gemma4"):
		return Gemma4
	case strings.HasPrefix(arch, "gemma"):
		return Gemma
	case strings.HasPrefix(arch, "phi3"):
		return Phi3
	case strings.HasPrefix(arch, "qwen35"):
		return Qwen35
	case strings.HasPrefix(arch, "qwen"):
		return ChatML
	case strings.HasPrefix(m.Pre, "llama3") || m.Pre == "llama-bpe":
		return Llama3
	case arch == "llama" && m.TokenizerKind == "llama":
		// SentencePiece llama vocabularies: Llama 2 and the models tuned on its format.
		return Llama2
	}
	return ChatML
}

// chatTuned reports whether a model's name says it was tuned to chat or
// follow instructions ("Llama-2-7b-chat", "Mistral-7B-Instruct", "gemma-2-9b-it").
func chatTuned(name string) bool {
	words := strings.FieldsFunc(strings.ToLower(name), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	})
	for _, w := range words {
		switch w {
		case "chat", "instruct", "it", "sft", "dpo", "rlhf", "assistant":
			return true
		}
	}
	return false
}

// Prompter renders conversations for one model: the override if given, else
// the file's own template, falling back to the family's built-in when that
// template cannot be parsed or rendered.
type Prompter struct {
	Primary  *Template // nil when the primary template failed to parse
	Fallback *Template // the family's built-in
	BOS, EOS string
	// Problem says why the primary template is not used (a parse error), if so.
	Problem error
}

// NewPrompter chooses the template for a model. override is Jinja source
// (or the name of a built-in) that replaces the file's template.
func NewPrompter(m Meta, override string) (*Prompter, error) {
	fb, err := Builtin(Family(m))
	if err != nil {
		return nil, err
	}
	p := &Prompter{Fallback: fb, BOS: m.BOS, EOS: m.EOS}
	switch {
	case override != "":
		if _, ok := BuiltinSource(override); ok {
			p.Primary, _ = Builtin(override)
			return p, nil
		}
		// The user asked for this template: its errors are theirs to see.
		t, err := Parse("override", override)
		if err != nil {
			return nil, err
		}
		p.Primary = t
	case m.Template != "":
		p.Primary, p.Problem = Parse("gguf", m.Template)
	default:
		p.Primary = fb
	}
	return p, nil
}

// Source is the Jinja source of the template renders use first.
func (p *Prompter) Source() string {
	if p.Primary != nil {
		return p.Primary.Source
	}
	return p.Fallback.Source
}

// Rendered is a prompt and how it was made.
type Rendered struct {
	Text     string
	Template string // name of the template used
	Source   string // its Jinja source
	// FellBack is the primary template's error when the built-in was used instead.
	FellBack error
}

// Render renders msgs with the chosen template, falling back to the
// built-in with a reason rather than failing when the file's template breaks.
func (p *Prompter) Render(msgs []Message, opts RenderOptions) (Rendered, error) {
	if opts.BOS == "" {
		opts.BOS = p.BOS
	}
	if opts.EOS == "" {
		opts.EOS = p.EOS
	}
	problem := p.Problem
	if p.Primary != nil {
		text, err := p.Primary.Render(msgs, opts)
		if err == nil {
			return Rendered{Text: text, Template: p.Primary.Name, Source: p.Primary.Source}, nil
		}
		if p.Primary.Name == "override" || p.Primary == p.Fallback {
			return Rendered{}, err
		}
		problem = err
	}
	text, err := p.Fallback.Render(msgs, opts)
	if err != nil {
		return Rendered{}, fmt.Errorf("built-in template after %w: %w", problem, err)
	}
	return Rendered{Text: text, Template: p.Fallback.Name, Source: p.Fallback.Source, FellBack: problem}, nil
}

// IsTemplateError reports whether err comes from a chat template.
func IsTemplateError(err error) bool { return errors.Is(err, ErrTemplate) }
