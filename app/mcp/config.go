// Package mcp runs the Model Context Protocol servers the user lists in
// mcp.json (LM Studio's and Cursor's format) over stdio, through the
// official Go SDK, and gives their tools to the Controller (app.ToolHost).
// A server that cannot start or dies is reported on its own; the others
// and the chat go on. No Fyne here: the window only shows the status.
package mcp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/adrg/xdg"
)

// ConfigPath is where mcp.json lives: next to settings.json (read when
// called, so tests can move XDG_CONFIG_HOME).
func ConfigPath() string { return filepath.Join(xdg.ConfigHome, "burrow", "mcp.json") }

// ServerConfig is one entry of mcpServers.
type ServerConfig struct {
	Name    string
	Command string
	Args    []string
	Env     map[string]string
	// Err is why the entry cannot be used (its own fault: the others still run).
	Err error
}

// Limits on a hostile or broken file.
const (
	maxConfigBytes = 1 << 20
	maxServers     = 64
)

// Example is what "Edit mcp.json" writes when there is no file yet.
const Example = `{
  "mcpServers": {
  }
}
`

// LoadConfig reads the file at path: no file is no servers. An error is the
// whole file's (not JSON, too big); an entry's problem is in its Err.
func LoadConfig(path string) ([]ServerConfig, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	servers, err := ParseConfig(data)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return servers, nil
}

// ParseConfig reads {"mcpServers": {"name": {"command": ..., "args": [...],
// "env": {...}}}}, servers sorted by name. Each entry is read on its own, so
// one bad entry spoils only itself.
func ParseConfig(data []byte) ([]ServerConfig, error) {
	if len(data) > maxConfigBytes {
		return nil, fmt.Errorf("%d bytes are more than the %d an mcp.json may have", len(data), maxConfigBytes)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil
	}
	var file struct {
		Servers map[string]json.RawMessage `json:"mcpServers"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		return nil, fmt.Errorf("not the mcp.json format {\"mcpServers\": {\"name\": {\"command\": ...}}}: %w", err)
	}
	if len(file.Servers) > maxServers {
		return nil, fmt.Errorf("%d servers are more than the %d supported", len(file.Servers), maxServers)
	}
	out := make([]ServerConfig, 0, len(file.Servers))
	for name, raw := range file.Servers {
		out = append(out, parseServer(name, raw))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func parseServer(name string, raw json.RawMessage) ServerConfig {
	s := ServerConfig{Name: name}
	fail := func(format string, args ...any) ServerConfig {
		s.Err = fmt.Errorf("server %q: "+format, append([]any{name}, args...)...)
		return s
	}
	if strings.TrimSpace(name) == "" {
		return fail("a server needs a name")
	}
	var e struct {
		Command *string         `json:"command"`
		Args    json.RawMessage `json:"args"`
		Env     json.RawMessage `json:"env"`
		URL     string          `json:"url"`
	}
	if err := json.Unmarshal(raw, &e); err != nil {
		return fail("an entry is an object {\"command\": ..., \"args\": [...], \"env\": {...}}: %v", err)
	}
	if e.Command == nil {
		if e.URL != "" {
			return fail("remote servers (url) are not supported yet: only local ones started by a command")
		}
		return fail("no command to start it")
	}
	s.Command = strings.TrimSpace(*e.Command)
	if s.Command == "" {
		return fail("the command is empty")
	}
	if hasValue(e.Args) {
		if err := json.Unmarshal(e.Args, &s.Args); err != nil {
			return fail("args must be a list of strings")
		}
	}
	if hasValue(e.Env) {
		if err := json.Unmarshal(e.Env, &s.Env); err != nil {
			return fail("env must be an object of strings")
		}
		for k := range s.Env {
			if k == "" || strings.ContainsAny(k, "=\x00") {
				return fail("env has a bad variable name %q", k)
			}
		}
	}
	return s
}

func hasValue(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) > 0 && !bytes.Equal(raw, []byte("null"))
}
