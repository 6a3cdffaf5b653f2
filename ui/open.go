package ui

import (
	"errors"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"github.com/ncruces/zenity"
)

// openModel asks for a .gguf with the platform's own file dialog (zenity)
// and falls back to Fyne's when there is none (e.g. no zenity/kdialog on
// Linux). The native dialog blocks, so it runs off the UI thread.
func (w *Window) openModel() {
	go func() {
		path, err := zenity.SelectFile(
			zenity.Title("Open a model"),
			zenity.FileFilters{{Name: "GGUF models", Patterns: []string{"*.gguf"}, CaseFold: true}},
		)
		fyne.Do(func() {
			switch {
			case err == nil:
				w.loadModel(path)
			case errors.Is(err, zenity.ErrCanceled):
			default:
				w.openWithFyne()
			}
		})
	}()
}

func (w *Window) openWithFyne() {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil {
			w.showError(err)
			return
		}
		if r == nil {
			return
		}
		path := r.URI().Path()
		r.Close()
		w.loadModel(path)
	}, w.win)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".gguf", ".GGUF"}))
	d.Resize(fyne.NewSize(820, 560))
	d.Show()
}
