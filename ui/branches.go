package ui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"burrow/app"
)

// branchSwitcher is "‹ 2/3 ›" on a message with other versions (a reply
// regenerated, a message edited): it shows another version and the turns
// that followed it.
type branchSwitcher struct {
	v          *messageView
	shown, all int
	prev, next *widget.Button
	label      *widget.Label
	object     fyne.CanvasObject
}

func newBranchSwitcher(v *messageView) *branchSwitcher {
	b := &branchSwitcher{v: v, label: widget.NewLabel("")}
	b.prev = widget.NewButton("‹", func() { b.show(b.shown - 1) })
	b.next = widget.NewButton("›", func() { b.show(b.shown + 1) })
	b.prev.Importance, b.next.Importance = widget.LowImportance, widget.LowImportance
	b.object = container.NewHBox(b.prev, b.label, b.next)
	b.object.Hide()
	return b
}

// set shows which version m is; a message with one version shows nothing.
func (b *branchSwitcher) set(m app.Message) {
	b.shown, b.all = m.AltIndex+1, len(m.Alts)+1
	if b.all <= 1 {
		b.object.Hide()
		return
	}
	b.label.SetText(fmt.Sprintf("%d/%d", b.shown, b.all))
	b.enable(!b.v.streaming)
	b.object.Show()
}

func (b *branchSwitcher) enable(on bool) {
	for _, btn := range []*widget.Button{b.prev, b.next} {
		btn.Disable()
		if on {
			btn.Enable()
		}
	}
	if b.shown <= 1 {
		b.prev.Disable()
	}
	if b.shown >= b.all {
		b.next.Disable()
	}
}

// show shows version n (1-based).
func (b *branchSwitcher) show(n int) {
	if n < 1 || n > b.all {
		return
	}
	w := b.v.pane.win
	if err := w.c.SwitchVersion(w.current, b.v.index, n-1); err != nil {
		w.showError(err)
	}
}
