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
	BOS, EOS      string          // texts of the BOS and EOS tokens
	Markers       map[string]bool // which family marker tokens the vocabulary has
}

// markers are token texts that give a model's chat family away.
var markers = []string{
	"<|im_start|>", "<|im_end|>", // ChatML (Qwen, Yi, SmolLM, ...)
	"<|eot_id|>", "<|start_header_id|>", // Llama 3
	"<start_of_turn>", "<end_of_turn>", // Gemma
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
// by the marker tokens its vocabulary holds, then by its architecture.
func Family(m Meta) string {
	has := func(s string) bool { return m.Markers[s] }
	switch {
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
	arch := strings.ToLower(m.Architecture)
	switch {
	case strings.HasPrefix(arch, "gemma"):
		return Gemma
	case strings.HasPrefix(arch, "phi3"):
		return Phi3
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

// Rendered is a prompt and how it was made.
type Rendered struct {
	Text     string
	Template string // name of the template used
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
			return Rendered{Text: text, Template: p.Primary.Name}, nil
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
	return Rendered{Text: text, Template: p.Fallback.Name, FellBack: problem}, nil
}

// IsTemplateError reports whether err comes from a chat template.
func IsTemplateError(err error) bool { return errors.Is(err, ErrTemplate) }
