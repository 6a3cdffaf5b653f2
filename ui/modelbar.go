package ui

import (
	"fmt"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"burrow/app"
	"burrow/internal/units"
	"burrow/models"
)

// modelBar is the top bar: the model picker (library models with size,
// quant and whether they fit), load progress, memory estimate, eject, open.
type modelBar struct {
	win         *Window
	pickBtn     *widget.Button
	progress    *widget.ProgressBar
	info        *widget.Label
	ejectBtn    *widget.Button
	openBtn     *widget.Button
	settingsBtn *widget.Button
	object      fyne.CanvasObject
}

func newModelBar(w *Window) *modelBar {
	b := &modelBar{win: w}
	b.pickBtn = widget.NewButtonWithIcon("Select a model to load", theme.MenuDropDownIcon(), b.showPicker)
	b.pickBtn.IconPlacement = widget.ButtonIconTrailingText
	b.pickBtn.Alignment = widget.ButtonAlignLeading
	b.progress = widget.NewProgressBar()
	b.progress.Hide()
	b.info = widget.NewLabel("")
	b.info.Importance = widget.LowImportance
	b.info.Truncation = fyne.TextTruncateEllipsis // gives way to the server address
	b.ejectBtn = widget.NewButtonWithIcon("Eject", theme.LogoutIcon(), w.c.Eject)
	b.ejectBtn.Hide()
	b.openBtn = widget.NewButtonWithIcon("Open model…", theme.FolderOpenIcon(), w.openModel)
	b.settingsBtn = widget.NewButtonWithIcon("", theme.SettingsIcon(), w.toggleSettings)
	b.settingsBtn.Importance = widget.LowImportance

	picker := container.NewGridWrap(fyne.NewSize(420, b.pickBtn.MinSize().Height), b.pickBtn)
	left := container.NewHBox(picker, b.ejectBtn)
	right := container.NewHBox(w.server.bar, b.openBtn, b.settingsBtn)
	b.object = container.NewVBox(container.NewBorder(nil, nil, left, right, b.info), b.progress)
	return b
}

// refresh shows the model state.
func (b *modelBar) refresh(m app.ModelState) {
	switch {
	case m.Loading && m.Remote != "":
		b.pickBtn.SetText("Connecting to " + m.Remote + "…")
		b.progress.Hide()
		b.ejectBtn.Show()
		b.info.SetText("")
	case m.Loading:
		b.pickBtn.SetText("Loading " + filepath.Base(m.Path) + "…")
		b.progress.SetValue(m.Progress)
		b.progress.Show()
		b.ejectBtn.Show()
		b.info.SetText("")
	case m.Info != nil:
		b.pickBtn.SetText(modelTitle(m))
		b.progress.Hide()
		b.ejectBtn.Show()
		b.info.SetText(b.describeLoaded(m, models.Entry{}))
		// The library scan reads files: do it off the UI thread.
		go func() {
			if e, ok := b.entryFor(m.Path); ok {
				post(func() {
					if cur := b.win.c.Model(); cur.Info != nil && cur.Path == m.Path {
						b.info.SetText(b.describeLoaded(cur, e))
					}
				})
			}
		}()
	default:
		b.pickBtn.SetText("Select a model to load")
		b.progress.Hide()
		b.ejectBtn.Hide()
		b.info.SetText("")
	}
}

// describeLoaded is the line next to the picker: family, context, memory.
func (b *modelBar) describeLoaded(m app.ModelState, e models.Entry) string {
	if m.Remote != "" {
		return "remote  ·  " + m.Remote
	}
	parts := []string{}
	if m.Info.Architecture != "" {
		parts = append(parts, m.Info.Architecture)
	}
	if m.Info.ContextLength > 0 {
		parts = append(parts, fmt.Sprintf("ctx %d", m.Info.ContextLength))
	}
	if e.Quant != "" {
		parts = append(parts, e.Quant)
	}
	if e.MemoryEstimate > 0 {
		parts = append(parts, "≈"+units.Bytes(e.MemoryEstimate)+" RAM")
	}
	return strings.Join(parts, "  ·  ")
}

func (b *modelBar) entryFor(path string) (models.Entry, bool) {
	entries, _ := b.win.c.Models()
	for _, e := range entries {
		if e.Path == path {
			return e, true
		}
	}
	return models.Entry{}, false
}

// showPicker pops up the library as a menu; choosing an entry loads it.
// The library is scanned off the UI thread.
func (b *modelBar) showPicker() {
	go func() {
		entries, err := b.win.c.Models()
		fits := make([]models.Fit, len(entries))
		for i, e := range entries {
			fits[i] = models.FitFor(e.MemoryEstimate)
		}
		post(func() { b.popup(entries, fits, err) })
	}()
}

func (b *modelBar) popup(entries []models.Entry, fits []models.Fit, err error) {
	loaded := b.win.c.Model().Path
	var items []*fyne.MenuItem
	for i, e := range entries {
		e := e
		label := entryLabel(e, fits[i]) + b.win.pickerDefaults(e.Path)
		if e.Path == loaded {
			label = "● " + label
		}
		item := fyne.NewMenuItem(label, func() { b.win.loadModel(e.Path) })
		if e.Err != "" || !e.Supported {
			item.Disabled = true
		}
		items = append(items, item)
	}
	if len(items) == 0 {
		msg := "Your library is empty"
		if err != nil {
			msg = "Could not read the library: " + err.Error()
		}
		empty := fyne.NewMenuItem(msg, nil)
		empty.Disabled = true
		items = append(items, empty)
	}
	items = append(items, fyne.NewMenuItemSeparator(),
		fyne.NewMenuItemWithIcon("Open model…", theme.FolderOpenIcon(), b.win.openModel),
		fyne.NewMenuItemWithIcon("Connect to a server…", theme.ComputerIcon(), b.win.connectRemote),
		fyne.NewMenuItemWithIcon("Download models…", theme.DownloadIcon(), b.win.showDownloads))
	widget.ShowPopUpMenuAtRelativePosition(fyne.NewMenu("", items...), b.win.win.Canvas(),
		fyne.NewPos(0, b.pickBtn.Size().Height), b.pickBtn)
}

// entryLabel is one library row: name · size · quant · file size · fit.
func entryLabel(e models.Entry, fit models.Fit) string {
	name := e.Name
	if name == "" {
		name = filepath.Base(e.Path)
	}
	if e.Err != "" {
		return name + "  —  " + e.Err
	}
	parts := []string{name}
	for _, p := range []string{e.SizeLabel, e.Quant, units.Bytes(e.FileSize)} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	switch {
	case !e.Supported:
		parts = append(parts, "not supported: "+e.Reason)
	case e.MemoryEstimate > 0 && fit == models.FitNo:
		parts = append(parts, "⚠ needs "+units.Bytes(e.MemoryEstimate)+", may not fit")
	case e.MemoryEstimate > 0:
		parts = append(parts, "✓ fits ("+units.Bytes(e.MemoryEstimate)+")")
	}
	return strings.Join(parts, "  ·  ")
}

// modelTitle names the loaded model: its own name, or the file's when the
// name is missing or only repeats the architecture.
func modelTitle(m app.ModelState) string {
	name := m.Info.Name
	if name == "" || strings.EqualFold(name, m.Info.Architecture) {
		name = strings.TrimSuffix(filepath.Base(m.Path), filepath.Ext(m.Path))
	}
	return name
}
