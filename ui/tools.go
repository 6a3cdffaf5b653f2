package ui

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"burrow/app"
	"burrow/app/mcp"
)

// toolsControls are the settings panel's "Tools (MCP)" part: the servers
// of mcp.json with their state and tool counts, a button to edit the file
// and one to start the servers again after an edit, and the switch that
// offers their tools to the model. The servers belong to app/mcp; the
// Controller owns the calls.
type toolsControls struct {
	win     *Window
	host    *mcp.Host
	fileErr error // why mcp.json could not be read

	running map[string]bool // servers last seen running: one that dies is told once

	offer  *widget.Check
	list   *fyne.Container // one line per server
	forget *widget.Button  // forget the "always allow" answers
	object fyne.CanvasObject
}

func newToolsControls(w *Window) *toolsControls {
	t := &toolsControls{win: w}
	t.offer = widget.NewCheck("Offer the servers' tools to the model", nil)
	t.offer.SetChecked(!w.c.Settings().ToolsOff)
	t.offer.OnChanged = func(on bool) {
		if err := w.c.UpdateSettings(func(s *app.Settings) { s.ToolsOff = !on }); err != nil {
			w.showError(err)
		}
	}
	t.list = container.NewVBox()
	edit := widget.NewButtonWithIcon("Edit mcp.json", theme.DocumentCreateIcon(), t.edit)
	reload := widget.NewButtonWithIcon("Restart", theme.ViewRefreshIcon(), t.open)
	t.forget = widget.NewButton("Ask again for every tool", func() {
		if err := w.c.UpdateSettings(func(s *app.Settings) { s.ToolsAlwaysAllowed = nil }); err != nil {
			w.showError(err)
		}
		t.refresh()
	})
	note := widget.NewLabel("Servers listed in " + mcp.ConfigPath() + " (the mcpServers format of LM Studio and Cursor) start with Burrow. A model whose template takes tools may call theirs; each call waits for your Allow.")
	note.Wrapping = fyne.TextWrapWord
	note.Importance = widget.LowImportance
	t.object = container.NewVBox(
		widget.NewLabelWithStyle("Tools (MCP)", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		t.offer, t.list, container.NewHBox(edit, reload), t.forget, note)
	// An "Always allow" click shows the button that takes it back.
	w.c.Subscribe(func(ch app.Change) {
		if ch.Kind == app.ChangeReplyDone {
			post(t.refresh)
		}
	})
	t.refresh()
	return t
}

// open (re)starts the servers of mcp.json and gives their tools to the
// Controller; the servers it replaces stop in the background.
func (t *toolsControls) open() {
	old := t.host
	h, err := mcp.Open(mcp.ConfigPath(), func() { post(t.refresh) })
	t.host, t.fileErr, t.running = h, err, nil
	t.win.c.SetToolHost(h)
	if old != nil {
		go old.Close()
	}
	t.refresh()
}

// edit opens mcp.json in the system's editor, creating it first.
func (t *toolsControls) edit() {
	path := mcp.ConfigPath()
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err == nil {
			err = os.WriteFile(path, []byte(mcp.Example), 0o644)
		}
	}
	p := filepath.ToSlash(path)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // C:/... on Windows
	}
	if err := t.win.app.OpenURL(&url.URL{Scheme: "file", Path: p}); err != nil {
		t.win.showError(fmt.Errorf("open %s: %w", path, err))
	}
}

// refresh shows the servers as they are now.
func (t *toolsControls) refresh() {
	t.list.RemoveAll()
	line := func(text string, imp widget.Importance) {
		l := widget.NewLabel(text)
		l.Wrapping = fyne.TextWrapWord
		l.Importance = imp
		t.list.Add(l)
	}
	if t.fileErr != nil {
		line(t.fileErr.Error(), widget.DangerImportance)
	}
	var servers []mcp.Status
	if t.host != nil {
		servers = t.host.Servers()
	}
	if len(servers) == 0 && t.fileErr == nil {
		line("No MCP servers: add them to mcp.json.", widget.LowImportance)
	}
	was := t.running
	t.running = map[string]bool{}
	for _, s := range servers {
		t.running[s.Name] = s.State == mcp.Running
		if was[s.Name] && s.State == mcp.Failed {
			t.win.showErrorTitled("An MCP server stopped", fmt.Errorf("%v. Its tools are gone until “Restart” in the settings; the chat goes on without them", s.Err))
		}
		switch s.State {
		case mcp.Running:
			line(fmt.Sprintf("%s: %s", s.Name, toolCount(s.Tools)), widget.MediumImportance)
		case mcp.Failed:
			// The error names its server for other readers; here the line does.
			msg := strings.TrimPrefix(s.Err.Error(), fmt.Sprintf("server %q", s.Name))
			line(s.Name+": "+strings.TrimLeft(msg, ": "), widget.DangerImportance)
		default:
			line(fmt.Sprintf("%s: %s…", s.Name, s.State), widget.LowImportance)
		}
	}
	if len(t.win.c.Settings().ToolsAlwaysAllowed) > 0 {
		t.forget.Show()
	} else {
		t.forget.Hide()
	}
}

func toolCount(names []string) string {
	switch len(names) {
	case 0:
		return "running, no tools"
	case 1:
		return "1 tool (" + names[0] + ")"
	}
	return fmt.Sprintf("%d tools (%s)", len(names), strings.Join(names, ", "))
}
