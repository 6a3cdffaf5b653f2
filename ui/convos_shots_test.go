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
	"burrow/app/api"
	"burrow/app/apptest"
)

// TestConvosWindowShots pictures a reply's versions switcher, the preset
// picker open and a message with attachment chips in the whole window: BURROW_UI_SHOTS=DIR go test ./ui
// -run ConvosWindowShots writes DIR/branches.png, DIR/presets.png and
// DIR/attachments.png (skipped otherwise).
func TestConvosWindowShots(t *testing.T) {
	dir := os.Getenv("BURROW_UI_SHOTS")
	if dir == "" {
		t.Skip("set BURROW_UI_SHOTS to a folder to make the pictures")
	}
	useTempXDG(t)
	test.NewTempApp(t)
	fyne.CurrentApp().Settings().SetTheme(theme.DarkTheme()) //nolint:staticcheck // the shipped look
	eng := apptest.NewFakeEngine()
	c := app.NewController(eng, &fakeLibrary{})
	c.SetServerStarter(api.StartLocal)
	w := NewWindow(fyne.CurrentApp(), c)
	w.win.Resize(fyne.NewSize(1200, 780))
	defer func() { w.win.Close(); c.Close() }()
	h := &harness{w: w, c: c, eng: eng}
	h.loadStories(t)
	coding := app.DefaultChatSettings()
	coding.SystemPrompt, coding.Temperature, coding.ContextLength = "You are a careful Go reviewer. Point at the line.", 0.2, 2048
	if err := c.SavePreset("Go reviewer", coding); err != nil {
		t.Fatal(err)
	}
	w.newConversation()
	w.settings.presets.pick.SetSelected("Go reviewer")
	eng.Pieces = []string{"The error from `handle` is dropped on line 3: return it."}
	h.typeAndEnter("Review this function, please.")
	h.replyDone(t)
	for _, text := range []string{"Line 3 ignores the error: `return err` instead of `return nil`.", "It looks fine, but name the error."} {
		eng.Pieces = []string{text}
		tapUI(w.chat.views[1].regenBtn)
		h.replyDone(t)
	}
	tapUI(w.chat.views[1].branch.prev)
	capture(t, w, filepath.Join(dir, "branches.png"))

	tapUI(w.settings.presets.pick)
	capture(t, w, filepath.Join(dir, "presets.png"))
	w.win.Canvas().Overlays().Top().Hide()
	w.win.Canvas().Overlays().Remove(w.win.Canvas().Overlays().Top())

	drop(h, writeFile(t, "handler.go", "package api\n\nfunc handle() error {\n\treturn nil\n}\n"),
		writeFile(t, "requests.csv", "path,status\n/v1/models,200\n/v1/chat,500\n"))
	typeUI(w.chat.input, "Why does /v1/chat fail?")
	capture(t, w, filepath.Join(dir, "attachments.png"))
}

// capture writes the window as windowShot does (a fresh software canvas,
// so every part is laid out), with the window's pop-ups on top.
func capture(t *testing.T, w *Window, path string) {
	t.Helper()
	time.Sleep(200 * time.Millisecond)
	content := w.win.Content()
	// The test canvas does not lay a container out again when a child's
	// minimum size changes (the real one does each frame): do it here.
	walk(content, func(o fyne.CanvasObject) {
		if c, ok := o.(*fyne.Container); ok && c.Layout != nil {
			c.Layout.Layout(c.Objects, c.Size())
		}
	})
	overlays := w.win.Canvas().Overlays().List()
	sc := software.NewCanvas()
	sc.SetPadded(false)
	sc.SetContent(content)
	sc.Resize(w.win.Canvas().Size())
	for _, o := range overlays {
		sc.Overlays().Add(o)
	}
	img := sc.Capture()
	for _, o := range overlays {
		sc.Overlays().Remove(o)
	}
	sc.SetContent(nil)
	w.win.SetContent(content)
	for _, o := range overlays {
		w.win.Canvas().Overlays().Add(o)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
}
