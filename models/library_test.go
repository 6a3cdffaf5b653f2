package models

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"burrow/internal/testenv"
	"burrow/models/hubtest"
)

func writeFile(t *testing.T, path string, data []byte) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func byPath(entries []Entry) map[string]Entry {
	m := map[string]Entry{}
	for _, e := range entries {
		m[e.Path] = e
	}
	return m
}

func TestLibraryScanFindsEveryKindOfEntry(t *testing.T) {
	e := newEnv(t)
	lib := e.lib
	elsewhere := t.TempDir()
	dl := writeFile(t, filepath.Join(lib.Root, "Qwen", "Tiny-GGUF", "tiny-0.5b-instruct-q8_0.gguf"), hubtest.TinyGGUF("llama", "Tiny Instruct", 4000))
	reg := writeFile(t, filepath.Join(elsewhere, "dropped.gguf"), hubtest.TinyGGUF("qwen2", "Dropped", 2000))
	folder := filepath.Join(elsewhere, "more")
	inFolder := writeFile(t, filepath.Join(folder, "sub", "other-F16.gguf"), hubtest.TinyGGUF("gemma3", "Other", 2000))
	writeFile(t, filepath.Join(folder, "notes.txt"), []byte("not a model"))
	writeFile(t, filepath.Join(lib.Root, "Qwen", "Tiny-GGUF", "half.gguf.part"), []byte("partial"))
	bad := writeFile(t, filepath.Join(lib.Root, "x", "y", "broken.gguf"), []byte("definitely not gguf, but long enough to open"))
	split1 := writeFile(t, filepath.Join(lib.Root, "o", "big", "Big-7B-Q8_0-00001-of-00002.gguf"), hubtest.TinyGGUF("llama", "Big", 3000))
	split2 := writeFile(t, filepath.Join(lib.Root, "o", "big", "Big-7B-Q8_0-00002-of-00002.gguf"), randomBytes(5000, 1))

	if err := lib.Register(reg); err != nil {
		t.Fatal(err)
	}
	if err := lib.AddFolder(folder); err != nil {
		t.Fatal(err)
	}
	if err := lib.Register(filepath.Join(elsewhere, "missing.txt")); err == nil {
		t.Fatal("registered a missing non-gguf file")
	}
	entries, err := lib.Scan()
	if err != nil {
		t.Fatal(err)
	}
	got := byPath(entries)
	if len(entries) != 5 {
		t.Fatalf("%d entries, want 5: %+v", len(entries), entries)
	}
	d := got[dl]
	if d.Source != SourceLibrary || d.Repo != "Qwen/Tiny-GGUF" || d.Name != "Tiny Instruct" || d.Architecture != "llama" ||
		d.Quant != "F32" || d.SizeLabel != "0.5B" || d.FileSize != fileSize(t, dl) || d.MemoryEstimate <= 0 || d.Err != "" {
		t.Errorf("download entry %+v", d)
	}
	if d.Supported || d.Reason == "" {
		t.Errorf("a one-tensor file must be unsupported with a reason: %+v", d)
	}
	if r := got[reg]; r.Source != SourceRegistered || r.Repo != "" || r.Architecture != "qwen2" {
		t.Errorf("registered entry %+v", r)
	}
	if f := got[inFolder]; f.Source != SourceFolder || f.Supported || !strings.Contains(f.Reason, "gemma3") {
		t.Errorf("folder entry %+v", f)
	}
	if b := got[bad]; b.Err == "" {
		t.Errorf("broken file has no error: %+v", b)
	}
	s := got[split1]
	if len(s.Files) != 2 || s.Files[1] != split2 || s.FileSize != fileSize(t, split1)+fileSize(t, split2) || s.Quant != "Q8_0" || s.SizeLabel != "7B" || s.Supported {
		t.Errorf("split entry %+v", s)
	}
	if _, ok := got[split2]; ok {
		t.Error("second shard listed on its own")
	}
	// Deleting a split model deletes every shard.
	if err := lib.Delete(split2); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{split1, split2} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s kept", p)
		}
	}
}

func TestLibraryRealModelIsSupported(t *testing.T) {
	src := testenv.Path(t, "models", "stories260K-q8_0.gguf")
	e := newEnv(t)
	dst := filepath.Join(e.lib.Root, "karpathy", "tinyllamas", "stories260K-q8_0.gguf")
	in, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dst, in)
	ent, err := e.lib.Find("karpathy/tinyllamas/stories260K-q8_0.gguf")
	if err != nil {
		t.Fatal(err)
	}
	if !ent.Supported || ent.Architecture != "llama" || ent.Quant != "Q8_0" || ent.MemoryEstimate <= ent.FileSize {
		t.Fatalf("%+v", ent)
	}
}

