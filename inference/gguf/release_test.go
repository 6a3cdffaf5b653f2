package gguf

import (
	"bytes"
	"testing"

	"burrow/internal/testenv"
)

// Released tensor bytes still read back the same (the pages return from
// the file), and TouchData skips them.
func TestReleaseKeepsData(t *testing.T) {
	f, err := Open(testenv.Path(t, "models", "round2", "llamakq-q4_k_m.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	ti, ok := f.Tensor("blk.0.ffn_gate.weight")
	if !ok {
		t.Fatal("tensor missing")
	}
	data := f.TensorData(ti)
	want := bytes.Clone(data)
	f.Release(data)
	f.Release(want) // not inside the mapping: ignored
	if !bytes.Equal(data, want) {
		t.Fatal("released bytes read back different")
	}
	if len(f.released) != 1 {
		t.Fatalf("%d released ranges, want 1", len(f.released))
	}
	f.TouchData()
	b := f.Alloc(10000)
	if len(b) != 10000 || b[0] != 0 || b[9999] != 0 {
		t.Fatalf("Alloc gave %d bytes", len(b))
	}
	b[9999] = 1
	if err := f.Close(); err != nil { // frees b too
		t.Fatal(err)
	}
}
