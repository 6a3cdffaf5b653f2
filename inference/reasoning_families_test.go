package inference

import (
	"os"
	"path/filepath"
	"testing"

	"burrow/inference/chat"
)

// TestReasoningOfTheNewFamilies renders the real Qwen3.5/3.6 and Gemma 4
// templates (chat's testdata) with thinking on and off and checks the
// format found from each prompt: Qwen opens <think> in the prompt unless
// enable_thinking is false; Gemma 4 uses its thought channel, which the
// model opens itself when thinking and the prompt closes empty when not.
func TestReasoningOfTheNewFamilies(t *testing.T) {
	cases := []struct {
		file  string
		think any // enable_thinking; nil leaves it undefined
		want  ReasoningFormat
	}{
		{"qwen3_6-fixed.jinja", nil, openThink},
		{"qwen3_6-fixed.jinja", true, openThink},
		{"qwen3_6-fixed.jinja", false, thinkTags},
		{"qwen3_5-27b.jinja", nil, openThink},
		{"qwen3_5-27b.jinja", false, thinkTags},
		{"gemma4.jinja", true, channel},
		{"gemma4.jinja", false, channel},
		{"gemma4-31b-interleaved.jinja", nil, channel},
		{"gemma4-31b-interleaved.jinja", true, channel},
		{"gemma4-31b-interleaved.jinja", false, channel},
	}
	msgs := []chat.Message{{Role: "user", Content: "Name a colour."}}
	for _, c := range cases {
		src, err := os.ReadFile(filepath.Join("chat", "testdata", "templates", c.file))
		if err != nil {
			t.Fatal(err)
		}
		tmpl, err := chat.Parse(c.file, string(src))
		if err != nil {
			t.Fatal(err)
		}
		opts := chat.RenderOptions{AddGenerationPrompt: true, BOS: "<bos>"}
		if c.think != nil {
			opts.Vars = map[string]any{"enable_thinking": c.think}
		}
		prompt, err := tmpl.Render(msgs, opts)
		if err != nil {
			t.Fatal(err)
		}
		if got := ReasoningOf(string(src), prompt); got != c.want {
			t.Errorf("%s enable_thinking=%v: ReasoningOf = %+v, want %+v (prompt %q)", c.file, c.think, got, c.want, prompt)
		}
		if !ThinkSwitch(string(src)) {
			t.Errorf("%s: no think switch", c.file)
		}
	}
}
