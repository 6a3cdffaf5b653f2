package inference

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"burrow/inference/chat"
	"burrow/inference/gguf"
	"burrow/inference/synth"
	"burrow/internal/testenv"
)

// synthQwen3 writes a small random model with the Qwen3 vocabulary and
// chat template (ggml-vocab-qwen2.gguf carries Qwen3's template, whose
// <think> and </think> are user-defined tokens).
func synthQwen3(t *testing.T) string {
	t.Helper()
	vocab := testenv.Path(t, "vocab", "ggml-vocab-qwen2.gguf")
	path := filepath.Join(t.TempDir(), "qwen3-synth.gguf")
	if err := synth.Write(path, synth.Options{Preset: "tiny", VocabFrom: vocab, Std: 0.5, Seed: 7, Context: 512}); err != nil {
		t.Fatal(err)
	}
	return path
}

// thought is a reply read event by event, reasoning apart.
type thought struct {
	reasoning, answer string
	tokens            int    // events that carried a token
	order             string // "r" and "a" per non-empty piece, runs merged
	done              Event
}

func collectThought(t *testing.T, ch <-chan Event) thought {
	t.Helper()
	var th thought
	for ev := range ch {
		switch ev.Kind {
		case EventPiece:
			if ev.Token != NoToken {
				th.tokens++
			}
			kind := "a"
			if ev.Reasoning {
				th.reasoning += ev.Piece
				kind = "r"
			} else {
				th.answer += ev.Piece
			}
			if ev.Piece != "" && !strings.HasSuffix(th.order, kind) {
				th.order += kind
			}
		case EventDone:
			th.done = ev
		case EventError:
			t.Fatalf("generate: %v", ev.Err)
		}
	}
	return th
}

// TestThinkingReplyIsSplit forces a Qwen3 model to think and answer: the
// events tag the reasoning, the markers are gone, every token is reported
// once, and the next turn's prompt leaves the reasoning out as Qwen3's
// template says (it only keeps reasoning after the last user message).
func TestThinkingReplyIsSplit(t *testing.T) {
	path := synthQwen3(t)
	tok := promptModel(t, path).Tok
	forced := tok.Encode("<think>\nThe user greets me. I greet back.\n</think>\n\nHello there!", false, true)
	if want := tok.Encode("<think>", false, true); len(want) != 1 {
		t.Fatalf("<think> is %d tokens in the Qwen3 vocabulary", len(want))
	}
	w, info := startWorker(t, path, LoadOptions{ContextLength: 256, Threads: 1})
	if info.Reasoning != "think" || !info.ThinkSwitch {
		t.Errorf("model info: reasoning %q, think switch %v", info.Reasoning, info.ThinkSwitch)
	}
	w.sampler = func(n, id int) int { return forced[min(n, len(forced))-1] }
	msgs := []chat.Message{{Role: "user", Content: "Hi!"}}
	th := collectThought(t, w.Generate(context.Background(), GenerateRequest{Messages: msgs, Params: greedy(), MaxTokens: len(forced)}))
	if th.reasoning != "The user greets me. I greet back." || th.answer != "Hello there!" || th.order != "ra" {
		t.Errorf("reasoning %q, answer %q, order %q", th.reasoning, th.answer, th.order)
	}
	if th.tokens != len(forced) || th.done.Stats.GenTokens != len(forced) {
		t.Errorf("%d token events, %d generated, for %d tokens", th.tokens, th.done.Stats.GenTokens, len(forced))
	}

	// The next turn: reasoning goes in as reasoning_content, and the
	// template drops it from an earlier turn.
	next := append(msgs, chat.Message{Role: "assistant", Content: th.answer, Reasoning: th.reasoning}, chat.Message{Role: "user", Content: "And now?"})
	pr, err := promptModel(t, path).Prompt(next)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(pr.Text, "greets me") || !strings.Contains(pr.Text, "<|im_start|>assistant\nHello there!<|im_end|>") {
		t.Errorf("second turn prompt %q", pr.Text)
	}
	// enable_thinking false closes an empty think in the prompt: the reply is all answer.
	off, err := promptModel(t, path).PromptWith(msgs, map[string]any{"enable_thinking": false})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(off.Text, "<|im_start|>assistant\n<think>\n\n</think>\n\n") || off.Reasoning != (ReasoningFormat{Syntax: ReasoningThinkTags}) {
		t.Errorf("enable_thinking false: prompt %q, format %+v", off.Text, off.Reasoning)
	}
	answer := tok.Encode("Hello there!", false, true)
	w.sampler = func(n, id int) int { return answer[min(n, len(answer))-1] }
	th = collectThought(t, w.Generate(context.Background(), GenerateRequest{Messages: msgs, Params: greedy(), MaxTokens: len(answer),
		TemplateVars: map[string]any{"enable_thinking": false}}))
	if th.reasoning != "" || th.answer != "Hello there!" || th.done.Stats.PromptTokens != len(off.Tokens) {
		t.Errorf("no thinking: reasoning %q, answer %q, prompt %d tokens (want %d)", th.reasoning, th.answer, th.done.Stats.PromptTokens, len(off.Tokens))
	}
}

