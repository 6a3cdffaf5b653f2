package app

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"burrow/app/apptest"
	"burrow/inference/chat"
	"burrow/inference/toolcall"
)

// fakeTools is a ToolHost that records its calls.
type fakeTools struct {
	mu    sync.Mutex
	calls []string // name + " " + arguments
	err   error
}

func (f *fakeTools) Tools() []ToolSpec {
	return []ToolSpec{{Server: "fake", Name: "echo", Description: "Repeats the text.",
		Parameters: []byte(`{"type":"object","properties":{"text":{"type":"string"}},"required":["text"]}`)}}
}

func (f *fakeTools) CallTool(ctx context.Context, name, args string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, name+" "+args)
	if f.err != nil {
		return "", f.err
	}
	return "echo: " + args, nil
}

func (f *fakeTools) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// callPieces is a Qwen-style reply that calls echo, split as tokens come.
var callPieces = []string{"Let me check.", " <tool", "_call>\n{\"name\": \"echo\", ", "\"arguments\": {\"text\": \"hi\"}}\n</tool_call>"}

// toolsChat is a controller with a Hermes-format model loaded, fake tools
// and one conversation; asked gets a value for each call waiting for a click.
func toolsChat(t *testing.T, replies ...[]string) (*Controller, *apptest.FakeEngine, *fakeTools, string, chan PendingToolCall) {
	t.Helper()
	useTempXDG(t)
	eng := apptest.NewFakeEngine()
	eng.ToolFormat = int(toolcall.Hermes)
	eng.Replies = replies
	c := loaded(t, eng)
	host := &fakeTools{}
	c.SetToolHost(host)
	asked := make(chan PendingToolCall, 8)
	c.Subscribe(func(ch Change) {
		if ch.Kind == ChangeToolCall {
			p, ok := c.PendingToolCall()
			if !ok {
				t.Error("ChangeToolCall without a pending call")
			}
			asked <- p
		}
	})
	id, err := c.NewConversation()
	if err != nil {
		t.Fatal(err)
	}
	return c, eng, host, id, asked
}

func TestToolCallRunsOnlyAfterAllow(t *testing.T) {
	c, eng, host, id, asked := toolsChat(t, callPieces, []string{"It", " says hi."})
	if err := c.Send(id, "What does echo say?"); err != nil {
		t.Fatal(err)
	}
	p := <-asked
	if p.Call.Name != "echo" || p.Call.Arguments != `{"text":"hi"}` || p.Server != "fake" {
		t.Fatalf("pending call %+v", p)
	}
	if n := len(host.Calls()); n != 0 {
		t.Fatalf("the tool ran %d times before the click", n)
	}
	reqs := eng.Requests()
	if reqs[0].TemplateVars["tools"] == nil {
		t.Fatal("the request did not carry the tools")
	}
	cv, _ := c.Conversation(id)
	if m := cv.Messages[p.Index]; m.Content != "Let me check. " || len(m.ToolCalls) != 1 || m.ToolCalls[0].Status != ToolCallPending {
		t.Fatalf("reply while waiting: %q %+v", m.Content, m.ToolCalls)
	}
	if err := c.DecideToolCall(id, "wrong", ToolAllowOnce); err == nil {
		t.Fatal("an answer for another call was taken")
	}
	if err := c.DecideToolCall(id, p.Call.ID, ToolAllowOnce); err != nil {
		t.Fatal(err)
	}
	c.WaitReply()
	if got := host.Calls(); len(got) != 1 || got[0] != `echo {"text":"hi"}` {
		t.Fatalf("tool calls %q", got)
	}
	cv, _ = c.Conversation(id)
	if len(cv.Messages) != 4 {
		t.Fatalf("%d messages, want user, call, result, answer: %+v", len(cv.Messages), cv.Messages)
	}
	call, res, ans := cv.Messages[1], cv.Messages[2], cv.Messages[3]
	if call.ToolCalls[0].Status != ToolCallDone || res.Role != "tool" || res.Content != `echo: {"text":"hi"}` ||
		res.ToolCallID != call.ToolCalls[0].ID || res.ToolName != "echo" || ans.Content != "It says hi." {
		t.Fatalf("messages %+v", cv.Messages)
	}
	reqs = eng.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests", len(reqs))
	}
	msgs := reqs[1].Messages
	last := msgs[len(msgs)-1]
	if last.Role != "tool" || last.ToolCallID != call.ToolCalls[0].ID || last.Name != "echo" ||
		len(msgs[len(msgs)-2].ToolCalls) != 1 || msgs[len(msgs)-2].ToolCalls[0].Arguments != `{"text":"hi"}` {
		t.Fatalf("second request's messages %+v", msgs)
	}
	if _, ok := c.PendingToolCall(); ok {
		t.Fatal("a call still pends")
	}
}

