package ui

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/adrg/xdg"

	"burrow/app"
	"burrow/app/api"
	"burrow/app/apptest"
	"burrow/inference/llama"
	"burrow/models"
)

// fakeLibrary records registrations and lists them as supported models.
type fakeLibrary struct {
	mu         sync.Mutex
	registered []string
}

func (l *fakeLibrary) Register(p string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.registered = append(l.registered, p)
	return nil
}

func (l *fakeLibrary) Scan() ([]models.Entry, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []models.Entry
	for _, p := range l.registered {
		out = append(out, models.Entry{Path: p, Source: models.SourceRegistered, FileSize: 1 << 20,
			Meta: models.Meta{Name: filepath.Base(p), Quant: "Q8_0", SizeLabel: "260K", MemoryEstimate: 2 << 20, Supported: true}})
	}
	return out, nil
}

func (l *fakeLibrary) Registered() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.registered...)
}

type harness struct {
	w   *Window
	c   *app.Controller
	eng *apptest.FakeEngine
	lib *fakeLibrary
}

func useTempXDG(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("XDG_DATA_HOME", filepath.Join(dir, "data"))
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "config"))
	t.Setenv("XDG_STATE_HOME", filepath.Join(dir, "state"))
	xdg.Reload()
	t.Cleanup(xdg.Reload)
}

// newHarness opens the window on a fake engine (XDG folders already set).
func newHarness(t *testing.T, eng *apptest.FakeEngine) *harness {
	t.Helper()
	test.NewTempApp(t)
	lib := &fakeLibrary{}
	c := app.NewController(eng, lib)
	c.SetServerStarter(api.StartLocal)
	w := NewWindow(fyne.CurrentApp(), c)
	w.win.Resize(fyne.NewSize(1100, 720))
	t.Cleanup(func() { w.win.Close(); c.Close() }) // closing saves the size: flush after
	return &harness{w: w, c: c, eng: eng, lib: lib}
}

func modelFile(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte("GGUF"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// waitFor polls until cond holds, each poll on the tests' UI thread
// (onUI); the deadline only keeps a broken test from hanging, it asserts
// nothing about speed.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var ok bool
		onUI(func() { ok = cond() })
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (h *harness) load(t *testing.T) string {
	t.Helper()
	p := modelFile(t, "stories-test-Q8_0.gguf")
	h.w.loadModel(p)
	waitFor(t, "the model to load", func() bool { return h.c.Model().Loaded() })
	return p
}

// typeAndEnter types into the composer and presses Enter.
func (h *harness) typeAndEnter(text string) {
	typeUI(h.w.chat.input, text)
	onUI(func() { h.w.chat.input.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn}) })
}

func TestFirstRunShowsThreeWays(t *testing.T) {
	useTempXDG(t)
	h := newHarness(t, apptest.NewFakeEngine())
	if h.w.chat.center.Objects[0] != h.w.chat.empty {
		t.Fatal("first run does not show the empty state")
	}
	for _, want := range []string{"Download", "Drag and drop", "Open a file", "Open model…"} {
		if !containsText(h.w.win.Content(), want) {
			t.Errorf("empty state lacks %q", want)
		}
	}
}

func TestPromptStreamsTokensInOrder(t *testing.T) {
	useTempXDG(t)
	eng := apptest.NewFakeEngine()
	eng.Gate = make(chan struct{})
	h := newHarness(t, eng)
	h.load(t)
	h.typeAndEnter("Tell me a story")
	waitFor(t, "the reply to start", func() bool { return len(h.w.chat.views) == 2 })
	if h.w.chat.text(0) != "Tell me a story" || h.w.chat.input.Text != "" {
		t.Fatalf("user message %q, composer %q", h.w.chat.text(0), h.w.chat.input.Text)
	}
	if !h.w.chat.stopBtn.Visible() || h.w.chat.sendBtn.Visible() {
		t.Fatal("Stop should replace Send while generating")
	}
	h.typeAndEnter("a draft")
	if h.w.chat.input.Text != "a draft" || len(eng.Requests()) != 1 {
		t.Fatalf("Enter while busy: composer %q, %d requests", h.w.chat.input.Text, len(eng.Requests()))
	}
	want := ""
	for _, p := range eng.Pieces {
		eng.Gate <- struct{}{}
		want += p
		waitFor(t, "piece "+p, func() bool { return h.w.chat.text(1) == want })
	}
	waitFor(t, "the reply to finish", func() bool { return h.w.chat.sendBtn.Visible() })
	stats := h.w.chat.views[1].stats.Text
	if !strings.Contains(stats, "tok/s") || !strings.Contains(stats, "10 tokens") || !strings.Contains(stats, "end of text") {
		t.Errorf("stats line %q", stats)
	}
	if got := h.w.chat.meter.Value(); got == 0 {
		t.Error("context meter not updated")
	}
	if len(h.w.side.items) != 1 || h.w.side.items[0].Title != "Tell me a story" {
		t.Errorf("sidebar %+v", h.w.side.items)
	}
}

