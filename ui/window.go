package ui

import (
	"errors"
	"path/filepath"
	"strings"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"burrow/app"
	"burrow/inference"
)

// Window is Burrow's main window: the model bar on top, then tabs (Chat,
// Downloads); the Chat tab holds the conversation sidebar, the chat pane
// and the collapsible settings panel.
type Window struct {
	app fyne.App
	win fyne.Window
	c   *app.Controller

	current  string // the conversation shown
	bar      *modelBar
	side     *sidebar
	chat     *chatPane
	settings *settingsPanel
	server   *serverControls
	tools    *toolsControls // MCP servers (tools.go)
	tabs     *container.AppTabs
	dlTab    *container.TabItem
	rightBox *fyne.Container
	lastErr  error // last model error shown, so one failure is one dialog

	// lastNotice is the text of the last message dialog (tests read it).
	lastNotice string

	// pieces buffers streamed text between UI frames (see receive).
	piecesMu  sync.Mutex
	pieces    []app.Change
	scheduled bool
}

// NewWindow builds the window on a controller. It does not show it.
func NewWindow(a fyne.App, c *app.Controller) *Window {
	w := &Window{app: a, c: c, win: a.NewWindow("Burrow")}
	w.server = newServerControls(w) // before the bar and panel that show it
	w.tools = newToolsControls(w)
	w.bar = newModelBar(w)
	w.side = newSidebar(w)
	w.chat = newChatPane(w)
	w.settings = newSettingsPanel(w)

	w.rightBox = container.NewStack(w.settings.object)
	if !c.Settings().SettingsPanelOpen {
		w.rightBox.Hide()
	}
	chatArea := container.NewBorder(nil, nil, nil, w.rightBox, w.chat.object)
	split := container.NewHSplit(container.New(minWidth(230), w.side.object), chatArea)
	split.Offset = 0.22
	chatTab := container.NewTabItemWithIcon("Chat", theme.MailComposeIcon(), split)
	w.dlTab = container.NewTabItemWithIcon("Downloads", theme.DownloadIcon(), newDownloadsPlaceholder(w))
	w.tabs = container.NewAppTabs(chatTab, w.dlTab)
	w.tabs.SetTabLocation(container.TabLocationLeading)

	w.win.SetContent(container.NewBorder(container.NewPadded(w.bar.object), nil, nil, nil, w.tabs))
	s := c.Settings()
	w.win.Resize(fyne.NewSize(max(s.WindowWidth, 640), max(s.WindowHeight, 420)))
	w.win.SetOnDropped(w.onDropped)
	w.addShortcuts()
	w.win.SetOnClosed(w.saveWindow)

	c.Subscribe(w.receive)

	convs := c.Conversations()
	if len(convs) > 0 {
		w.selectConversation(convs[0].ID)
	} else {
		w.showConversation(nil)
	}
	w.side.refresh()
	w.bar.refresh(c.Model())
	if probs := c.Problems(); len(probs) > 0 {
		lines := make([]string, len(probs))
		for i, p := range probs {
			lines[i] = "• " + p.Error()
		}
		w.showNotice("Some saved files could not be read",
			"They were left untouched on disk:\n"+strings.Join(lines, "\n"))
	}
	return w
}

// Window is the Fyne window (to show, run or capture).
func (w *Window) Window() fyne.Window { return w.win }

// newDownloadsPlaceholder fills the Downloads tab until SetDownloadsView
// puts the real view there (Main does; tests may not need it).
func newDownloadsPlaceholder(w *Window) fyne.CanvasObject {
	l := widget.NewLabel("Downloads: search Hugging Face and download models here.")
	l.Alignment = fyne.TextAlignCenter
	return container.NewCenter(l)
}

// receive takes a change on the Controller's goroutine. A fast model makes
// thousands of pieces a second: they are buffered and shown together once
// per turn of the UI thread, in order; any other change first shows the
// pieces before it.
func (w *Window) receive(ch app.Change) {
	if ch.Kind == app.ChangePiece {
		w.piecesMu.Lock()
		w.pieces = append(w.pieces, ch)
		schedule := !w.scheduled
		w.scheduled = true
		w.piecesMu.Unlock()
		if schedule {
			post(w.flushPieces)
		}
		return
	}
	post(func() {
		w.flushPieces()
		w.apply(ch)
	})
}

