package inference

import (
	"strings"
	"testing"
	"unicode/utf8"
)

var (
	thinkTags = ReasoningFormat{Syntax: ReasoningThinkTags}
	openThink = ReasoningFormat{Syntax: ReasoningThinkTags, Open: true}
	harmony   = ReasoningFormat{Syntax: ReasoningHarmony}
	channel   = ReasoningFormat{Syntax: ReasoningChannel}
)

var splitCases = []struct {
	name              string
	f                 ReasoningFormat
	reply             string
	reasoning, answer string
}{
	{"qwen3", thinkTags, "<think>\nThe user greets me.\n\nI greet back.\n</think>\n\nHello! How can I help?", "The user greets me.\n\nI greet back.", "Hello! How can I help?"},
	{"qwen3 no thinking", thinkTags, "Hello! How can I help?", "", "Hello! How can I help?"},
	{"qwen3 empty think", thinkTags, "<think>\n\n</think>\n\nHi.", "", "Hi."},
	{"qwen3 cut off while thinking", thinkTags, "<think>\nHmm, let me see <", "Hmm, let me see <", ""},
	{"not a think tag", thinkTags, "<thinking> is a word", "", "<thinking> is a word"},
	{"a later think tag is text", thinkTags, "Use <think> tags.", "", "Use <think> tags."},
	{"deepseek-r1 opened in the prompt", openThink, "Two plus two is four.\n</think>\n\nIt is **4**.", "Two plus two is four.", "It is **4**."},
	{"unicode", thinkTags, "<think>Ünïcødé 思考</think>答え", "Ünïcødé 思考", "答え"},
	{"gpt-oss", harmony, "<|channel|>analysis<|message|>User says hi. Respond.<|end|><|start|>assistant<|channel|>final<|message|>Hello there!", "User says hi. Respond.", "Hello there!"},
	{"gpt-oss final only", harmony, "<|channel|>final<|message|>Hi.", "", "Hi."},
	{"gpt-oss without headers", harmony, "Just text.", "", "Just text."},
	{"gpt-oss tool call header", harmony, "<|channel|>analysis<|message|>Need weather.<|end|><|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{\"city\":\"Oslo\"}", "Need weather.", "{\"city\":\"Oslo\"}"},
	{"none", ReasoningFormat{}, "<think>x</think> y", "", "<think>x</think> y"},
	{"gemma4", channel, "<|channel>thought\nThe user wants a colour.\n<channel|>Blue.", "The user wants a colour.", "Blue."},
	{"gemma4 no thinking", channel, "Blue.", "", "Blue."},
	{"gemma4 opened in the prompt", ReasoningFormat{Syntax: ReasoningChannel, Open: true}, "Short.<channel|>\nBlue.", "Short.", "Blue."},
	{"gemma4 think tags are text", channel, "<think>x</think> y", "", "<think>x</think> y"},
	{"gemma4 cut off while thinking", channel, "<|channel>thought\nHmm <chan", "Hmm <chan", ""},
}

// split feeds pieces through a splitter and joins its parts, checking
// that no reasoning comes after the answer began.
func split(t *testing.T, f ReasoningFormat, pieces []string) (reasoning, answer string) {
	t.Helper()
	s := NewReasoningSplitter(f)
	var parts []Part
	for _, p := range pieces {
		parts = s.Push(parts, p)
	}
	parts = s.Flush(parts)
	var r, a strings.Builder
	for _, p := range parts {
		if p.Text == "" {
			t.Errorf("an empty part in %+v", parts)
		}
		if p.Reasoning {
			if a.Len() > 0 {
				t.Errorf("reasoning %q after the answer began", p.Text)
			}
			r.WriteString(p.Text)
		} else {
			a.WriteString(p.Text)
		}
	}
	return r.String(), a.String()
}

