package models

import (
	"path/filepath"
	"strings"
	"testing"
)

// FuzzPathFor: whatever a file list says, an accepted name lands inside the
// repo's folder under the library root.
func FuzzPathFor(f *testing.F) {
	for _, s := range []string{"m.gguf", "../m.gguf", "a/b.gguf", `a\..\b.gguf`, "/x.gguf", "C:/x.gguf", "a/./b.gguf", "x.gguf/"} {
		f.Add("owner/repo", s)
	}
	f.Add("../..", "m.gguf")
	root := filepath.Join(f.TempDir(), "models")
	lib := NewLibrary(root, f.TempDir())
	f.Fuzz(func(t *testing.T, repo, file string) {
		p, err := lib.PathFor(repo, file)
		if err != nil {
			return
		}
		rel, err := filepath.Rel(filepath.Join(root, filepath.FromSlash(repo)), p)
		if err != nil || rel == "." || strings.HasPrefix(rel, "..") || filepath.IsAbs(rel) {
			t.Fatalf("PathFor(%q, %q) = %q escapes the repo folder", repo, file, p)
		}
		if !strings.HasSuffix(strings.ToLower(p), ".gguf") {
			t.Fatalf("PathFor(%q, %q) = %q is not a .gguf path", repo, file, p)
		}
		if filepath.Clean(p) != p {
			t.Fatalf("PathFor(%q, %q) = %q is not clean", repo, file, p)
		}
	})
}
