package ui

import (
	"fmt"
	"math"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// thinkingBlock is a reply's reasoning above its answer: open and streaming
// under "Thinking…" while the model thinks, folded to "Thought for N s" once
// the answer starts; a tap on the header opens or folds it.
type thinkingBlock struct {
	header  *widget.Button
	text    *widget.Label
	body    *fyne.Container
	object  *fyne.Container
	open    bool
	active  bool      // the model is thinking now
	started time.Time // the first reasoning piece, as the UI saw it
	thought time.Duration
	content string
}

func newThinkingBlock() *thinkingBlock {
	b := &thinkingBlock{}
	b.header = widget.NewButtonWithIcon("Thinking…", theme.MenuDropDownIcon(), b.toggle)
	b.header.Importance = widget.LowImportance
	b.header.Alignment = widget.ButtonAlignLeading
	b.text = widget.NewLabel("")
	b.text.Wrapping = fyne.TextWrapWord
	b.text.Importance = widget.LowImportance
	b.text.TextStyle = fyne.TextStyle{Italic: true}
	b.body = container.NewPadded(b.text)
	b.object = container.NewVBox(container.NewHBox(b.header), b.body)
	b.object.Hide()
	return b
}

// append streams reasoning: the block opens while the model thinks.
func (b *thinkingBlock) append(piece string) {
	if piece == "" {
		return
	}
	if !b.active && b.content == "" {
		b.active, b.started, b.open = true, time.Now(), true
	}
	b.content += piece
	b.text.SetText(b.content)
	b.update()
}

// answerStarted folds the block: the answer is what to read now.
func (b *thinkingBlock) answerStarted() {
	if !b.active {
		return
	}
	b.active, b.open = false, false
	b.thought = time.Since(b.started)
	b.update()
}

// set shows a finished reply's reasoning, folded.
func (b *thinkingBlock) set(reasoning string, thoughtMS int64) {
	b.content, b.active, b.open = reasoning, false, false
	b.thought = msDuration(thoughtMS)
	b.text.SetText(reasoning)
	b.update()
}

func (b *thinkingBlock) toggle() {
	b.open = !b.open
	b.update()
}

func (b *thinkingBlock) update() {
	if b.content == "" {
		b.object.Hide()
		return
	}
	b.object.Show()
	title := "Thinking…"
	if !b.active {
		title = thoughtFor(b.thought)
	}
	b.header.SetText(title)
	if b.open {
		b.header.SetIcon(theme.MenuDropDownIcon())
		b.body.Show()
	} else {
		b.header.SetIcon(theme.MenuExpandIcon())
		b.body.Hide()
	}
	b.object.Refresh()
}

func msDuration(ms int64) time.Duration { return time.Duration(ms) * time.Millisecond }

// thoughtFor is the folded header: whole seconds, at least one.
func thoughtFor(d time.Duration) string {
	if d <= 0 {
		return "Thought"
	}
	return fmt.Sprintf("Thought for %d s", max(1, int(math.Round(d.Seconds()))))
}
