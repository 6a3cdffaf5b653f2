package mcp

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/adrg/xdg"

	"burrow/app"
	"burrow/app/apptest"
	"burrow/app/mcp/mcptest"
	"burrow/inference/toolcall"
)

// chatWithServer is a Controller on a fake engine whose model writes Qwen's
// tool calls, with the echo test server as its tools; asked gets each call
// that waits for the user.
func chatWithServer(t *testing.T, replies ...[]string) (*app.Controller, *Host, string, string, chan app.PendingToolCall) {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("XDG_DATA_HOME", filepath.Join(dir, "data"))
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "config"))
	t.Setenv("XDG_STATE_HOME", filepath.Join(dir, "state"))
	xdg.Reload()
	t.Cleanup(xdg.Reload)

	log := filepath.Join(dir, "calls")
	cmd, args, env := mcptest.Server(mcptest.Echo, log)
	cfg := map[string]any{"mcpServers": map[string]any{"echo": map[string]any{"command": cmd, "args": args, "env": env}}}
	writeJSON(t, ConfigPath(), cfg)
	h, err := Open(ConfigPath(), nil)
	if err != nil {
		t.Fatal(err)
	}
	h.WaitStarted()

	eng := apptest.NewFakeEngine()
	eng.ToolFormat = int(toolcall.Hermes)
	eng.Replies = replies
	c := app.NewController(eng, nil)
	t.Cleanup(c.Close) // stops the server too
	c.SetToolHost(h)
	loadedCh := make(chan struct{}, 1)
	asked := make(chan app.PendingToolCall, 8)
	c.Subscribe(func(ch app.Change) {
		switch {
		case ch.Kind == app.ChangeModel && c.Model().Loaded():
			select {
			case loadedCh <- struct{}{}:
			default:
			}
		case ch.Kind == app.ChangeToolCall:
			p, _ := c.PendingToolCall()
			asked <- p
		}
	})
	model := filepath.Join(dir, "qwen-tools-Q8_0.gguf")
	os.WriteFile(model, []byte("GGUF"), 0o644)
	if err := c.LoadModel(model); err != nil {
		t.Fatal(err)
	}
	<-loadedCh
	id, err := c.NewConversation()
	if err != nil {
		t.Fatal(err)
	}
	return c, h, id, log, asked
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Dir(path), 0o755)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

var echoCall = []string{"I'll ask the", " tool.", "<tool_call>\n", `{"name": "echo", "arguments": {"text": "from the chat"}}`, "\n</tool_call>"}

func TestChatCallsTheServerOnlyAfterAllow(t *testing.T) {
	c, h, id, log, asked := chatWithServer(t, echoCall, []string{"The tool said: echo: from the chat."})
	if err := c.Send(id, "Use the echo tool."); err != nil {
		t.Fatal(err)
	}
	p := <-asked
	if p.Call.Name != "echo" || p.Server != "echo" {
		t.Fatalf("pending %+v", p)
	}
	if got := calls(t, log); len(got) != 0 {
		t.Fatalf("the server was called before the click: %q", got)
	}
	if err := c.DecideToolCall(id, p.Call.ID, app.ToolAllowOnce); err != nil {
		t.Fatal(err)
	}
	c.WaitReply()
	if got := calls(t, log); !slices.Equal(got, []string{"echo_from_the_chat"}) {
		t.Fatalf("server calls %q", got)
	}
	cv, _ := c.Conversation(id)
	if len(cv.Messages) != 4 || cv.Messages[1].ToolCalls[0].Status != app.ToolCallDone ||
		cv.Messages[2].Role != "tool" || cv.Messages[2].Content != "echo: from the chat" ||
		cv.Messages[3].Content != "The tool said: echo: from the chat." {
		t.Fatalf("messages %+v", cv.Messages)
	}
	c.Close()
	if s := status(h, "echo"); s.State != Stopped {
		t.Fatalf("server after the app closed: %+v", s)
	}
}

func TestChatDenialNeverCallsTheServer(t *testing.T) {
	c, _, id, log, asked := chatWithServer(t, echoCall, []string{"As you wish."})
	if err := c.Send(id, "Use the echo tool."); err != nil {
		t.Fatal(err)
	}
	p := <-asked
	if err := c.DecideToolCall(id, p.Call.ID, app.ToolDeny); err != nil {
		t.Fatal(err)
	}
	c.WaitReply()
	if got := calls(t, log); len(got) != 0 {
		t.Fatalf("a denied call reached the server: %q", got)
	}
	cv, _ := c.Conversation(id)
	if len(cv.Messages) != 4 || cv.Messages[1].ToolCalls[0].Status != app.ToolCallDenied || cv.Messages[3].Content != "As you wish." {
		t.Fatalf("messages %+v", cv.Messages)
	}
}
