package ui

import (
	"fmt"
	"image/color"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"burrow/inference/chat"
	"burrow/inference/gguf"
	"burrow/inference/llama"
	"burrow/internal/units"
)

// archView is the Architecture tab: the model as its file builds it
// (llama.Anatomy, which follows the engine's family registry), drawn as the
// embedding, one row per block with its parts, and the output head. Tapping
// a part lists its tensors; the memory panel splits a chosen context's
// memory into weights, the KV cache of each layer and the rest. The second
// tab, "Run it through" (archtrace.go), shows what a prompt does inside.
type archView struct {
	a      *llama.Anatomy
	object fyne.CanvasObject
	tabs   *container.AppTabs

	// boxes[0] is the embedding, then one row per block, then the head.
	embedBox, headBox *partBox
	blockBoxes        [][]*partBox
	blockLabels       []*widget.Label

	selected    *llama.Part
	partTitle   *widget.Label
	partNote    *widget.Label
	tensorTable *widget.Table

	memCtx   *widget.Slider
	memEntry *widget.Entry
	memKV    *widget.RadioGroup
	memLabel *widget.Label
	memBars  []*widget.ProgressBar

	trace *traceView
}

// close stops a trace in flight.
func (v *archView) close() {
	if v.trace != nil {
		v.trace.stop()
	}
}

// readAnatomy reads the architecture of the file at path (off the UI thread).
func readAnatomy(path string) (*llama.Anatomy, error) {
	f, err := gguf.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close() // the anatomy holds copies only
	return llama.NewAnatomy(f)
}

// partColors tell the parts apart in the drawing.
var partColors = map[string]color.NRGBA{
	llama.PartEmbedding: {66, 133, 244, 90},
	llama.PartAttention: {251, 140, 0, 90},
	llama.PartFFN:       {52, 168, 83, 90},
	llama.PartRouter:    {171, 71, 188, 90},
	llama.PartExperts:   {0, 172, 193, 90},
	llama.PartRecurrent: {234, 67, 53, 90},
	llama.PartHead:      {66, 133, 244, 90},
}

// partBox is one part of the drawing: a tinted box with its description.
type partBox struct {
	widget.BaseWidget
	part  *llama.Part
	label *widget.Label
	bg    *canvas.Rectangle
	onTap func(*partBox)
}

func newPartBox(p *llama.Part, text string, onTap func(*partBox)) *partBox {
	c, ok := partColors[p.Name]
	if !ok {
		c = color.NRGBA{120, 144, 156, 90}
	}
	b := &partBox{part: p, label: widget.NewLabel(text), bg: canvas.NewRectangle(c), onTap: onTap}
	b.label.Wrapping = fyne.TextWrapWord // the split, not the text, sets the width
	b.bg.CornerRadius = 6
	b.bg.StrokeWidth = 0
	b.bg.StrokeColor = color.NRGBA{255, 255, 255, 200}
	b.ExtendBaseWidget(b)
	return b
}

func (b *partBox) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(container.NewStack(b.bg, b.label))
}

func (b *partBox) Tapped(*fyne.PointEvent) { b.onTap(b) }

func (b *partBox) setSelected(on bool) {
	b.bg.StrokeWidth = map[bool]float32{true: 2, false: 0}[on]
	b.bg.Refresh()
}

// newArchView builds the view (UI thread). trace runs a prompt through the
// loaded model (nil: no "Run it through"); conversation is what its "The
// conversation" mode runs.
func newArchView(a *llama.Anatomy, trace traceFunc, conversation func() []chat.Message) *archView {
	v := &archView{a: a}
	v.partTitle = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	v.partNote = widget.NewLabel("")
	v.partNote.Wrapping = fyne.TextWrapWord
	v.tensorTable = headedTable(
		func() (int, int) {
			if v.selected == nil {
				return 0, len(archTensorColumns)
			}
			return len(v.selected.Tensors), len(archTensorColumns)
		},
		func() fyne.CanvasObject { return widget.NewLabel("blk.00.ffn_down_exps.weight") },
		v.tensorCell,
		func(col int) string { return archTensorColumns[col] },
	)
	for i, w := range []float32{230, 60, 110, 80, 80} {
		v.tensorTable.SetColumnWidth(i, w)
	}

	diagram := v.buildDiagram()
	details := container.NewBorder(container.NewVBox(v.partTitle, v.partNote), nil, nil, nil, v.tensorTable)
	right := container.NewVSplit(details, container.NewVScroll(v.buildMemory()))
	right.Offset = 0.55
	split := container.NewHSplit(container.NewVScroll(diagram), right)
	split.Offset = 0.58
	v.tabs = container.NewAppTabs(container.NewTabItem("Blocks", split))
	if trace != nil {
		v.trace = newTraceView(a, trace, conversation)
		v.tabs.Append(container.NewTabItem("Run it through", v.trace.object))
	}
	v.object = v.tabs
	v.selectBox(v.embedBox)
	return v
}

