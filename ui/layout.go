package ui

import "fyne.io/fyne/v2"

// stack lays its objects over each other, each filling the space; its
// minimum size is size applied to the largest of theirs.
type stack struct {
	size func(largest fyne.Size) fyne.Size
}

func (s stack) MinSize(objects []fyne.CanvasObject) fyne.Size {
	var m fyne.Size
	for _, o := range objects {
		m = m.Max(o.MinSize())
	}
	return s.size(m)
}

func (s stack) Layout(objects []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objects {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}

// fixedWidth stacks its objects at a fixed width and any height (side
// panels that should not grow or shrink with their content).
func fixedWidth(w float32) fyne.Layout {
	return stack{func(m fyne.Size) fyne.Size { return fyne.NewSize(w, m.Height) }}
}

// minWidth stacks its objects and asks for at least this width.
func minWidth(w float32) fyne.Layout {
	return stack{func(m fyne.Size) fyne.Size { return fyne.NewSize(max(w, m.Width), m.Height) }}
}

// minHeight stacks its objects with a small minimum height, whatever their
// own (a scroller that may shrink).
func minHeight(h float32) fyne.Layout {
	return stack{func(m fyne.Size) fyne.Size { return fyne.NewSize(m.Width, h) }}
}