func TestToolCallDeniedNeverRuns(t *testing.T) {
	c, eng, host, id, asked := toolsChat(t, callPieces, []string{"Fine, I won't."})
	if err := c.Send(id, "Echo hi."); err != nil {
		t.Fatal(err)
	}
	p := <-asked
	if err := c.DecideToolCall(id, p.Call.ID, ToolDeny); err != nil {
		t.Fatal(err)
	}
	c.WaitReply()
	if n := len(host.Calls()); n != 0 {
		t.Fatalf("a denied tool ran %d times", n)
	}
	cv, _ := c.Conversation(id)
	if len(cv.Messages) != 4 || cv.Messages[1].ToolCalls[0].Status != ToolCallDenied ||
		cv.Messages[2].Content != deniedResult || cv.Messages[3].Content != "Fine, I won't." {
		t.Fatalf("messages %+v", cv.Messages)
	}
	if len(eng.Requests()) != 2 {
		t.Fatal("the model was not told of the denial")
	}
}

func TestToolAlwaysAllowAsksOnce(t *testing.T) {
	c, _, host, id, asked := toolsChat(t, callPieces, []string{"Done."}, callPieces, []string{"Again."})
	if err := c.Send(id, "Echo hi."); err != nil {
		t.Fatal(err)
	}
	p := <-asked
	if err := c.DecideToolCall(id, p.Call.ID, ToolAllowAlways); err != nil {
		t.Fatal(err)
	}
	c.WaitReply()
	if err := c.Send(id, "Once more."); err != nil {
		t.Fatal(err)
	}
	c.WaitReply()
	select {
	case p := <-asked:
		t.Fatalf("asked again for %+v", p)
	default:
	}
	if n := len(host.Calls()); n != 2 {
		t.Fatalf("%d calls, want 2", n)
	}
	c.Flush()
	s, err := LoadSettings(SettingsPath())
	if err != nil || len(s.ToolsAlwaysAllowed) != 1 || s.ToolsAlwaysAllowed[0] != "echo" {
		t.Fatalf("saved settings %+v, %v", s.ToolsAlwaysAllowed, err)
	}
}

func TestStopWhileToolCallPends(t *testing.T) {
	c, eng, host, id, asked := toolsChat(t, callPieces, []string{"never"})
	if err := c.Send(id, "Echo hi."); err != nil {
		t.Fatal(err)
	}
	p := <-asked
	c.Stop()
	c.WaitReply()
	if n := len(host.Calls()); n != 0 {
		t.Fatalf("the tool ran %d times after Stop", n)
	}
	if err := c.DecideToolCall(id, p.Call.ID, ToolAllowOnce); err == nil {
		t.Fatal("a late click was taken")
	}
	cv, _ := c.Conversation(id)
	if len(cv.Messages) != 2 || cv.Messages[1].ToolCalls[0].Status != ToolCallCancelled || len(eng.Requests()) != 1 {
		t.Fatalf("messages %+v", cv.Messages)
	}
	if _, busy := c.Generating(); busy {
		t.Fatal("still generating")
	}
}

func TestFailingToolGoesBackToTheModel(t *testing.T) {
	c, _, host, id, asked := toolsChat(t, callPieces, []string{"The tool failed."})
	host.err = errors.New("server \"fake\" stopped")
	if err := c.Send(id, "Echo hi."); err != nil {
		t.Fatal(err)
	}
	p := <-asked
	c.DecideToolCall(id, p.Call.ID, ToolAllowOnce)
	c.WaitReply()
	cv, _ := c.Conversation(id)
	if len(cv.Messages) != 4 || cv.Messages[1].ToolCalls[0].Status != ToolCallFailed ||
		cv.Messages[2].Content != `Error: server "fake" stopped` || cv.Messages[3].Content != "The tool failed." {
		t.Fatalf("messages %+v", cv.Messages)
	}
}

