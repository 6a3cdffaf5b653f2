package ui

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// block is one piece of a message: prose (Markdown) or a fenced code block.
type block struct {
	code bool
	lang string
	text string
}

// splitFences cuts Markdown into prose and ``` code blocks. An unclosed
// fence (a reply still streaming) is a code block up to the end.
func splitFences(md string) []block {
	var out []block
	var cur strings.Builder
	inCode, lang := false, ""
	flush := func() {
		text := cur.String()
		cur.Reset()
		if inCode {
			out = append(out, block{code: true, lang: lang, text: strings.TrimSuffix(text, "\n")})
		} else if strings.TrimSpace(text) != "" {
			out = append(out, block{text: strings.TrimRight(text, "\n")})
		}
	}
	lines := strings.SplitAfter(md, "\n")
	for _, line := range lines {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "```") {
			flush()
			if !inCode {
				lang = strings.TrimSpace(strings.TrimPrefix(trimmed, "```"))
			}
			inCode = !inCode
			continue
		}
		cur.WriteString(line)
	}
	flush()
	return out
}

// markdownView shows a message's Markdown: prose as RichText, code blocks
// in a shaded box with a copy button. Set re-renders only what changed, so
// a streaming reply stays cheap.
type markdownView struct {
	box    *fyne.Container
	blocks []block
	views  []fyne.CanvasObject
	texts  []*widget.RichText
	copy   func(string)
}

func newMarkdownView(copyFn func(string)) *markdownView {
	return &markdownView{box: container.NewVBox(), copy: copyFn}
}

// Set shows md.
func (m *markdownView) Set(md string) {
	blocks := splitFences(md)
	same := len(blocks) >= len(m.blocks)
	for i := 0; same && i < len(m.blocks)-1; i++ {
		same = blocks[i] == m.blocks[i]
	}
	if same && len(m.blocks) > 0 && m.blocks[len(m.blocks)-1].code == blocks[len(m.blocks)-1].code {
		// Only the last block grew, maybe with new blocks after it.
		last := len(m.blocks) - 1
		if blocks[last] != m.blocks[last] {
			m.update(last, blocks[last])
		}
		for _, b := range blocks[len(m.blocks):] {
			m.add(b)
		}
		m.blocks = blocks
		return
	}
	m.box.RemoveAll()
	m.blocks, m.views, m.texts = nil, nil, nil
	for _, b := range blocks {
		m.add(b)
	}
	m.blocks = blocks
}

func (m *markdownView) update(i int, b block) {
	if b.code {
		m.texts[i].Segments = []widget.RichTextSegment{codeSegment(b.text)}
		m.texts[i].Refresh()
		m.blocks[i] = b
		return
	}
	setMarkdown(m.texts[i], b.text)
	m.blocks[i] = b
}

func (m *markdownView) add(b block) {
	var rt *widget.RichText
	var view fyne.CanvasObject
	if b.code {
		rt = widget.NewRichText(codeSegment(b.text))
		rt.Wrapping = fyne.TextWrapBreak
		get := func() string { return rt.String() }
		copyBtn := widget.NewButtonWithIcon("Copy", theme.ContentCopyIcon(), func() { m.copy(get()) })
		copyBtn.Importance = widget.LowImportance
		lang := widget.NewLabelWithStyle(langLabel(b.lang), fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
		lang.Importance = widget.LowImportance
		header := container.NewBorder(nil, nil, lang, copyBtn)
		bg := canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground))
		bg.CornerRadius = theme.InputRadiusSize() * 2
		view = container.NewStack(bg, container.NewBorder(header, nil, nil, nil, rt))
	} else {
		rt = widget.NewRichText()
		rt.Wrapping = fyne.TextWrapWord
		setMarkdown(rt, b.text)
		view = rt
	}
	m.texts = append(m.texts, rt)
	m.views = append(m.views, view)
	m.box.Add(view)
}

func codeSegment(text string) *widget.TextSegment {
	return &widget.TextSegment{Style: widget.RichTextStyleCodeBlock, Text: text}
}

func langLabel(lang string) string {
	if lang == "" {
		return "code"
	}
	return lang
}

// setMarkdown shows prose. Models write line breaks meaning line breaks
// (stories, poems, lists) while Markdown would join the lines, and Fyne
// ignores Markdown's hard breaks, so each line becomes a paragraph. The
// empty paragraph Fyne appends at the end is dropped so no gap follows.
func setMarkdown(rt *widget.RichText, text string) {
	rt.ParseMarkdown(lineBreaks(text))
	segs := rt.Segments
	for len(segs) > 0 {
		t, ok := segs[len(segs)-1].(*widget.TextSegment)
		if !ok || strings.TrimSpace(t.Text) != "" || t.Style != widget.RichTextStyleParagraph {
			break
		}
		segs = segs[:len(segs)-1]
	}
	if len(segs) != len(rt.Segments) {
		rt.Segments = segs
		rt.Refresh()
	}
}

// lineBreaks turns single newlines into paragraph breaks.
func lineBreaks(text string) string {
	lines := strings.Split(strings.TrimSpace(text), "\n")
	var out []string
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n\n")
}
