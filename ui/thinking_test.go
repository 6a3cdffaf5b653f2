package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"burrow/app/apptest"
)

// thinkState reads a reply's thinking block on the UI thread.
func thinkState(v *messageView) (header, text string, shown, open bool) {
	onUI(func() {
		b := v.think
		header, text, shown, open = b.header.Text, b.text.Text, b.object.Visible(), b.body.Visible()
	})
	return
}

// TestThinkingReplyFoldsWhenTheAnswerStarts streams a Qwen3-style reply
// from the fake engine: the reasoning streams open under "Thinking…",
// folds to "Thought for N s" when the answer starts, opens and folds on a
// tap, and the answer shows no markers. BURROW_SCREENSHOT_DIR=DIR saves
// thinking-open.png and thinking.png (the folded reply).
func TestThinkingReplyFoldsWhenTheAnswerStarts(t *testing.T) {
	useTempXDG(t)
	eng := apptest.NewFakeEngine()
	eng.Pieces, eng.Reasoning = apptest.ThinkingPieces, apptest.ThinkTags
	eng.Gate = make(chan struct{})
	h := newHarness(t, eng)
	shots := os.Getenv("BURROW_SCREENSHOT_DIR")
	if shots != "" {
		fyne.CurrentApp().Settings().SetTheme(theme.DarkTheme()) //nolint:staticcheck // the shipped look
		onUI(func() { h.w.win.Resize(fyne.NewSize(1100, 620)) })
	}
	h.load(t)
	if h.w.settings.think.Disabled() {
		t.Error("the think switch is off for a model whose template has one")
	}
	h.typeAndEnter("Hi!")
	waitFor(t, "the reply to start", func() bool { return len(h.w.chat.views) == 2 })
	v := h.w.chat.views[1]
	// Up to " fits.\n": the reasoning so far (its last newline held back).
	for range 6 {
		eng.Gate <- struct{}{}
	}
	waitFor(t, "the reasoning to stream", func() bool {
		_, text, _, _ := thinkState(v)
		return text == "The user says hi. A short, warm greeting fits."
	})
	header, _, shown, open := thinkState(v)
	if header != "Thinking…" || !shown || !open || h.w.chat.text(1) != "" {
		t.Errorf("while thinking: header %q, shown %v, open %v, answer %q", header, shown, open, h.w.chat.text(1))
	}
	if shots != "" {
		windowShot(t, h.w, filepath.Join(shots, "thinking-open.png"))
	}
	for range len(eng.Pieces) - 6 {
		eng.Gate <- struct{}{}
	}
	waitFor(t, "the reply to finish", func() bool { return h.w.chat.sendBtn.Visible() })
	header, text, shown, open := thinkState(v)
	if !strings.HasPrefix(header, "Thought for ") || !strings.HasSuffix(header, " s") || !shown || open {
		t.Errorf("after the answer: header %q, shown %v, open %v", header, shown, open)
	}
	if h.w.chat.text(1) != "Hello! How can I help?" || text != "The user says hi. A short, warm greeting fits." {
		t.Errorf("answer %q, reasoning %q", h.w.chat.text(1), text)
	}
	if shots != "" {
		windowShot(t, h.w, filepath.Join(shots, "thinking.png"))
	}
	tapUI(v.think.header)
	if _, _, _, open := thinkState(v); !open {
		t.Error("a tap did not open the reasoning")
	}
	tapUI(v.think.header)
	if _, _, _, open := thinkState(v); open {
		t.Error("a second tap did not fold it")
	}

	// Shown again from the saved conversation: folded, with the time.
	cv, _ := h.c.Conversation(h.w.current)
	onUI(func() { h.w.chat.show(&cv) })
	header, text, shown, open = thinkState(h.w.chat.views[1])
	if header != thoughtFor(msDuration(cv.Messages[1].ThoughtMS)) || text == "" || !shown || open {
		t.Errorf("reloaded: header %q, text %q, shown %v, open %v", header, text, shown, open)
	}

	// The switch turns thinking off for the conversation's next replies.
	tapUI(h.w.settings.think)
	waitFor(t, "the setting to save", func() bool {
		cv, _ := h.c.Conversation(h.w.current)
		return cv.Settings.NoThinking
	})
}
