package ui

import (
	"testing"

	"fyne.io/fyne/v2"

	"burrow/app"
	"burrow/app/apptest"
)

// A reply regenerated twice keeps three versions, "‹ 3/3 ›" switches
// between them, and they are all there after a restart.
func TestBranchSwitchAndRestart(t *testing.T) {
	useTempXDG(t)
	eng := apptest.NewFakeEngine()
	h := newHarness(t, eng)
	h.load(t)
	eng.Pieces = []string{"first answer"}
	h.typeAndEnter("hello")
	h.replyDone(t)
	if h.w.chat.views[1].branch.object.Visible() {
		t.Fatal("a switcher on a reply with one version")
	}
	for _, text := range []string{"second answer", "third answer"} {
		eng.Pieces = []string{text}
		tapUI(h.w.chat.views[1].regenBtn)
		h.replyDone(t)
	}
	b := h.w.chat.views[1].branch
	if !b.object.Visible() || b.label.Text != "3/3" || h.w.chat.text(1) != "third answer" || !b.next.Disabled() || b.prev.Disabled() {
		t.Fatalf("switcher %q visible %v, reply %q", b.label.Text, b.object.Visible(), h.w.chat.text(1))
	}
	tapUI(b.prev)
	b = h.w.chat.views[1].branch
	if b.label.Text != "2/3" || h.w.chat.text(1) != "second answer" {
		t.Fatalf("after ‹: %q %q", b.label.Text, h.w.chat.text(1))
	}
	tapUI(b.prev)
	if b = h.w.chat.views[1].branch; b.label.Text != "1/3" || h.w.chat.text(1) != "first answer" || !b.prev.Disabled() {
		t.Fatalf("after ‹‹: %q %q", b.label.Text, h.w.chat.text(1))
	}
	saveScreenshot(t, h.w.win, "branches.png")

	// Continuing from version 1 sends that path.
	eng.Pieces = []string{"more"}
	h.typeAndEnter("go on")
	h.replyDone(t)
	reqs := eng.Requests()
	if msgs := reqs[len(reqs)-1].Messages; len(msgs) != 3 || msgs[1].Content != "first answer" {
		t.Fatalf("continued with %+v", msgs)
	}
	id := h.w.current
	h.c.Close()

	c2 := app.NewController(apptest.NewFakeEngine(), nil)
	defer c2.Close()
	w2 := NewWindow(fyne.CurrentApp(), c2)
	defer w2.win.Close()
	if w2.current != id || len(w2.chat.views) != 4 {
		t.Fatalf("after restart: %q, %d views", w2.current, len(w2.chat.views))
	}
	b = w2.chat.views[1].branch
	if b.label.Text != "1/3" {
		t.Fatalf("after restart the switcher says %q", b.label.Text)
	}
	tapUI(b.next)
	tapUI(w2.chat.views[1].branch.next)
	if w2.chat.text(1) != "third answer" || len(w2.chat.views) != 2 {
		t.Fatalf("version 3 after restart: %q, %d views", w2.chat.text(1), len(w2.chat.views))
	}
}

// Editing a message keeps the old one and what followed it.
func TestEditKeepsOldVersionInTheWindow(t *testing.T) {
	useTempXDG(t)
	eng := apptest.NewFakeEngine()
	h := newHarness(t, eng)
	h.load(t)
	h.typeAndEnter("one")
	h.replyDone(t)
	h.typeAndEnter("two")
	h.replyDone(t)
	h.w.editMessage(0, "uno")
	h.replyDone(t)
	b := h.w.chat.views[0].branch
	if b.label.Text != "2/2" || h.w.chat.text(0) != "uno" || len(h.w.chat.views) != 2 {
		t.Fatalf("after edit: %q %q, %d views", b.label.Text, h.w.chat.text(0), len(h.w.chat.views))
	}
	tapUI(b.prev)
	if h.w.chat.text(0) != "one" || h.w.chat.text(2) != "two" || len(h.w.chat.views) != 4 {
		t.Fatalf("old version: %q … %q, %d views", h.w.chat.text(0), h.w.chat.text(2), len(h.w.chat.views))
	}
}
