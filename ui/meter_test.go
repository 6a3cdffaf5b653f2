package ui

import (
	"strings"
	"testing"

	"burrow/app/apptest"
)

// The context meter fills while a reply streams, not only at its end.
func TestMeterFillsWhileStreaming(t *testing.T) {
	useTempXDG(t)
	eng := apptest.NewFakeEngine()
	eng.Gate = make(chan struct{})
	h := newHarness(t, eng)
	h.load(t)
	h.typeAndEnter("Tell me a story")
	eng.Gate <- struct{}{}
	waitFor(t, "the first piece", func() bool { return h.w.chat.text(1) == "Once" })
	waitFor(t, "the meter to move", func() bool { return h.w.chat.meter.Value() > 0 })
	first := h.w.chat.meter.Value()
	for range 3 {
		eng.Gate <- struct{}{}
	}
	waitFor(t, "three more pieces", func() bool { return h.w.chat.text(1) == "Once upon a time" })
	waitFor(t, "the meter to grow", func() bool { return h.w.chat.meter.Value() == first+3 })
	if _, busy := h.c.Generating(); !busy {
		t.Fatal("the reply ended early")
	}
	if !strings.Contains(h.w.chat.meter.label.Text, "/ 512 tokens") {
		t.Errorf("meter says %q", h.w.chat.meter.label.Text)
	}
	for range len(eng.Pieces) - 4 {
		eng.Gate <- struct{}{}
	}
	h.replyDone(t)
	cv, _ := h.w.CurrentConversation()
	if got, want := h.w.chat.meter.Value(), cv.Messages[1].Stats.ContextUsed; got != want {
		t.Errorf("meter %d at the end, stats %d", got, want)
	}
}