// TestOpenThinkAndHarmonyReplies: a template that opens <think> in the
// prompt (DeepSeek-R1) makes the reply start as reasoning; a harmony
// template (gpt-oss) splits on channels. The markers here are plain text
// tokens, which the splitter sees the same way.
func TestOpenThinkAndHarmonyReplies(t *testing.T) {
	path := synthQwen3(t)
	tok := promptModel(t, path).Tok
	w, _ := startWorker(t, path, LoadOptions{ContextLength: 256, Threads: 1})
	cases := []struct {
		name, template, reply, reasoning, answer string
	}{
		{"deepseek-r1", "{% for m in messages %}<｜User｜>{{ m.content.split('</think>')[-1] }}{% endfor %}<｜Assistant｜><think>\n",
			"Two and two make four.\n</think>\n\nIt is 4.", "Two and two make four.", "It is 4."},
		{"gpt-oss", "{% for m in messages %}<|start|>user<|message|>{{ m.content }}<|end|>{% endfor %}<|start|>assistant{# <|channel|>final<|message|> #}",
			"<|channel|>analysis<|message|>Simple sum.<|end|><|start|>assistant<|channel|>final<|message|>4", "Simple sum.", "4"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			forced := tok.Encode(c.reply, false, true)
			w.sampler = func(n, id int) int { return forced[min(n, len(forced))-1] }
			th := collectThought(t, w.Generate(context.Background(), GenerateRequest{Messages: ask("2+2?"), Template: c.template, Params: greedy(), MaxTokens: len(forced)}))
			if th.reasoning != c.reasoning || th.answer != c.answer || th.order != "ra" || th.tokens != len(forced) {
				t.Errorf("reasoning %q, answer %q, order %q, %d token events for %d", th.reasoning, th.answer, th.order, th.tokens, len(forced))
			}
		})
	}
}

// synthHarmony writes a small random model whose vocabulary has gpt-oss's
// harmony markers as control tokens (six of Qwen's control tokens renamed)
// and gpt-oss's chat template.
func synthHarmony(t *testing.T) string {
	t.Helper()
	src, err := gguf.Open(testenv.Path(t, "vocab", "ggml-vocab-qwen2.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	tmpl, err := os.ReadFile(filepath.Join("chat", "testdata", "templates", "gpt-oss-20b.jinja"))
	if err != nil {
		t.Fatal(err)
	}
	gw := gguf.NewWriter()
	for _, kv := range src.KVs {
		if kv.Key == "tokenizer.ggml.tokens" {
			arr := kv.Value.(gguf.Array)
			toks := append([]string(nil), arr.Values.([]string)...)
			for i, name := range []string{"<|channel|>", "<|message|>", "<|start|>", "<|end|>", "<|return|>", "<|call|>"} {
				toks[151646+i] = name // <|object_ref_start|>…<|quad_end|>: control tokens
			}
			kv.Value = gguf.Array{Type: arr.Type, Values: toks}
		}
		if err := gw.SetKV(kv); err != nil {
			t.Fatal(err)
		}
	}
	if err := gw.Set("tokenizer.chat_template", string(tmpl)); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	vocab := filepath.Join(dir, "harmony-vocab.gguf")
	if err := gw.WriteFile(vocab, nil); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "harmony-synth.gguf")
	if err := synth.Write(path, synth.Options{Preset: "tiny", VocabFrom: vocab, Std: 0.5, Seed: 7, Context: 512}); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestHarmonyControlTokens: gpt-oss's markers are control tokens in the
// file; the tokenizer makes them user-defined (as llama.cpp does), so they
// decode as text and the splitter tells the analysis channel from the
// final one.
func TestHarmonyControlTokens(t *testing.T) {
	path := synthHarmony(t)
	tok := promptModel(t, path).Tok
	reply := "<|channel|>analysis<|message|>User greets. Reply briefly.<|end|><|start|>assistant<|channel|>final<|message|>Hello!"
	forced := tok.Encode(reply, false, true)
	ch := tok.Encode("<|channel|>", false, true)
	end := tok.Encode("<|end|>", false, true)
	if len(ch) != 1 || len(end) != 1 || tok.IsEOG(end[0]) || string(tok.Piece(ch[0])) != "<|channel|>" {
		t.Fatalf("the test vocabulary: <|channel|> is %v, <|end|> %v (end of generation: %v)", ch, end, len(end) == 1 && tok.IsEOG(end[0]))
	}
	w, info := startWorker(t, path, LoadOptions{ContextLength: 256, Threads: 1})
	if info.Reasoning != "harmony" || info.ThinkSwitch {
		t.Errorf("model info: reasoning %q, think switch %v", info.Reasoning, info.ThinkSwitch)
	}
	w.sampler = func(n, id int) int { return forced[min(n, len(forced))-1] }
	th := collectThought(t, w.Generate(context.Background(), GenerateRequest{Messages: ask("Hi"), Params: greedy(), MaxTokens: len(forced)}))
	if th.reasoning != "User greets. Reply briefly." || th.answer != "Hello!" || th.order != "ra" || th.tokens != len(forced) {
		t.Errorf("reasoning %q, answer %q, order %q, %d token events for %d", th.reasoning, th.answer, th.order, th.tokens, len(forced))
	}
	// The next turn: gpt-oss's template drops the analysis of a past turn.
	pr, err := promptModel(t, path).Prompt([]chat.Message{
		{Role: "user", Content: "Hi"}, {Role: "assistant", Content: th.answer, Reasoning: th.reasoning}, {Role: "user", Content: "Bye"}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(pr.Text, "User greets") || !strings.Contains(pr.Text, "<|start|>assistant<|channel|>final<|message|>Hello!<|end|>") {
		t.Errorf("second turn prompt %q", pr.Text)
	}
}