func TestShiftEnterMakesNewLine(t *testing.T) {
	useTempXDG(t)
	h := newHarness(t, apptest.NewFakeEngine())
	h.load(t)
	in := h.w.chat.input
	typeUI(in, "line one")
	in.KeyDown(&fyne.KeyEvent{Name: desktop.KeyShiftLeft})
	onUI(func() { in.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn}) })
	in.KeyUp(&fyne.KeyEvent{Name: desktop.KeyShiftLeft})
	typeUI(in, "line two")
	if in.Text != "line one\nline two" || len(h.eng.Requests()) != 0 {
		t.Fatalf("text %q, %d requests", in.Text, len(h.eng.Requests()))
	}
}

func TestStopCancelsReply(t *testing.T) {
	useTempXDG(t)
	eng := apptest.NewFakeEngine()
	eng.Gate = make(chan struct{})
	h := newHarness(t, eng)
	h.load(t)
	h.typeAndEnter("hi")
	eng.Gate <- struct{}{}
	eng.Gate <- struct{}{}
	waitFor(t, "two pieces", func() bool { return h.w.chat.text(1) == "Once upon" })
	tapUI(h.w.chat.stopBtn)
	waitFor(t, "the reply to stop", func() bool { return h.w.chat.sendBtn.Visible() })
	if h.w.chat.text(1) != "Once upon" {
		t.Errorf("after stop: %q", h.w.chat.text(1))
	}
	if s := h.w.chat.views[1].stats.Text; !strings.Contains(s, "stop: stopped") {
		t.Errorf("stats %q", s)
	}
}

func TestDroppedGGUFLoadsAndRegisters(t *testing.T) {
	useTempXDG(t)
	h := newHarness(t, apptest.NewFakeEngine())
	p := modelFile(t, "dropped-Q8_0.gguf")
	onUI(func() { h.w.onDropped(fyne.NewPos(10, 10), []fyne.URI{storage.NewFileURI(p)}) })
	waitFor(t, "the dropped model to load", func() bool { return h.c.Model().Loaded() })
	if loads := h.eng.Loads(); len(loads) != 1 || loads[0] != p {
		t.Fatalf("loads %v", loads)
	}
	waitFor(t, "the model to join the library", func() bool { r := h.lib.Registered(); return len(r) == 1 && r[0] == p })
	waitFor(t, "the model bar to show the model, its quant and memory", func() bool {
		return h.w.bar.pickBtn.Text == "dropped-Q8_0" && strings.Contains(h.w.bar.info.Text, "Q8_0") && strings.Contains(h.w.bar.info.Text, "RAM")
	})
	if h.w.chat.center.Objects[0] == h.w.chat.empty {
		t.Error("still showing the first-run state with a model loaded")
	}
}

func TestDroppedBinaryShowsMessage(t *testing.T) {
	useTempXDG(t)
	h := newHarness(t, apptest.NewFakeEngine())
	p := filepath.Join(t.TempDir(), "photo.jpg")
	os.WriteFile(p, []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), 0o644)
	onUI(func() { h.w.onDropped(fyne.NewPos(10, 10), []fyne.URI{storage.NewFileURI(p)}) })
	if len(h.eng.Loads()) != 0 {
		t.Fatal("a .jpg was loaded")
	}
	top := h.w.win.Canvas().Overlays().Top()
	if top == nil || !containsText(top, "“photo.jpg” is not a text file") || !strings.Contains(h.w.lastNotice, ".gguf models") {
		t.Fatalf("no dialog naming the file (notice %q)", h.w.lastNotice)
	}
	if len(h.w.chat.attach.chips) != 0 {
		t.Fatal("a binary file was attached")
	}
}

func TestLoadFailureShowsEngineMessage(t *testing.T) {
	useTempXDG(t)
	eng := apptest.NewFakeEngine()
	eng.LoadErr = apptest.ErrFakeLoad
	h := newHarness(t, eng)
	h.w.loadModel(modelFile(t, "bad.gguf"))
	waitFor(t, "the error dialog", func() bool {
		top := h.w.win.Canvas().Overlays().Top()
		return top != nil && containsText(top, "unsupported tensor type Q4_K")
	})
	if h.w.bar.pickBtn.Text != "Select a model to load" {
		t.Errorf("picker after a failed load: %q", h.w.bar.pickBtn.Text)
	}
}

