package mcp

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"burrow/app"
	"burrow/app/mcp/mcptest"
)

// echoServer is the test binary as an MCP server (mcptest) in mode,
// logging its calls to log.
func echoServer(t *testing.T, name, mode, log string) ServerConfig {
	t.Helper()
	cmd, args, env := mcptest.Server(mode, log)
	return ServerConfig{Name: name, Command: cmd, Args: args, Env: env}
}

// calls lists what the server was asked, spaces as _.
func calls(t *testing.T, log string) []string {
	t.Helper()
	got, err := mcptest.Calls(log)
	if err != nil {
		t.Fatal(err)
	}
	for i := range got {
		got[i] = strings.ReplaceAll(got[i], " ", "_")
	}
	return got
}

func status(h *Host, name string) Status {
	for _, s := range h.Servers() {
		if s.Name == name {
			return s
		}
	}
	return Status{}
}

func TestParseConfigHostile(t *testing.T) {
	whole := []string{`[`, `[]`, `{"mcpServers": []}`, `{"mcpServers": "x"}`, `nul`}
	for _, in := range whole {
		if _, err := ParseConfig([]byte(in)); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
	if _, err := ParseConfig(make([]byte, maxConfigBytes+1)); err == nil {
		t.Error("a huge file was read")
	}
	for _, in := range []string{``, ` `, `{}`, `{"mcpServers": null}`, `{"mcpServers": {}}`} {
		if s, err := ParseConfig([]byte(in)); err != nil || len(s) != 0 {
			t.Errorf("%q: %v %v", in, s, err)
		}
	}
	servers, err := ParseConfig([]byte(`{"mcpServers": {
		"ok": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/tmp"], "env": {"A": "1"}},
		"str": "npx",
		"nocmd": {"args": []},
		"remote": {"url": "https://example.com/mcp"},
		"empty": {"command": " "},
		"badargs": {"command": "x", "args": [1, 2]},
		"badenv": {"command": "x", "env": {"A": {"b": 1}}},
		"eqenv": {"command": "x", "env": {"A=B": "1"}},
		"": {"command": "x"}
	}}`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"ok": "", "str": "an entry is an object", "nocmd": "no command", "remote": "remote servers",
		"empty": "command is empty", "badargs": "args must be", "badenv": "env must be", "eqenv": "bad variable name", "": "needs a name"}
	if len(servers) != len(want) {
		t.Fatalf("%d servers", len(servers))
	}
	for _, s := range servers {
		w := want[s.Name]
		if (w == "") != (s.Err == nil) || (s.Err != nil && !strings.Contains(s.Err.Error(), w)) {
			t.Errorf("%q: %v, want %q", s.Name, s.Err, w)
		}
	}
	if ok := servers[slices.IndexFunc(servers, func(s ServerConfig) bool { return s.Name == "ok" })]; ok.Command != "npx" || len(ok.Args) != 3 || ok.Env["A"] != "1" {
		t.Errorf("ok server %+v", ok)
	}
}

func TestLoadConfigFromDisk(t *testing.T) {
	dir := t.TempDir()
	if s, err := LoadConfig(filepath.Join(dir, "none.json")); err != nil || s != nil {
		t.Fatalf("missing file: %v %v", s, err)
	}
	p := filepath.Join(dir, "mcp.json")
	os.WriteFile(p, []byte(`{"mcpServers": {"a": {"command": "x"}}`), 0o644)
	if _, err := LoadConfig(p); err == nil || !strings.Contains(err.Error(), p) {
		t.Fatalf("broken file: %v", err)
	}
	h, err := Open(p, nil)
	if err == nil || len(h.Servers()) != 0 {
		t.Fatal("a broken file started servers")
	}
	h.Close()
}

func TestHostCallsToolsOfARealServer(t *testing.T) {
	log := filepath.Join(t.TempDir(), "calls")
	var changes atomic.Int32
	h := Start([]ServerConfig{
		echoServer(t, "echo", "echo", log),
		{Name: "missing", Command: "/no/such/burrow-mcp-server"},
		echoServer(t, "crash", "crash", log),
		echoServer(t, "garbage", "garbage", log),
		{Name: "broken", Err: errors.New("broken")},
	}, func() { changes.Add(1) })
	defer h.Close()
	h.WaitStarted()

	echo := status(h, "echo")
	if echo.State != Running || !slices.Equal(echo.Tools, []string{"add", "die", "echo", "fail"}) || echo.Err != nil {
		t.Fatalf("echo server %+v", echo)
	}
	for name, want := range map[string]string{"missing": "no such file", "crash": "boom: no config", "garbage": `server "garbage"`, "broken": "broken"} {
		if s := status(h, name); s.State != Failed || s.Err == nil || !strings.Contains(s.Err.Error(), want) {
			t.Errorf("%s: %+v, want an error with %q", name, s, want)
		}
	}
	if changes.Load() == 0 {
		t.Error("no change reported")
	}
	tools := h.Tools()
	i := slices.IndexFunc(tools, func(s app.ToolSpec) bool { return s.Name == "echo" })
	if len(tools) != 4 || i < 0 || tools[i].Server != "echo" || tools[i].Description != "Repeats the text." {
		t.Fatalf("tools %+v", tools)
	}
	var schema struct {
		Type       string                     `json:"type"`
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if err := json.Unmarshal(tools[i].Parameters, &schema); err != nil || schema.Type != "object" || schema.Properties["text"] == nil {
		t.Fatalf("echo's schema %s: %v", tools[i].Parameters, err)
	}

	ctx := context.Background()
	if got, err := h.CallTool(ctx, "echo", `{"text": "hi"}`); err != nil || got != "echo: hi" {
		t.Fatalf("echo: %q %v", got, err)
	}
	if got, err := h.CallTool(ctx, "add", `{"a": 2, "b": 40}`); err != nil || got != "42" {
		t.Fatalf("add: %q %v", got, err)
	}
	if _, err := h.CallTool(ctx, "fail", `{}`); err == nil || err.Error() != "the disk is full" {
		t.Fatalf("fail: %v", err)
	}
	for _, args := range []string{`[1]`, `nope`, ``} {
		if _, err := h.CallTool(ctx, "echo", args); err == nil {
			t.Errorf("arguments %q were sent", args)
		}
	}
	if _, err := h.CallTool(ctx, "nope", `{}`); err == nil {
		t.Error("an unknown tool was called")
	}
	if got := calls(t, log); !slices.Equal(got, []string{"echo_hi", "add", "fail"}) {
		t.Fatalf("server saw %q", got)
	}
	h.Close()
	if s := status(h, "echo"); s.State != Stopped || len(h.Tools()) != 0 {
		t.Fatalf("after Close: %+v, %d tools", s, len(h.Tools()))
	}
	if _, err := h.CallTool(ctx, "echo", `{"text": "late"}`); err == nil {
		t.Fatal("a call after Close")
	}
}

func TestServerThatDiesIsReported(t *testing.T) {
	log := filepath.Join(t.TempDir(), "calls")
	changed := make(chan struct{}, 16)
	h := Start([]ServerConfig{echoServer(t, "echo", "echo", log)}, func() {
		select {
		case changed <- struct{}{}:
		default:
		}
	})
	defer h.Close()
	h.WaitStarted()
	if _, err := h.CallTool(context.Background(), "die", `{}`); err == nil {
		t.Fatal("the call to a dying server succeeded")
	}
	for status(h, "echo").State != Failed {
		<-changed // the death is reported, not only found on the next call
	}
	s := status(h, "echo")
	if !strings.Contains(s.Err.Error(), `server "echo" stopped`) || !strings.Contains(s.Err.Error(), "dying on request") {
		t.Fatalf("status %+v", s)
	}
	if _, err := h.CallTool(context.Background(), "echo", `{"text": "x"}`); err == nil || !strings.Contains(err.Error(), "no running server") {
		t.Fatalf("call after death: %v", err)
	}
	if len(h.Tools()) != 0 {
		t.Fatal("a dead server's tools are still offered")
	}
}

func TestDuplicateToolNamesGetTheServerPrefix(t *testing.T) {
	log := filepath.Join(t.TempDir(), "calls")
	h := Start([]ServerConfig{echoServer(t, "a", "echo", log), echoServer(t, "b", "echo", log)}, nil)
	defer h.Close()
	h.WaitStarted()
	if a, b := status(h, "a"), status(h, "b"); !slices.Equal(a.Tools, []string{"add", "die", "echo", "fail"}) ||
		!slices.Equal(b.Tools, []string{"b_add", "b_die", "b_echo", "b_fail"}) {
		t.Fatalf("names %v %v", a.Tools, b.Tools)
	}
	if got, err := h.CallTool(context.Background(), "b_echo", `{"text": "b"}`); err != nil || got != "echo: b" {
		t.Fatalf("b_echo: %q %v", got, err)
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(`{"mcpServers": {"a": {"command": "x", "args": ["1"], "env": {"K": "v"}}}}`))
	f.Add([]byte(`{"mcpServers": {"a": "b", "c": {"url": "u"}, "": {}}}`))
	f.Add([]byte(`{"mcpServers": {"a": {"command": null, "args": {}, "env": []}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		servers, err := ParseConfig(data)
		if err != nil && servers != nil {
			t.Fatal("servers with a file error")
		}
		for _, s := range servers {
			if s.Err == nil && s.Command == "" {
				t.Fatalf("server %q has no command and no error", s.Name)
			}
		}
	})
}
