package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// walk visits o and everything under it, widgets' rendered parts included,
// on the tests' UI thread.
func walk(o fyne.CanvasObject, f func(fyne.CanvasObject)) {
	onUI(func() { walkTree(o, f) })
}

func walkTree(o fyne.CanvasObject, f func(fyne.CanvasObject)) {
	if o == nil {
		return
	}
	f(o)
	switch x := o.(type) {
	case *fyne.Container:
		for _, c := range x.Objects {
			walkTree(c, f)
		}
	case fyne.Widget:
		for _, c := range test.WidgetRenderer(x).Objects() {
			walkTree(c, f)
		}
	}
}

func textOf(o fyne.CanvasObject) string {
	switch x := o.(type) {
	case *widget.Label:
		return x.Text
	case *widget.Button:
		return x.Text
	case *widget.RichText:
		return x.String()
	case *canvas.Text:
		return x.Text
	}
	return ""
}
