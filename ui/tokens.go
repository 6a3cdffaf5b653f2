package ui

import (
	"fmt"
	"image/color"
	"strings"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"burrow/inference"
	"burrow/inference/chat"
	"burrow/inference/tokenizer"
)

// tokensView is the tokenizer playground: text in, tokens out as coloured
// chips, live. "What the model sees" shows the current conversation as the
// loaded model's Vocab renders and tokenizes it for a reply.
type tokensView struct {
	vocab        *inference.Vocab
	tok          *tokenizer.Tokenizer
	conversation func() []chat.Message

	object  fyne.CanvasObject
	input   *widget.Entry
	special *widget.Check
	mode    *widget.RadioGroup
	count   *widget.Label
	detail  *widget.Label
	flow    *fyne.Container
	ids     []int
	pieces  []string // the text each shown token stands for
}

// Modes of the playground.
const (
	tokensModeText  = "Your text"
	tokensModeModel = "What the model sees"
)

// maxTokenChips bounds the chips drawn for a long paste; the count stays exact.
const maxTokenChips = 3000

// newTokensView shows v's tokenizer; conversation gives the messages "What
// the model sees" renders (nil: a sample).
func newTokensView(vocab *inference.Vocab, conversation func() []chat.Message) *tokensView {
	v := &tokensView{vocab: vocab, tok: vocab.Tok, conversation: conversation}
	v.input = widget.NewMultiLineEntry()
	v.input.Wrapping = fyne.TextWrapWord
	v.input.SetPlaceHolder("Type or paste text to see its tokens")
	v.input.SetMinRowsVisible(4)
	v.input.OnChanged = func(string) { v.update() }
	v.special = widget.NewCheck("Special tokens (add BOS, read <|…|> markers as tokens)", func(bool) { v.update() })
	v.mode = widget.NewRadioGroup([]string{tokensModeText, tokensModeModel}, func(string) { v.update() })
	v.mode.Horizontal = true
	v.mode.Required = true
	v.mode.Selected = tokensModeText
	v.count = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	v.detail = widget.NewLabel(tokensHint)
	v.detail.Truncation = fyne.TextTruncateEllipsis
	v.flow = container.New(layout.NewRowWrapLayoutWithCustomPadding(2, 4))
	top := container.NewVBox(v.mode, v.input, v.special)
	bottom := container.NewVBox(widget.NewSeparator(), v.detail)
	chips := container.NewVScroll(container.NewPadded(v.flow))
	v.object = container.NewBorder(top, bottom, nil, nil, container.NewBorder(v.count, nil, nil, nil, chips))
	v.update()
	return v
}

// update re-tokenizes and redraws the chips (UI thread).
func (v *tokensView) update() {
	if v.mode.Selected == tokensModeModel {
		v.input.Hide()
		v.special.Hide()
		// Exactly the prompt a reply starts from (template, BOS rule).
		pr, err := v.vocab.Prompt(v.messages())
		if err != nil {
			v.setTokens(nil, fmt.Sprintf("Cannot show what the model sees: %v", err))
			return
		}
		v.setTokens(pr.Tokens, fmt.Sprintf("%d tokens: the conversation as the chat template renders it", len(pr.Tokens)))
		return
	}
	v.input.Show()
	v.special.Show()
	text := v.input.Text
	ids := v.tok.Encode(text, v.special.Checked, v.special.Checked)
	v.setTokens(ids, fmt.Sprintf("%d tokens · %d characters · %d bytes", len(ids), utf8.RuneCountInString(text), len(text)))
}

// messages is the conversation to render; a sample when there is none.
func (v *tokensView) messages() []chat.Message {
	var msgs []chat.Message
	if v.conversation != nil {
		msgs = v.conversation()
	}
	if len(msgs) == 0 {
		msgs = []chat.Message{{Role: "system", Content: "You are a helpful assistant."}, {Role: "user", Content: "Hello! Who are you?"}}
	}
	return msgs
}

