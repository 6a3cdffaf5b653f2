package ui

import (
	"os"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"

	"burrow/app"
	"burrow/app/apptest"
)

// overlayText is every text shown in the top overlay (a menu or dialog).
func overlayText(h *harness) string {
	var out []string
	walk(h.w.win.Canvas().Overlays().Top(), func(o fyne.CanvasObject) {
		if s := textOf(o); s != "" {
			out = append(out, s)
		}
	})
	return strings.Join(out, "\n")
}

func TestModelDefaultsSaveShowInPickerForget(t *testing.T) {
	useTempXDG(t)
	h := newHarness(t, apptest.NewFakeEngine())
	row := h.w.settings.defaults
	if !row.saveBtn.Disabled() {
		t.Error("save is offered with no model loaded")
	}
	path := h.load(t)
	h.w.newConversation()
	if row.saveBtn.Disabled() || !row.forgetBtn.Disabled() {
		t.Fatalf("loaded, no defaults: save disabled %v, forget disabled %v", row.saveBtn.Disabled(), row.forgetBtn.Disabled())
	}

	// Precise, an 8K context and the F16 cache, saved for this model.
	h.w.settings.presets.pick.SetSelected(app.PresetPrecise)
	h.w.settings.ctxLen.SetText("8192")
	h.w.settings.kvType.SetSelected(kvF16)
	tapUI(row.saveBtn)
	const want = "ctx 8192 · F16 KV · Precise"
	if !strings.Contains(row.label.Text, want) || row.forgetBtn.Disabled() {
		t.Fatalf("after save the panel says %q (forget disabled %v)", row.label.Text, row.forgetBtn.Disabled())
	}

	if dir := os.Getenv("BURROW_SCREENSHOT_DIR"); dir != "" {
		walk(h.w.settings.object, func(o fyne.CanvasObject) {
			if sc, ok := o.(*container.Scroll); ok {
				sc.ScrollToOffset(fyne.NewPos(0, row.object.Position().Y-360))
			}
		})
		saveScreenshot(t, h.w.win, "model-defaults-panel.png")
	}

	// The picker shows them on the model's row.
	tapUI(h.w.bar.pickBtn)
	waitFor(t, "the picker to show the defaults", func() bool {
		return strings.Contains(overlayText(h), "loads with "+want)
	})
	saveScreenshot(t, h.w.win, "model-defaults-picker.png")
	h.w.win.Canvas().Overlays().Top().Hide()
	h.w.win.Canvas().Overlays().Remove(h.w.win.Canvas().Overlays().Top())

	// Another chat with other settings: loading the model again brings its
	// defaults into the chat and the panel.
	h.w.newConversation()
	h.w.settings.presets.pick.SetSelected(app.PresetCreative)
	h.w.settings.ctxLen.SetText("1024")
	h.w.settings.kvType.SetSelected(kvF32)
	h.w.loadModel(path)
	waitFor(t, "the model to load again", func() bool { return h.c.Model().Loaded() })
	if got := h.eng.LoadOptions(); got[len(got)-1].ContextLength != 8192 {
		t.Fatalf("loaded with %+v", got[len(got)-1])
	}
	waitFor(t, "the panel to show the defaults", func() bool {
		return h.w.settings.ctxLen.Text == "8192" && h.w.settings.kvType.Selected == kvF16 &&
			h.w.settings.presets.pick.Selected == ""
	})
	cv, _ := h.w.CurrentConversation()
	if cv.Settings.Temperature != 0 || cv.Settings.ContextLength != 8192 {
		t.Fatalf("chat settings after load %+v", cv.Settings)
	}

	// A preset deleted since is named as such.
	if got := defaultsLabel(app.ModelDefaults{ContextLength: 2048, Threads: 4, Preset: "Gone"}, h.c.Presets()); got != "ctx 2048 · F16 KV · 4 threads · Gone (deleted preset)" {
		t.Errorf("label %q", got)
	}

	// Forget: the row and the picker no longer show them.
	tapUI(row.forgetBtn)
	if strings.Contains(row.label.Text, want) || !row.forgetBtn.Disabled() {
		t.Fatalf("after forget the panel says %q", row.label.Text)
	}
	if _, ok := h.c.ModelDefaultsFor(path); ok {
		t.Fatal("defaults kept after Forget")
	}
	if s := h.w.pickerDefaults(path); s != "" {
		t.Errorf("picker still adds %q", s)
	}
}
