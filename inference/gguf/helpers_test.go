package gguf

import (
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"burrow/internal/testenv"
)

// sharedGGUFs lists every .gguf file in the shared test data (skipping the
// test locally, failing it in CI, when the folder is missing).
func sharedGGUFs(t testing.TB) []string {
	t.Helper()
	dir := testenv.Path(t, "models")
	root := filepath.Dir(dir)
	var out []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".gguf") {
			out = append(out, p)
		}
		return nil
	})
	sort.Strings(out)
	if len(out) == 0 {
		t.Fatalf("no .gguf files under %s", root)
	}
	return out
}
