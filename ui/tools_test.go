package ui

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"burrow/app"
	"burrow/app/apptest"
	"burrow/app/mcp"
	"burrow/app/mcp/mcptest"
	"burrow/inference/toolcall"
)

// The ui test binary is also the MCP server the tool tests start (mcptest).
func TestMain(m *testing.M) {
	mcptest.ServeIfAsked()
	os.Exit(m.Run())
}

// withEchoServer writes an mcp.json with the test MCP server (and a broken
// entry) and starts it from the settings panel; it returns the server's
// call log.
func withEchoServer(t *testing.T, h *harness) string {
	t.Helper()
	log := filepath.Join(t.TempDir(), "calls")
	cmd, args, env := mcptest.Server(mcptest.Echo, log)
	cfg := map[string]any{"mcpServers": map[string]any{
		"echo":   map[string]any{"command": cmd, "args": args, "env": env},
		"remote": map[string]any{"url": "https://example.com/mcp"},
	}}
	data, _ := json.Marshal(cfg)
	os.MkdirAll(filepath.Dir(mcp.ConfigPath()), 0o755)
	if err := os.WriteFile(mcp.ConfigPath(), data, 0o644); err != nil {
		t.Fatal(err)
	}
	onUI(h.w.tools.open)
	h.w.tools.host.WaitStarted()
	waitFor(t, "the servers' status", func() bool {
		var ok bool
		onUI(func() { ok = containsText(h.w.tools.list, "echo: 4 tools (add, die, echo, fail)") })
		return ok
	})
	return log
}

// toolsHarness is the window on a model whose template writes Qwen's tool
// calls, replying first with a call of echo and then with answer.
func toolsHarness(t *testing.T, answer string) *harness {
	t.Helper()
	eng := apptest.NewFakeEngine()
	eng.ToolFormat = int(toolcall.Hermes)
	eng.Replies = [][]string{
		{"I'll ask the echo tool.", "<tool_call>\n", `{"name": "echo", "arguments": {"text": "Burrow digs"}}`, "\n</tool_call>"},
		{answer},
	}
	return newHarness(t, eng)
}

// card waits for the card of the reply's first call with the buttons shown.
func (h *harness) askingCard(t *testing.T) *toolCallCard {
	t.Helper()
	var card *toolCallCard
	waitFor(t, "the tool call's buttons", func() bool {
		onUI(func() {
			if len(h.w.chat.views) > 1 && len(h.w.chat.views[1].cards) == 1 && h.w.chat.views[1].cards[0].allow != nil {
				card = h.w.chat.views[1].cards[0]
			}
		})
		return card != nil
	})
	return card
}