// flushPieces shows the buffered pieces, joined per message and kind
// (reasoning or answer).
func (w *Window) flushPieces() {
	w.piecesMu.Lock()
	pending := w.pieces
	w.pieces, w.scheduled = nil, false
	w.piecesMu.Unlock()
	for i := 0; i < len(pending); {
		ch := pending[i]
		var text strings.Builder
		for ; i < len(pending) && pending[i].ConvID == ch.ConvID && pending[i].Index == ch.Index && pending[i].Reasoning == ch.Reasoning; i++ {
			text.WriteString(pending[i].Piece)
			if pending[i].ContextSize > 0 { // the newest fill level of the group
				ch.ContextUsed, ch.ContextSize = pending[i].ContextUsed, pending[i].ContextSize
			}
		}
		ch.Piece = text.String()
		w.apply(ch)
	}
}

// apply shows a controller change; it runs on the UI thread.
func (w *Window) apply(ch app.Change) {
	switch ch.Kind {
	case app.ChangeModel:
		m := w.c.Model()
		w.bar.refresh(m)
		w.settings.modelChanged(m)
		if m.Err != nil && m.Err != w.lastErr {
			w.lastErr = m.Err
			w.showErrorTitled("Could not load the model", m.Err)
		}
		cv, ok := w.c.Conversation(w.current)
		if ok {
			w.chat.updateCenter(&cv)
			w.chat.updateMeter(&cv)
		} else {
			w.chat.updateCenter(nil)
			w.chat.updateMeter(nil)
		}
	case app.ChangeList:
		if _, ok := w.c.Conversation(w.current); !ok && ch.ConvID == w.current {
			w.current = ""
			convs := w.c.Conversations()
			if len(convs) > 0 {
				w.selectConversation(convs[0].ID)
			} else {
				w.showConversation(nil)
			}
		}
		w.side.refresh()
	case app.ChangeConversation, app.ChangeToolCall:
		if ch.ConvID == w.current {
			cv, _ := w.c.Conversation(ch.ConvID)
			w.chat.show(&cv)
		}
	case app.ChangePiece:
		if ch.ConvID == w.current {
			w.chat.appendPiece(ch.Index, ch.Piece, ch.Reasoning)
			if ch.ContextSize > 0 { // the meter fills as the reply streams
				w.chat.meter.set(ch.ContextUsed, ch.ContextSize)
			}
		}
	case app.ChangeReplyDone:
		if ch.ConvID == w.current && ch.Message != nil {
			w.chat.finish(*ch.Message, ch.Index)
		}
	case app.ChangeError:
		w.showError(ch.Err)
	}
}

// selectConversation shows a conversation and its settings.
func (w *Window) selectConversation(id string) {
	cv, ok := w.c.Conversation(id)
	if !ok {
		return
	}
	w.showConversation(&cv)
}

func (w *Window) showConversation(cv *app.Conversation) {
	if cv == nil {
		w.current = ""
		w.settings.fill(w.c.Settings().Defaults)
	} else {
		w.current = cv.ID
		w.settings.fill(cv.Settings)
	}
	w.c.SetActive(w.current)
	w.chat.show(cv)
	w.side.markSelected()
}

func (w *Window) newConversation() {
	id, err := w.c.NewConversation()
	if err != nil {
		w.showError(err)
	}
	w.selectConversation(id)
	w.side.refresh()
	w.tabs.SelectIndex(0)
	w.win.Canvas().Focus(w.chat.input)
}

func (w *Window) deleteConversation(id string) {
	if err := w.c.Delete(id); err != nil {
		w.showError(err)
	}
}

