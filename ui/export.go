package ui

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"burrow/app"
	"burrow/internal/atomicfile"
)

// Export formats the sidebar's menu offers.
const (
	exportMarkdown = "md"
	exportJSON     = "json"
)

// exportMenuItems are the sidebar menu's export entries for a conversation.
func (w *Window) exportMenuItems(cv app.Conversation) []*fyne.MenuItem {
	return []*fyne.MenuItem{
		fyne.NewMenuItemWithIcon("Export as Markdown…", theme.DocumentSaveIcon(), func() { w.askExport(cv.ID, exportMarkdown) }),
		fyne.NewMenuItemWithIcon("Export as JSON…", theme.DocumentSaveIcon(), func() { w.askExport(cv.ID, exportJSON) }),
	}
}

// askExport asks where to save a conversation, then saves it.
func (w *Window) askExport(id, format string) {
	cv, ok := w.c.Conversation(id)
	if !ok {
		return
	}
	w.pickSaveFile("Export the chat", exportName(cv.Title, format), func(path string) {
		if err := w.exportConversation(id, format, path); err != nil {
			w.showErrorTitled("Could not export the chat", err)
		}
	})
}

// exportConversation writes conversation id to path, atomically.
func (w *Window) exportConversation(id, format, path string) error {
	cv, ok := w.c.Conversation(id)
	if !ok {
		return app.ErrUnknownConv
	}
	var data []byte
	switch format {
	case exportMarkdown:
		data = []byte(app.ExportMarkdown(cv))
	case exportJSON:
		var err error
		if data, err = app.ExportJSON(cv); err != nil {
			return err
		}
	default:
		return fmt.Errorf("unknown export format %q", format)
	}
	return atomicfile.Write(path, data, 0o644)
}

// exportName is a file name from a chat's title.
func exportName(title, format string) string {
	name := strings.Map(func(r rune) rune {
		if strings.ContainsRune(`/\:*?"<>|`, r) || r < ' ' {
			return '-'
		}
		return r
	}, strings.TrimSpace(title))
	if name == "" {
		name = "chat"
	}
	if r := []rune(name); len(r) > 60 {
		name = string(r[:60])
	}
	return name + "." + format
}

// askImport picks a conversation export and imports it.
func (w *Window) askImport() {
	w.pickFile("Import a chat", "Chat exports (Burrow, Open WebUI, LM Studio)", []string{"*.json"}, w.importConversationFile)
}

// importConversationFile adds the chat in path and shows it; a refused
// file is explained and nothing is added.
func (w *Window) importConversationFile(path string) {
	data, err := readSmallFile(path, app.MaxImportSize)
	if err != nil {
		err = fmt.Errorf("%w: %v", app.ErrNotConversation, err)
	} else {
		var id string
		if id, err = w.c.ImportConversation(data); err == nil {
			w.selectConversation(id)
			w.side.refresh()
			return
		}
	}
	w.showErrorTitled("Could not import the chat", err)
}

// copyMarkdown puts a message on the clipboard as Markdown, with its speaker.
func (w *Window) copyMarkdown(m app.Message) {
	w.copyText(app.MessageMarkdown(m))
}
