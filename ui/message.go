package ui

import (
	"fmt"
	"image/color"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"burrow/app"
)

// messageView is one turn in the chat pane: who said it, the Markdown,
// actions (copy, edit a user message, regenerate the last reply) and, under
// a reply, its stats.
type messageView struct {
	pane  *chatPane
	index int
	role  string
	text  string

	md        *markdownView
	stats     *widget.Label
	copyBtn   *widget.Button
	mdBtn     *widget.Button  // copy as Markdown, with the speaker (export.go)
	msg       app.Message     // as last set, for mdBtn
	branch    *branchSwitcher // "‹ 2/3 ›" among the versions (branches.go)
	editBtn   *widget.Button
	regenBtn  *widget.Button
	typing    *widget.Label
	body      *fyne.Container // markdown, or the editor while editing
	editor    *widget.Entry
	saveBtn   *widget.Button
	cancelBtn *widget.Button
	object    fyne.CanvasObject
	streaming bool
	// choicesBtn swaps the text for the token choices view.
	choicesBtn *widget.Button
	choices    []app.Choice
	showing    bool
	// think is a reply's reasoning, folded above the answer (nil for the user).
	think *thinkingBlock
	// calls holds the cards of the tools a reply called (toolcalls.go).
	calls *fyne.Container
	cards []*toolCallCard
}

// tokenChoicesView draws a reply's tokens with their alternatives. The
// "under the hood" view (choices.go) sets it; without it the button stays
// hidden.
var tokenChoicesView func([]app.Choice) fyne.CanvasObject

func newMessageView(p *chatPane, index int, m app.Message) *messageView {
	v := &messageView{pane: p, index: index, role: m.Role}
	v.md = newMarkdownView(p.win.copyText)
	v.stats = widget.NewLabel("")
	v.stats.Importance = widget.LowImportance
	v.stats.TextStyle = fyne.TextStyle{Italic: true}
	v.stats.Wrapping = fyne.TextWrapWord // a notice can be long
	v.typing = widget.NewLabel("…")
	v.typing.Importance = widget.LowImportance
	v.typing.Hide()

	v.copyBtn = iconButton(theme.ContentCopyIcon(), func() { p.win.copyText(v.text) })
	v.mdBtn = iconButton(theme.FileTextIcon(), func() { p.win.copyMarkdown(v.msg) })
	actions := container.NewHBox(v.copyBtn, v.mdBtn)
	name, icon := "Assistant", theme.ComputerIcon()
	if m.Role == "user" {
		name, icon = "You", theme.AccountIcon()
		v.editBtn = iconButton(theme.DocumentCreateIcon(), v.startEdit)
		actions.Add(v.editBtn)
	} else {
		v.regenBtn = iconButton(theme.ViewRefreshIcon(), func() { p.win.regenerate() })
		v.choicesBtn = iconButton(theme.ListIcon(), v.toggleChoices)
		v.choicesBtn.Hide()
		actions.Objects = append([]fyne.CanvasObject{v.choicesBtn}, actions.Objects...)
		actions.Add(v.regenBtn)
	}
	roleLabel := widget.NewLabelWithStyle(name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	v.branch = newBranchSwitcher(v)
	actions.Objects = append([]fyne.CanvasObject{v.branch.object}, actions.Objects...)
	header := container.NewBorder(nil, nil, container.NewHBox(widget.NewIcon(icon), roleLabel), actions)

	v.body = container.NewStack(v.md.box)
	content := container.NewVBox(header, v.body, v.typing)
	if m.Role != "user" {
		v.think = newThinkingBlock()
		v.calls = container.NewVBox()
		v.calls.Hide()
		content = container.NewVBox(header, v.think.object, v.body, v.calls, v.typing)
	}
	if m.Role != "user" {
		content.Add(v.stats)
	}
	if m.Role == "user" {
		bg := canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground))
		bg.CornerRadius = 10
		v.object = container.NewStack(bg, container.NewPadded(content))
	} else {
		v.object = container.NewPadded(content)
	}
	v.set(m)
	if m.Role == "tool" { // its result shows in the card of its call (toolcalls.go)
		hidden := canvas.NewRectangle(color.Transparent)
		hidden.Hide()
		v.object = hidden
	}
	return v
}

func iconButton(icon fyne.Resource, tapped func()) *widget.Button {
	b := widget.NewButtonWithIcon("", icon, tapped)
	b.Importance = widget.LowImportance
	return b
}

