package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"burrow/app"
	"burrow/app/apptest"
)

// overlayEntry finds the first entry of the top dialog.
func overlayEntry(t *testing.T, h *harness) *widget.Entry {
	t.Helper()
	var e *widget.Entry
	walk(h.w.win.Canvas().Overlays().Top(), func(o fyne.CanvasObject) {
		if x, ok := o.(*widget.Entry); ok && e == nil {
			e = x
		}
	})
	if e == nil {
		t.Fatal("no entry in the dialog")
	}
	return e
}

func TestPresetApplyAndSave(t *testing.T) {
	useTempXDG(t)
	h := newHarness(t, apptest.NewFakeEngine())
	h.load(t)
	h.w.newConversation()
	bar := h.w.settings.presets
	if got := strings.Join(bar.pick.Options, ","); got != "Default,Precise,Creative" {
		t.Fatalf("picker offers %s", got)
	}
	if bar.pick.Selected != app.PresetDefault {
		t.Fatalf("a new chat shows preset %q", bar.pick.Selected)
	}
	if !bar.delBtn.Disabled() {
		t.Error("a built-in preset can be deleted")
	}

	// Picking Precise sets the chat to greedy sampling and the next reply uses it.
	bar.pick.SetSelected(app.PresetPrecise)
	if v := h.w.settings.temp.value(); v != 0 {
		t.Fatalf("temperature field %v after Precise", v)
	}
	cv, _ := h.w.CurrentConversation()
	if cv.Settings.Temperature != 0 {
		t.Fatalf("conversation temperature %v", cv.Settings.Temperature)
	}
	h.typeAndEnter("hello")
	h.c.WaitReply()
	if reqs := h.eng.Requests(); len(reqs) != 1 || reqs[0].Params.Temperature != 0 {
		t.Fatalf("request params %+v", reqs)
	}

	// Changing a field by hand leaves the presets: the picker says so.
	h.w.settings.system.SetText("You review Go code.")
	if bar.pick.Selected != "" {
		t.Errorf("edited settings still show preset %q", bar.pick.Selected)
	}

	// Save them as a preset through the dialog; it is then picked and deletable.
	tapUI(bar.saveBtn)
	typeUI(overlayEntry(t, h), "Go reviewer")
	tapUI(findButton(h.w.win.Canvas().Overlays().Top(), "Save"))
	if bar.pick.Selected != "Go reviewer" || bar.delBtn.Disabled() {
		t.Fatalf("after save: picked %q, delete disabled %v", bar.pick.Selected, bar.delBtn.Disabled())
	}
	saveScreenshot(t, h.w.win, "preset-saved.png")

	// Editing it: change a field, Save as… offers its name, replacing asks first.
	h.w.settings.temp.slider.SetValue(0.5)
	tapUI(bar.saveBtn)
	if e := overlayEntry(t, h); e.Text != "Go reviewer" {
		t.Fatalf("Save as… offers %q, not the preset being edited", e.Text)
	}
	tapUI(findButton(h.w.win.Canvas().Overlays().Top(), "Save"))
	tapUI(findButton(h.w.win.Canvas().Overlays().Top(), "Yes"))
	var edited app.Preset
	for _, p := range h.c.Presets() {
		if p.Name == "Go reviewer" {
			edited = p
		}
	}
	if edited.Settings.Temperature != 0.5 || len(h.c.Presets()) != 4 || bar.pick.Selected != "Go reviewer" {
		t.Fatalf("after replacing: %+v, %d presets, picked %q", edited, len(h.c.Presets()), bar.pick.Selected)
	}

	// Another chat takes it in one pick.
	h.w.newConversation()
	bar.pick.SetSelected("Go reviewer")
	if h.w.settings.system.Text != "You review Go code." {
		t.Fatalf("system prompt %q after picking the saved preset", h.w.settings.system.Text)
	}

	// Delete asks, then the preset is gone and the chat keeps its settings.
	tapUI(bar.delBtn)
	tapUI(findButton(h.w.win.Canvas().Overlays().Top(), "Yes"))
	if strings.Contains(strings.Join(bar.pick.Options, ","), "Go reviewer") {
		t.Error("deleted preset still offered")
	}
	if cv, _ := h.w.CurrentConversation(); cv.Settings.SystemPrompt != "You review Go code." {
		t.Error("deleting the preset changed the chat")
	}
}

func TestPresetImportLMStudio(t *testing.T) {
	useTempXDG(t)
	h := newHarness(t, apptest.NewFakeEngine())
	h.w.newConversation()
	path := filepath.Join(t.TempDir(), "story teller.preset.json")
	os.WriteFile(path, []byte(`{"identifier": "@local:story", "operation": {"fields": [
		{"key": "llm.prediction.systemPrompt", "value": "Tell stories."},
		{"key": "llm.prediction.temperature", "value": 1.2},
		{"key": "llm.prediction.stopStrings", "value": ["THE END"]}]}, "load": {"fields": []}}`), 0o644)
	h.w.settings.presets.importFile(path)
	if !strings.Contains(h.w.lastNotice, "story teller") || !strings.Contains(h.w.lastNotice, "stopStrings") {
		t.Fatalf("notice %q", h.w.lastNotice)
	}
	h.w.settings.presets.pick.SetSelected("story teller")
	if h.w.settings.system.Text != "Tell stories." || h.w.settings.temp.value() != 1.2 {
		t.Errorf("imported preset applied as %q / %v", h.w.settings.system.Text, h.w.settings.temp.value())
	}

	bad := filepath.Join(t.TempDir(), "bad.preset.json")
	os.WriteFile(bad, []byte(`{"operation": {"fields": [{"key": "x", "value": {}}]}}`), 0o644)
	h.w.settings.presets.importFile(bad)
	if !strings.Contains(h.w.lastNotice, "not an LM Studio preset") {
		t.Errorf("bad preset: %q", h.w.lastNotice)
	}
}
