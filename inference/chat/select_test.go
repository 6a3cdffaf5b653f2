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
		// No template, no markers, no chat in the name: base models.
		{"ggml-vocab-llama-spm.gguf", Completion},
		{"ggml-vocab-gpt-2.gguf", Completion},
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
		{"gemma arch", Meta{Architecture: "gemma2", Name: "gemma-2-9b-it"}, Gemma},
		{"qwen arch", Meta{Architecture: "qwen3", Name: "Qwen3 8B Instruct"}, ChatML},
		{"qwen3.5 markers", Meta{Architecture: "qwen35", Markers: map[string]bool{"<|im_start|>": true, "<|im_end|>": true}}, Qwen35},
		{"qwen3.6 moe markers", Meta{Architecture: "qwen35moe", Markers: map[string]bool{"<|im_start|>": true}}, Qwen35},
		{"qwen3.5 arch", Meta{Architecture: "qwen35", Name: "Qwen3.5 2B Instruct"}, Qwen35},
		{"gemma 4 markers", Meta{Architecture: "gemma4", Markers: map[string]bool{"<|turn>": true, "<turn|>": true, "<start_of_turn>": true}}, Gemma4},
		{"gemma 4 arch", Meta{Architecture: "gemma4", Name: "gemma-4-E2B-it"}, Gemma4},
		{"llama 2 chat", Meta{Architecture: "llama", TokenizerKind: "llama", Name: "Llama-2-7b-chat-hf"}, Llama2},
		{"llama 2 base", Meta{Architecture: "llama", TokenizerKind: "llama", Name: "Llama-2-7b-hf"}, Completion},
		{"story model", Meta{Architecture: "llama", TokenizerKind: "llama", Name: "llama"}, Completion},
		{"unknown chat", Meta{Architecture: "mamba", Name: "mamba chat"}, ChatML},
		{"unknown base", Meta{Architecture: "mamba"}, Completion},
		{"some marker, no family", Meta{Architecture: "llama", TokenizerKind: "llama", Markers: map[string]bool{"<|end|>": true}}, Llama2},
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

// TestCompletionRendersTheText: the completion built-in writes the turns'
// text as they are (a reply right after the text it continues), nothing
// else; the expected strings are Python Jinja2's renders of the same source.
func TestCompletionRendersTheText(t *testing.T) {
	tmpl, err := Builtin(Completion)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		msgs []Message
		want string
	}{
		{[]Message{{Role: "user", Content: "Once upon a time"}}, "Once upon a time"},
		{[]Message{{Role: "system", Content: "Tell a story."}, {Role: "user", Content: "Once upon a time"},
			{Role: "assistant", Content: ", there was a girl."}, {Role: "user", Content: "She liked cats."}},
			"Tell a story.\nOnce upon a time, there was a girl.\nShe liked cats."},
	}
	for _, c := range cases {
		got, err := tmpl.Render(c.msgs, RenderOptions{AddGenerationPrompt: true, BOS: "<s>", EOS: "</s>"})
		if err != nil || got != c.want {
			t.Errorf("%+v: %q, %v; want %q", c.msgs, got, err, c.want)
		}
	}
	// A story model's file selects it.
	f, err := gguf.Open(testenv.Path(t, "models", "stories260K-f32.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := NewPrompter(MetaFromGGUF(f), "")
	if err != nil {
		t.Fatal(err)
	}
	if r, err := p.Render(cases[0].msgs, RenderOptions{AddGenerationPrompt: true}); err != nil || r.Text != "Once upon a time" || r.Template != Completion {
		t.Errorf("stories260K renders %q with %q (%v), want the completion built-in", r.Text, r.Template, err)
	}
}
