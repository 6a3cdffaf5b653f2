package api

import (
	"strings"
	"testing"

	"burrow/app/apptest"
)

const (
	wantReasoning = "The user says hi. A short, warm greeting fits."
	wantAnswer    = "Hello! How can I help?"
)

func thinkingGen() *apptest.FakeGen {
	gen := apptest.NewFakeGen(apptest.ThinkingPieces...)
	gen.Reasoning = apptest.ThinkTags
	return gen
}

// TestChatReasoningContent: a thinking model's reasoning comes back as
// message.reasoning_content, the content holding only the answer.
func TestChatReasoningContent(t *testing.T) {
	ts := newTestServer(t, thinkingGen(), ServerOptions{})
	status, _, b := call(t, "POST", ts.URL+"/v1/chat/completions", `{"messages":[{"role":"user","content":"Hi"}]}`, nil)
	if status != 200 {
		t.Fatalf("status %d: %s", status, b)
	}
	got := decode[apptest.WireChat](t, b)
	m := got.Choices[0].Message
	if m.Content != wantAnswer || m.ReasoningContent == nil || *m.ReasoningContent != wantReasoning {
		t.Errorf("message %s", b)
	}

	// A model that does not think sends no reasoning_content at all.
	ts = newTestServer(t, apptest.NewFakeGen("Hi"), ServerOptions{})
	_, _, b = call(t, "POST", ts.URL+"/v1/chat/completions", `{"messages":[{"role":"user","content":"Hi"}]}`, nil)
	if strings.Contains(string(b), "reasoning_content") {
		t.Errorf("plain reply: %s", b)
	}
}

// TestChatStreamReasoningContent: streamed, the reasoning arrives as
// delta.reasoning_content chunks before the content chunks.
func TestChatStreamReasoningContent(t *testing.T) {
	ts := newTestServer(t, thinkingGen(), ServerOptions{})
	status, _, b := call(t, "POST", ts.URL+"/v1/chat/completions", `{"stream":true,"messages":[{"role":"user","content":"Hi"}]}`, nil)
	if status != 200 {
		t.Fatalf("status %d: %s", status, b)
	}
	var reasoning, content strings.Builder
	for _, d := range sseData(t, b) {
		if d == "[DONE]" {
			continue
		}
		c := decode[apptest.WireChat](t, []byte(d))
		if len(c.Choices) == 0 || c.Choices[0].Delta == nil {
			continue
		}
		delta := c.Choices[0].Delta
		if delta.ReasoningContent != nil {
			if content.Len() > 0 {
				t.Errorf("reasoning %q after the content began", *delta.ReasoningContent)
			}
			if delta.Content != nil {
				t.Errorf("a chunk with both: %s", d)
			}
			reasoning.WriteString(*delta.ReasoningContent)
		}
		if delta.Content != nil {
			content.WriteString(*delta.Content)
		}
	}
	if reasoning.String() != wantReasoning || content.String() != wantAnswer {
		t.Errorf("reasoning %q, content %q", reasoning.String(), content.String())
	}
}

// TestChatReasoningRequestFields: reasoning sent back in history reaches
// the template, and so do chat_template_kwargs and reasoning_effort.
func TestChatReasoningRequestFields(t *testing.T) {
	gen := thinkingGen()
	ts := newTestServer(t, gen, ServerOptions{})
	status, _, b := call(t, "POST", ts.URL+"/v1/chat/completions", `{"messages":[
		{"role":"user","content":"Hi"},
		{"role":"assistant","content":"Hello!","reasoning_content":"Greet back."},
		{"role":"assistant","content":"Hey.","reasoning":"OpenRouter spelling."},
		{"role":"user","content":"Again"}],
		"chat_template_kwargs":{"enable_thinking":false},"reasoning_effort":"low"}`, nil)
	if status != 200 {
		t.Fatalf("status %d: %s", status, b)
	}
	req := gen.LastRequest()
	if req.Messages[1].Reasoning != "Greet back." || req.Messages[2].Reasoning != "OpenRouter spelling." || req.Messages[3].Reasoning != "" {
		t.Errorf("messages %+v", req.Messages)
	}
	if req.TemplateVars["enable_thinking"] != false || req.TemplateVars["reasoning_effort"] != "low" {
		t.Errorf("template vars %v", req.TemplateVars)
	}
	status, _, b = call(t, "POST", ts.URL+"/v1/chat/completions", `{"messages":[{"role":"user","content":"Hi"}],"reasoning_effort":"max"}`, nil)
	if status != 400 || !strings.Contains(string(b), "reasoning_effort") {
		t.Errorf("bad reasoning_effort: %d %s", status, b)
	}
	status, _, b = call(t, "POST", ts.URL+"/v1/chat/completions", `{"messages":[{"role":"user","content":"Hi"}],"chat_template_kwargs":{"messages":[]}}`, nil)
	if status != 400 || !strings.Contains(string(b), "chat_template_kwargs") {
		t.Errorf("kwargs replacing the messages: %d %s", status, b)
	}
}
