package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"burrow/internal/atomicfile"

	"github.com/adrg/xdg"
)

// Settings are the app-wide preferences, saved in
// $XDG_CONFIG_HOME/burrow/settings.json. The theme is not here: it follows
// the platform's light/dark choice.
type Settings struct {
	WindowWidth  float32 `json:"window_width,omitempty"`
	WindowHeight float32 `json:"window_height,omitempty"`
	// LastModel is loaded again at start when it still exists.
	LastModel string `json:"last_model,omitempty"`
	// Defaults seed every new conversation's settings.
	Defaults ChatSettings `json:"defaults"`
	// SettingsPanelOpen remembers whether the chat settings panel is shown.
	SettingsPanelOpen bool `json:"settings_panel_open"`

	// ServerPort and ServerAPIKey configure the local API server the window
	// starts (0: DefaultServerPort; "": no key needed). The file is 0600.
	ServerPort   int    `json:"server_port,omitempty"`
	ServerAPIKey string `json:"server_api_key,omitempty"`
	// ServerNoOllama leaves Ollama's API out of the local server.
	ServerNoOllama bool `json:"server_no_ollama,omitempty"`

	// RemoteURL, RemoteAPIKey and RemoteModel are the last remote server
	// connected to, to fill "Connect to a server…" again.
	RemoteURL    string `json:"remote_url,omitempty"`
	RemoteAPIKey string `json:"remote_api_key,omitempty"`
	RemoteModel  string `json:"remote_model,omitempty"`

	// ToolsOff keeps the MCP servers' tools from the model (tools.go);
	// ToolsAlwaysAllowed are the tools that run without asking.
	ToolsOff           bool     `json:"tools_off,omitempty"`
	ToolsAlwaysAllowed []string `json:"tools_always_allowed,omitempty"`
}

// DefaultSettings are used on first run.
func DefaultSettings() Settings {
	return Settings{WindowWidth: 1200, WindowHeight: 780, Defaults: DefaultChatSettings(), SettingsPanelOpen: true}
}

// SettingsPath is where the settings live (read when called, so tests can
// point XDG_CONFIG_HOME elsewhere and call xdg.Reload).
func SettingsPath() string { return filepath.Join(xdg.ConfigHome, "burrow", "settings.json") }

// ConversationsDir is where conversations live.
func ConversationsDir() string { return filepath.Join(xdg.DataHome, "burrow", "conversations") }

// LoadSettings reads the settings file; a missing file gives the defaults,
// and so does a damaged one (with the error, so the UI can say so).
func LoadSettings(path string) (Settings, error) {
	s := DefaultSettings()
	if err := readJSON(path, "settings", &s); err != nil {
		return DefaultSettings(), err
	}
	return s, nil
}

// readJSON decodes the JSON file at path into v; a missing file leaves v
// as it is and is no error. what names the file in the error.
func readJSON(path, what string, v any) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err == nil {
		err = json.Unmarshal(data, v)
	}
	if err != nil {
		return fmt.Errorf("read %s %s: %w", what, path, err)
	}
	return nil
}

// SaveSettings writes the settings atomically.
func SaveSettings(path string, s Settings) error { return writeJSON(path, "settings", s) }

// encodeJSON is v as a saved file's indented JSON; what names the file in
// the error.
func encodeJSON(what string, v any) ([]byte, error) {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("save %s: %w", what, err)
	}
	return data, nil
}

// writeJSON replaces the file at path with v's JSON, readable by the user
// only.
func writeJSON(path, what string, v any) error {
	data, err := encodeJSON(what, v)
	if err != nil {
		return err
	}
	return atomicfile.Write(path, data, 0o600)
}

// ServerConfig is the API server these settings ask for.
func (s Settings) ServerConfig() ServerConfig {
	return ServerConfig{Port: s.ServerPort, APIKey: s.ServerAPIKey, NoOllama: s.ServerNoOllama}
}
