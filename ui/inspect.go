package ui

import (
	"context"
	"fmt"
	"image/color"
	"sort"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"burrow/inference/filemap"
	"burrow/inference/gguf"
	"burrow/inference/llama"
	"burrow/internal/units"
)

// inspectView is a model's "Inspect" view: what `burrow inspect` prints,
// as a summary column beside tabs for the file map, the tensors and the
// metadata. The file map is computed off the UI thread.
type inspectView struct {
	path    string
	summary gguf.Summary
	config  *llama.Config // the engine's, for its memory count (nil: a family it does not know)
	object  fyne.CanvasObject
	tabs    *container.AppTabs

	memCtx   *widget.Slider
	memEntry *widget.Entry // the same context, typed
	memLabel *widget.Label

	meta       []metaRow
	metaShown  []int // indexes into meta that match the search
	metaSearch *widget.Entry
	metaTable  *widget.Table

	tensors     []tensorRow
	sortCol     int
	sortDesc    bool
	tensorTable *widget.Table

	fmap *fileMapPanel
}

type metaRow struct{ key, typ, value string }

type tensorRow struct {
	name, typ, shape string
	bytes, offset    int64
}

// tensorColumns are the tensor table's columns.
var tensorColumns = []string{"Name", "Type", "Shape", "Bytes", "Offset"}

// inspectData is what the view shows, read from the file's header (off
// the UI thread for a big model).
type inspectData struct {
	path    string
	summary gguf.Summary
	meta    []metaRow
	tensors []tensorRow
	config  *llama.Config // as inspectView.config
}

func readInspectData(path string) (*inspectData, error) {
	f, err := gguf.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close() // everything shown is copied out of the header
	d := &inspectData{path: path, summary: f.Summary()}
	if c, err := llama.ConfigFromGGUF(f); err == nil {
		d.config = &c
	}
	for _, kv := range f.KVs {
		d.meta = append(d.meta, metaRow{kv.Key, kvTypeText(kv), kvValueText(kv)})
	}
	for _, t := range f.Tensors {
		d.tensors = append(d.tensors, tensorRow{t.Name, t.Type.String(), shapeText(t.Shape), t.Size, f.Layout.DataOffset + t.Offset})
	}
	return d, nil
}

// newInspectView reads the file's header and builds the view. Call
// startMap when it is shown and close when it goes away.
func newInspectView(path string) (*inspectView, error) {
	d, err := readInspectData(path)
	if err != nil {
		return nil, err
	}
	return d.build(), nil
}

// build makes the widgets (UI thread).
func (d *inspectData) build() *inspectView {
	v := &inspectView{path: d.path, summary: d.summary, meta: d.meta, tensors: d.tensors, config: d.config}
	v.sortCol = 4 // file order
	v.sortTensors()

	v.fmap = newFileMapPanel(d.path)
	v.tabs = container.NewAppTabs(
		container.NewTabItem("File map", v.fmap.object),
		container.NewTabItem(fmt.Sprintf("Tensors (%d)", len(v.tensors)), v.buildTensorTable()),
		container.NewTabItem(fmt.Sprintf("Metadata (%d)", len(v.meta)), v.buildMetadata()),
	)
	left := container.NewVScroll(v.buildSummary())
	split := container.NewHSplit(container.New(minWidth(300), left), v.tabs)
	split.Offset = 0.3
	v.object = split
	return v
}

// close stops the file map's scan if it is still running.
func (v *inspectView) close() { v.fmap.cancel() }

// startMap begins scanning the file for its map (once): the owner calls it
// when the view is first shown, so loading a model does not also read the
// whole file a second time unasked.
func (v *inspectView) startMap() { v.fmap.start() }

