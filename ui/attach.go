package ui

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"burrow/app"
)

// attachBar holds the files put into the next message, as chips above the
// composer: name and token count, and a button to take one out. Files come
// from the paperclip button or a drop on the window (a .gguf dropped still
// loads as a model).
type attachBar struct {
	pane    *chatPane
	chips   []*attachChip
	row     *fyne.Container
	pickBtn *widget.Button
	object  fyne.CanvasObject
	// relayout lays the composer out again when the chips come or go.
	relayout func()
}

// attachChip is one attached file.
type attachChip struct {
	att      app.Attachment
	counting bool // the tokens are being counted
	label    *widget.Label
	remove   *widget.Button
	object   fyne.CanvasObject
}

func newAttachBar(p *chatPane) *attachBar {
	b := &attachBar{pane: p}
	b.row = container.NewHBox()
	b.pickBtn = iconButton(theme.FileIcon(), func() {
		p.win.pickFile("Attach a text file", "Text files", nil, func(path string) {
			if err := b.add(path); err != nil {
				b.refused([]error{err})
			}
		})
	})
	b.object = container.NewHScroll(b.row)
	b.object.Hide()
	return b
}

// add attaches the file at path (a model file loads instead). The token
// count arrives a moment later; a file the context cannot hold is then taken
// out again with the numbers.
func (b *attachBar) add(path string) error {
	w := b.pane.win
	if strings.EqualFold(filepath.Ext(path), ".gguf") {
		w.loadModel(path)
		return nil
	}
	a, err := app.ReadAttachment(path)
	if err != nil {
		return err
	}
	c := &attachChip{att: a, counting: true}
	c.label = widget.NewLabel(a.Name + " · counting…")
	c.remove = iconButton(theme.CancelIcon(), func() { b.drop(c) })
	bg := canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground))
	bg.CornerRadius = 8
	c.object = container.NewStack(bg, container.NewHBox(widget.NewIcon(theme.FileTextIcon()), c.label, c.remove))
	b.chips = append(b.chips, c)
	b.row.Add(c.object)
	b.object.Show()
	b.changed()
	block := a.Block()
	if len(block) <= countNow {
		n, exact := w.c.CountTokens(block)
		b.counted(c, n, exact)
		return nil
	}
	go func() {
		n, exact := w.c.CountTokens(block)
		post(func() { b.counted(c, n, exact) })
	}()
	return nil
}

// countNow is the size of text counted at once on the UI thread (a few
// milliseconds); bigger files are counted in the background.
const countNow = 64 << 10

// counted shows a chip's tokens, or takes the file out when it does not fit
// in what is left of the context.
func (b *attachBar) counted(c *attachChip, n int, exact bool) {
	defer func() { c.counting = false }() // last: a test waits on it
	c.att.Tokens, c.att.Exact = n, exact
	if !b.has(c) {
		return // taken out meanwhile
	}
	if size := b.contextSize(); size > 0 {
		used := b.pane.meter.used
		others := 0
		for _, x := range b.chips {
			if x != c {
				others += x.att.Tokens
			}
		}
		if free := size - used - others; n > free {
			b.drop(c)
			detail := fmt.Sprintf("“%s” is %s tokens; the context holds %d tokens", c.att.Name, tokenCount(n, exact), size)
			if used+others > 0 {
				detail += fmt.Sprintf(", of which %d are in use (%d by the chat, %d by other files)", used+others, used, others)
			}
			detail += fmt.Sprintf(", so %d are free.\n\nNothing was added. Attach a smaller part of the file, or raise Context in the chat settings and reload the model.", max(free, 0))
			b.pane.win.showErrorTitled("File too large for the context", errors.New(detail))
			return
		}
	}
	c.label.SetText(fmt.Sprintf("%s · %s tokens", c.att.Name, tokenCount(n, exact)))
	b.changed()
}

func tokenCount(n int, exact bool) string {
	if exact {
		return fmt.Sprint(n)
	}
	return fmt.Sprintf("≈%d", n)
}

// contextSize is the loaded model's context (0: none loaded).
func (b *attachBar) contextSize() int {
	if info := b.pane.win.c.Model().Info; info != nil {
		return info.ContextLength
	}
	return 0
}

func (b *attachBar) has(c *attachChip) bool {
	for _, x := range b.chips {
		if x == c {
			return true
		}
	}
	return false
}

// drop takes one file out.
func (b *attachBar) drop(c *attachChip) {
	for i, x := range b.chips {
		if x == c {
			b.chips = append(b.chips[:i:i], b.chips[i+1:]...)
			b.row.Remove(c.object)
		}
	}
	if len(b.chips) == 0 {
		b.object.Hide()
	}
	b.changed()
}

func (b *attachBar) changed() {
	if b.relayout != nil {
		b.relayout()
	}
}

// attachments are the files for the next message; busy names one whose
// tokens are still being counted.
func (b *attachBar) attachments() (atts []app.Attachment, busy string) {
	for _, c := range b.chips {
		if c.counting {
			busy = c.att.Name
		}
		atts = append(atts, c.att)
	}
	return atts, busy
}

// clear takes every file out (the message was sent).
func (b *attachBar) clear() {
	if len(b.chips) == 0 {
		return // nothing to take out: no relayout (a reply may be streaming already)
	}
	b.chips = nil
	b.row.RemoveAll()
	b.object.Hide()
	b.changed()
}

// refused tells what could not be attached and why, in one dialog.
func (b *attachBar) refused(errs []error) {
	lines := make([]string, len(errs))
	notText := false
	for i, err := range errs {
		lines[i] = err.Error()
		notText = notText || errors.Is(err, app.ErrNotText)
	}
	text := strings.Join(lines, "\n")
	if notText {
		text += "\n\nBurrow puts text files into a message (.txt, .md, source code, .csv, .json, and the text of a PDF) and loads .gguf models."
	}
	b.pane.win.showNotice("Not added", text)
}

// attachDropped attaches dropped files (none is a model: onDropped loads those).
func (w *Window) attachDropped(paths []string) {
	var errs []error
	for _, p := range paths {
		if err := w.chat.attach.add(p); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		w.chat.attach.refused(errs)
	}
}