func serverCalls(t *testing.T, log string) []string {
	t.Helper()
	got, err := mcptest.Calls(log)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestToolCallRunsAfterAllowInTheWindow(t *testing.T) {
	useTempXDG(t)
	h := toolsHarness(t, "The tool answered: echo: Burrow digs.")
	log := withEchoServer(t, h)
	// The list is rebuilt as each server reports, so wait for the broken
	// entry's line too.
	waitFor(t, "the broken entry's report", func() bool {
		var reported bool
		onUI(func() { reported = containsText(h.w.tools.list, `remote servers (url) are not supported`) })
		return reported
	})
	h.load(t)
	h.typeAndEnter("What does the echo tool say?")
	card := h.askingCard(t)
	if got := serverCalls(t, log); len(got) != 0 {
		t.Fatalf("the server ran before the click: %q", got)
	}
	if !containsText(card.object, `"text": "Burrow digs"`) || !containsText(card.object, "Tool call: echo") {
		t.Fatal("the card does not show the tool and its arguments")
	}
	tapUI(card.allow)
	h.replyDone(t)
	if got := serverCalls(t, log); len(got) != 1 || got[0] != "echo Burrow digs" {
		t.Fatalf("server calls %q", got)
	}
	var res *toolCallCard
	onUI(func() { res = h.w.chat.views[1].cards[0] })
	if res.result == nil || res.resText != "echo: Burrow digs" || res.allow != nil || res.call.Status != app.ToolCallDone {
		t.Fatalf("card after the run: %+v", res)
	}
	if res.result.Items[0].Open {
		t.Error("the result is not folded")
	}
	if got := h.w.chat.text(3); got != "The tool answered: echo: Burrow digs." {
		t.Fatalf("answer %q", got)
	}
}

func TestToolCallDeniedInTheWindow(t *testing.T) {
	useTempXDG(t)
	h := toolsHarness(t, "Understood.")
	log := withEchoServer(t, h)
	h.load(t)
	h.typeAndEnter("Echo something.")
	tapUI(h.askingCard(t).deny)
	h.replyDone(t)
	if got := serverCalls(t, log); len(got) != 0 {
		t.Fatalf("a denied call reached the server: %q", got)
	}
	var card *toolCallCard
	onUI(func() { card = h.w.chat.views[1].cards[0] })
	if card.result != nil || card.status.Text != "Denied: it did not run" {
		t.Fatalf("denied card %q, result %v", card.status.Text, card.result)
	}
}

func TestToolsSettingsWithoutConfig(t *testing.T) {
	useTempXDG(t)
	h := newHarness(t, apptest.NewFakeEngine())
	onUI(h.w.tools.open)
	if !containsText(h.w.tools.list, "No MCP servers") {
		t.Fatal("no word of the missing mcp.json")
	}
	os.MkdirAll(filepath.Dir(mcp.ConfigPath()), 0o755)
	os.WriteFile(mcp.ConfigPath(), []byte(`{"mcpServers": [`), 0o644)
	onUI(h.w.tools.open)
	if !containsText(h.w.tools.list, "not the mcp.json format") {
		t.Fatal("a broken mcp.json is not reported")
	}
	tapUI(h.w.tools.offer)
	if !h.c.Settings().ToolsOff {
		t.Fatal("the switch did not turn the tools off")
	}
}

// TestToolCallWindowShots pictures a tool call waiting for the click and the
// same call after it ran, its result unfolded, with the settings panel's
// MCP servers: BURROW_UI_SHOTS=DIR go test ./ui -run ToolCallWindowShots
// writes DIR/tool-call.png and DIR/tool-result.png (skipped otherwise).
func TestToolCallWindowShots(t *testing.T) {
	dir := os.Getenv("BURROW_UI_SHOTS")
	if dir == "" {
		t.Skip("set BURROW_UI_SHOTS to a folder to make the pictures")
	}
	useTempXDG(t)
	h := toolsHarness(t, "The echo tool answered **“echo: Burrow digs”**, so it works.")
	fyne.CurrentApp().Settings().SetTheme(theme.DarkTheme()) //nolint:staticcheck // the shipped look
	h.w.win.Resize(fyne.NewSize(1200, 780))
	withEchoServer(t, h)
	h.load(t)
	h.typeAndEnter("Try the echo tool with “Burrow digs”.")
	card := h.askingCard(t)
	onUI(func() { h.w.settings.scroll.ScrollToBottom() })
	capture(t, h.w, filepath.Join(dir, "tool-call.png"))
	tapUI(card.allow)
	h.replyDone(t)
	onUI(func() {
		h.w.chat.views[1].cards[0].result.Open(0)
		h.w.chat.scroll.ScrollToBottom()
	})
	capture(t, h.w, filepath.Join(dir, "tool-result.png"))
	if !strings.Contains(h.w.chat.text(3), "it works") {
		t.Fatal("no answer after the tool")
	}
}

func TestServerThatDiesIsToldInTheWindow(t *testing.T) {
	useTempXDG(t)
	h := toolsHarness(t, "")
	withEchoServer(t, h)
	if _, err := h.w.tools.host.CallTool(context.Background(), "die", `{}`); err == nil {
		t.Fatal("the dying call succeeded")
	}
	waitFor(t, "the death to be told", func() bool {
		var told bool
		onUI(func() {
			told = strings.Contains(h.w.lastNotice, `server "echo" stopped`) && containsText(h.w.tools.list, "echo: stopped")
		})
		return told
	})
	if !strings.Contains(h.w.lastNotice, "dying on request") {
		t.Fatalf("notice %q lacks the server's last words", h.w.lastNotice)
	}
}