func (v *tokensView) setTokens(ids []int, summary string) {
	v.ids = ids
	v.pieces = v.pieces[:0]
	v.count.SetText(summary)
	objs := make([]fyne.CanvasObject, 0, min(len(ids), maxTokenChips)+1)
	for i, id := range ids {
		piece := v.pieceText(id)
		v.pieces = append(v.pieces, piece)
		if i < maxTokenChips {
			objs = append(objs, newTokenChip(i, id, piece, v.tok.IsControl(id), v.describe))
		}
	}
	if len(ids) > maxTokenChips {
		objs = append(objs, widget.NewLabel(fmt.Sprintf("… and %d more", len(ids)-maxTokenChips)))
	}
	v.flow.Objects = objs
	v.flow.Refresh()
	v.detail.SetText(tokensHint)
	if c, ok := v.object.(*fyne.Container); ok {
		c.Refresh() // the input may have been hidden or shown
	}
}

const tokensHint = "Hover over a token (or tap it) to see its id and bytes."

// pieceText is the text a token stands for: special tokens by their name.
func (v *tokensView) pieceText(id int) string {
	if v.tok.IsControl(id) {
		return v.tok.TokenText(id)
	}
	return string(v.tok.Piece(id))
}

// describe puts a token's details in the detail line.
func (v *tokensView) describe(index, id int) {
	raw := v.tok.Piece(id)
	if v.tok.IsControl(id) {
		raw = v.tok.PieceSpecial(id)
	}
	hex := make([]string, len(raw))
	for i, b := range raw {
		hex[i] = fmt.Sprintf("%02x", b)
	}
	kind := ""
	if v.tok.IsControl(id) {
		kind = " · special"
	}
	v.detail.SetText(fmt.Sprintf("token %d of %d · id %d%s · text %q (vocabulary %q) · bytes %s",
		index+1, len(v.ids), id, kind, strings.ToValidUTF8(string(raw), "\uFFFD"), v.tok.TokenText(id), strings.Join(hex, " ")))
}

// tokenPalette tints tokens in turn, light enough for the theme's text.
var tokenPalette = []color.NRGBA{
	{107, 64, 216, 80}, {104, 222, 122, 90}, {244, 172, 54, 100}, {239, 65, 70, 80}, {39, 181, 234, 90},
}

// tokenChip is one token: its text on a tinted background; hovering or
// tapping it describes it.
type tokenChip struct {
	widget.BaseWidget
	index, id int
	text      string
	special   bool
	onHover   func(index, id int)
}

var (
	_ desktop.Hoverable = (*tokenChip)(nil)
	_ fyne.Tappable     = (*tokenChip)(nil)
)

func newTokenChip(index, id int, piece string, special bool, onHover func(index, id int)) *tokenChip {
	c := &tokenChip{index: index, id: id, text: visibleText(piece), special: special, onHover: onHover}
	c.ExtendBaseWidget(c)
	return c
}

// visibleText shows line breaks and tabs as symbols, so every token has a
// mark, and replaces bytes that are not whole characters.
func visibleText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.NewReplacer("\n", "↵", "\r", "␍", "\t", "⇥").Replace(s)
	if strings.TrimSpace(s) == "" {
		s = strings.Repeat("·", max(1, len(s)))
	}
	return s
}

func (c *tokenChip) CreateRenderer() fyne.WidgetRenderer {
	bg := canvas.NewRectangle(tokenPalette[c.index%len(tokenPalette)])
	bg.CornerRadius = 3
	txt := canvas.NewText(c.text, theme.Color(theme.ColorNameForeground))
	txt.TextStyle = fyne.TextStyle{Monospace: true}
	if c.special {
		bg.FillColor = theme.Color(theme.ColorNameDisabledButton)
	}
	return widget.NewSimpleRenderer(container.NewStack(bg, container.New(layout.NewCustomPaddedLayout(2, 2, 3, 3), txt)))
}

func (c *tokenChip) Tapped(*fyne.PointEvent)        { c.onHover(c.index, c.id) }
func (c *tokenChip) MouseIn(*desktop.MouseEvent)    { c.onHover(c.index, c.id) }
func (c *tokenChip) MouseMoved(*desktop.MouseEvent) {}
func (c *tokenChip) MouseOut()                      {}
