package ui

import (
	"fmt"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"burrow/app"
)

// modelDefaultsRow is the settings panel's "this model loads with" part:
// what is remembered for the loaded model file, save the panel's settings
// as its defaults, forget them.
type modelDefaultsRow struct {
	p         *settingsPanel
	label     *widget.Label
	saveBtn   *widget.Button
	forgetBtn *widget.Button
	object    fyne.CanvasObject
}

func newModelDefaultsRow(p *settingsPanel) *modelDefaultsRow {
	r := &modelDefaultsRow{p: p}
	r.label = widget.NewLabel("")
	r.label.Wrapping = fyne.TextWrapWord
	r.label.Importance = widget.LowImportance
	r.saveBtn = widget.NewButton("Save as defaults for this model", r.save)
	r.forgetBtn = widget.NewButton("Forget", r.forget)
	r.forgetBtn.Importance = widget.LowImportance
	r.object = container.NewVBox(r.label, container.NewBorder(nil, nil, nil, r.forgetBtn, r.saveBtn))
	r.refresh(p.win.c.Model())
	return r
}

// refresh shows the loaded model's defaults. When a model with defaults
// loads, the controller has put them into the chat: the panel, which
// showed the chat's settings, shows them.
func (r *modelDefaultsRow) refresh(m app.ModelState) {
	if m.Path == "" || m.Remote != "" {
		r.label.SetText("Load a model file to give it defaults: the settings it loads with next time.")
		r.saveBtn.Disable()
		r.forgetBtn.Disable()
		return
	}
	d, ok := r.p.win.c.ModelDefaultsFor(m.Path)
	if s, err := r.p.read(); ok && err == nil && s != r.p.stored() {
		r.p.refill()
	}
	name := filepath.Base(m.Path)
	if ok {
		r.label.SetText(name + " loads with: " + defaultsLabel(d, r.p.win.c.Presets()))
		r.forgetBtn.Enable()
	} else {
		r.label.SetText(name + " has no defaults: it loads with the chat's settings.")
		r.forgetBtn.Disable()
	}
	if m.Loaded() {
		r.saveBtn.Enable()
	} else {
		r.saveBtn.Disable()
	}
}

func (r *modelDefaultsRow) save() {
	w := r.p.win
	s, err := r.p.read()
	if err == nil {
		_, err = w.c.SaveModelDefaults(s)
	}
	if err != nil {
		w.showErrorTitled("Could not save the model's defaults", err)
	}
	r.refresh(w.c.Model())
}

func (r *modelDefaultsRow) forget() {
	w := r.p.win
	if err := w.c.ForgetModelDefaults(w.c.Model().Path); err != nil {
		w.showError(err)
	}
	r.refresh(w.c.Model())
}

// stored is the settings the panel edits: the current chat's, or new chats'.
func (p *settingsPanel) stored() app.ChatSettings {
	if cv, ok := p.win.c.Conversation(p.win.current); ok {
		return cv.Settings
	}
	return p.win.c.Settings().Defaults
}

// refill shows the stored settings again.
func (p *settingsPanel) refill() { p.fill(p.stored()) }

// defaultsLabel is a model's defaults in a few words:
// "ctx 8192 · F16 KV · 4 threads · Precise". A preset deleted since is
// said to be (the model then keeps the chat's sampler settings).
func defaultsLabel(d app.ModelDefaults, presets []app.Preset) string {
	parts := []string{"model's ctx"}
	if d.ContextLength > 0 {
		parts[0] = fmt.Sprintf("ctx %d", d.ContextLength)
	}
	parts = append(parts, kvChoice(d.KVType)+" KV")
	if d.Threads > 0 {
		parts = append(parts, fmt.Sprintf("%d threads", d.Threads))
	}
	if d.Preset != "" {
		name := d.Preset + " (deleted preset)"
		for _, p := range presets {
			if p.Name == d.Preset {
				name = d.Preset
			}
		}
		parts = append(parts, name)
	}
	return strings.Join(parts, " · ")
}

// pickerDefaults is what the model picker adds to a file's row when it has
// defaults ("" when none).
func (w *Window) pickerDefaults(path string) string {
	if d, ok := w.c.ModelDefaultsFor(path); ok {
		return "  —  loads with " + defaultsLabel(d, w.c.Presets())
	}
	return ""
}
