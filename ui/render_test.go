package ui

import (
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"burrow/app"
	"burrow/app/apptest"
)

// saveShot writes the window to $BURROW_UI_SHOTS/name.png when that is set,
// so the rendering can be looked at (the test driver paints in software).
func saveShot(t *testing.T, w *Window, name string) {
	dir := os.Getenv("BURROW_UI_SHOTS")
	if dir == "" {
		return
	}
	f, err := os.Create(filepath.Join(dir, name+".png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, w.win.Canvas().Capture()); err != nil {
		t.Fatal(err)
	}
}

func TestMarkdownReplyWithCodeBlock(t *testing.T) {
	useTempXDG(t)
	eng := apptest.NewFakeEngine()
	eng.Pieces = []string{"Here is **Go**:\n\n", "```go\n", "func main() {\n", "\tprintln(\"hi\")\n", "}\n", "```\n", "\nRun it with `go run`."}
	h := newHarness(t, eng)
	h.load(t)
	h.typeAndEnter("Show me hello world in Go")
	waitFor(t, "the reply", func() bool { return h.w.chat.sendBtn.Visible() && strings.HasSuffix(h.w.chat.text(1), "`go run`.") })
	md := h.w.chat.views[1].md
	if len(md.blocks) != 3 || !md.blocks[1].code || md.blocks[1].lang != "go" || md.blocks[1].text != "func main() {\n\tprintln(\"hi\")\n}" {
		t.Fatalf("blocks %+v", md.blocks)
	}
	var copyBtn *widget.Button
	walk(md.views[1], func(o fyne.CanvasObject) {
		if b, ok := o.(*widget.Button); ok && b.Text == "Copy" {
			copyBtn = b
		}
	})
	if copyBtn == nil {
		t.Fatal("code block has no copy button")
	}
	copyBtn.OnTapped()
	if got := fyne.CurrentApp().Clipboard().Content(); got != md.blocks[1].text {
		t.Errorf("copied %q", got)
	}
	saveShot(t, h.w, "markdown")
}

func TestSplitFences(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []block
	}{
		{"plain", []block{{text: "plain"}}},
		{"a\n```\ncode\n```\nb", []block{{text: "a"}, {code: true, text: "code"}, {text: "b"}}},
		{"a\n```py\nx = 1\n", []block{{text: "a"}, {code: true, lang: "py", text: "x = 1"}}}, // still streaming
		{"", nil},
	} {
		got := splitFences(tc.in)
		if len(got) != len(tc.want) {
			t.Errorf("splitFences(%q) = %+v", tc.in, got)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("splitFences(%q)[%d] = %+v, want %+v", tc.in, i, got[i], tc.want[i])
			}
		}
	}
}

func TestAutoScrollStopsWhenUserScrollsUp(t *testing.T) {
	useTempXDG(t)
	eng := apptest.NewFakeEngine()
	eng.Pieces = []string{strings.Repeat("A long line of story text. ", 40)}
	h := newHarness(t, eng)
	h.load(t)
	for i := 0; i < 3; i++ {
		h.typeAndEnter("more")
		waitFor(t, "reply", func() bool { _, busy := h.c.Generating(); return !busy && h.w.chat.sendBtn.Visible() })
	}
	sc := h.w.chat.scroll
	if sc.Offset.Y == 0 {
		t.Fatal("the chat did not follow the replies")
	}
	// While the next reply streams in, the user scrolls up to read: the
	// pane must stay where they put it.
	eng.Gate = make(chan struct{})
	eng.Pieces = []string{"First piece. ", strings.Repeat("More text. ", 80), strings.Repeat("Even more. ", 80)}
	h.typeAndEnter("again")
	eng.Gate <- struct{}{}
	// The piece and the follow-scroll after it arrive together in the real
	// driver; the test driver runs them on the engine's goroutine, so wait
	// for both before the user scrolls.
	waitFor(t, "the first piece, scrolled to", func() bool {
		return h.w.chat.text(7) == "First piece. " && sc.Offset.Y+sc.Size().Height >= sc.Content.MinSize().Height-24
	})
	settle(sc)
	if !h.w.chat.follow {
		t.Fatal("not following the new reply")
	}
	sc.Scrolled(&fyne.ScrollEvent{Scrolled: fyne.NewDelta(0, 100000)}) // to the top
	if sc.Offset.Y != 0 || h.w.chat.follow {
		t.Fatalf("offset %v, follow %v after scrolling up", sc.Offset.Y, h.w.chat.follow)
	}
	eng.Gate <- struct{}{}
	eng.Gate <- struct{}{}
	waitFor(t, "reply", func() bool { return h.w.chat.sendBtn.Visible() })
	if sc.Offset.Y != 0 {
		t.Errorf("scrolled to %v while the user was reading above", sc.Offset.Y)
	}
}

