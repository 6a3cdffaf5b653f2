package quantize

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"burrow/inference/gguf"
	"burrow/internal/testenv"
)

// round2Dir is the folder of files llama-quantize made from the -f32 files
// next to them. Missing test data fails the test.
func round2Dir(t testing.TB) string {
	t.Helper()
	d := testenv.Dir()
	if d == "" {
		t.Fatal("shared test data (../shared/testdata or $BURROW_TESTDATA) is missing")
	}
	d = filepath.Join(d, "models", "round2")
	if _, err := os.Stat(filepath.Join(d, "llamakq-f32.gguf")); err != nil {
		t.Fatalf("round2 test data missing: %v", err)
	}
	return d
}

// round2Quantized lists the llama-quantize outputs: name, source, recipe.
type round2File struct{ name, src, ftype string }

func round2Quantized(t testing.TB) []round2File {
	dir := round2Dir(t)
	var out []round2File
	paths, _ := filepath.Glob(filepath.Join(dir, "*.gguf"))
	for _, p := range paths {
		base := strings.TrimSuffix(filepath.Base(p), ".gguf")
		arch, typ, ok := strings.Cut(base, "-")
		if !ok || typ == "f32" {
			continue
		}
		out = append(out, round2File{base, filepath.Join(dir, arch+"-f32.gguf"), typ})
	}
	if len(out) < 17 {
		t.Fatalf("found %d quantized round2 files, want at least 17", len(out))
	}
	return out
}

func openGGUF(t testing.TB, path string) *gguf.File {
	t.Helper()
	f, err := gguf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func tensorsOf(f *gguf.File) []Tensor {
	ts := make([]Tensor, len(f.Tensors))
	for i, ti := range f.Tensors {
		ts[i] = Tensor{Name: ti.Name, Shape: ti.Shape, Type: ti.Type}
	}
	return ts
}

// The recipe applied to each f32 file gives every tensor the type (and the
// place in the file) llama-quantize gave it.
func TestRecipeMatchesLlamaQuantize(t *testing.T) {
	for _, rf := range round2Quantized(t) {
		t.Run(rf.name, func(t *testing.T) {
			ft, ok := LookupFtype(rf.ftype)
			if !ok {
				t.Fatalf("no recipe %q", rf.ftype)
			}
			src, ref := openGGUF(t, rf.src), openGGUF(t, filepath.Join(round2Dir(t), rf.name+".gguf"))
			plan, err := Plan(ft, ModelOf(src), tensorsOf(src))
			if err != nil {
				t.Fatal(err)
			}
			if len(plan) != len(ref.Tensors) {
				t.Fatalf("%d tensors planned, llama-quantize wrote %d", len(plan), len(ref.Tensors))
			}
			for i, p := range plan {
				want := ref.Tensors[i]
				if p.Name != want.Name || p.Out != want.Type {
					t.Errorf("tensor %d: %s %s, llama-quantize: %s %s", i, p.Name, p.Out, want.Name, want.Type)
				}
			}
			if got, _ := ref.Uint("general.file_type"); uint32(got) != ft.ID {
				t.Errorf("general.file_type %d in the file, recipe id %d", got, ft.ID)
			}
		})
	}
}