// send posts text to the current conversation, starting one if needed.
func (w *Window) send(text string) error {
	if strings.TrimSpace(text) == "" {
		return nil
	}
	if w.current == "" {
		id, err := w.c.NewConversation()
		if err != nil {
			return err
		}
		w.selectConversation(id)
	}
	return w.c.Send(w.current, text)
}

func (w *Window) regenerate() {
	if err := w.c.Regenerate(w.current); err != nil {
		w.showError(err)
	}
}

func (w *Window) editMessage(index int, text string) {
	if err := w.c.EditMessage(w.current, index, text); err != nil {
		w.showError(err)
	}
}

// loadModel loads a model and reports a refusal (not a .gguf, missing file).
func (w *Window) loadModel(path string) {
	w.lastErr = nil
	if err := w.c.LoadModel(path); err != nil {
		w.showErrorTitled("Could not load the model", err)
	}
}

// onDropped loads the first dropped .gguf in place; other files are put
// into the next message when they are text (attach.go), and refused with
// the reason when not.
func (w *Window) onDropped(_ fyne.Position, uris []fyne.URI) {
	for _, u := range uris {
		if strings.EqualFold(filepath.Ext(u.Path()), ".gguf") {
			w.loadModel(u.Path())
			return
		}
	}
	paths := make([]string, 0, len(uris))
	for _, u := range uris {
		paths = append(paths, u.Path())
	}
	w.tabs.SelectIndex(0) // the chat, where the files go
	w.attachDropped(paths)
}

func (w *Window) showDownloads() { w.tabs.Select(w.dlTab) }

func (w *Window) toggleSettings() {
	open := !w.rightBox.Visible()
	if open {
		w.rightBox.Show()
	} else {
		w.rightBox.Hide()
	}
	w.c.UpdateSettings(func(s *app.Settings) { s.SettingsPanelOpen = open })
}

func (w *Window) copyText(s string) {
	w.app.Clipboard().SetContent(s)
}

func (w *Window) saveWindow() {
	size := w.win.Canvas().Size()
	if size.Width > 0 && size.Height > 0 {
		w.c.UpdateSettings(func(s *app.Settings) { s.WindowWidth, s.WindowHeight = size.Width, size.Height })
	}
}

func (w *Window) showNotice(title, text string) {
	w.lastNotice = text
	dialog.ShowInformation(title, text, w.win)
}

func (w *Window) showError(err error) {
	if err == nil {
		return
	}
	title := "Something went wrong"
	if errors.Is(err, inference.ErrNoModel) {
		title = "No model loaded"
	}
	w.showErrorTitled(title, err)
}

func (w *Window) showErrorTitled(title string, err error) {
	w.lastNotice = err.Error()
	msg := widget.NewLabel(err.Error())
	msg.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustom(title, "OK", container.New(fixedWidth(420), msg), w.win)
	d.Show()
}

// SetDownloadsView puts the Downloads view (ui.NewDownloadsView) in its tab.
func (w *Window) SetDownloadsView(view fyne.CanvasObject) {
	w.dlTab.Content = view
	w.tabs.Refresh()
}

// AddTab adds a view to the window's side rail (after Chat and Downloads),
// for views such as Inspect and Tokens.
func (w *Window) AddTab(title string, icon fyne.Resource, content fyne.CanvasObject) *container.TabItem {
	item := container.NewTabItemWithIcon(title, icon, content)
	w.tabs.Append(item)
	return item
}

// Controller is the app core behind the window (for other views).
func (w *Window) Controller() *app.Controller { return w.c }

// CurrentConversation returns the conversation shown in the chat pane.
func (w *Window) CurrentConversation() (app.Conversation, bool) {
	return w.c.Conversation(w.current)
}

// addShortcuts: Ctrl/Cmd+N starts a chat, Ctrl/Cmd+O opens a model.
func (w *Window) addShortcuts() {
	mod := fyne.KeyModifierShortcutDefault
	w.win.Canvas().AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyN, Modifier: mod}, func(fyne.Shortcut) { w.newConversation() })
	w.win.Canvas().AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyO, Modifier: mod}, func(fyne.Shortcut) { w.openModel() })
}