var archTensorColumns = []string{"Tensor", "Type", "Shape", "Params", "Bytes"}

func (v *archView) tensorCell(row, col int) string {
	if v.selected == nil || row >= len(v.selected.Tensors) {
		return ""
	}
	t := v.selected.Tensors[row]
	switch col {
	case 0:
		return t.Name
	case 1:
		return t.Type
	case 2:
		return shapeText(t.Shape)
	case 3:
		return strconv.FormatInt(t.Params, 10)
	case 4:
		return units.IBytes(t.Bytes)
	}
	return ""
}

func (v *archView) selectBox(b *partBox) {
	for _, o := range v.allBoxes() {
		o.setSelected(o == b)
	}
	v.selected = b.part
	title := b.part.Name
	for l := range v.blockBoxes {
		for _, o := range v.blockBoxes[l] {
			if o == b {
				title = fmt.Sprintf("Block %d: %s", l, b.part.Name)
			}
		}
	}
	tensors := fmt.Sprintf("%d tensors", len(b.part.Tensors))
	if len(b.part.Tensors) == 1 {
		tensors = "1 tensor"
	}
	v.partTitle.SetText(fmt.Sprintf("%s · %s · %s parameters · %s", title, tensors, paramText(b.part.Params), units.IBytes(b.part.Bytes)))
	v.partNote.SetText(partExplain(b.part.Name, b.part.Note))
	v.tensorTable.Refresh()
}

func (v *archView) allBoxes() []*partBox {
	out := []*partBox{v.embedBox, v.headBox}
	for _, row := range v.blockBoxes {
		out = append(out, row...)
	}
	return out
}

// partExplain says in a sentence what a part does.
func partExplain(name, note string) string {
	s := map[string]string{
		llama.PartEmbedding: "Each token id picks one row: the vector the residual stream starts from.",
		llama.PartAttention: "Normalises the stream, projects queries, keys and values, rotates them by position (rope) and mixes in what earlier tokens hold.",
		llama.PartFFN:       "A gated MLP applied to each token on its own: normalise, widen (gate and up), activate, project back (down).",
		llama.PartRouter:    "Scores every expert for each token and keeps the best few: only their rows are read.",
		llama.PartExperts:   "The experts' stacked matrices: each token runs through the few the router picked.",
		llama.PartRecurrent: "A recurrent layer: a fixed-size state carried from token to token instead of a KV cache.",
		llama.PartHead:      "The final norm and the classifier: one logit per vocabulary entry for the next token.",
	}[name]
	if note != "" {
		s += " Here: " + note + "."
	}
	return s
}

// numText writes a float without an exponent (a rope base of 1000000).
func numText(x float32) string { return strconv.FormatFloat(float64(x), 'f', -1, 32) }

func paramText(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.2fB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1fM", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1fK", float64(n)/1e3)
	}
	return strconv.FormatInt(n, 10)
}