func TestToolsNotOfferedWhenOffOrUnsupported(t *testing.T) {
	c, eng, host, id, asked := toolsChat(t)
	eng.Pieces = callPieces
	c.UpdateSettings(func(s *Settings) { s.ToolsOff = true })
	if err := c.Send(id, "Echo hi."); err != nil {
		t.Fatal(err)
	}
	c.WaitReply()
	if eng.Requests()[0].TemplateVars["tools"] != nil || len(host.Calls()) != 0 || len(asked) != 0 {
		t.Fatal("tools were offered while off")
	}
	cv, _ := c.Conversation(id)
	if m := cv.Messages[1]; len(m.ToolCalls) != 0 || m.Content != "Let me check. <tool_call>\n{\"name\": \"echo\", \"arguments\": {\"text\": \"hi\"}}\n</tool_call>" {
		t.Fatalf("reply without tools %+v", m)
	}
	c.UpdateSettings(func(s *Settings) { s.ToolsOff = false })
	eng.ToolFormat = 0 // a template without tools: reload
	waitLoad(t, c, fakeGGUF(t))
	if err := c.Send(id, "Echo hi."); err != nil {
		t.Fatal(err)
	}
	c.WaitReply()
	if eng.Requests()[1].TemplateVars["tools"] != nil {
		t.Fatal("tools offered to a model whose template takes none")
	}
}

func TestUnknownToolIsNotAsked(t *testing.T) {
	c, _, host, id, asked := toolsChat(t, []string{`<tool_call>{"name": "rm_rf", "arguments": {}}</tool_call>`}, []string{"Sorry."})
	if err := c.Send(id, "Clean up."); err != nil {
		t.Fatal(err)
	}
	c.WaitReply()
	if len(asked) != 0 || len(host.Calls()) != 0 {
		t.Fatal("an unknown tool was asked for or run")
	}
	cv, _ := c.Conversation(id)
	if len(cv.Messages) != 4 || cv.Messages[1].ToolCalls[0].Status != ToolCallFailed || cv.Messages[3].Content != "Sorry." {
		t.Fatalf("messages %+v", cv.Messages)
	}
}

func TestToolTurnsExportAndImport(t *testing.T) {
	c, _, _, id, asked := toolsChat(t, callPieces, []string{"It says hi."})
	if err := c.Send(id, "Echo hi."); err != nil {
		t.Fatal(err)
	}
	p := <-asked
	c.DecideToolCall(id, p.Call.ID, ToolAllowOnce)
	c.WaitReply()
	cv, _ := c.Conversation(id)
	md := ExportMarkdown(cv)
	for _, want := range []string{"**Tool call: echo** (done)\n\n```json\n{\n  \"text\": \"hi\"\n}\n```", "## Tool result: echo\n\n```\necho: {\"text\":\"hi\"}\n```"} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md)
		}
	}
	data, err := ExportJSON(cv)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseConversation(data)
	if err != nil {
		t.Fatalf("Burrow's own export with tool turns: %v", err)
	}
	if len(back.Messages) != 4 || back.Messages[1].ToolCalls[0].Arguments != `{"text":"hi"}` || back.Messages[2].ToolCallID != cv.Messages[1].ToolCalls[0].ID {
		t.Fatalf("imported %+v", back.Messages)
	}
	if got := fence("a ``` b", ""); got != "````\na ``` b\n````" {
		t.Errorf("fence %q", got)
	}
}

// TestToolTurnsRenderInRealTemplates puts a finished tool conversation
// (the tools, the call, its result) through the chat templates of the
// families that call tools: each shows the tool, the call and the result.
func TestToolTurnsRenderInRealTemplates(t *testing.T) {
	c, eng, _, id, asked := toolsChat(t, callPieces, []string{"It says hi."})
	if err := c.Send(id, "Echo hi."); err != nil {
		t.Fatal(err)
	}
	p := <-asked
	c.DecideToolCall(id, p.Call.ID, ToolAllowOnce)
	c.WaitReply()
	req := eng.Requests()[1] // the request after the result
	for _, name := range []string{"qwen3-npm.jinja", "llama3_2-1b.jinja", "gpt-oss-20b.jinja", "ministral3-14b.jinja"} {
		src, err := os.ReadFile(filepath.Join("..", "inference", "chat", "testdata", "templates", name))
		if err != nil {
			t.Fatal(err)
		}
		if toolcall.FormatOf(string(src)) == toolcall.None {
			t.Fatalf("%s: no tool format", name)
		}
		tpl, err := chat.Parse(name, string(src))
		if err != nil {
			t.Fatal(err)
		}
		out, err := tpl.Render(req.Messages, chat.RenderOptions{AddGenerationPrompt: true, BOS: "<s>", EOS: "</s>", Vars: req.TemplateVars})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if testing.Verbose() {
			t.Logf("%s:\n%s", name, out)
		}
		for _, want := range []string{"Repeats the text.", `"text": "hi"`, "echo: "} { // the tool, the call's arguments, the result
			if !strings.Contains(out, want) {
				t.Errorf("%s: the prompt lacks %q:\n%s", name, want, out)
			}
		}
	}
}