func TestEditAndRegenerate(t *testing.T) {
	useTempXDG(t)
	eng := apptest.NewFakeEngine()
	h := newHarness(t, eng)
	h.load(t)
	h.typeAndEnter("first question")
	waitFor(t, "the first reply", func() bool {
		_, busy := h.c.Generating()
		return !busy && len(h.w.chat.views) == 2 && h.w.chat.sendBtn.Visible()
	})

	eng.Pieces = []string{"another", " answer"}
	tapUI(h.w.chat.views[1].regenBtn)
	waitFor(t, "the regenerated reply", func() bool { return h.w.chat.text(1) == "another answer" && h.w.chat.sendBtn.Visible() })
	if len(h.w.chat.views) != 2 {
		t.Fatalf("%d messages after regenerate", len(h.w.chat.views))
	}

	eng.Pieces = []string{"edited", " answer"}
	v := h.w.chat.views[0]
	tapUI(v.editBtn)
	v.editor.SetText("better question")
	tapUI(v.saveBtn)
	waitFor(t, "the reply to the edit", func() bool {
		return len(h.w.chat.views) == 2 && h.w.chat.text(0) == "better question" && h.w.chat.text(1) == "edited answer" && h.w.chat.sendBtn.Visible()
	})
	reqs := eng.Requests()
	last := reqs[len(reqs)-1].Messages
	if last[len(last)-1].Content != "better question" {
		t.Errorf("edit request ends with %+v", last[len(last)-1])
	}
}

func TestSettingsAndConversationsSurviveRestart(t *testing.T) {
	useTempXDG(t)
	h := newHarness(t, apptest.NewFakeEngine())
	h.load(t)
	h.typeAndEnter("keep this")
	waitFor(t, "the reply", func() bool { _, busy := h.c.Generating(); return !busy && h.w.chat.sendBtn.Visible() })
	h.w.settings.temp.slider.SetValue(0.3)
	h.w.settings.system.SetText("You are terse.")
	h.w.settings.seed.SetText("1234")
	h.w.settings.kvType.SetSelected(kvF16)
	h.w.win.Resize(fyne.NewSize(900, 640))
	h.w.saveWindow()
	id := h.w.current
	h.c.Close()

	c2 := app.NewController(apptest.NewFakeEngine(), nil)
	defer c2.Close()
	w2 := NewWindow(fyne.CurrentApp(), c2)
	defer w2.win.Close()
	if w2.current != id || len(w2.chat.views) != 2 || w2.chat.text(0) != "keep this" {
		t.Fatalf("after restart: current %q, %d messages", w2.current, len(w2.chat.views))
	}
	s := w2.settings
	if s.temp.value() != 0.3 || s.system.Text != "You are terse." || s.seed.Text != "1234" || s.kvType.Selected != kvF16 {
		t.Errorf("settings after restart: temp %v, system %q, seed %q, KV %q", s.temp.value(), s.system.Text, s.seed.Text, s.kvType.Selected)
	}
	if kv := c2.Settings().Defaults.LoadOptions().KV; kv != llama.KVF16 {
		t.Errorf("the next load's KV cache: %v, want f16", kv)
	}
	if st := c2.Settings(); st.WindowWidth != 900 || st.WindowHeight != 640 {
		t.Errorf("window size after restart: %vx%v", st.WindowWidth, st.WindowHeight)
	}
	if w2.chat.views[1].stats.Text == "" {
		t.Error("reply stats were not kept")
	}
}

func TestSidebarRenameDeleteSearch(t *testing.T) {
	useTempXDG(t)
	h := newHarness(t, apptest.NewFakeEngine())
	h.load(t)
	for _, q := range []string{"about rabbits", "about foxes"} {
		tapUI(h.w.side.newBtn)
		h.typeAndEnter(q)
		waitFor(t, "reply", func() bool { _, busy := h.c.Generating(); return !busy && h.w.chat.sendBtn.Visible() })
	}
	typeUI(h.w.side.search, "rabbit")
	if len(h.w.side.items) != 1 || h.w.side.items[0].Title != "about rabbits" {
		t.Fatalf("search: %+v", h.w.side.items)
	}
	h.w.side.search.SetText("")
	id := h.w.side.items[0].ID
	if err := h.c.Rename(id, "Foxes!"); err != nil {
		t.Fatal(err)
	}
	if h.w.side.items[0].Title != "Foxes!" {
		t.Errorf("rename not shown: %+v", h.w.side.items[0])
	}
	h.w.deleteConversation(id)
	if len(h.w.side.items) != 1 || h.w.current == id {
		t.Errorf("after delete: %+v, current %q", h.w.side.items, h.w.current)
	}
}

