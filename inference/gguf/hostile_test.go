package gguf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// checkParse parses data and requires an error wrapping a sentinel or a
// file whose every accessor works; it never may panic.
func checkParse(t *testing.T, what string, data []byte) (*File, error) {
	t.Helper()
	f, err := Parse(data)
	if err != nil {
		if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrUnsupported) {
			t.Fatalf("%s: error wraps no sentinel: %v", what, err)
		}
		return nil, err
	}
	exercise(f)
	return f, nil
}

// exercise touches everything a viewer or loader would read.
func exercise(f *File) {
	for i := range f.Tensors {
		_ = f.TensorData(&f.Tensors[i])
	}
	s := f.Summary()
	s.MemoryEstimate(0)
	s.MemoryEstimate(4096)
	for _, kv := range f.KVs {
		f.Uint(kv.Key)
		f.Int(kv.Key)
		f.Float(kv.Key)
		f.Strings(kv.Key)
		f.Float32s(kv.Key)
		f.Int32s(kv.Key)
	}
}

func sharedModels(t *testing.T) []string {
	var out []string
	for _, p := range sharedGGUFs(t) {
		if strings.Contains(filepath.ToSlash(p), "/models/") {
			out = append(out, p)
		}
	}
	return out
}

// Every truncation of a model file (in 1 KiB steps, and at every byte of
// the header) is an error, never a panic.
func TestTruncatedFiles(t *testing.T) {
	for _, path := range sharedModels(t) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		full, err := Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		lengths := map[int]bool{}
		for n := 0; n < len(data); n += 1024 {
			lengths[n] = true
		}
		for n := 0; n < int(full.Layout.DataOffset) && n < len(data); n++ {
			lengths[n] = true
		}
		lengths[len(data)-1] = true
		// Cutting only the padding after the last tensor leaves a valid file.
		var dataEnd int64
		for _, ti := range full.Tensors {
			dataEnd = max(dataEnd, full.Layout.DataOffset+ti.Offset+ti.Size)
		}
		for n := range lengths {
			// Capacity cut too, so a reader that kept reading past the end
			// would hit the slice bound, not the rest of the file.
			if _, err := checkParse(t, filepath.Base(path), data[:n:n]); err == nil && int64(n) < dataEnd {
				t.Errorf("%s cut to %d of %d bytes parsed without error", filepath.Base(path), n, len(data))
			}
		}
	}
}

// Vocabulary files are large; they are cut at fewer points.
func TestTruncatedVocabFiles(t *testing.T) {
	for _, path := range sharedGGUFs(t) {
		if !strings.Contains(filepath.ToSlash(path), "/vocab/") {
			continue
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(1, uint64(len(data))))
		for i := 0; i < 40; i++ {
			n := rng.IntN(len(data))
			if _, err := checkParse(t, filepath.Base(path), data[:n:n]); err == nil {
				t.Errorf("%s cut to %d bytes parsed without error", filepath.Base(path), n)
			}
		}
	}
}

// Random byte flips in the header (seeded, so failures reproduce) give an
// error or a valid file.
func TestHeaderByteFlips(t *testing.T) {
	rounds := 3000
	if testing.Short() {
		rounds = 300
	}
	for fi, path := range sharedModels(t) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		full, err := Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		header := int(full.Layout.DataOffset)
		rng := rand.New(rand.NewPCG(42, uint64(fi)))
		buf := make([]byte, len(data))
		valid := 0
		for r := 0; r < rounds; r++ {
			copy(buf, data)
			for k := 1 + rng.IntN(4); k > 0; k-- {
				at := rng.IntN(header)
				switch rng.IntN(3) {
				case 0:
					buf[at] ^= 1 << rng.IntN(8)
				case 1:
					buf[at] = byte(rng.IntN(256))
				default: // a large little-endian number where a count or length may be
					if at+8 <= header {
						binary.LittleEndian.PutUint64(buf[at:], rng.Uint64()>>rng.IntN(64))
					}
				}
			}
			if _, err := checkParse(t, filepath.Base(path), buf); err == nil {
				valid++
			}
		}
		t.Logf("%s: %d of %d corrupted headers still parsed", filepath.Base(path), valid, rounds)
	}
}

