package api

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"burrow/internal/testenv"
	"burrow/models"
)

func TestLibraryModelIDs(t *testing.T) {
	src := testenv.Path(t, "models", "stories260K-f32.gguf")
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	root := filepath.Join(dir, "models")
	for _, p := range []string{filepath.Join(root, "acme", "tiny", "tiny-f32.gguf"), filepath.Join(dir, "elsewhere", "mine.gguf")} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "broken.gguf"), []byte("not gguf"), 0o644); err != nil {
		t.Fatal(err)
	}
	lib := models.NewLibrary(root, filepath.Join(dir, "state"))
	if err := lib.Register(filepath.Join(dir, "elsewhere", "mine.gguf")); err != nil {
		t.Fatal(err)
	}
	got := LibraryModelIDs(lib)()
	slices.Sort(got)
	if want := []string{"acme/tiny/tiny-f32.gguf", "mine.gguf"}; !reflect.DeepEqual(got, want) {
		t.Errorf("ids = %q, want %q", got, want)
	}
}
