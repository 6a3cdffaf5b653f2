package ui

import (
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// contextPicker is a context length as a slider and an entry kept in step,
// for the memory estimates of Inspect and Architecture. Typed values may
// lie between the slider's steps; the estimate uses them exactly.
type contextPicker struct {
	slider *widget.Slider
	entry  *widget.Entry
	row    fyne.CanvasObject
}

func newContextPicker(maxLen int, changed func()) *contextPicker {
	maxCtx := float64(max(maxLen, 1))
	p := &contextPicker{slider: widget.NewSlider(min(64, maxCtx), maxCtx), entry: widget.NewEntry()}
	p.slider.Step = max(1, float64(int(maxCtx/256)))
	p.slider.OnChanged = func(float64) { changed() }
	p.entry.OnChanged = func(text string) {
		if n, err := strconv.Atoi(strings.TrimSpace(text)); err == nil && n > 0 && n <= int(maxCtx) && n != int(p.slider.Value) {
			p.slider.Value = float64(n)
			p.slider.Refresh()
			changed()
		}
	}
	p.row = container.NewBorder(nil, nil, nil, container.NewHBox(container.New(minWidth(90), p.entry), widget.NewLabel("tokens")), p.slider)
	return p
}

// value is the context the estimate is for.
func (p *contextPicker) value() int { return int(p.slider.Value) }
