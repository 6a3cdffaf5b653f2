package ui

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"burrow/app"
	"burrow/internal/units"
)

// presetBar is the top of the settings panel: pick a preset for the chat,
// save the current settings as one (under an existing name: edit it),
// delete one, import LM Studio's.
type presetBar struct {
	p        *settingsPanel
	syncing  bool   // set while the picker is moved to match the settings
	last     string // the preset last picked or saved: Save as… offers it
	pick     *widget.Select
	saveBtn  *widget.Button
	delBtn   *widget.Button
	importBt *widget.Button
	object   fyne.CanvasObject
}

// customPreset is the picker's placeholder when the settings were changed
// from every preset.
const customPreset = "Custom settings"

func newPresetBar(p *settingsPanel) *presetBar {
	b := &presetBar{p: p}
	b.pick = widget.NewSelect(nil, b.picked)
	b.pick.PlaceHolder = customPreset
	small := func(text string, tapped func()) *widget.Button {
		btn := widget.NewButton(text, tapped)
		btn.Importance = widget.LowImportance
		return btn
	}
	b.saveBtn = small("Save as…", b.askSave)
	b.delBtn = small("Delete", b.askDelete)
	b.importBt = small("Import…", func() {
		p.win.pickFile("Import an LM Studio preset", "LM Studio presets", []string{"*.json"}, b.importFile)
	})
	// Two rows: the panel is narrow, and the names say what each does.
	b.object = container.NewVBox(b.pick, container.NewHBox(b.saveBtn, b.delBtn, b.importBt))
	b.refresh()
	return b
}

// refresh reloads the names and shows the preset the panel's settings are.
func (b *presetBar) refresh() {
	ps := b.p.win.c.Presets()
	names := make([]string, len(ps))
	for i, x := range ps {
		names[i] = x.Name
	}
	s, err := b.p.read()
	match := ""
	if err == nil {
		match = app.MatchPreset(ps, s)
	}
	b.syncing = true
	b.pick.SetOptions(names)
	if match == "" {
		b.pick.ClearSelected()
	} else {
		b.pick.SetSelected(match)
	}
	b.syncing = false
	if b.userPreset(match) {
		b.delBtn.Enable()
	} else {
		b.delBtn.Disable()
	}
}

func (b *presetBar) userPreset(name string) bool {
	for _, x := range b.p.win.c.Presets() {
		if x.Name == name {
			return !x.BuiltIn
		}
	}
	return false
}

// picked applies a preset to the chat shown (or to new chats when none is).
func (b *presetBar) picked(name string) {
	if b.syncing || name == "" {
		return
	}
	b.last = name
	b.p.win.applyPreset(name)
}

// applyPreset gives the current conversation (or, with none, the settings
// new chats start from) the named preset and shows it in the panel.
func (w *Window) applyPreset(name string) {
	var s app.ChatSettings
	if w.current == "" {
		var p *app.Preset
		for _, x := range w.c.Presets() {
			if x.Name == name {
				p = &x
			}
		}
		if p == nil {
			return
		}
		s = w.c.Settings().Defaults.WithPreset(*p)
		w.c.UpdateSettings(func(st *app.Settings) { st.Defaults = s })
	} else {
		if err := w.c.ApplyPreset(w.current, name); err != nil {
			w.showError(err)
			return
		}
		cv, _ := w.c.Conversation(w.current)
		s = cv.Settings
	}
	w.settings.fill(s)
}

// askSave names the current settings as a preset; a user preset's name
// asks before replacing it.
func (b *presetBar) askSave() {
	s, err := b.p.read()
	if err != nil {
		b.p.win.showError(err)
		return
	}
	name := widget.NewEntry()
	name.SetPlaceHolder("e.g. Coding assistant")
	for _, n := range []string{b.pick.Selected, b.last} { // editing a preset: its name
		if b.userPreset(n) {
			name.SetText(n)
			break
		}
	}
	w := b.p.win
	dialog.ShowForm("Save settings as a preset", "Save", "Cancel",
		[]*widget.FormItem{widget.NewFormItem("Name", name)}, func(ok bool) {
			if !ok {
				return
			}
			n := strings.TrimSpace(name.Text)
			save := func() {
				if err := w.c.SavePreset(n, s); err != nil {
					w.showError(err)
				} else {
					b.last = n
				}
				b.refresh()
			}
			if b.userPreset(n) {
				dialog.ShowConfirm("Replace preset", "Replace the preset “"+n+"” with the current settings?",
					func(yes bool) {
						if yes {
							save()
						}
					}, w.win)
				return
			}
			save()
		}, w.win)
}

func (b *presetBar) askDelete() {
	name := b.pick.Selected
	if !b.userPreset(name) {
		return
	}
	w := b.p.win
	dialog.ShowConfirm("Delete preset", "Delete the preset “"+name+"”? Chats keep their settings.", func(ok bool) {
		if !ok {
			return
		}
		if err := w.c.DeletePreset(name); err != nil {
			w.showError(err)
		}
		b.refresh()
	}, w.win)
}

// importFile reads an LM Studio preset, saves it as the user's and says
// what it could not use.
func (b *presetBar) importFile(path string) {
	w := b.p.win
	data, err := readSmallFile(path, 1<<20)
	if err == nil {
		var p app.Preset
		var skipped []string
		fallback := strings.TrimSuffix(strings.TrimSuffix(filepath.Base(path), ".json"), ".preset")
		if p, skipped, err = app.ImportLMStudioPreset(data, fallback); err == nil {
			if err = w.c.SavePreset(p.Name, p.Settings); err == nil {
				b.refresh()
				msg := fmt.Sprintf("Saved as the preset “%s”. Pick it to use it in a chat.", p.Name)
				if len(skipped) > 0 {
					msg += "\n\nNot used (Burrow has no such setting): " + strings.Join(skipped, ", ")
				}
				w.showNotice("Preset imported", msg)
				return
			}
		}
	}
	w.showErrorTitled("Could not import the preset", err)
}

// readSmallFile reads a file of at most limit bytes, refusing a bigger one
// before reading it.
func readSmallFile(path string, limit int64) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, fmt.Errorf("%s is a folder", filepath.Base(path))
	}
	if st.Size() > limit {
		return nil, fmt.Errorf("%s is %s; at most %s is read", filepath.Base(path), units.Bytes(st.Size()), units.Bytes(limit))
	}
	return os.ReadFile(path)
}