// TestReasoningSplitterAnyPieces splits each reply whole, one character
// at a time and at every two-piece cut: markers split across tokens must
// give the same reasoning and answer.
func TestReasoningSplitterAnyPieces(t *testing.T) {
	for _, c := range splitCases {
		t.Run(c.name, func(t *testing.T) {
			var cuts [][]string
			cuts = append(cuts, []string{c.reply})
			var chars []string
			for i, r := range c.reply {
				chars = append(chars, c.reply[i:i+utf8.RuneLen(r)])
			}
			cuts = append(cuts, chars)
			for i := 1; i < len(c.reply); i++ {
				if utf8.RuneStart(c.reply[i]) {
					cuts = append(cuts, []string{c.reply[:i], c.reply[i:]})
				}
			}
			for _, pieces := range cuts {
				r, a := split(t, c.f, pieces)
				if r != c.reasoning || a != c.answer {
					t.Fatalf("pieces %q:\n reasoning %q, answer %q\n want %q, %q", pieces, r, a, c.reasoning, c.answer)
				}
			}
		})
	}
}

// TestReasoningSplitterStreams: reasoning is shown as it comes, not held
// until the think tag closes.
func TestReasoningSplitterStreams(t *testing.T) {
	s := NewReasoningSplitter(thinkTags)
	if parts := s.Push(nil, "<thi"); len(parts) != 0 {
		t.Fatalf("a partial marker was shown: %+v", parts)
	}
	if parts := s.Push(nil, "nk>\nLet me"); len(parts) != 1 || parts[0] != (Part{"Let me", true}) {
		t.Fatalf("parts %+v", parts)
	}
	if parts := s.Push(nil, " see.\n</"); len(parts) != 1 || parts[0] != (Part{" see.", true}) {
		t.Fatalf("parts %+v", parts)
	}
	if parts := s.Push(nil, "think>\n\nSure"); len(parts) != 1 || parts[0] != (Part{"Sure", false}) {
		t.Fatalf("parts %+v", parts)
	}
}

func TestReasoningOf(t *testing.T) {
	qwen := "{%- if enable_thinking is defined and enable_thinking is false %}<think>\n\n</think>\n\n{%- endif %}{{ content.split('</think>') }}"
	cases := []struct {
		src, prompt string
		want        ReasoningFormat
	}{
		{qwen, "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n", thinkTags},
		{qwen, "<|im_start|>assistant\n<think>\n\n</think>\n\n", thinkTags},
		{"{{'<｜Assistant｜><think>\\n'}}{{ c.split('</think>') }}", "<｜User｜>hi<｜Assistant｜><think>\n", openThink},
		{"<|start|>assistant<|channel|>final<|message|>", "<|start|>assistant", harmony},
		{"{{ '<|im_start|>' }}", "<|im_start|>assistant\n", ReasoningFormat{}},
		{"{{'<｜Assistant｜><think>\\n'}}", "<｜User｜>hi<｜Assistant｜><think>\n", openThink},
	}
	for _, c := range cases {
		if got := ReasoningOf(c.src, c.prompt); got != c.want {
			t.Errorf("ReasoningOf(%q, %q) = %+v, want %+v", c.src, c.prompt, got, c.want)
		}
	}
	if !ThinkSwitch(qwen) || ThinkSwitch("{{ '<|im_start|>' }}") {
		t.Error("ThinkSwitch")
	}
}

// FuzzReasoningSplitter: whatever the text and wherever the pieces are
// cut, the splitter never panics and gives what one whole push gives.
func FuzzReasoningSplitter(f *testing.F) {
	for _, c := range splitCases {
		f.Add(c.reply, uint8(c.f.Syntax), c.f.Open, uint16(3), uint16(9))
	}
	f.Fuzz(func(t *testing.T, reply string, syntax uint8, open bool, cut1, cut2 uint16) {
		fm := ReasoningFormat{Syntax: ReasoningSyntax(syntax % 4), Open: open}
		wantR, wantA := split(t, fm, []string{reply})
		a, b := min(int(cut1), len(reply)), min(int(cut2), len(reply))
		if a > b {
			a, b = b, a
		}
		gotR, gotA := split(t, fm, []string{reply[:a], reply[a:b], reply[b:]})
		if gotR != wantR || gotA != wantA {
			t.Errorf("%+v %q cut at %d, %d: %q, %q; whole: %q, %q", fm, reply, a, b, gotR, gotA, wantR, wantA)
		}
	})
}