func TestParseArgs(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want options
		bad  bool
	}{
		{nil, options{}, false},
		{[]string{"m.gguf"}, options{model: "m.gguf"}, false},
		{[]string{"--model", "m.gguf", "--prompt", "Hi there", "--screenshot", "o.png"}, options{"m.gguf", "Hi there", "o.png"}, false},
		{[]string{"--screenshot=o.png", "--model=m.gguf"}, options{model: "m.gguf", screenshot: "o.png"}, false},
		{[]string{"--screenshot", "o.png"}, options{}, true},
		{[]string{"--bogus"}, options{}, true},
		{[]string{"--model"}, options{}, true},
	} {
		got, err := parseArgs(tc.args)
		if (err != nil) != tc.bad || (!tc.bad && got != tc.want) {
			t.Errorf("parseArgs(%q) = %+v, %v", tc.args, got, err)
		}
	}
}

// containsText reports whether any label, rich text or button under o
// shows s.
func containsText(o fyne.CanvasObject, s string) bool {
	found := false
	walk(o, func(o fyne.CanvasObject) {
		if t := textOf(o); strings.Contains(t, s) {
			found = true
		}
	})
	return found
}

func TestUnreadableFilesAreReported(t *testing.T) {
	useTempXDG(t)
	dir := app.ConversationsDir()
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "torn.json"), []byte(`{"id":`), 0o600)
	h := newHarness(t, apptest.NewFakeEngine())
	top := h.w.win.Canvas().Overlays().Top()
	if top == nil || !containsText(top, "torn.json") {
		t.Fatalf("no notice naming the unreadable file (%q)", h.w.lastNotice)
	}
}

func TestBadNumberIsNotSaved(t *testing.T) {
	useTempXDG(t)
	h := newHarness(t, apptest.NewFakeEngine())
	h.w.newConversation()
	h.w.settings.topK.SetText("12")
	h.w.settings.topK.SetText("12x")
	if !h.w.settings.problem.Visible() || !strings.Contains(h.w.settings.problem.Text, "top-k") {
		t.Errorf("no message for 12x: %q", h.w.settings.problem.Text)
	}
	cv, _ := h.c.Conversation(h.w.current)
	if cv.Settings.TopK != 12 {
		t.Errorf("top-k saved as %d, want the last good value 12", cv.Settings.TopK)
	}
}

func TestCopyMessageAndDeleteWithConfirmation(t *testing.T) {
	useTempXDG(t)
	h := newHarness(t, apptest.NewFakeEngine())
	h.load(t)
	h.typeAndEnter("copy me")
	waitFor(t, "reply", func() bool { _, busy := h.c.Generating(); return !busy && h.w.chat.sendBtn.Visible() })
	tapUI(h.w.chat.views[1].copyBtn)
	if got := fyne.CurrentApp().Clipboard().Content(); got != h.w.chat.text(1) {
		t.Errorf("clipboard %q", got)
	}
	id := h.w.current
	h.w.side.confirmDelete(h.w.side.items[0])
	top := h.w.win.Canvas().Overlays().Top()
	del := tappableWithText(top, "Yes")
	if del == nil {
		t.Fatal("no confirmation button")
	}
	tapUI(del)
	waitFor(t, "the chat to be deleted", func() bool { _, ok := h.c.Conversation(id); return !ok })
	if len(h.w.side.items) != 0 || h.w.current != "" {
		t.Errorf("after delete: items %d, current %q", len(h.w.side.items), h.w.current)
	}
	h.c.Flush()
	if _, err := os.Stat(filepath.Join(app.ConversationsDir(), id+".json")); !os.IsNotExist(err) {
		t.Errorf("file still there: %v", err)
	}
}

func TestAddTab(t *testing.T) {
	useTempXDG(t)
	h := newHarness(t, apptest.NewFakeEngine())
	item := h.w.AddTab("Inspect", nil, widget.NewLabel("inside the file"))
	if len(h.w.tabs.Items) != 3 || h.w.tabs.Items[2] != item {
		t.Fatalf("tabs %d", len(h.w.tabs.Items))
	}
}

func TestFyneOpenDialogFallback(t *testing.T) {
	useTempXDG(t)
	h := newHarness(t, apptest.NewFakeEngine())
	h.w.openWithFyne()
	if h.w.win.Canvas().Overlays().Top() == nil {
		t.Fatal("no file dialog shown")
	}
}
