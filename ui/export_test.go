package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"

	"burrow/app"
	"burrow/app/apptest"
)

func (h *harness) replyDone(t *testing.T) {
	t.Helper()
	waitFor(t, "the reply", func() bool { _, busy := h.c.Generating(); return !busy && h.w.chat.sendBtn.Visible() })
}

func TestExportImportInTheWindow(t *testing.T) {
	useTempXDG(t)
	h := newHarness(t, apptest.NewFakeEngine())
	h.load(t)
	h.typeAndEnter("Tell me a story")
	h.replyDone(t)
	orig, _ := h.w.CurrentConversation()

	// Copy as Markdown carries the speaker and the stats.
	tapUI(h.w.chat.views[1].mdBtn)
	if got := fyne.CurrentApp().Clipboard().Content(); !strings.HasPrefix(got, "## Assistant\n\nOnce upon a time") || !strings.Contains(got, "10 tokens") {
		t.Errorf("copied markdown %q", got)
	}

	dir := t.TempDir()
	md, js := filepath.Join(dir, "story.md"), filepath.Join(dir, "story.json")
	if err := h.w.exportConversation(orig.ID, exportMarkdown, md); err != nil {
		t.Fatal(err)
	}
	if err := h.w.exportConversation(orig.ID, exportJSON, js); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(md); !strings.Contains(string(data), "## You\n\nTell me a story") {
		t.Errorf("markdown export %q", data)
	}

	// Deleted here, imported back: the sidebar and the pane show it again, equal.
	if err := h.c.Delete(orig.ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the delete", func() bool { return len(h.w.side.items) == 0 })
	h.w.importConversationFile(js)
	got, ok := h.w.CurrentConversation()
	if !ok || got.ID != orig.ID || len(h.w.side.items) != 1 || h.w.chat.text(1) != "Once upon a time, there was a burrow." {
		t.Fatalf("after import: current %q, %d items, reply %q", got.ID, len(h.w.side.items), h.w.chat.text(1))
	}
	if app.ExportMarkdown(got) != app.ExportMarkdown(orig) || got.Messages[1].Stats.GenTokens != orig.Messages[1].Stats.GenTokens {
		t.Error("the imported chat differs from the exported one")
	}
}

func TestHostileImportInTheWindow(t *testing.T) {
	useTempXDG(t)
	h := newHarness(t, apptest.NewFakeEngine())
	h.load(t)
	h.typeAndEnter("keep me")
	h.replyDone(t)
	dir := t.TempDir()
	deep := filepath.Join(dir, "deep.json")
	os.WriteFile(deep, []byte(strings.Repeat(`{"a":`, 5000)+"1"+strings.Repeat("}", 5000)), 0o644)
	big := filepath.Join(dir, "big.json")
	f, _ := os.Create(big)
	f.Truncate(100 << 20) // 100 MB, refused before it is read
	f.Close()
	wrong := filepath.Join(dir, "wrong.json")
	os.WriteFile(wrong, []byte(`{"format": "burrow.conversation", "conversation": {"messages": {"role": 1}}}`), 0o644)
	for path, want := range map[string]string{deep: "nests more than 256", big: "104.9 MB", wrong: "cannot unmarshal"} {
		h.w.lastNotice = ""
		h.w.importConversationFile(path)
		if !strings.Contains(h.w.lastNotice, "not a conversation Burrow can import") || !strings.Contains(h.w.lastNotice, want) {
			t.Errorf("%s: notice %q", filepath.Base(path), h.w.lastNotice)
		}
	}
	if convs := h.c.Conversations(); len(convs) != 1 || convs[0].Title != "keep me" || len(h.w.side.items) != 1 {
		t.Fatalf("library changed: %d conversations", len(convs))
	}
}
