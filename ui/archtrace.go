package ui

import (
	"context"
	"fmt"
	"image/color"
	"math"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"burrow/inference"
	"burrow/inference/chat"
	"burrow/inference/llama"
)

// traceFunc runs a prompt through the loaded model (Controller.Trace).
type traceFunc func(ctx context.Context, req inference.TraceRequest) (*inference.TraceResult, error)

// traceView is "Run it through": a prompt goes through the real engine with
// its hooks on, and the view shows each layer's attention pattern (a heatmap
// per layer and head: the weight each token gives the tokens before it) and
// the logit lens (the likeliest next tokens after each layer).
type traceView struct {
	a            *llama.Anatomy
	run          traceFunc
	conversation func() []chat.Message

	object   fyne.CanvasObject
	mode     *widget.RadioGroup
	input    *widget.Entry
	runBtn   *widget.Button
	status   *widget.Label
	layerSel *widget.Select
	headSel  *widget.Select
	heat     *heatmap
	thumbs   *fyne.Container // every head of the layer, small; a tap picks one
	hover    *widget.Label
	lens     *widget.Table

	res    *inference.TraceResult
	layer  int
	head   int
	cancel context.CancelFunc
	// done, when set (tests), is called on the UI thread after a run ends.
	done func()
}

const (
	traceModeText = "Your text"
	traceModeChat = "The conversation"
)

// traceMaxTokens is the longest prompt drawn token by token; longer ones are
// summarised into this many bins (and the view says so).
const traceMaxTokens = 96

// traceTopK is how many lens tokens each layer shows.
const traceTopK = 5

