package ui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// contextMeter is a slim bar with a caption: how much of the model's
// context the conversation fills. It turns amber past 75% and red past 95%.
type contextMeter struct {
	used, size int
	label      *widget.Label
	track      *canvas.Rectangle
	fill       *canvas.Rectangle
	bar        *fyne.Container
	object     fyne.CanvasObject
}

func newContextMeter() *contextMeter {
	m := &contextMeter{label: widget.NewLabel("")}
	m.label.Importance = widget.LowImportance
	m.label.SizeName = theme.SizeNameCaptionText
	m.track = canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground))
	m.track.CornerRadius = 3
	m.fill = canvas.NewRectangle(theme.Color(theme.ColorNamePrimary))
	m.fill.CornerRadius = 3
	m.bar = container.New(&meterLayout{m: m}, m.track, m.fill)
	m.object = container.NewBorder(nil, nil, m.label, nil, m.bar)
	m.set(0, 0)
	return m
}

// set shows used of size tokens (size 0: no model).
func (m *contextMeter) set(used, size int) {
	m.used, m.size = used, size
	if size == 0 {
		m.label.SetText("Context: no model loaded")
	} else {
		m.label.SetText(fmt.Sprintf("Context %d / %d tokens (%d%%)", used, size, used*100/size))
	}
	color := theme.ColorNamePrimary
	switch f := m.fraction(); {
	case f > 0.95:
		color = theme.ColorNameError
	case f > 0.75:
		color = theme.ColorNameWarning
	}
	m.fill.FillColor = theme.Color(color)
	m.fill.Refresh()
	m.bar.Refresh()
}

// Value is the used token count (tests).
func (m *contextMeter) Value() int { return m.used }

func (m *contextMeter) fraction() float32 {
	if m.size <= 0 {
		return 0
	}
	return min(float32(m.used)/float32(m.size), 1)
}

// meterLayout draws the track across the middle and the fill over part of it.
type meterLayout struct{ m *contextMeter }

func (l *meterLayout) MinSize([]fyne.CanvasObject) fyne.Size { return fyne.NewSize(80, 6) }

func (l *meterLayout) Layout(_ []fyne.CanvasObject, size fyne.Size) {
	const h = 6
	y := (size.Height - h) / 2
	l.m.track.Move(fyne.NewPos(0, y))
	l.m.track.Resize(fyne.NewSize(size.Width, h))
	l.m.fill.Move(fyne.NewPos(0, y))
	l.m.fill.Resize(fyne.NewSize(size.Width*l.m.fraction(), h))
}
