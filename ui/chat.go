package ui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"burrow/app"
)

// chatPane shows the messages of the current conversation, the composer
// (Enter sends, Shift+Enter new line), Send/Stop and the context meter.
type chatPane struct {
	win     *Window
	views   []*messageView
	list    *fyne.Container
	scroll  *container.Scroll
	follow  bool // keep scrolled to the bottom unless the user scrolled up
	input   *composeEntry
	sendBtn *widget.Button
	stopBtn *widget.Button
	meter   *contextMeter
	attach  *attachBar      // files for the next message (attach.go)
	center  *fyne.Container // the messages, or an empty state
	empty   fyne.CanvasObject
	hello   *widget.Label
	object  fyne.CanvasObject
}

func newChatPane(w *Window) *chatPane {
	p := &chatPane{win: w, follow: true}
	p.list = container.NewVBox()
	p.scroll = container.NewVScroll(container.NewPadded(p.list))
	p.scroll.OnScrolled = func(off fyne.Position) {
		p.follow = off.Y+p.scroll.Size().Height >= p.scroll.Content.MinSize().Height-24
	}
	p.input = newComposeEntry(p.send)
	p.input.SetMinRowsVisible(2)
	p.sendBtn = widget.NewButtonWithIcon("Send", theme.MailSendIcon(), p.send)
	p.sendBtn.Importance = widget.HighImportance
	p.stopBtn = widget.NewButtonWithIcon("Stop", theme.MediaStopIcon(), func() { w.c.Stop() })
	p.stopBtn.Importance = widget.DangerImportance
	p.stopBtn.Hide()
	p.meter = newContextMeter()
	buttons := container.NewVBox(layout.NewSpacer(), container.NewStack(p.sendBtn, p.stopBtn))
	p.attach = newAttachBar(p)
	composer := container.NewBorder(p.attach.object, p.meter.object,
		container.NewVBox(layout.NewSpacer(), p.attach.pickBtn), buttons, p.input)

	p.hello = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{})
	p.hello.Importance = widget.LowImportance
	p.empty = newEmptyState(w)
	p.center = container.NewStack(p.scroll)
	p.object = container.NewBorder(nil, container.NewPadded(composer), nil, nil, p.center)
	p.attach.relayout = p.object.(*fyne.Container).Refresh
	return p
}

// send posts the composer's text to the current conversation.
func (p *chatPane) send() {
	if _, busy := p.win.c.Generating(); busy {
		return // Enter while a reply streams keeps the draft; Stop is the button
	}
	atts, counting := p.attach.attachments()
	if counting != "" {
		p.win.showNotice("Still counting", "The tokens of “"+counting+"” are still being counted: send again in a moment.")
		return
	}
	text := app.ComposeMessage(p.input.Text, atts)
	if err := p.win.send(text); err != nil {
		p.win.showError(err)
		return
	}
	p.input.SetText("")
	p.attach.clear()
}

// show rebuilds the pane for a conversation (nil: none selected).
func (p *chatPane) show(cv *app.Conversation) {
	p.list.RemoveAll()
	p.views = nil
	if cv != nil {
		results := toolResults(cv)
		for i, m := range cv.Messages {
			v := newMessageView(p, i, m)
			v.showToolCalls(cv.ID, m, results)
			p.views = append(p.views, v)
			p.list.Add(v.object)
		}
	}
	gen, busy := p.win.c.Generating()
	p.setBusy(busy && cv != nil && gen == cv.ID)
	if busy && cv != nil && gen == cv.ID && len(p.views) > 0 {
		p.views[len(p.views)-1].setStreaming(true)
	}
	p.updateMeter(cv)
	p.updateCenter(cv)
	p.follow = true
	p.scroll.ScrollToBottom()
}

// updateCenter shows the first-run state when there is nothing to chat
// with, a greeting in an empty conversation, else the messages.
func (p *chatPane) updateCenter(cv *app.Conversation) {
	model := p.win.c.Model()
	var obj fyne.CanvasObject = p.scroll
	switch {
	case (cv == nil || len(cv.Messages) == 0) && model.Path == "":
		obj = p.empty
	case cv == nil || len(cv.Messages) == 0:
		name := "the model"
		if model.Info != nil {
			name = modelTitle(model)
		}
		p.hello.SetText(fmt.Sprintf("Start chatting with %s: type below and press Enter.", name))
		obj = container.NewCenter(p.hello)
	}
	if len(p.center.Objects) != 1 || p.center.Objects[0] != obj {
		p.center.Objects = []fyne.CanvasObject{obj}
		p.center.Refresh()
	}
}

// appendPiece shows streamed text of message index (its reasoning, or its answer).
func (p *chatPane) appendPiece(index int, piece string, reasoning bool) {
	if index >= len(p.views) {
		return
	}
	p.views[index].appendPiece(piece, reasoning)
	if p.follow {
		p.scroll.ScrollToBottom()
	}
}

// finish marks the reply at index done and shows its stats.
func (p *chatPane) finish(m app.Message, index int) {
	if index < len(p.views) {
		v := p.views[index]
		v.setStreaming(false)
		v.set(m)
	}
	if s := m.Stats; s != nil && s.ContextSize > 0 {
		p.meter.set(s.ContextUsed, s.ContextSize) // else the meter keeps the last reply's
	}
	p.setBusy(false)
	if p.follow {
		p.scroll.ScrollToBottom()
	}
}

func (p *chatPane) setBusy(busy bool) {
	if busy {
		p.sendBtn.Hide()
		p.stopBtn.Show()
	} else {
		p.stopBtn.Hide()
		p.sendBtn.Show()
	}
}

// updateMeter shows how much of the context the conversation uses, from
// the last reply's stats.
func (p *chatPane) updateMeter(cv *app.Conversation) {
	used, size := 0, 0
	if info := p.win.c.Model().Info; info != nil {
		size = info.ContextLength
	}
	if cv != nil {
		for i := len(cv.Messages) - 1; i >= 0; i-- {
			if s := cv.Messages[i].Stats; s != nil && s.ContextSize > 0 {
				used, size = s.ContextUsed, s.ContextSize
				break
			}
		}
	}
	p.meter.set(used, size)
}

// text returns what message index shows (tests).
func (p *chatPane) text(index int) string {
	if index >= len(p.views) {
		return ""
	}
	return p.views[index].text
}
