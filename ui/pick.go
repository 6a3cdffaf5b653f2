package ui

import (
	"errors"
	"io"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"github.com/ncruces/zenity"
)

// pickFile asks for one file to read with the platform's dialog (zenity),
// falling back to Fyne's, and calls then with its path on the UI thread.
// patterns are like "*.json" (none: any file). The native dialog blocks,
// so it runs off the UI thread.
func (w *Window) pickFile(title, what string, patterns []string, then func(path string)) {
	go func() {
		var filters zenity.FileFilters
		if len(patterns) > 0 {
			filters = zenity.FileFilters{{Name: what, Patterns: patterns, CaseFold: true}}
		}
		path, err := zenity.SelectFile(zenity.Title(title), filters)
		w.afterNative(path, err, then, func() { w.fyneOpen(patterns, then) })
	}()
}

// pickSaveFile asks where to write a file named name and calls then with
// the chosen path on the UI thread.
func (w *Window) pickSaveFile(title, name string, then func(path string)) {
	go func() {
		path, err := zenity.SelectFileSave(zenity.Title(title), zenity.Filename(name), zenity.ConfirmOverwrite())
		w.afterNative(path, err, then, func() { w.fyneSave(name, then) })
	}()
}

// afterNative goes back to the UI thread with a native dialog's answer:
// the path, nothing when cancelled, Fyne's dialog when there is no native
// one (e.g. no zenity/kdialog on Linux).
func (w *Window) afterNative(path string, err error, then func(string), fallback func()) {
	post(func() {
		switch {
		case err == nil:
			then(path)
		case errors.Is(err, zenity.ErrCanceled):
		default:
			fallback()
		}
	})
}

func (w *Window) fyneOpen(patterns []string, then func(path string)) {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil {
			w.showError(err)
			return
		}
		if r == nil {
			return
		}
		p := r.URI().Path()
		r.Close()
		then(p)
	}, w.win)
	if exts := extsOf(patterns); len(exts) > 0 {
		d.SetFilter(storage.NewExtensionFileFilter(exts))
	}
	d.Resize(fyne.NewSize(820, 560))
	d.Show()
}

func (w *Window) fyneSave(name string, then func(path string)) {
	d := dialog.NewFileSave(func(wc fyne.URIWriteCloser, err error) {
		if err != nil {
			w.showError(err)
			return
		}
		if wc == nil {
			return
		}
		p := wc.URI().Path()
		io.WriteString(wc, "") // the file exists now; then replaces it atomically
		wc.Close()
		then(p)
	}, w.win)
	d.SetFileName(name)
	d.Resize(fyne.NewSize(820, 560))
	d.Show()
}

// extsOf turns "*.json" patterns into Fyne's ".json" filters.
func extsOf(patterns []string) []string {
	var out []string
	for _, p := range patterns {
		if len(p) > 1 && p[0] == '*' {
			out = append(out, p[1:])
		}
	}
	return out
}
