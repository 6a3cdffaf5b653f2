package atomicfile

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCrashBeforeRenameKeepsOldFile kills a real process between writing the
// temp file and renaming it: the old file must be intact and readable.
func TestCrashBeforeRenameKeepsOldFile(t *testing.T) {
	if dir := os.Getenv("BURROW_CRASH_DIR"); dir != "" {
		beforeRename = func(string) error { os.Exit(3); return nil }
		Write(filepath.Join(dir, "c1.json"), []byte("new version"), 0o600)
		t.Fatal("the process should have died before the rename")
	}
	dir := t.TempDir()
	old := strings.Repeat("old version ", 1<<12)
	if err := Write(filepath.Join(dir, "c1.json"), []byte(old), 0o600); err != nil {
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
	if got, err := os.ReadFile(filepath.Join(dir, "c1.json")); err != nil || string(got) != old {
		t.Fatalf("after crash: %d bytes, %v; want the old %d", len(got), err, len(old))
	}
}

func TestAtomicWriteReplaces(t *testing.T) {
	p := filepath.Join(t.TempDir(), "sub", "f.json")
	for _, s := range []string{"one", "two"} {
		if err := Write(p, []byte(s), 0o600); err != nil {
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