func TestLibraryCachesMetadataByPathSizeAndTime(t *testing.T) {
	e := newEnv(t)
	p := writeFile(t, filepath.Join(e.lib.Root, "a", "b", "m.gguf"), hubtest.TinyGGUF("llama", "Cached", 2000))
	if _, err := e.lib.Scan(); err != nil {
		t.Fatal(err)
	}
	// Same size and mtime, different bytes: the cache answers, so the name
	// is still the old one.
	st, _ := os.Stat(p)
	data := hubtest.TinyGGUF("llama", "Changd", 2000)
	writeFile(t, p, data)
	os.Chtimes(p, st.ModTime(), st.ModTime())
	fresh := NewLibrary(e.lib.Root, e.lib.StateDir) // a new process
	ent, err := fresh.Find(p)
	if err != nil || ent.Name != "Cached" {
		t.Fatalf("cache not used: %+v %v", ent, err)
	}
	// A new mtime invalidates.
	later := st.ModTime().Add(time.Minute)
	os.Chtimes(p, later, later)
	if ent, _ := fresh.Find(p); ent.Name != "Changd" {
		t.Fatalf("stale cache entry used: %+v", ent)
	}
	// A corrupt cache is ignored.
	writeFile(t, filepath.Join(e.lib.StateDir, "library-cache.json"), []byte("{garbage"))
	if ent, err := NewLibrary(e.lib.Root, e.lib.StateDir).Find(p); err != nil || ent.Name != "Changd" {
		t.Fatalf("corrupt cache: %+v %v", ent, err)
	}
}

func TestLibraryDeleteRemovesTheFileAndNothingElse(t *testing.T) {
	e := newEnv(t)
	dir := filepath.Join(e.lib.Root, "a", "b")
	p := writeFile(t, filepath.Join(dir, "m-Q8_0.gguf"), hubtest.TinyGGUF("llama", "M", 1000))
	keep := writeFile(t, filepath.Join(dir, "README.md"), []byte("keep me"))
	other := writeFile(t, filepath.Join(dir, "m-Q4_0.gguf"), hubtest.TinyGGUF("llama", "M4", 1000))
	elsewhere := writeFile(t, filepath.Join(t.TempDir(), "reg.gguf"), hubtest.TinyGGUF("llama", "R", 1000))
	e.lib.Register(elsewhere)

	if err := e.lib.Delete("a/b/m-Q8_0.gguf"); err != nil {
		t.Fatal(err)
	}
	for _, gone := range []string{p} {
		if _, err := os.Stat(gone); !os.IsNotExist(err) {
			t.Errorf("%s not deleted", gone)
		}
	}
	for _, kept := range []string{keep, other, elsewhere} {
		if _, err := os.Stat(kept); err != nil {
			t.Errorf("%s touched: %v", kept, err)
		}
	}
	// Registered files can be deleted too, and are then forgotten.
	if err := e.lib.Delete(elsewhere); err != nil {
		t.Fatal(err)
	}
	entries, _ := e.lib.Scan()
	if len(entries) != 1 || entries[0].Path != other {
		t.Fatalf("after deletes: %+v", entries)
	}
	// Files outside the library are refused.
	stray := writeFile(t, filepath.Join(t.TempDir(), "stray.gguf"), []byte("x"))
	if err := e.lib.Delete(stray); !errors.Is(err, ErrNotInLibrary) {
		t.Fatalf("deleted a file outside the library: %v", err)
	}
}

func TestParseFileName(t *testing.T) {
	cases := []struct {
		name string
		want NameInfo
	}{
		{"Llama-3.2-1B-Instruct-Q8_0.gguf", NameInfo{Quant: "Q8_0", SizeLabel: "1B"}},
		{"qwen2.5-0.5b-instruct-q8_0.gguf", NameInfo{Quant: "Q8_0", SizeLabel: "0.5B"}},
		{"tinyllama-1.1b-chat-v1.0.Q8_0.gguf", NameInfo{Quant: "Q8_0", SizeLabel: "1.1B"}},
		{"Q8_0/Big-70B-Q8_0-00002-of-00003.gguf", NameInfo{Quant: "Q8_0", SizeLabel: "70B", SplitIndex: 2, SplitCount: 3}},
		{"model.gguf", NameInfo{}},
	}
	for _, c := range cases {
		if got := ParseFileName(c.name); got != c.want {
			t.Errorf("ParseFileName(%q) = %+v, want %+v", c.name, got, c.want)
		}
	}
	set := SplitSet("dir/m-Q4_K_M-00002-of-00003.gguf")
	if strings.Join(set, " ") != "dir/m-Q4_K_M-00001-of-00003.gguf dir/m-Q4_K_M-00002-of-00003.gguf dir/m-Q4_K_M-00003-of-00003.gguf" {
		t.Errorf("SplitSet = %q", set)
	}
	if set := SplitSet("single.gguf"); len(set) != 1 {
		t.Errorf("SplitSet(single) = %q", set)
	}
}

func fileSize(t *testing.T, p string) int64 {
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}
