package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"

	"burrow/app"
	"burrow/app/apptest"
	"burrow/inference"
)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func drop(h *harness, paths ...string) {
	uris := make([]fyne.URI, len(paths))
	for i, p := range paths {
		uris[i] = storage.NewFileURI(p)
	}
	onUI(func() { h.w.onDropped(fyne.NewPos(10, 10), uris) })
}

func (h *harness) counted(t *testing.T) {
	t.Helper()
	waitFor(t, "the tokens to be counted", func() bool {
		var done bool
		onUI(func() { _, busy := h.w.chat.attach.attachments(); done = busy == "" })
		return done
	})
}

// loadStories loads the real stories260K file into the fake engine, so
// the window counts tokens with its tokenizer.
func (h *harness) loadStories(t *testing.T) *inference.Vocab {
	t.Helper()
	h.w.loadModel(stories(t))
	waitFor(t, "the model to load", func() bool { return h.c.Model().Loaded() })
	v := h.c.Vocab()
	if v == nil {
		t.Fatal("no tokenizer")
	}
	return v
}

func TestAttachTextFilesShowsTokensAndSends(t *testing.T) {
	useTempXDG(t)
	h := newHarness(t, apptest.NewFakeEngine())
	v := h.loadStories(t)
	notes := writeFile(t, "notes.txt", "Once upon a time there was a little rabbit.\n")
	code := writeFile(t, "main.go", "package main\n\nfunc main() { println(\"```\") }\n")
	drop(h, notes, code)
	h.counted(t)
	chips := h.w.chat.attach.chips
	if len(chips) != 2 || !h.w.chat.attach.object.Visible() {
		t.Fatalf("%d chips", len(chips))
	}
	for _, c := range chips {
		want := len(v.Tok.Encode(c.att.Block(), false, false))
		if c.att.Tokens != want || !c.att.Exact || c.label.Text != c.att.Name+" · "+itoa(want)+" tokens" {
			t.Errorf("chip %q: %d tokens (exact %v), the tokenizer says %d", c.label.Text, c.att.Tokens, c.att.Exact, want)
		}
	}
	saveScreenshot(t, h.w.win, "attachment-chips.png")

	// Taking one out and sending: the other goes into the message, fenced and named.
	tapUI(chips[0].remove)
	h.typeAndEnter("What does this print?")
	h.replyDone(t)
	cv, _ := h.w.CurrentConversation()
	want := "File: main.go\n````go\npackage main\n\nfunc main() { println(\"```\") }\n````\n\nWhat does this print?"
	if got := cv.Messages[0].Content; got != want {
		t.Fatalf("sent %q, want %q", got, want)
	}
	if len(h.w.chat.attach.chips) != 0 || h.w.chat.attach.object.Visible() {
		t.Error("the chips stayed after sending")
	}
	if reqs := h.eng.Requests(); !strings.Contains(reqs[0].Messages[len(reqs[0].Messages)-1].Content, "File: main.go") {
		t.Error("the engine did not get the file")
	}
}

func TestAttachTooLargeForTheContext(t *testing.T) {
	useTempXDG(t)
	h := newHarness(t, apptest.NewFakeEngine())
	h.loadStories(t) // the fake engine's context: 512 tokens
	big := writeFile(t, "story.md", strings.Repeat("The little rabbit ran to the big tree. ", 200))
	drop(h, big)
	h.counted(t)
	if len(h.w.chat.attach.chips) != 0 {
		t.Fatal("a file larger than the context was attached")
	}
	for _, want := range []string{"“story.md” is ", " tokens; the context holds 512 tokens", "so 512 are free", "Nothing was added"} {
		if !strings.Contains(h.w.lastNotice, want) {
			t.Errorf("notice %q lacks %q", h.w.lastNotice, want)
		}
	}
}

func TestAttachRefusals(t *testing.T) {
	useTempXDG(t)
	h := newHarness(t, apptest.NewFakeEngine())
	h.load(t)
	bin := writeFile(t, "data.csv", "a,b\n1,\x002\n") // a NUL: not text, whatever its name
	huge := filepath.Join(t.TempDir(), "huge.txt")
	f, _ := os.Create(huge)
	f.Truncate(app.MaxAttachmentSize + 1)
	f.Close()
	drop(h, bin, huge)
	if len(h.w.chat.attach.chips) != 0 {
		t.Fatal("something was attached")
	}
	for _, want := range []string{"“data.csv” is not a text file: nothing was added", "“huge.txt” is 4.2 MB; a file put into a message can be at most 4.2 MB"} {
		if !strings.Contains(h.w.lastNotice, want) {
			t.Errorf("notice %q lacks %q", h.w.lastNotice, want)
		}
	}
	// A model dropped with a text file still loads, and nothing is attached.
	model := modelFile(t, "other-Q8_0.gguf")
	drop(h, writeFile(t, "a.txt", "hi"), model)
	waitFor(t, "the dropped model", func() bool { return h.c.Model().Path == model && h.c.Model().Loaded() })
	if len(h.w.chat.attach.chips) != 0 {
		t.Error("the text file dropped with a model was attached")
	}
}

func TestAttachPDFText(t *testing.T) {
	useTempXDG(t)
	h := newHarness(t, apptest.NewFakeEngine())
	h.load(t)
	pdf := writeFile(t, "paper.pdf", "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"+
		"2 0 obj << /Type /Pages /Kids [3 0 R] >> endobj\n3 0 obj << /Type /Page /Contents 4 0 R >> endobj\n"+
		"4 0 obj << >> stream\nBT (Burrow reads PDF text.) Tj ET\nendstream endobj\n")
	drop(h, pdf)
	chips := h.w.chat.attach.chips
	if len(chips) != 1 || chips[0].att.Text != "Burrow reads PDF text." || !strings.HasPrefix(chips[0].label.Text, "paper.pdf · ≈") {
		t.Fatalf("chips %d, %q", len(chips), h.w.lastNotice)
	}
}
