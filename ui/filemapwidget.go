package ui

import (
	"fmt"
	"image"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"

	"burrow/inference/filemap"
	"burrow/internal/units"
)

// fileMapWidget shows a file map drawn at the widget's own pixel size (so
// labels stay crisp) and names the region under the pointer.
type fileMapWidget struct {
	widget.BaseWidget
	img   *canvas.Image
	m     *filemap.Map
	grid  filemap.Grid
	pic   image.Image
	drawn image.Point // the pixel size pic was drawn for
	scale float32     // device pixels per Fyne unit when pic was drawn
	label *widget.Label
}

var _ desktop.Hoverable = (*fileMapWidget)(nil)

func newFileMapWidget(label *widget.Label) *fileMapWidget {
	w := &fileMapWidget{label: label, img: canvas.NewImageFromImage(nil), scale: 1}
	w.img.FillMode = canvas.ImageFillStretch
	w.img.ScaleMode = canvas.ImageScalePixels
	w.ExtendBaseWidget(w)
	return w
}

func (w *fileMapWidget) CreateRenderer() fyne.WidgetRenderer { return &fileMapRenderer{w: w} }

func (w *fileMapWidget) MinSize() fyne.Size { return fyne.NewSize(200, 200) }

// set shows a map (on the UI thread).
func (w *fileMapWidget) set(m *filemap.Map) {
	w.m, w.drawn = m, image.Point{}
	w.Refresh()
}

// redraw renders the map for the current size when that changed.
func (w *fileMapWidget) redraw() {
	if w.m == nil {
		return
	}
	scale := float32(1)
	if c := fyne.CurrentApp().Driver().CanvasForObject(w); c != nil && c.Scale() > 0 {
		scale = c.Scale()
	}
	size := w.Size()
	px := image.Pt(int(size.Width*scale), int(size.Height*scale))
	if px.X < 16 || px.Y < 16 || (px == w.drawn && scale == w.scale) {
		return
	}
	w.drawn, w.scale = px, scale
	w.pic, w.grid = filemap.Render(w.m, filemap.RenderOptions{Width: px.X, MaxHeight: px.Y})
	w.img.Image = w.pic
	w.img.Refresh()
}

// picRect is where the picture sits in the widget, in Fyne units (centred).
func (w *fileMapWidget) picRect() (pos fyne.Position, size fyne.Size) {
	if w.pic == nil {
		return
	}
	b := w.pic.Bounds()
	size = fyne.NewSize(float32(b.Dx())/w.scale, float32(b.Dy())/w.scale)
	pos = fyne.NewPos((w.Size().Width-size.Width)/2, 0)
	return
}

// describeAt names what lies under a point of the widget: the region, its
// byte range, the cell's offset and entropy. ok is false off the map.
func (w *fileMapWidget) describeAt(p fyne.Position) (string, bool) {
	if w.m == nil || w.pic == nil {
		return "", false
	}
	origin, _ := w.picRect()
	x, y := (p.X-origin.X)*w.scale, (p.Y-origin.Y)*w.scale
	if x < 0 || y < 0 {
		return "", false
	}
	cell, ok := w.grid.CellAt(int(x), int(y))
	if !ok {
		return "", false
	}
	start, end := w.m.CellRange(cell)
	r, ok := w.m.RegionAt(start)
	if !ok {
		return "", false
	}
	name := r.Name
	if r.Type != "" {
		name += " (" + r.Type + ")"
	}
	return fmt.Sprintf("%s: bytes %d–%d (%s) · cell at offset %d–%d, entropy %.2f bits/byte",
		name, r.Start, r.End, units.IBytes(r.Len()), start, end, w.m.Entropy[cell]), true
}

func (w *fileMapWidget) MouseIn(e *desktop.MouseEvent) { w.MouseMoved(e) }

func (w *fileMapWidget) MouseMoved(e *desktop.MouseEvent) {
	if s, ok := w.describeAt(e.Position); ok {
		w.label.SetText(s)
	}
}

func (w *fileMapWidget) MouseOut() {}

type fileMapRenderer struct{ w *fileMapWidget }

func (r *fileMapRenderer) Layout(fyne.Size) {
	r.w.redraw()
	pos, size := r.w.picRect()
	r.w.img.Move(pos)
	r.w.img.Resize(size)
}

func (r *fileMapRenderer) MinSize() fyne.Size           { return r.w.MinSize() }
func (r *fileMapRenderer) Refresh()                     { r.Layout(r.w.Size()); canvas.Refresh(r.w.img) }
func (r *fileMapRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.w.img} }
func (r *fileMapRenderer) Destroy()                     {}