// set shows a message's text and stats.
func (v *messageView) set(m app.Message) {
	v.msg = m
	v.branch.set(m)
	v.text = m.Content
	v.md.Set(m.Content)
	if v.think != nil {
		v.think.set(m.Reasoning, m.ThoughtMS)
	}
	v.choices = m.Choices
	if v.choicesBtn != nil {
		if len(m.Choices) > 0 && tokenChoicesView != nil {
			v.choicesBtn.Show()
		} else {
			v.choicesBtn.Hide()
		}
	}
	v.stats.SetText(statsLine(m))
	if v.stats.Text == "" {
		v.stats.Hide()
	} else {
		v.stats.Show()
	}
}

// appendPiece adds streamed text: the answer's, or its reasoning's.
func (v *messageView) appendPiece(piece string, reasoning bool) {
	if piece == "" {
		return
	}
	v.typing.Hide()
	if v.think != nil {
		if reasoning {
			v.think.append(piece)
			return
		}
		v.think.answerStarted()
	}
	v.text += piece
	v.md.Set(v.text)
}

// setStreaming marks the reply being written: no actions until it is done.
func (v *messageView) setStreaming(on bool) {
	v.streaming = on
	if on && v.text == "" {
		v.typing.Show()
	} else {
		v.typing.Hide()
	}
	v.branch.enable(!on)
	for _, b := range []*widget.Button{v.copyBtn, v.mdBtn, v.editBtn, v.regenBtn, v.choicesBtn} {
		if b == nil {
			continue
		}
		if on {
			b.Disable()
		} else {
			b.Enable()
		}
	}
}

// startEdit swaps the text for an editor; saving continues the
// conversation from this message.
func (v *messageView) startEdit() {
	v.editor = widget.NewMultiLineEntry()
	v.editor.Wrapping = fyne.TextWrapWord
	v.editor.SetText(v.text)
	v.editor.SetMinRowsVisible(3)
	v.saveBtn = widget.NewButtonWithIcon("Save & send", theme.MailSendIcon(), func() {
		v.pane.win.editMessage(v.index, v.editor.Text)
	})
	v.saveBtn.Importance = widget.HighImportance
	v.cancelBtn = widget.NewButton("Cancel", v.stopEdit)
	v.body.Objects = []fyne.CanvasObject{container.NewVBox(v.editor, container.NewHBox(layout.NewSpacer(), v.cancelBtn, v.saveBtn))}
	v.body.Refresh()
	v.pane.win.win.Canvas().Focus(v.editor)
}

func (v *messageView) stopEdit() {
	v.body.Objects = []fyne.CanvasObject{v.md.box}
	v.body.Refresh()
	v.editor = nil
}

// statsLine is the line under a reply: speed, tokens, time to first token
// and why it stopped.
func statsLine(m app.Message) string {
	if m.Role != "assistant" {
		return ""
	}
	if m.Err != "" {
		return "Error: " + m.Err
	}
	if m.Stats == nil {
		return ""
	}
	s := m.Stats
	parts := []string{
		fmt.Sprintf("%.1f tok/s", s.TokensPerSecond()),
		fmt.Sprintf("%d tokens", s.GenTokens),
		"first token " + shortDuration(s.TimeToFirst),
	}
	if m.StopReason != "" {
		parts = append(parts, "stop: "+stopText(m.StopReason))
	}
	line := strings.Join(parts, "  ·  ")
	if m.Notice != "" { // the reply is fine, but the user should know this
		line += "\nNote: " + m.Notice
	}
	return line
}

func stopText(reason string) string {
	switch reason {
	case "eos":
		return "end of text"
	case "stop":
		return "stop string"
	case "max_tokens":
		return "max tokens"
	case "length":
		return "context full"
	case "cancelled":
		return "stopped"
	}
	return reason
}

func shortDuration(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%d ms", d.Milliseconds())
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}

// toggleChoices switches the reply between its text and its token choices.
func (v *messageView) toggleChoices() {
	if tokenChoicesView == nil || len(v.choices) == 0 {
		return
	}
	v.showing = !v.showing
	if v.showing {
		v.body.Objects = []fyne.CanvasObject{tokenChoicesView(v.choices)}
	} else {
		v.body.Objects = []fyne.CanvasObject{v.md.box}
	}
	v.body.Refresh()
}
