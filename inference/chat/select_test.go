package chat

import (
	"errors"
	"strings"
	"testing"

	"burrow/inference/gguf"
	"burrow/internal/testenv"
)

func TestFamilyFromVocabularies(t *testing.T) {
	cases := []struct {
		file string
		want string
	}{
		{"ggml-vocab-llama-bpe.gguf", Llama3},
		{"ggml-vocab-qwen2.gguf", ChatML},
		{"ggml-vocab-phi-3.gguf", Phi3},
		{"ggml-vocab-llama-spm.gguf", Llama2},
		{"ggml-vocab-gpt-2.gguf", ChatML},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			f, err := gguf.Open(testenv.Path(t, "vocab", c.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if got := Family(MetaFromGGUF(f)); got != c.want {
				t.Errorf("Family = %q, want %q", got, c.want)
			}
		})
	}
}

func TestFamilyFromMarkersAndArchitecture(t *testing.T) {
	cases := []struct {
		name string
		meta Meta
		want string
	}{
		{"gemma markers", Meta{Markers: map[string]bool{"<start_of_turn>": true}}, Gemma},
		{"mistral control tokens", Meta{Architecture: "llama", TokenizerKind: "llama", Markers: map[string]bool{"[INST]": true}}, Mistral},
		{"gemma arch", Meta{Architecture: "gemma2"}, Gemma},
		{"qwen arch", Meta{Architecture: "qwen3"}, ChatML},
		{"llama spm", Meta{Architecture: "llama", TokenizerKind: "llama"}, Llama2},
		{"unknown", Meta{Architecture: "mamba"}, ChatML},
	}
	for _, c := range cases {
		if got := Family(c.meta); got != c.want {
			t.Errorf("%s: Family = %q, want %q", c.name, got, c.want)
		}
	}
}

func TestPrompterFallsBackFromBrokenTemplates(t *testing.T) {
	msgs := []Message{{Role: "user", Content: "hi"}}
	opts := RenderOptions{AddGenerationPrompt: true}
	base := Meta{BOS: "<|begin_of_text|>", EOS: "<|eot_id|>", Markers: map[string]bool{"<|eot_id|>": true}}
	want := "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"

	cases := []struct {
		name, template string
		fellBack       bool
	}{
		{"no template", "", false},
		{"does not parse", "{% for m in messages %}", true},
		{"raises while rendering", "{{ raise_exception('unsupported') }}", true},
		{"unknown filter", "{{ messages | frobnicate }}", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := base
			m.Template = c.template
			p, err := NewPrompter(m, "")
			if err != nil {
				t.Fatal(err)
			}
			r, err := p.Render(msgs, opts)
			if err != nil {
				t.Fatal(err)
			}
			if r.Text != want || r.Template != Llama3 {
				t.Errorf("got %q from %q, want the llama3 built-in's %q", r.Text, r.Template, want)
			}
			if (r.FellBack != nil) != c.fellBack {
				t.Errorf("FellBack = %v, want fallback %v", r.FellBack, c.fellBack)
			}
			if r.FellBack != nil && !errors.Is(r.FellBack, ErrTemplate) {
				t.Errorf("FellBack %v does not wrap ErrTemplate", r.FellBack)
			}
		})
	}
}

func TestPrompterOverride(t *testing.T) {
	m := Meta{Template: "{{ 'file' }}", Markers: map[string]bool{"<|im_start|>": true}}
	msgs := []Message{{Role: "user", Content: "hi"}}

	p, err := NewPrompter(m, "{% for m in messages %}[{{ m.role }}]{{ m.content }}{% endfor %}")
	if err != nil {
		t.Fatal(err)
	}
	if r, err := p.Render(msgs, RenderOptions{}); err != nil || r.Text != "[user]hi" {
		t.Errorf("override source: %q, %v", r.Text, err)
	}

	p, err = NewPrompter(m, Gemma)
	if err != nil {
		t.Fatal(err)
	}
	if r, err := p.Render(msgs, RenderOptions{AddGenerationPrompt: true}); err != nil || !strings.Contains(r.Text, "<start_of_turn>model\n") {
		t.Errorf("override by built-in name: %q, %v", r.Text, err)
	}

	if _, err := NewPrompter(m, "{% if %}"); err == nil {
		t.Error("a broken override should be reported, not replaced")
	}
}

func TestStrftime(t *testing.T) {
	tm := mustDate(t, "2024-07-06")
	cases := map[string]string{"%d %b %Y": "06 Jul 2024", "%Y-%m-%d": "2024-07-06", "%B %e, %A": "July  6, Saturday", "100%%": "100%", "%Q": "%Q"}
	for f, want := range cases {
		if got := strftime(tm, f); got != want {
			t.Errorf("strftime(%q) = %q, want %q", f, got, want)
		}
	}
}
