package ui

import (
	"fmt"
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"burrow/app"
	"burrow/inference"
)

// The chat pane's reply button shows a message's choices with this view
// (ui/message.go calls tokenChoicesView).
func init() { tokenChoicesView = messageChoicesView }

// messageChoicesView is the inline choices view of a reply's recorded tokens.
func messageChoicesView(cs []app.Choice) fyne.CanvasObject {
	v := newChoicesView(true)
	toks := make([]choiceToken, len(cs))
	for i, c := range cs {
		toks[i] = choiceToken{Piece: c.Piece, Token: c.Token, Top: c.Top}
	}
	v.set(toks)
	return v.object
}

// choiceToken is one generated token and the alternatives the sampler saw
// (inference.Event's Piece, Token and Top for an EventPiece).
type choiceToken struct {
	Piece string
	Token int
	Top   []inference.TokenProb
}

// prob is the chosen token's probability, and whether it was among Top
// (when it was not, it was at most the smallest listed one).
func (c choiceToken) prob() (float32, bool) {
	low := float32(1)
	for _, t := range c.Top {
		if t.Token == c.Token {
			return t.Prob, true
		}
		low = min(low, t.Prob)
	}
	if len(c.Top) == 0 {
		return 1, false
	}
	return low, false
}

// choicesView shows a reply token by token, each tinted by how sure the
// model was (warmer = less likely), and on a tap the candidates it chose
// between with their probabilities (after the sampler's temperature).
type choicesView struct {
	object     fyne.CanvasObject
	flow       *fyne.Container
	candidates *fyne.Container
	caption    *widget.Label
	tokens     []choiceToken
	selected   int
}

// newChoicesView builds the view: with its own scroller and a legend, or
// inline (for a chat message, which scrolls with the conversation).
func newChoicesView(inline bool) *choicesView {
	v := &choicesView{selected: -1}
	v.flow = container.New(layout.NewRowWrapLayoutWithCustomPadding(1, 4))
	v.caption = widget.NewLabel("Tap a token to see the candidates the model chose from.")
	v.caption.Truncation = fyne.TextTruncateEllipsis
	v.candidates = container.NewVBox()
	if inline {
		v.object = container.NewVBox(v.flow, v.caption, v.candidates)
		return v
	}
	legend := widget.NewLabel("Each token is tinted by the probability the model gave it: green when it was sure, red when it was a long shot.")
	legend.Truncation = fyne.TextTruncateEllipsis
	v.object = container.NewBorder(legend, container.NewVBox(widget.NewSeparator(), v.caption, v.candidates), nil, nil,
		container.NewVScroll(container.NewPadded(v.flow)))
	return v
}

// add appends a streamed token (UI thread). Pieces without a token (text
// released at the end of a reply) are shown untinted.
func (v *choicesView) add(piece string, token int, top []inference.TokenProb) {
	i := len(v.tokens)
	v.tokens = append(v.tokens, choiceToken{Piece: piece, Token: token, Top: top})
	v.flow.Add(newChoiceChip(i, v.tokens[i], v.show))
}

// set replaces the tokens shown.
func (v *choicesView) set(tokens []choiceToken) {
	v.tokens = nil
	v.flow.Objects = nil
	v.selected = -1
	for _, t := range tokens {
		v.add(t.Piece, t.Token, t.Top)
	}
	v.flow.Refresh()
}

// show lists token i's candidates.
func (v *choicesView) show(i int) {
	v.selected = i
	t := v.tokens[i]
	p, listed := t.prob()
	switch {
	case len(t.Top) == 0:
		v.caption.SetText(fmt.Sprintf("%q: no candidates were recorded for this piece.", t.Piece))
	case listed:
		v.caption.SetText(fmt.Sprintf("Token %d, %q (id %d): chosen with probability %.1f%%. The candidates:", i+1, t.Piece, t.Token, 100*p))
	default:
		v.caption.SetText(fmt.Sprintf("Token %d, %q (id %d): chosen below the top %d (under %.1f%%). The candidates:", i+1, t.Piece, t.Token, len(t.Top), 100*p))
	}
	rows := make([]fyne.CanvasObject, 0, len(t.Top))
	for _, c := range t.Top {
		rows = append(rows, candidateRow(c, c.Token == t.Token))
	}
	v.candidates.Objects = rows
	v.candidates.Refresh()
	for j, o := range v.flow.Objects {
		if c, ok := o.(*choiceChip); ok {
			c.setSelected(j == i)
		}
	}
	if r, ok := v.object.(*fyne.Container); ok {
		r.Refresh() // the candidate list changes the height around it
	}
}