func (v *inspectView) buildSummary() fyne.CanvasObject {
	s := v.summary
	title := widget.NewLabelWithStyle(orText(s.Name, "(no name)"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	title.Wrapping = fyne.TextWrapWord
	form := container.New(layout.NewFormLayout())
	row := func(k string, val string) {
		kl := widget.NewLabel(k)
		kl.Importance = widget.LowImportance
		vl := widget.NewLabel(val)
		vl.Wrapping = fyne.TextWrapWord
		form.Add(kl)
		form.Add(vl)
	}
	ft := s.FileTypeText()
	row("File", fmt.Sprintf("%s, GGUF v%d", units.IBytes(s.FileSize), s.Version))
	row("Architecture", orText(s.Architecture, "-"))
	row("Parameters", fmt.Sprintf("%s (%d)", orText(s.SizeLabel, "-"), s.ParamCount))
	row("File type", orText(ft, "-"))
	row("Context", intOrDash(s.ContextLength))
	row("Layers", intOrDash(s.Layers))
	row("Embedding", intOrDash(s.EmbeddingLength))
	row("Heads", fmt.Sprintf("%d (KV %d, dim %d)", s.Heads, s.KVHeads, s.KeyLength))
	tok := s.TokenizerText()
	row("Vocabulary", fmt.Sprintf("%d (%s)", s.VocabSize, orText(tok, "-")))
	row("Chat template", map[bool]string{true: "yes", false: "no (a built-in is used)"}[s.ChatTemplate])

	mixTitle := widget.NewLabelWithStyle("Quant mix", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	bar, legend := quantMixBar(s.QuantMix)

	memTitle := widget.NewLabelWithStyle("Memory to run", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	v.memLabel = widget.NewLabel("")
	v.memLabel.Wrapping = fyne.TextWrapWord
	ctx := newContextPicker(s.ContextLength, v.updateMemory)
	v.memCtx, v.memEntry = ctx.slider, ctx.entry
	v.memCtx.SetValue(float64(min(s.ContextLength, defaultUIContext)))
	v.updateMemory()
	mem := []fyne.CanvasObject{memTitle, ctx.row, v.memLabel}
	if s.TensorCount == 0 || s.ContextLength == 0 {
		mem = []fyne.CanvasObject{memTitle, widget.NewLabel("This file holds no weights (or no context length): it cannot run.")}
	}
	objs := append([]fyne.CanvasObject{title, form, widget.NewSeparator(), mixTitle, bar, legend, widget.NewSeparator()}, mem...)
	return container.NewVBox(objs...)
}

// defaultUIContext is where the memory slider starts (burrow run's cap).
const defaultUIContext = 4096

// memoryAt describes the estimate at the slider's context.
func (v *inspectView) updateMemory() {
	if v.memLabel == nil {
		return
	}
	m := v.summary.MemoryEstimate(int(v.memCtx.Value))
	if v.config != nil { // the engine's count: windows, shared and recurrent layers
		m = v.config.Memory(uint64(max(v.summary.TensorBytes, 0)), m.Context, llama.DefaultKV).Estimate()
	}
	if v.memEntry != nil && v.memEntry.Text != strconv.Itoa(m.Context) {
		v.memEntry.SetText(strconv.Itoa(m.Context))
	}
	v.memLabel.SetText(fmt.Sprintf("At %d tokens of context: %s\nweights %s · KV cache %s · compute %s",
		m.Context, units.IBytes(m.Total), units.IBytes(m.Weights), units.IBytes(m.KVCache), units.IBytes(m.Compute)))
}

// quantPalette colours tensor types in the quant mix bar.
var quantPalette = []color.NRGBA{
	{66, 133, 244, 255}, {251, 140, 0, 255}, {52, 168, 83, 255}, {171, 71, 188, 255},
	{234, 67, 53, 255}, {0, 172, 193, 255}, {158, 157, 36, 255}, {120, 144, 156, 255},
}

// quantMixBar is one bar split by each type's share of the tensor bytes,
// and a legend under it.
func quantMixBar(mix []gguf.QuantShare) (bar, legend fyne.CanvasObject) {
	var total int64
	for _, q := range mix {
		total += q.Bytes
	}
	weights := make([]float32, len(mix))
	var parts, names []fyne.CanvasObject
	for i, q := range mix {
		c := quantPalette[i%len(quantPalette)]
		r := canvas.NewRectangle(c)
		parts = append(parts, r)
		weights[i] = float32(q.Bytes) / float32(max(total, 1))
		sw := canvas.NewRectangle(c)
		sw.SetMinSize(fyne.NewSize(10, 10))
		name := widget.NewLabel(fmt.Sprintf("%s %.0f%% (%d)", q.Type, 100*weights[i], q.Tensors))
		names = append(names, container.NewHBox(container.NewCenter(sw), name))
	}
	return container.New(&shareLayout{weights: weights, height: 14}, parts...), container.New(layout.NewRowWrapLayout(), names...)
}

// shareLayout lays its objects side by side, each as wide as its weight.
type shareLayout struct {
	weights []float32
	height  float32
}

func (l *shareLayout) MinSize([]fyne.CanvasObject) fyne.Size { return fyne.NewSize(60, l.height) }

func (l *shareLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	x := float32(0)
	for i, o := range objs {
		w := size.Width * l.weights[i]
		o.Move(fyne.NewPos(x, 0))
		o.Resize(fyne.NewSize(w, size.Height))
		x += w
	}
}

func (v *inspectView) buildMetadata() fyne.CanvasObject {
	v.metaSearch = widget.NewEntry()
	v.metaSearch.SetPlaceHolder("Search keys and values")
	v.metaTable = headedTable(
		func() (int, int) { return len(v.metaShown), 3 },
		func() fyne.CanvasObject { l := widget.NewLabel(""); l.Truncation = fyne.TextTruncateEllipsis; return l },
		func(row, col int) string {
			r := v.meta[v.metaShown[row]]
			return []string{r.key, r.typ, r.value}[col]
		},
		func(col int) string { return []string{"Key", "Type", "Value"}[col] },
	)
	v.metaTable.SetColumnWidth(0, 300)
	v.metaTable.SetColumnWidth(1, 110)
	v.metaTable.SetColumnWidth(2, 600)
	v.metaSearch.OnChanged = func(string) { v.filterMeta() }
	v.filterMeta()
	return container.NewBorder(v.metaSearch, nil, nil, nil, v.metaTable)
}

// filterMeta keeps the rows whose key or value contains the search text.
func (v *inspectView) filterMeta() {
	q := strings.ToLower(strings.TrimSpace(v.metaSearch.Text))
	v.metaShown = v.metaShown[:0]
	for i, r := range v.meta {
		if q == "" || strings.Contains(strings.ToLower(r.key), q) || strings.Contains(strings.ToLower(r.value), q) {
			v.metaShown = append(v.metaShown, i)
		}
	}
	v.metaTable.Refresh()
}

func (v *inspectView) buildTensorTable() fyne.CanvasObject {
	t := widget.NewTable(
		func() (int, int) { return len(v.tensors), len(tensorColumns) },
		func() fyne.CanvasObject { l := widget.NewLabel(""); l.Truncation = fyne.TextTruncateEllipsis; return l },
		func(id widget.TableCellID, o fyne.CanvasObject) {
			o.(*widget.Label).SetText(v.tensorCell(id.Row, id.Col))
		})
	t.ShowHeaderRow = true
	t.CreateHeader = func() fyne.CanvasObject {
		b := widget.NewButton("", nil)
		b.Importance = widget.LowImportance
		b.Alignment = widget.ButtonAlignLeading
		return b
	}
	t.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		if id.Col < 0 {
			return
		}
		b := o.(*widget.Button)
		text := tensorColumns[id.Col]
		if id.Col == v.sortCol {
			text += map[bool]string{false: " ▲", true: " ▼"}[v.sortDesc]
		}
		b.SetText(text)
		col := id.Col
		b.OnTapped = func() { v.sortBy(col) }
	}
	for i, w := range []float32{300, 70, 130, 100, 100} {
		t.SetColumnWidth(i, w)
	}
	v.tensorTable = t
	return t
}

// sortBy sorts the tensors by a column; the same column again reverses it.
func (v *inspectView) sortBy(col int) {
	if col == v.sortCol {
		v.sortDesc = !v.sortDesc
	} else {
		v.sortCol, v.sortDesc = col, false
	}
	v.sortTensors()
	if v.tensorTable != nil {
		v.tensorTable.Refresh()
	}
}

func (v *inspectView) sortTensors() {
	less := func(a, b tensorRow) int {
		switch v.sortCol {
		case 0:
			return strings.Compare(a.name, b.name)
		case 1:
			return strings.Compare(a.typ, b.typ)
		case 2:
			return strings.Compare(a.shape, b.shape)
		case 3:
			return cmpInt(a.bytes, b.bytes)
		}
		return cmpInt(a.offset, b.offset)
	}
	sort.SliceStable(v.tensors, func(i, j int) bool {
		c := less(v.tensors[i], v.tensors[j])
		if v.sortDesc {
			return c > 0
		}
		return c < 0
	})
}

func (v *inspectView) tensorCell(row, col int) string {
	r := v.tensors[row]
	switch col {
	case 0:
		return r.name
	case 1:
		return r.typ
	case 2:
		return r.shape
	case 3:
		return strconv.FormatInt(r.bytes, 10)
	}
	return strconv.FormatInt(r.offset, 10)
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func orText(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func intOrDash(n int) string {
	if n == 0 {
		return "-"
	}
	return strconv.Itoa(n)
}

func shapeText(shape []int64) string {
	parts := make([]string, len(shape))
	for i, d := range shape {
		parts[i] = strconv.FormatInt(d, 10)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// metaPreview is how many elements of an array the metadata table shows.
const metaPreview = 6

func kvTypeText(kv gguf.KV) string {
	if a, ok := kv.Value.(gguf.Array); ok {
		return "[" + a.Type.String() + "]"
	}
	return kv.Type.String()
}

// kvValueText shows a value on one line: strings quoted and cut, arrays
// as their count and first elements.
func kvValueText(kv gguf.KV) string {
	a, ok := kv.Value.(gguf.Array)
	if !ok {
		return scalarText(kv.Value)
	}
	n := a.Len()
	var head []string
	switch vs := a.Values.(type) {
	case []string:
		for _, s := range vs[:min(n, metaPreview)] {
			head = append(head, scalarText(s))
		}
	case []gguf.Array:
		for _, x := range vs[:min(n, metaPreview)] {
			head = append(head, fmt.Sprintf("[%d %s]", x.Len(), x.Type))
		}
	default:
		s := fmt.Sprint(a.Values) // "[1 2 3 ...]" for numeric slices
		f := strings.Fields(strings.Trim(s, "[]"))
		head = f[:min(len(f), metaPreview)]
	}
	out := fmt.Sprintf("%d items: %s", n, strings.Join(head, ", "))
	if n > len(head) {
		out += ", …"
	}
	return out
}

func scalarText(v any) string {
	if s, ok := v.(string); ok {
		const max = 120
		if len(s) > max {
			return strconv.Quote(s[:max]) + fmt.Sprintf("… (%d bytes)", len(s))
		}
		return strconv.Quote(s)
	}
	return fmt.Sprint(v)
}

// fileMapPanel computes the file map in a goroutine, with a progress bar
// and a cancel button, then shows it; hovering names the region.
type fileMapPanel struct {
	object   *fyne.Container
	progress *widget.ProgressBar
	status   *widget.Label
	stopBtn  *widget.Button
	hover    *widget.Label
	view     *fileMapWidget
	path     string
	ctx      context.Context
	stop     context.CancelFunc
	started  bool
	done     chan struct{}
}

func newFileMapPanel(path string) *fileMapPanel {
	p := &fileMapPanel{path: path, progress: widget.NewProgressBar(), status: widget.NewLabel("Reading the file…"),
		hover: widget.NewLabel("Hover over the map to see what lies there."), done: make(chan struct{})}
	p.hover.Truncation = fyne.TextTruncateEllipsis
	p.ctx, p.stop = context.WithCancel(context.Background())
	p.stopBtn = widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), p.stop)
	p.view = newFileMapWidget(p.hover)
	top := container.NewBorder(nil, nil, nil, p.stopBtn, p.progress)
	p.object = container.NewBorder(container.NewVBox(p.status, top), p.hover, nil, nil, p.view)
	return p
}

// start begins the scan on a goroutine, once (UI thread).
func (p *fileMapPanel) start() {
	if p.started {
		return
	}
	p.started = true
	go p.scan(p.ctx, p.path)
}

func (p *fileMapPanel) cancel() { p.stop() }

// scan runs off the UI thread and posts progress and the result with fyne.Do.
func (p *fileMapPanel) scan(ctx context.Context, path string) {
	defer close(p.done)
	var last float64 = -1
	m, err := filemap.Open(ctx, path, filemap.Options{Progress: func(done, total int64) {
		f := float64(done) / float64(max(total, 1))
		if f-last >= 0.01 || f == 1 {
			last = f
			post(func() { p.progress.SetValue(f) })
		}
	}})
	if err != nil {
		post(func() {
			p.stopBtn.Hide()
			p.status.SetText("No file map: " + err.Error())
			p.object.Refresh()
		})
		return
	}
	post(func() {
		p.progress.Hide()
		p.stopBtn.Hide()
		p.status.SetText(fmt.Sprintf("%d cells of %s, coloured by byte entropy (black 0 bits, pale yellow 8 bits per byte)",
			m.Cells(), units.IBytes(m.Chunk)))
		p.view.set(m)
		p.object.Refresh() // lay out again without the progress row
	})
}
