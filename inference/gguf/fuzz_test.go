package gguf_test

import (
	"bytes"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"burrow/inference/gguf"
	"burrow/inference/synth"
	"burrow/internal/testenv"
)

// FuzzParse feeds arbitrary bytes to Parse: it must return an error that
// wraps ErrCorrupt or ErrUnsupported, or a File whose accessors all work
// and which the writer reproduces. Seeds: the shared test files (when
// present) and synthesized models. Run: go test -run=^$ -fuzz=FuzzParse
// -fuzztime=10m ./inference/gguf/
func FuzzParse(f *testing.F) {
	if dir := testenv.Dir(); dir != "" {
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".gguf") {
				return nil
			}
			// Seeds go in shrunk (same keys and tensors, short arrays, one
			// block per tensor): the fuzzer minimizes every input that finds
			// new coverage, and on megabyte seeds that takes minutes each.
			if data, err := os.ReadFile(p); err == nil {
				if file, err := gguf.Parse(data); err == nil {
					f.Add(shrink(f, file))
				}
			}
			return nil
		})
	}
	for _, o := range []synth.Options{
		{Arch: "llama", Type: gguf.TypeQ8_0},
		{Arch: "qwen2", Type: gguf.TypeF16},
	} {
		var buf bytes.Buffer
		if _, err := synth.WriteTo(&buf, o); err != nil {
			f.Fatal(err)
		}
		file, err := gguf.Parse(buf.Bytes())
		if err != nil {
			f.Fatal(err)
		}
		f.Add(shrink(f, file))
	}
	f.Add(allTypesFile(f))
	f.Add([]byte("GGUF\x03\x00\x00\x00"))

	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := gguf.Parse(data)
		if err != nil {
			if !errors.Is(err, gguf.ErrCorrupt) && !errors.Is(err, gguf.ErrUnsupported) {
				t.Fatalf("error wraps no sentinel: %v", err)
			}
			return
		}
		for i := range file.Tensors {
			ti := &file.Tensors[i]
			if got := int64(len(file.TensorData(ti))); got != ti.Size {
				t.Fatalf("tensor %s: %d bytes of data, size %d", ti.Name, got, ti.Size)
			}
		}
		s := file.Summary()
		s.MemoryEstimate(0)
		s.MemoryEstimate(4096)
		for _, kv := range file.KVs {
			file.Float(kv.Key)
			file.Int32s(kv.Key)
			file.Float32s(kv.Key)
		}
		// What parses, the writer writes back; and what it wrote parses to
		// the same bytes again.
		once, ok := rewrite(t, file)
		if !ok {
			return
		}
		again, err := gguf.Parse(once)
		if err != nil {
			t.Fatalf("rewritten file does not parse: %v", err)
		}
		twice, _ := rewrite(t, again)
		if !bytes.Equal(once, twice) {
			t.Fatalf("rewrite is not stable")
		}
	})
}

// rewrite writes f's metadata and tensors through the Writer. ok is false
// when the writer refuses the metadata (it only writes general.alignment as
// uint32, while the reader accepts any integer type).
func rewrite(t *testing.T, f *gguf.File) ([]byte, bool) {
	w := gguf.NewWriter()
	for _, kv := range f.KVs {
		if err := w.SetKV(kv); err != nil {
			if kv.Key == "general.alignment" {
				return nil, false
			}
			t.Fatalf("writer refuses parsed metadata %q: %v", kv.Key, err)
		}
	}
	for i := range f.Tensors {
		ti := &f.Tensors[i]
		if _, err := w.AddTensorData(ti.Name, ti.Type, ti.Shape, f.TensorData(ti)); err != nil {
			t.Fatalf("writer refuses parsed tensor: %v", err)
		}
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), true
}

// shrink rewrites a file small but valid: the same keys with arrays cut to
// 16 elements, and the same tensor names and types with one block of data.
func shrink(tb testing.TB, f *gguf.File) []byte {
	w := gguf.NewWriter()
	for _, kv := range f.KVs {
		if a, ok := kv.Value.(gguf.Array); ok {
			kv.Value = cutArray(a, 16)
		}
		if err := w.SetKV(kv); err != nil {
			tb.Fatal(err)
		}
	}
	for _, ti := range f.Tensors {
		bs := int64(ti.Type.BlockSize())
		w.AddTensorData(ti.Name, ti.Type, []int64{bs}, make([]byte, ti.Type.TypeSize()))
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf, nil); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func cutArray(a gguf.Array, n int) gguf.Array {
	switch v := a.Values.(type) {
	case []string:
		a.Values = v[:min(n, len(v))]
	case []float32:
		a.Values = v[:min(n, len(v))]
	case []int32:
		a.Values = v[:min(n, len(v))]
	case []uint32:
		a.Values = v[:min(n, len(v))]
	case []gguf.Array:
		a.Values = v[:min(n, len(v))]
	}
	return a
}

// allTypesFile holds every metadata type and a few tensors.
func allTypesFile(tb testing.TB) []byte {
	w := gguf.NewWriter()
	for _, kv := range []struct {
		k string
		v any
	}{
		{"general.architecture", "llama"}, {"u8", uint8(1)}, {"i8", int8(-1)}, {"u16", uint16(2)},
		{"i16", int16(-2)}, {"u32", uint32(3)}, {"i32", int32(-3)}, {"f32", float32(math.Pi)},
		{"bool", true}, {"str", "s"}, {"u64", uint64(4)}, {"i64", int64(-4)}, {"f64", math.E},
		{"llama.attention.head_count", []int32{2, 4}}, {"tokenizer.ggml.tokens", []string{"a", "", "c"}},
		{"nested", []gguf.Array{{Type: gguf.ValUint8, Values: []uint8{1}}, {Type: gguf.ValString, Values: []string{"x"}}}},
	} {
		if err := w.Set(kv.k, kv.v); err != nil {
			tb.Fatal(err)
		}
	}
	w.AddTensorData("a", gguf.TypeQ8_0, []int64{32, 2}, make([]byte, 68))
	w.AddTensorData("b", gguf.TypeF16, []int64{3, 1, 1, 1}, make([]byte, 6))
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf, nil); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}
