package app

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCrashBeforeRenameKeepsOldFile kills a real process between writing the
// temp file and renaming it: the old file must be intact and readable, and
// the leftover temp file must not show up as a conversation.
func TestCrashBeforeRenameKeepsOldFile(t *testing.T) {
	if dir := os.Getenv("BURROW_CRASH_DIR"); dir != "" {
		beforeRename = func(string) error { os.Exit(3); return nil }
		c := &Conversation{ID: "c1", Title: "new version"}
		ConversationStore{Dir: dir}.Save(c)
		t.Fatal("the process should have died before the rename")
	}
	dir := t.TempDir()
	store := ConversationStore{Dir: dir}
	if err := store.Save(&Conversation{ID: "c1", Title: "old version", Messages: []Message{{Role: "user", Content: strings.Repeat("x", 1<<16)}}}); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashBeforeRenameKeepsOldFile$")
	cmd.Env = append(os.Environ(), "BURROW_CRASH_DIR="+dir)
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 3 {
		t.Fatalf("child did not crash at the rename: %v", err)
	}
	temps, _ := filepath.Glob(filepath.Join(dir, ".c1.json.tmp-*"))
	if len(temps) != 1 {
		t.Fatalf("expected the crashed write's temp file, found %v", temps)
	}
	convs, errs := store.LoadAll()
	if len(errs) > 0 || len(convs) != 1 || convs[0].Title != "old version" || len(convs[0].Messages[0].Content) != 1<<16 {
		t.Fatalf("after crash: %d convs, errs %v", len(convs), errs)
	}
}

func TestAtomicWriteReplaces(t *testing.T) {
	p := filepath.Join(t.TempDir(), "sub", "f.json")
	for _, s := range []string{"one", "two"} {
		if err := writeFileAtomic(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(p); string(b) != s {
			t.Fatalf("read %q, want %q", b, s)
		}
	}
	if ents, _ := os.ReadDir(filepath.Dir(p)); len(ents) != 1 {
		t.Fatalf("stray files: %v", ents)
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