// craft writes a small valid file and lets the test patch it.
func craft(t *testing.T, patch func(w *Writer)) []byte {
	t.Helper()
	w := NewWriter()
	w.Set("general.architecture", "llama")
	w.Set("tokenizer.ggml.tokens", []string{"a", "b"})
	w.AddTensorData("a", TypeF32, []int64{8}, make([]byte, 32))
	w.AddTensorData("b", TypeF32, []int64{8}, make([]byte, 32))
	if patch != nil {
		patch(w)
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Absurd counts, dimensions and offsets give errors that name the key or
// tensor and say where.
func TestHostileHeaders(t *testing.T) {
	base := craft(t, nil)
	f, err := Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	ta, tb := f.Tensors[0].InfoOffset, f.Tensors[1].InfoOffset
	nameLen := int64(8 + 1) // "a" / "b"
	dims := func(info int64) int { return int(info + nameLen) }
	shape0 := func(info int64) int { return dims(info) + 4 }
	typeAt := func(info int64) int { return shape0(info) + 8 }
	offAt := func(info int64) int { return typeAt(info) + 4 }
	tokensKey := 24 + 8 + len("general.architecture") + 4 + 8 + len("llama")
	tokensArrayLen := tokensKey + 8 + len("tokenizer.ggml.tokens") + 4 + 4

	u32 := func(at int, v uint32) func([]byte) {
		return func(b []byte) { binary.LittleEndian.PutUint32(b[at:], v) }
	}
	u64 := func(at int, v uint64) func([]byte) {
		return func(b []byte) { binary.LittleEndian.PutUint64(b[at:], v) }
	}
	cases := []struct {
		name     string
		patch    func([]byte)
		sentinel error
		mentions []string
	}{
		{"version 1", u32(4, 1), ErrUnsupported, []string{"version 1"}},
		{"big endian", u32(4, 3<<24), ErrUnsupported, []string{"big-endian"}},
		{"future version", u32(4, 4), ErrUnsupported, []string{"version 4"}},
		{"bad magic", u32(0, 0x12345678), ErrCorrupt, []string{"not a gguf"}},
		{"tensor count", u64(8, 1<<40), ErrCorrupt, []string{"tensor count", "offset 8"}},
		{"metadata count", u64(16, math.MaxUint64), ErrCorrupt, []string{"metadata count", "offset 16"}},
		{"key length", u64(24, 1<<50), ErrCorrupt, []string{"metadata key at offset 24"}},
		{"value type", u32(24+8+len("general.architecture"), 99), ErrCorrupt, []string{"general.architecture", "unknown value type 99", "offset"}},
		{"string length", u64(24+8+len("general.architecture")+4, 1<<60), ErrCorrupt, []string{"general.architecture", "offset"}},
		{"array length", u64(tokensArrayLen, 1<<61), ErrCorrupt, []string{"tokenizer.ggml.tokens", "offset"}},
		{"array type", u32(tokensArrayLen-4, 77), ErrCorrupt, []string{"tokenizer.ggml.tokens", "unknown type 77", "offset"}},
		{"dimension count", u32(dims(tb), 9), ErrCorrupt, []string{`"b"`, "9 dimensions", "offset"}},
		{"zero dimension", u64(shape0(ta), 0), ErrCorrupt, []string{`"a"`, "size 0", "offset"}},
		{"huge dimension", u64(shape0(ta), 1<<62), ErrCorrupt, []string{`"a"`, "offset"}},
		{"negative dimension", u64(shape0(ta), math.MaxUint64), ErrCorrupt, []string{`"a"`, "offset"}},
		{"unknown type", u32(typeAt(tb), 1000), ErrUnsupported, []string{`"b"`, "ggml type 1000", "offset"}},
		{"block size", u32(typeAt(tb), uint32(TypeQ8_0)), ErrCorrupt, []string{`"b"`, "block size", "offset"}},
		{"offset past end", u64(offAt(tb), 1<<30), ErrCorrupt, []string{`"b"`, "past the end", "offset"}},
		{"absurd offset", u64(offAt(tb), math.MaxUint64-5), ErrCorrupt, []string{`"b"`, "absurd", "offset"}},
		{"unaligned", u64(offAt(tb), 33), ErrCorrupt, []string{`"b"`, "aligned", "offset"}},
		{"overlap", u64(offAt(tb), 0), ErrCorrupt, []string{`"a"`, `"b"`, "overlap", "offset"}},
		{"duplicate tensor", func(b []byte) { b[tb+8] = 'a' }, ErrCorrupt, []string{`duplicate tensor name "a"`, "offset"}},
	}
	for _, c := range cases {
		data := bytes.Clone(base)
		c.patch(data)
		_, err := checkParse(t, c.name, data)
		if err == nil {
			t.Errorf("%s: parsed", c.name)
			continue
		}
		if !errors.Is(err, c.sentinel) {
			t.Errorf("%s: %v does not wrap %v", c.name, err, c.sentinel)
		}
		for _, m := range c.mentions {
			if !strings.Contains(err.Error(), m) {
				t.Errorf("%s: error %q does not mention %q", c.name, err, m)
			}
		}
	}

	// Duplicate keys, bad alignment and deep nesting are written directly,
	// past the writer's own checks.
	for _, a := range []uint32{0, 3, 48, 1 << 30} {
		w := NewWriter()
		w.kvs = append(w.kvs, KV{"general.alignment", ValUint32, a})
		w.kvIndex["general.alignment"] = 0
		var buf bytes.Buffer
		w.WriteTo(&buf, nil)
		if _, err := Parse(buf.Bytes()); err == nil || !strings.Contains(err.Error(), "general.alignment") || !strings.Contains(err.Error(), "offset 24") {
			t.Errorf("alignment %d: %v", a, err)
		}
	}
	deep := Array{ValInt8, []int8{1}}
	for d := 0; d < maxArrayDepth+1; d++ {
		deep = Array{ValArray, []Array{deep}}
	}
	w := NewWriter()
	w.kvs = append(w.kvs, KV{"deep", ValArray, deep})
	w.kvIndex["deep"] = 0
	var buf bytes.Buffer
	w.WriteTo(&buf, nil)
	if _, err := Parse(buf.Bytes()); err == nil || !strings.Contains(err.Error(), `"deep"`) || !strings.Contains(err.Error(), "nested") {
		t.Errorf("deep nesting: %v", err)
	}
	w = NewWriter()
	w.kvs = []KV{{"k", ValUint8, uint8(1)}, {"k", ValUint8, uint8(2)}}
	buf.Reset()
	w.WriteTo(&buf, nil)
	if _, err := Parse(buf.Bytes()); err == nil || !strings.Contains(err.Error(), `duplicate metadata key "k" at offset`) {
		t.Errorf("duplicate key: %v", err)
	}
}

// allocatedBy returns the bytes allocated while f runs.
func allocatedBy(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// Parse allocates in proportion to what the file holds, never to what its
// counts claim: a 100-byte file claiming 2^40 tensors or strings costs a
// few kilobytes.
func TestParseAllocationBounded(t *testing.T) {
	lying := [][]byte{}
	for _, p := range []func([]byte){
		func(b []byte) { binary.LittleEndian.PutUint64(b[8:], 1<<40) },
		func(b []byte) { binary.LittleEndian.PutUint64(b[16:], 1<<40) },
	} {
		d := craft(t, nil)
		p(d)
		lying = append(lying, d)
	}
	// A small file that claims a huge string array / many KVs / many tensors
	// within its own byte budget, then stops.
	for _, claim := range []struct {
		nTensors, nKV uint64
		body          []byte
	}{
		{0, 1, append(append(le64(1), 'k'), append(le32(uint32(ValArray)), append(le32(uint32(ValString)), le64(12)...)...)...)},
		{0, 1, append(append(le64(1), 'k'), append(le32(uint32(ValArray)), append(le32(uint32(ValArray)), le64(8)...)...)...)},
		{3, 0, nil},
		{0, 7, nil},
	} {
		d := append(append(append(le32(magic), le32(3)...), le64(claim.nTensors)...), le64(claim.nKV)...)
		d = append(d, claim.body...)
		d = append(d, make([]byte, 100)...)
		lying = append(lying, d)
	}
	corpus := fuzzCorpus(t)
	t.Logf("%d crafted inputs and %d from the fuzz corpus", len(lying), len(corpus))
	lying = append(lying, corpus...)
	for i, d := range lying {
		n := allocatedBy(func() { Parse(d) })
		if n > uint64(4*len(d)+64<<10) {
			t.Errorf("hostile input %d (%d bytes) made Parse allocate %d bytes", i, len(d), n)
		}
	}
	// Real files: Parse allocates a small multiple of the header it decodes.
	for _, path := range sharedGGUFs(t) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var f *File
		n := allocatedBy(func() { f, _ = Parse(data) })
		header := f.Layout.InfosEnd
		t.Logf("%s: header %d bytes, Parse allocated %d (%.2fx)", filepath.Base(path), header, n, float64(n)/float64(header))
		if n > uint64(4*header+64<<10) {
			t.Errorf("%s: Parse allocated %d bytes for a %d-byte header", filepath.Base(path), n, header)
		}
	}
}

// fuzzCorpus reads the inputs FuzzParse found (testdata/fuzz/FuzzParse,
// "go test fuzz v1" files holding one []byte).
func fuzzCorpus(t *testing.T) [][]byte {
	ents, _ := os.ReadDir(filepath.Join("testdata", "fuzz", "FuzzParse"))
	var out [][]byte
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join("testdata", "fuzz", "FuzzParse", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		_, body, _ := strings.Cut(string(b), "\n")
		body = strings.TrimSpace(body)
		if !strings.HasPrefix(body, "[]byte(") || !strings.HasSuffix(body, ")") {
			continue
		}
		s, err := strconv.Unquote(body[len("[]byte(") : len(body)-1])
		if err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		out = append(out, []byte(s))
	}
	return out
}

func le32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
func le64(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }
