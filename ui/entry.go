package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"
)

// composeEntry is a multi-line entry where Enter sends and Shift+Enter
// starts a new line, as in chat apps.
type composeEntry struct {
	widget.Entry
	onSend func()
	shift  bool
}

func newComposeEntry(onSend func()) *composeEntry {
	e := &composeEntry{onSend: onSend}
	e.MultiLine = true
	e.Wrapping = fyne.TextWrapWord
	e.SetPlaceHolder("Send a message…  (Enter to send, Shift+Enter for a new line)")
	e.ExtendBaseWidget(e)
	return e
}

// KeyDown tracks Shift so TypedKey can tell Enter from Shift+Enter.
func (e *composeEntry) KeyDown(k *fyne.KeyEvent) {
	if k.Name == desktop.KeyShiftLeft || k.Name == desktop.KeyShiftRight {
		e.shift = true
	}
	e.Entry.KeyDown(k)
}

// KeyUp tracks Shift.
func (e *composeEntry) KeyUp(k *fyne.KeyEvent) {
	if k.Name == desktop.KeyShiftLeft || k.Name == desktop.KeyShiftRight {
		e.shift = false
	}
	e.Entry.KeyUp(k)
}

// TypedKey sends on a plain Enter; anything else is the entry's.
func (e *composeEntry) TypedKey(k *fyne.KeyEvent) {
	if (k.Name == fyne.KeyReturn || k.Name == fyne.KeyEnter) && !e.shift {
		if e.onSend != nil {
			e.onSend()
		}
		return
	}
	e.Entry.TypedKey(k)
}
