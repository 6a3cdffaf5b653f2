package ui

import (
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/software"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"burrow/app"
	"burrow/inference"
)

// TestUnderHoodWindowShots pictures the Tokens tab and a reply's token
// choices in the whole window, on the real engine with stories260K:
// BURROW_UI_SHOTS=DIR go test ./ui -run WindowShots (skipped otherwise).
func TestUnderHoodWindowShots(t *testing.T) {
	dir := os.Getenv("BURROW_UI_SHOTS")
	if dir == "" {
		t.Skip("set BURROW_UI_SHOTS to a folder to make the pictures")
	}
	useTempXDG(t)
	test.NewTempApp(t)
	fyne.CurrentApp().Settings().SetTheme(theme.DarkTheme()) //nolint:staticcheck // the shipped look
	wk := inference.NewWorker()
	c := app.NewController(wk, &fakeLibrary{})
	w := NewWindow(fyne.CurrentApp(), c)
	w.win.Resize(fyne.NewSize(1200, 780))
	defer func() { w.win.Close(); c.Close() }()
	u := attachUnderHood(w)
	if err := c.LoadModel(stories(t)); err != nil {
		t.Fatal(err)
	}
	hoodWait(t, "the model", func() bool { return c.Model().Loaded() })

	// A reply with its choices shown, a token the model was torn about tapped.
	w.newConversation()
	tapUI(w.settings.choices)
	h := &harness{w: w, c: c}
	h.typeAndEnter("Once upon a time")
	hoodWait(t, "the reply", func() bool {
		_, busy := c.Generating()
		return !busy && len(w.chat.views) == 2 && w.chat.sendBtn.Visible()
	})
	v := w.chat.views[1]
	tapUI(v.choicesBtn)
	var chips []*choiceChip
	hoodWalk(v.body, func(o fyne.CanvasObject) {
		if c, ok := o.(*choiceChip); ok {
			chips = append(chips, c)
		}
	})
	if len(chips) == 0 {
		t.Fatal("no choices shown")
	}
	best, bestD := 0, float32(2)
	for i, ch := range chips {
		if p, listed := ch.tok.prob(); listed && abs32(p-0.4) < bestD {
			best, bestD = i, abs32(p-0.4)
		}
	}
	tapUI(chips[best])
	windowShot(t, w, filepath.Join(dir, "choices.png"))

	// The tokenizer playground with a sentence typed.
	hoodWait(t, "the tokens view", func() bool { return u.tokens != nil })
	w.tabs.SelectIndex(len(w.tabs.Items) - 1)
	typeUI(u.tokens.input, "Once upon a time, there was a little dog named Max.\nHe loved to play in the park with his friends!")
	u.tokens.flow.Objects[3].(*tokenChip).MouseIn(nil)
	windowShot(t, w, filepath.Join(dir, "tokens.png"))
}

// windowShot paints the window's content afresh with the software painter
// (the test canvas can keep stale text of views swapped out).
func windowShot(t *testing.T, w *Window, path string) {
	t.Helper()
	time.Sleep(200 * time.Millisecond)
	content := w.win.Content()
	size := w.win.Canvas().Size()
	sc := software.NewCanvas()
	sc.SetPadded(false)
	sc.SetContent(content)
	sc.Resize(size)
	img := sc.Capture()
	sc.SetContent(nil)
	w.win.SetContent(content)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
}