// buildDiagram draws the model top to bottom.
func (v *archView) buildDiagram() fyne.CanvasObject {
	a, c := v.a, v.a.Config
	title := widget.NewLabelWithStyle(fmt.Sprintf("%s · %d blocks · %s parameters · %s", a.Arch, len(a.Blocks), paramText(a.Params), units.IBytes(a.Bytes)),
		fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	facts := []string{fmt.Sprintf("Residual stream of %d values · vocabulary %d · trained context %d", c.Dim, c.VocabSize, c.ContextLen),
		fmt.Sprintf("Rope %s over %d of %d values per head, base %s, scaling %s · FFN %s", a.Rope.Kind, a.Rope.Dim, c.HeadDim, numText(a.Rope.Base), a.Rope.Scaling, a.Activation)}
	facts = append(facts, a.Notes...)
	factsLabel := widget.NewLabel(strings.Join(facts, "\n"))
	factsLabel.Wrapping = fyne.TextWrapWord

	tap := func(b *partBox) { v.selectBox(b) }
	v.embedBox = newPartBox(&a.Embedding, partText(&a.Embedding, nil, ""), tap)
	objs := []fyne.CanvasObject{title, factsLabel, v.embedBox}
	for l := range a.Blocks {
		b := &a.Blocks[l]
		kind := "global"
		if b.Recurrent != nil {
			kind = "DeltaNet"
		} else if b.Attention == nil {
			kind = "no attention"
		} else if b.Attention.Window > 0 {
			kind = fmt.Sprintf("window %d", b.Attention.Window)
		}
		lbl := widget.NewLabelWithStyle(fmt.Sprintf("Block %d\n%s\n%s", l, kind, paramText(b.Params)), fyne.TextAlignLeading, fyne.TextStyle{Bold: false})
		v.blockLabels = append(v.blockLabels, lbl)
		var boxes []*partBox
		row := container.NewGridWithColumns(max(1, len(b.Parts)))
		for i := range b.Parts {
			pb := newPartBox(&b.Parts[i], partText(&b.Parts[i], b, a.Activation), tap)
			boxes = append(boxes, pb)
			row.Add(pb)
		}
		v.blockBoxes = append(v.blockBoxes, boxes)
		objs = append(objs, container.NewBorder(nil, nil, container.New(fixedWidth(96), lbl), nil, row))
	}
	v.headBox = newPartBox(&a.Head, partText(&a.Head, nil, ""), tap)
	objs = append(objs, v.headBox)
	for i := range a.Other {
		objs = append(objs, newPartBox(&a.Other[i], partText(&a.Other[i], nil, ""), tap))
	}
	if len(a.Extra) > 0 {
		objs = append(objs, widget.NewLabel(fmt.Sprintf("%d tensors in the file are not used by the %s family", len(a.Extra), a.Arch)))
	}
	return container.NewPadded(container.NewVBox(objs...))
}

// partText is a part's box text: its name, what it is in this layer, its
// size.
func partText(p *llama.Part, b *llama.Block, act string) string {
	lines := []string{p.Name}
	switch {
	case p.Name == llama.PartRecurrent && b != nil && b.Recurrent != nil:
		r := b.Recurrent
		lines = append(lines, fmt.Sprintf("Gated DeltaNet · %d heads · state %d×%d · conv %d", r.Heads, r.StateDim, r.StateDim, r.Conv))
	case p.Name == llama.PartAttention && b != nil && b.Attention != nil:
		at := b.Attention
		lines = append(lines, fmt.Sprintf("%d heads · %d KV heads · head %d", at.Heads, at.KVHeads, at.HeadDim))
		var f []string
		if b.Layer != at.KVFrom {
			f = append(f, fmt.Sprintf("reads layer %d's KV", at.KVFrom))
		}
		if at.Window > 0 {
			f = append(f, fmt.Sprintf("window %d", at.Window))
		} else {
			f = append(f, "global")
		}
		f = append(f, "rope "+numText(at.RopeBase))
		for _, x := range []struct {
			on   bool
			name string
		}{{at.QKNorm, "QK norm"}, {at.Bias, "bias"}, {at.PostNorm, "post-norm"}, {at.Sinks, "sinks"}} {
			if x.on {
				f = append(f, x.name)
			}
		}
		lines = append(lines, strings.Join(f, " · "))
	case p.Name == llama.PartFFN && b != nil && b.FFN.Kind == "dense":
		s := fmt.Sprintf("%s · width %d", act, b.FFN.Width)
		if b.FFN.PostNorm {
			s += " · post-norm"
		}
		lines = append(lines, s)
	case p.Name == llama.PartRouter && b != nil:
		lines = append(lines, fmt.Sprintf("%d experts, %d per token", b.FFN.Experts, b.FFN.ExpertsUsed))
	case p.Name == llama.PartExperts && b != nil:
		lines = append(lines, fmt.Sprintf("%d × %s width %d", b.FFN.Experts, act, b.FFN.Width))
	case p.Note != "":
		lines = append(lines, p.Note)
	}
	types := map[string]bool{}
	var tl []string
	for _, t := range p.Tensors {
		if t.Kind == "matrix" && !types[t.Type] {
			types[t.Type] = true
			tl = append(tl, t.Type)
		}
	}
	lines = append(lines, fmt.Sprintf("%s params · %s · %s", paramText(p.Params), units.IBytes(p.Bytes), strings.Join(tl, "/")))
	return strings.Join(lines, "\n")
}

// buildMemory is the memory panel: context and KV type in, where the
// memory goes out (one bar per layer's KV cache).
func (v *archView) buildMemory() fyne.CanvasObject {
	c := v.a.Config
	title := widget.NewLabelWithStyle("Memory to run", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	v.memLabel = widget.NewLabel("")
	v.memLabel.Wrapping = fyne.TextWrapWord
	ctx := newContextPicker(c.ContextLen, v.updateMemory)
	v.memCtx, v.memEntry = ctx.slider, ctx.entry
	v.memKV = widget.NewRadioGroup([]string{"F32", "F16", "Q8_0"}, func(string) { v.updateMemory() })
	v.memKV.Horizontal = true
	v.memKV.Required = true
	v.memKV.Selected = strings.ToUpper(llama.DefaultKV.String()) // what a load makes unless told
	bars := container.New(layout.NewFormLayout())
	for l := range v.a.Blocks {
		bar := widget.NewProgressBar()
		v.memBars = append(v.memBars, bar)
		what := "KV"
		if v.a.Blocks[l].Recurrent != nil {
			what = "state"
		}
		bars.Add(widget.NewLabel(fmt.Sprintf("Layer %d %s", l, what)))
		bars.Add(bar)
	}
	v.memCtx.SetValue(float64(min(c.ContextLen, defaultUIContext)))
	v.updateMemory()
	return container.NewVBox(title, ctx.row, container.NewHBox(widget.NewLabel("KV cache"), v.memKV), v.memLabel, bars)
}

func (v *archView) updateMemory() {
	if v.memLabel == nil || v.memKV == nil {
		return
	}
	kv, _ := llama.ParseKVType(v.memKV.Selected)
	m := v.a.Memory(int(v.memCtx.Value), kv)
	if v.memEntry.Text != strconv.Itoa(m.Context) {
		v.memEntry.SetText(strconv.Itoa(m.Context))
	}
	var rec uint64
	for _, r := range m.Recurrent {
		rec += r
	}
	v.memLabel.SetText(fmt.Sprintf("At %d tokens: %s in all\nweights %s · KV cache %s · recurrent state %s · scratch %s",
		m.Context, units.IBytes(int64(m.Total)), units.IBytes(int64(m.Weights)), units.IBytes(int64(m.KVTotal)), units.IBytes(int64(rec)), units.IBytes(int64(m.Scratch))))
	var most uint64 = 1
	for l, b := range m.KVLayers {
		most = max(most, b, m.Recurrent[l])
	}
	for l, bar := range v.memBars {
		bytes, rows := m.KVLayers[l], m.KVRows[l]
		if r := m.Recurrent[l]; r > 0 { // a DeltaNet layer: its state, whatever the context
			text := units.IBytes(int64(r)) + " of recurrent state (no KV cache)"
			bar.TextFormatter = func() string { return text }
			bar.SetValue(float64(r) / float64(most))
			continue
		}
		ring := ""
		if rows < m.Context {
			ring = ", a window's ring"
		}
		text := fmt.Sprintf("%s (%d positions%s)", units.IBytes(int64(bytes)), rows, ring)
		bar.TextFormatter = func() string { return text }
		bar.SetValue(float64(bytes) / float64(most))
	}
}
