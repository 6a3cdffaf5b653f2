package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLeftoverTempIsNotAConversation: a crash between writing a temp file
// and renaming it (see atomicfile) leaves the temp file; it must not show up
// as a conversation, and the old file must still load.
func TestLeftoverTempIsNotAConversation(t *testing.T) {
	dir := t.TempDir()
	store := ConversationStore{Dir: dir}
	if err := store.Save(&Conversation{ID: "c1", Title: "old version", Messages: []Message{{Role: "user", Content: strings.Repeat("x", 1<<16)}}}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".c1.json.tmp-123"), []byte(`{"id":"c1","title":"torn`), 0o600); err != nil {
		t.Fatal(err)
	}
	convs, errs := store.LoadAll()
	if len(errs) > 0 || len(convs) != 1 || convs[0].Title != "old version" || len(convs[0].Messages[0].Content) != 1<<16 {
		t.Fatalf("with a leftover temp file: %d convs, errs %v", len(convs), errs)
	}
}

func TestBadIDsAreRefused(t *testing.T) {
	store := ConversationStore{Dir: t.TempDir()}
	for _, id := range []string{"", "../x", "a/b", `a\b`, ".hidden"} {
		if err := store.Save(&Conversation{ID: id}); err == nil {
			t.Errorf("id %q saved", id)
		}
	}
}

func TestFileWriterKeepsNewestAndOrder(t *testing.T) {
	dir := t.TempDir()
	var errs []error
	w := newFileWriter(func(err error) { errs = append(errs, err) })
	a, b := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	for i := 0; i < 50; i++ {
		w.put(a, []byte(strings.Repeat("a", i+1)))
	}
	w.put(b, []byte("b"))
	w.put(b, nil) // deleted after being queued: never appears
	w.flush()
	if got, _ := os.ReadFile(a); len(got) != 50 {
		t.Errorf("a holds %d bytes, want the newest (50)", len(got))
	}
	if _, err := os.Stat(b); !os.IsNotExist(err) {
		t.Errorf("b exists: %v", err)
	}
	w.put(a, nil)
	w.flush()
	if _, err := os.Stat(a); !os.IsNotExist(err) || len(errs) > 0 {
		t.Errorf("a after delete: %v, errors %v", err, errs)
	}
}
