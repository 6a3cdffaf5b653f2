package llama

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"burrow/inference/gguf"
	"burrow/internal/testenv"
)

// Broken files: every one is a clear error, never a panic, and never noise
// sampled from NaN logits.

// q4KMFile is round2's Q4_K_M file (Q4_K, Q6_K, F32 norms), read-only.
func q4KMFile(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(testenv.Path(t, "models", "round2", "llamakq-q4_k_m.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeTemp(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestTruncatedQ4_K_MFile: a Q4_K_M file cut inside its data (mid-superblock
// of a Q4_K tensor, of the Q6_K output, one byte short) fails to open with
// an error that says truncated and names a tensor that lies past the end.
func TestTruncatedQ4_K_MFile(t *testing.T) {
	full := q4KMFile(t)
	f, err := gguf.Parse(full)
	if err != nil {
		t.Fatal(err)
	}
	var cuts []int64
	for _, name := range []string{"blk.1.ffn_gate.weight", "blk.2.attn_v.weight", "token_embd.weight"} {
		ti, ok := f.Tensor(name)
		if !ok {
			t.Fatalf("no %s", name)
		}
		cuts = append(cuts, f.Layout.DataOffset+ti.Offset+ti.Size/2+7)
	}
	var end int64
	for _, ti := range f.Tensors {
		end = max(end, f.Layout.DataOffset+ti.Offset+ti.Size)
	}
	cuts = append(cuts, end-1)
	for _, n := range cuts {
		p := writeTemp(t, "cut.gguf", full[:n])
		g, err := gguf.Open(p)
		if err == nil {
			_, lerr := Load(g)
			g.Close()
			t.Fatalf("cut at %d of %d: opened (Load: %v)", n, len(full), lerr)
		}
		if msg := err.Error(); !strings.Contains(msg, "truncated") || !strings.Contains(msg, `tensor "`) || !errors.Is(err, gguf.ErrCorrupt) {
			t.Fatalf("cut at %d: error %q does not say truncated and name a tensor", n, msg)
		}
	}
}

// TestMisalignedRowLength: a Q4_K tensor whose row length (Shape[0]) is not
// a multiple of its 256-value superblock fails to open, the error naming
// the tensor, its type and both numbers.
func TestMisalignedRowLength(t *testing.T) {
	w := gguf.NewWriter()
	if err := w.Set("general.architecture", "llama"); err != nil {
		t.Fatal(err)
	}
	const name = "blk.0.ffn_down.weight"
	if _, err := w.AddTensorData(name, gguf.TypeQ4_K, []int64{256, 4}, make([]byte, 4*144)); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "misaligned.gguf")
	if err := w.WriteFile(p, nil); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	f, err := gguf.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	// The same 1024 values as rows of 128: dims[0] follows the name and
	// the dimension count in the tensor's info record.
	ti, _ := f.Tensor(name)
	at := ti.InfoOffset + 8 + int64(len(name)) + 4
	binary.LittleEndian.PutUint64(b[at:], 128)
	binary.LittleEndian.PutUint64(b[at+8:], 8)
	_, err = gguf.Open(writeTemp(t, "misaligned.gguf", b))
	want := []string{name, "row length 128", "Q4_K block size 256"}
	for _, s := range want {
		if err == nil || !strings.Contains(err.Error(), s) {
			t.Fatalf("error %v, want it to say %q", err, s)
		}
	}
}

// TestNonFiniteScaleIsAnError: a Q4_K superblock scale (d, then dmin) or a
// Q6_K one set to NaN or infinity loads (the weights are not scanned), and
// Eval gives finite logits or fails with ErrNonFinite, never NaN logits for
// the sampler. In a layer the NaN outputs meet the next matmul's Q8_K
// quantization, which (as llama.cpp's nearest_int) turns NaN into 0, so the
// logits stay finite; in the output matrix they are the logits, and Eval
// fails. A sound file with the same prompt gives finite logits.
func TestNonFiniteScaleIsAnError(t *testing.T) {
	full := q4KMFile(t)
	f, err := gguf.Parse(full)
	if err != nil {
		t.Fatal(err)
	}
	prompt := []int{1, 403, 407, 261, 378}
	eval := func(t *testing.T, b []byte) error {
		g, err := gguf.Open(writeTemp(t, "m.gguf", b))
		if err != nil {
			t.Fatal(err)
		}
		defer g.Close()
		m, err := Load(g)
		if err != nil {
			t.Fatalf("load: %v", err)
		}
		s := newState(t, m, 64, 2)
		if _, err := s.Eval(prompt); err != nil {
			return err
		}
		_, err = s.Eval([]int{42})
		return err
	}
	if err := eval(t, full); err != nil {
		t.Fatalf("sound file: %v", err)
	}
	for _, c := range []struct {
		tensor  string
		off     int64 // of the F16 scale in the tensor's data
		mustErr bool
	}{
		{"blk.0.ffn_gate.weight", 0, false},       // Q4_K d, first superblock (repacked)
		{"blk.1.attn_q.weight", 144*3 + 2, false}, // Q4_K dmin, fourth superblock
		{"output.weight", 208, true},              // Q6_K d of the second superblock
	} {
		for _, v := range []uint16{0x7e00, 0x7c00, 0xfc00} {
			ti, ok := f.Tensor(c.tensor)
			if !ok {
				t.Fatalf("no %s", c.tensor)
			}
			if ti.Type != gguf.TypeQ4_K && ti.Type != gguf.TypeQ6_K {
				t.Fatalf("%s is %s", c.tensor, ti.Type)
			}
			b := append([]byte(nil), full...)
			binary.LittleEndian.PutUint16(b[f.Layout.DataOffset+ti.Offset+c.off:], v)
			err := eval(t, b)
			if (err != nil || c.mustErr) && !errors.Is(err, ErrNonFinite) {
				t.Errorf("%s scale at %d = %#04x: Eval error %v, want ErrNonFinite", c.tensor, c.off, v, err)
			}
		}
	}
}