// candidateRow is "piece  [bar]  42.1%", the chosen one in bold.
func candidateRow(c inference.TokenProb, chosen bool) fyne.CanvasObject {
	name := widget.NewLabelWithStyle(fmt.Sprintf("%q", c.Piece), fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	pct := widget.NewLabelWithStyle(fmt.Sprintf("%.1f%%", 100*c.Prob), fyne.TextAlignTrailing, fyne.TextStyle{Bold: chosen})
	fill := canvas.NewRectangle(confidenceColor(c.Prob, 220))
	fill.CornerRadius = 2
	bar := container.New(&shareLayout{weights: []float32{max(c.Prob, 0.005)}, height: 12}, fill)
	return container.NewBorder(nil, nil, container.New(fixedWidth(160), name), container.New(fixedWidth(70), pct), container.NewVBox(layout.NewSpacer(), bar, layout.NewSpacer()))
}

// confidenceColor goes from a faint green (sure) through amber to red
// (unlikely): warmer means the model had less reason to pick it.
func confidenceColor(p float32, alpha uint8) color.NRGBA {
	stops := []color.NRGBA{{230, 57, 70, alpha}, {244, 162, 54, alpha}, {250, 215, 80, alpha}, {82, 183, 136, alpha}}
	t := float64(min(max(p, 0), 1)) * float64(len(stops)-1)
	i := min(int(t), len(stops)-2)
	f := t - float64(i)
	a, b := stops[i], stops[i+1]
	mix := func(x, y uint8) uint8 { return uint8(float64(x) + (float64(y)-float64(x))*f + 0.5) }
	return color.NRGBA{mix(a.R, b.R), mix(a.G, b.G), mix(a.B, b.B), alpha}
}

// choiceChip is one token of the reply, tinted by its probability.
type choiceChip struct {
	widget.BaseWidget
	index    int
	tok      choiceToken
	onTap    func(int)
	selected bool
	bg       *canvas.Rectangle
}

// setSelected outlines the chip whose candidates are shown.
func (c *choiceChip) setSelected(on bool) {
	if on == c.selected {
		return
	}
	c.selected = on
	if c.bg != nil {
		c.bg.StrokeWidth = map[bool]float32{false: 0, true: 2}[on]
		c.bg.StrokeColor = theme.Color(theme.ColorNameForeground)
		c.bg.Refresh()
	}
}

var (
	_ fyne.Tappable     = (*choiceChip)(nil)
	_ desktop.Hoverable = (*choiceChip)(nil)
)

func newChoiceChip(index int, t choiceToken, onTap func(int)) *choiceChip {
	c := &choiceChip{index: index, tok: t, onTap: onTap}
	c.ExtendBaseWidget(c)
	return c
}

func (c *choiceChip) CreateRenderer() fyne.WidgetRenderer {
	bg := canvas.NewRectangle(color.Transparent)
	if len(c.tok.Top) > 0 {
		p, _ := c.tok.prob()
		bg.FillColor = confidenceColor(p, uint8(70+120*(1-p)))
	}
	bg.CornerRadius = 3
	c.bg = bg
	c.selected = !c.selected
	c.setSelected(!c.selected)
	txt := canvas.NewText(visibleText(c.tok.Piece), theme.Color(theme.ColorNameForeground))
	return widget.NewSimpleRenderer(container.NewStack(bg, container.New(layout.NewCustomPaddedLayout(2, 2, 2, 2), txt)))
}

func (c *choiceChip) Tapped(*fyne.PointEvent) { c.onTap(c.index) }

// Hovering shows the pointer as a hand, so tokens look clickable.
func (c *choiceChip) Cursor() desktop.Cursor         { return desktop.PointerCursor }
func (c *choiceChip) MouseIn(*desktop.MouseEvent)    {}
func (c *choiceChip) MouseMoved(*desktop.MouseEvent) {}
func (c *choiceChip) MouseOut()                      {}