func newTraceView(a *llama.Anatomy, run traceFunc, conversation func() []chat.Message) *traceView {
	v := &traceView{a: a, run: run, conversation: conversation}
	v.mode = widget.NewRadioGroup([]string{traceModeText, traceModeChat}, func(string) { v.modeChanged() })
	v.mode.Horizontal = true
	v.mode.Required = true
	v.mode.Selected = traceModeText
	v.input = widget.NewMultiLineEntry()
	v.input.Wrapping = fyne.TextWrapWord
	v.input.SetPlaceHolder("Type a prompt to run through the model")
	v.input.SetText("The capital of France is")
	v.input.SetMinRowsVisible(2)
	v.runBtn = widget.NewButton("Run it through", v.start)
	v.runBtn.Importance = widget.HighImportance
	v.status = widget.NewLabel("The prompt runs through the real engine with its hooks on; your chat is not touched.")
	v.status.Wrapping = fyne.TextWrapWord

	v.layerSel = widget.NewSelect(nil, func(string) { v.pick() })
	v.headSel = widget.NewSelect(nil, func(string) { v.pick() })
	v.hover = widget.NewLabel("Point at a cell: which token looks at which, and how much.")
	v.hover.Truncation = fyne.TextTruncateEllipsis
	v.heat = newHeatmap(v.describeCell)
	v.heat.label = v.hover.SetText
	v.thumbs = container.NewHBox()

	v.lens = headedTable(
		func() (int, int) {
			if v.res == nil {
				return 0, traceTopK + 1
			}
			return len(v.res.Layers), traceTopK + 1
		},
		func() fyne.CanvasObject { return widget.NewLabel("layer 00 (window 0000)") },
		v.lensCell,
		func(col int) string { return map[bool]string{true: "Layer", false: fmt.Sprintf("#%d", col)}[col == 0] },
	)
	v.lens.SetColumnWidth(0, 140)
	for c := 1; c <= traceTopK; c++ {
		v.lens.SetColumnWidth(c, 88)
	}
	v.lens.OnSelected = func(id widget.TableCellID) {
		if v.res != nil && id.Row >= 0 && id.Row < len(v.res.Layers) {
			v.layerSel.SetSelectedIndex(id.Row)
		}
	}

	top := container.NewVBox(container.NewBorder(nil, nil, nil, v.runBtn, v.mode), v.input, v.status)
	heatTitle := widget.NewLabelWithStyle("Attention", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	pickers := container.NewHBox(heatTitle, container.New(minWidth(190), v.layerSel), container.New(minWidth(150), v.headSel))
	heatCap := widget.NewLabel("Rows: the token that looks; columns: the tokens it sees. Brighter is more weight (square root); grey cells are masked (later tokens, or outside a sliding window).")
	heatCap.Wrapping = fyne.TextWrapWord
	left := container.NewBorder(container.NewVBox(pickers, container.NewHScroll(v.thumbs)), container.NewVBox(v.hover, heatCap), nil, nil, v.heat)
	lensTitle := widget.NewLabelWithStyle("Logit lens", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	lensCap := widget.NewLabel("The likeliest next tokens after each layer for the last prompt token, read through the final norm and the output head. The last layer's row is the model's own prediction.")
	lensCap.Wrapping = fyne.TextWrapWord
	right := container.NewBorder(container.NewVBox(lensTitle, lensCap), nil, nil, nil, v.lens)
	split := container.NewHSplit(left, right)
	split.Offset = 0.5
	v.object = container.NewBorder(top, nil, nil, nil, split)
	return v
}

func (v *traceView) modeChanged() {
	if v.mode.Selected == traceModeChat {
		v.input.Disable()
	} else {
		v.input.Enable()
	}
}

// start runs the trace off the UI thread.
func (v *traceView) start() {
	req := inference.TraceRequest{TopK: traceTopK, MaxTokens: traceMaxTokens}
	if v.mode.Selected == traceModeChat {
		if v.conversation != nil {
			req.Messages = v.conversation()
		}
		if len(req.Messages) == 0 {
			v.status.SetText("The conversation is empty: write a message in the chat first, or type a prompt.")
			return
		}
	} else {
		req.Text = v.input.Text
		if strings.TrimSpace(req.Text) == "" {
			v.status.SetText("Type a prompt first.")
			return
		}
	}
	if v.cancel != nil {
		v.cancel()
	}
	ctx, cancel := context.WithCancel(context.Background())
	v.cancel = cancel
	v.runBtn.Disable()
	v.status.SetText("Running the prompt through the model…")
	go func() {
		res, err := v.run(ctx, req)
		post(func() {
			if ctx.Err() != nil && err == nil {
				err = ctx.Err()
			}
			v.runBtn.Enable()
			if err != nil {
				v.status.SetText("Cannot run it through: " + err.Error())
			} else {
				v.show(res)
			}
			if v.done != nil {
				v.done()
			}
		})
	}()
}

// stop abandons a run in flight (the view is going away).
func (v *traceView) stop() {
	if v.cancel != nil {
		v.cancel()
	}
}

// show puts a trace on screen (UI thread).
func (v *traceView) show(res *inference.TraceResult) {
	v.res = res
	n := len(res.Tokens)
	s := fmt.Sprintf("%d tokens through %d layers of %d heads.", n, len(res.Layers), len(res.Layers[0].Attn))
	if res.Summarised {
		s += fmt.Sprintf(" Long prompt: the attention is summarised into %d bins of about %d tokens (each cell averages its tokens' weights; rows still add to 1). The lens reads the last token.",
			res.Bins, (n+res.Bins-1)/res.Bins)
	}
	v.status.SetText(s)
	var layers []string
	for l, L := range res.Layers {
		layers = append(layers, layerName(l, L.Window))
	}
	var heads []string
	for h := range res.Layers[0].Attn {
		heads = append(heads, fmt.Sprintf("head %d (KV %d)", h, h/max(1, len(res.Layers[0].Attn)/max(1, v.a.Config.KVHeads))))
	}
	v.layerSel.Options, v.headSel.Options = layers, heads
	v.layer, v.head = len(layers)-1, 0
	v.layerSel.SetSelectedIndex(v.layer)
	v.headSel.SetSelectedIndex(0)
	v.pick()
	v.lens.Refresh()
}

func layerName(l, window int) string {
	if window > 0 {
		return fmt.Sprintf("layer %d (window %d)", l, window)
	}
	return fmt.Sprintf("layer %d (global)", l)
}

// pick shows the chosen layer and head.
func (v *traceView) pick() {
	if v.res == nil {
		return
	}
	v.layer = max(0, v.layerSel.SelectedIndex())
	v.head = max(0, v.headSel.SelectedIndex())
	L := &v.res.Layers[v.layer]
	v.thumbs.Objects = v.thumbs.Objects[:0]
	for h := range L.Attn {
		th := newHeatmap(nil)
		th.size = 44
		th.selected = h == v.head
		th.onTap = func() { v.headSel.SetSelectedIndex(h) }
		th.set(L.Attn[h], v.res.Bins, nil)
		v.thumbs.Add(th)
	}
	v.thumbs.Refresh()
	var labels []string
	if !v.res.Summarised {
		labels = v.res.Pieces
	}
	v.heat.set(L.Attn[v.head], v.res.Bins, labels)
}

func (v *traceView) lensCell(row, col int) string {
	if v.res == nil || row >= len(v.res.Layers) {
		return ""
	}
	L := v.res.Layers[row]
	if col == 0 {
		return layerName(row, L.Window)
	}
	if col-1 >= len(L.Lens) {
		return ""
	}
	t := L.Lens[col-1]
	return fmt.Sprintf("%s %.0f%%", visibleText(v.res.TokenText(t.ID)), 100*t.Prob)
}

// binText names bin i: its token, or the range of tokens it summarises.
func (v *traceView) binText(i int) string {
	r := v.res
	a, b := r.BinStart[i], r.BinStart[i+1]
	if b-a == 1 {
		return fmt.Sprintf("“%s” (%d)", visibleText(r.Pieces[a]), a)
	}
	return fmt.Sprintf("tokens %d–%d “%s…”", a, b-1, visibleText(r.Pieces[a]))
}

// describeCell is the hover text of cell (row i, column j).
func (v *traceView) describeCell(i, j int) string {
	if v.res == nil {
		return ""
	}
	w := v.res.Layers[v.layer].Row(v.head, i, v.res.Bins)[j]
	what := fmt.Sprintf("%.3f", w)
	if w == 0 {
		what = "masked"
		if j <= i {
			what = "outside the window"
		}
	}
	return fmt.Sprintf("%s, head %d: %s → %s: %s", layerName(v.layer, v.res.Layers[v.layer].Window), v.head, v.binText(i), v.binText(j), what)
}

// heatmap draws an n x n matrix of weights in [0, 1] as a square of cells,
// with the rows' tokens beside them when there is room, and names the cell
// under the pointer.
type heatmap struct {
	widget.BaseWidget
	m      []float32
	n      int
	raster *canvas.Raster
	bg     *canvas.Rectangle
	texts  []*canvas.Text // row labels (nil: none)
	onCell func(i, j int) string
	label  func(string)
	side   float32
	margin float32 // room for the row labels left of the cells
	// A thumbnail: its side (0: the big map's minimum), whether it is the
	// head shown, and what a tap does.
	size     float32
	selected bool
	onTap    func()
}

func (h *heatmap) Tapped(*fyne.PointEvent) {
	if h.onTap != nil {
		h.onTap()
	}
}

// heatLabelWidth is the room the row labels take.
const heatLabelWidth = 90

var _ desktop.Hoverable = (*heatmap)(nil)

func newHeatmap(onCell func(i, j int) string) *heatmap {
	h := &heatmap{onCell: onCell, bg: canvas.NewRectangle(color.NRGBA{40, 40, 44, 255})}
	h.bg.StrokeColor = color.NRGBA{255, 255, 255, 220}
	h.raster = canvas.NewRasterWithPixels(h.pixel)
	h.raster.ScaleMode = canvas.ImageScalePixels
	h.ExtendBaseWidget(h)
	return h
}

func (h *heatmap) set(m []float32, n int, labels []string) {
	h.m, h.n = m, n
	h.texts = h.texts[:0]
	for _, l := range labels {
		t := canvas.NewText(visibleText(l), theme.Color(theme.ColorNameForeground))
		t.Alignment = fyne.TextAlignTrailing
		t.TextStyle.Monospace = true
		h.texts = append(h.texts, t)
	}
	h.Refresh()
}

// masked is the colour of a cell the token cannot see.
var maskedCell = color.NRGBA{58, 58, 64, 255}

func (h *heatmap) pixel(x, y, w, hh int) color.Color {
	if h.n == 0 || w == 0 || hh == 0 {
		return maskedCell
	}
	i, j := y*h.n/hh, x*h.n/w
	v := h.m[i*h.n+j]
	if v == 0 {
		return maskedCell
	}
	return heatColor(float32(math.Sqrt(float64(v))))
}

// heatColor maps 0..1 to dark blue, purple, orange, yellow.
func heatColor(t float32) color.NRGBA {
	stops := []color.NRGBA{{13, 8, 135, 255}, {126, 3, 168, 255}, {204, 71, 120, 255}, {248, 149, 64, 255}, {240, 249, 33, 255}}
	t = min(max(t, 0), 1) * float32(len(stops)-1)
	k := min(int(t), len(stops)-2)
	f := t - float32(k)
	a, b := stops[k], stops[k+1]
	mix := func(x, y uint8) uint8 { return uint8(float32(x) + f*(float32(y)-float32(x))) }
	return color.NRGBA{mix(a.R, b.R), mix(a.G, b.G), mix(a.B, b.B), 255}
}

func (h *heatmap) MinSize() fyne.Size {
	if h.size > 0 {
		return fyne.NewSize(h.size, h.size)
	}
	return fyne.NewSize(240, 240)
}

func (h *heatmap) CreateRenderer() fyne.WidgetRenderer { return &heatmapRenderer{h: h} }

// cellAt is the cell under p, if any.
func (h *heatmap) cellAt(p fyne.Position) (i, j int, ok bool) {
	p.X -= h.margin
	if h.n == 0 || h.side <= 0 || p.X < 0 || p.Y < 0 || p.X >= h.side || p.Y >= h.side {
		return 0, 0, false
	}
	return int(p.Y / h.side * float32(h.n)), int(p.X / h.side * float32(h.n)), true
}

func (h *heatmap) MouseIn(e *desktop.MouseEvent) { h.MouseMoved(e) }

func (h *heatmap) MouseMoved(e *desktop.MouseEvent) {
	if i, j, ok := h.cellAt(e.Position); ok && h.label != nil && h.onCell != nil {
		h.label(h.onCell(i, j))
	}
}

func (h *heatmap) MouseOut() {}

type heatmapRenderer struct{ h *heatmap }

func (r *heatmapRenderer) Layout(size fyne.Size) {
	h := r.h
	h.margin = 0
	if len(h.texts) > 0 {
		h.margin = heatLabelWidth
	}
	side := max(0, min(size.Width-h.margin, size.Height))
	h.side = side
	for _, o := range []fyne.CanvasObject{h.bg, h.raster} {
		o.Move(fyne.NewPos(h.margin, 0))
		o.Resize(fyne.NewSize(side, side))
	}
	if h.selected { // a frame round the chosen thumbnail
		h.bg.StrokeWidth = 2
		h.bg.Move(fyne.NewPos(h.margin-2, -2))
		h.bg.Resize(fyne.NewSize(side+4, side+4))
	}
	// Row labels only where a row is tall enough to read.
	cell := side / float32(max(h.n, 1))
	for i, t := range h.texts {
		t.TextSize = min(12, cell*0.8)
		t.Move(fyne.NewPos(0, float32(i)*cell))
		t.Resize(fyne.NewSize(h.margin-4, cell))
		if cell < 8 {
			t.Hide()
		} else {
			t.Show()
		}
	}
}

func (r *heatmapRenderer) MinSize() fyne.Size { return r.h.MinSize() }
func (r *heatmapRenderer) Refresh()           { r.Layout(r.h.Size()); canvas.Refresh(r.h.raster) }
func (r *heatmapRenderer) Objects() []fyne.CanvasObject {
	objs := []fyne.CanvasObject{r.h.bg, r.h.raster}
	for _, t := range r.h.texts {
		objs = append(objs, t)
	}
	return objs
}
func (r *heatmapRenderer) Destroy() {}
