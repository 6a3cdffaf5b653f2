package ui

import "fyne.io/fyne/v2"

// fixedWidth lays out its objects stacked, at a fixed width and any height
// (side panels that should not grow or shrink with their content).
type fixedWidth float32

func (w fixedWidth) MinSize(objects []fyne.CanvasObject) fyne.Size {
	h := float32(0)
	for _, o := range objects {
		h = max(h, o.MinSize().Height)
	}
	return fyne.NewSize(float32(w), h)
}

func (w fixedWidth) Layout(objects []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objects {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}

// minWidth stacks its objects and asks for at least this width.
type minWidth float32

func (w minWidth) MinSize(objects []fyne.CanvasObject) fyne.Size {
	s := fyne.NewSize(float32(w), 0)
	for _, o := range objects {
		s = s.Max(o.MinSize())
	}
	return s
}

func (w minWidth) Layout(objects []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objects {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}

// minHeight stacks its objects with a small minimum height, whatever their
// own (a scroller that may shrink).
type minHeight float32

func (h minHeight) MinSize(objects []fyne.CanvasObject) fyne.Size {
	s := fyne.NewSize(0, float32(h))
	for _, o := range objects {
		s.Width = max(s.Width, o.MinSize().Width)
	}
	return s
}

func (h minHeight) Layout(objects []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objects {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}