func TestProseKeepsLineBreaksWithoutTrailingGap(t *testing.T) {
	test.NewTempApp(t)
	rt := widget.NewRichText()
	setMarkdown(rt, "Line one.\nLine **two**.\n\n\nLine three.\n")
	var paras, texts []string
	for _, s := range rt.Segments {
		if ts, ok := s.(*widget.TextSegment); ok {
			if ts.Style == widget.RichTextStyleParagraph && ts.Text == "" {
				paras = append(paras, "|")
			} else {
				texts = append(texts, ts.Text)
			}
		}
	}
	if len(paras) != 2 {
		t.Errorf("%d paragraph breaks, want 2 (between three lines, none after): %q", len(paras), rt.Segments)
	}
	if got := strings.Join(texts, ""); !strings.Contains(got, "Line one.") || !strings.Contains(got, "two") || !strings.HasSuffix(got, "Line three.") {
		t.Errorf("text %q", got)
	}
}

// tappableWithText finds the innermost tappable widget under o whose
// rendered text contains s.
func tappableWithText(o fyne.CanvasObject, s string) fyne.Tappable {
	var found fyne.Tappable
	var visit func(o fyne.CanvasObject, owner fyne.Tappable)
	visit = func(o fyne.CanvasObject, owner fyne.Tappable) {
		if t, ok := o.(fyne.Tappable); ok {
			owner = t
		}
		if owner != nil && strings.Contains(textOf(o), s) {
			found = owner
		}
		switch x := o.(type) {
		case *fyne.Container:
			for _, c := range x.Objects {
				visit(c, owner)
			}
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(x).Objects() {
				visit(c, owner)
			}
		}
	}
	visit(o, nil)
	return found
}

func TestPickerListsLibraryAndLoads(t *testing.T) {
	useTempXDG(t)
	h := newHarness(t, apptest.NewFakeEngine())
	p := modelFile(t, "tiny-260K-Q8_0.gguf")
	h.lib.Register(p)
	tapUI(h.w.bar.pickBtn)
	var item fyne.Tappable
	waitFor(t, "the picker menu", func() bool {
		top := h.w.win.Canvas().Overlays().Top()
		if top == nil {
			return false
		}
		item = tappableWithText(top, "tiny-260K-Q8_0.gguf  ·  260K  ·  Q8_0  ·  1.0 MB")
		return item != nil
	})
	tapUI(item)
	waitFor(t, "the picked model to load", func() bool { return h.c.Model().Loaded() && h.c.Model().Path == p })
}

func TestTokenChoicesOption(t *testing.T) {
	useTempXDG(t)
	saved := tokenChoicesView
	defer func() { tokenChoicesView = saved }()
	var shown []app.Choice
	tokenChoicesView = func(cs []app.Choice) fyne.CanvasObject {
		shown = cs
		return widget.NewLabel("token choices view")
	}
	eng := apptest.NewFakeEngine()
	h := newHarness(t, eng)
	h.load(t)
	h.w.newConversation()
	tapUI(h.w.settings.choices)
	h.typeAndEnter("hello")
	waitFor(t, "the reply", func() bool { return len(h.w.chat.views) == 2 && h.w.chat.sendBtn.Visible() })
	if got := eng.Requests()[0].TopLogprobs; got != choicesTopK {
		t.Fatalf("TopLogprobs %d, want %d", got, choicesTopK)
	}
	v := h.w.chat.views[1]
	if !v.choicesBtn.Visible() {
		t.Fatal("no choices button on a reply with choices")
	}
	tapUI(v.choicesBtn)
	if len(shown) != len(eng.Pieces) || !containsText(v.body, "token choices view") {
		t.Fatalf("choices view not shown (%d tokens)", len(shown))
	}
	tapUI(v.choicesBtn)
	if containsText(v.body, "token choices view") || !containsText(v.body, "Once upon") {
		t.Fatal("did not switch back to the text")
	}
}

// settle waits until the scroll offset has not moved for a few polls: the
// test driver runs the window's event handlers on the engine's goroutine,
// so a follow-scroll may still be on its way after the text shows.
func settle(sc *container.Scroll) {
	last, still := sc.Offset.Y, 0
	for i := 0; i < 400 && still < 10; i++ {
		time.Sleep(5 * time.Millisecond)
		if y := sc.Offset.Y; y == last {
			still++
		} else {
			last, still = y, 0
		}
	}
}
