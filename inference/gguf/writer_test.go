package gguf

import (
	"bytes"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// allValueKVs holds one entry of every metadata value type, including arrays
// of strings, empty arrays and nested arrays.
func allValueKVs() []KV {
	return []KV{
		{"general.architecture", ValString, "llama"},
		{"t.u8", ValUint8, uint8(200)},
		{"t.i8", ValInt8, int8(-100)},
		{"t.u16", ValUint16, uint16(65000)},
		{"t.i16", ValInt16, int16(-32000)},
		{"t.u32", ValUint32, uint32(4000000000)},
		{"t.i32", ValInt32, int32(-2000000000)},
		{"t.f32", ValFloat32, float32(3.25)},
		{"t.bool", ValBool, true},
		{"t.false", ValBool, false},
		{"t.str", ValString, "héllo ▁world"},
		{"t.empty", ValString, ""},
		{"t.u64", ValUint64, uint64(math.MaxUint64)},
		{"t.i64", ValInt64, int64(math.MinInt64)},
		{"t.f64", ValFloat64, math.Pi},
		{"t.nan", ValFloat32, float32(math.Inf(-1))},
		{"t.a.u8", ValArray, Array{ValUint8, []uint8{1, 2, 255}}},
		{"t.a.i8", ValArray, Array{ValInt8, []int8{-1, 0, 1}}},
		{"t.a.u16", ValArray, Array{ValUint16, []uint16{1, 65535}}},
		{"t.a.i16", ValArray, Array{ValInt16, []int16{-5, 5}}},
		{"t.a.u32", ValArray, Array{ValUint32, []uint32{7}}},
		{"t.a.i32", ValArray, Array{ValInt32, []int32{-7, 1 << 30}}},
		{"t.a.f32", ValArray, Array{ValFloat32, []float32{0.5, -1e-30}}},
		{"t.a.bool", ValArray, Array{ValBool, []bool{true, false, true}}},
		{"t.a.str", ValArray, Array{ValString, []string{"<unk>", "", "▁the", "\x00bin"}}},
		{"t.a.u64", ValArray, Array{ValUint64, []uint64{1 << 63}}},
		{"t.a.i64", ValArray, Array{ValInt64, []int64{-1}}},
		{"t.a.f64", ValArray, Array{ValFloat64, []float64{1e300}}},
		{"t.a.empty", ValArray, Array{ValInt32, []int32{}}},
		{"t.a.nested", ValArray, Array{ValArray, []Array{
			{ValString, []string{"a", "b"}},
			{ValArray, []Array{{ValFloat32, []float32{1, 2}}, {ValUint8, []uint8{}}}},
			{ValInt64, []int64{}},
		}}},
	}
}

func TestWriterRoundTrip(t *testing.T) {
	for _, align := range []uint32{0, 32, 64, 1} {
		w := NewWriter()
		if align != 0 {
			if err := w.Set("general.alignment", align); err != nil {
				t.Fatal(err)
			}
		}
		kvs := allValueKVs()
		for _, kv := range kvs {
			if err := w.SetKV(kv); err != nil {
				t.Fatal(err)
			}
		}
		type spec struct {
			name  string
			typ   Type
			shape []int64
		}
		specs := []spec{
			{"a.f32", TypeF32, []int64{3}},
			{"b.f16", TypeF16, []int64{5, 3}},
			{"c.q8_0", TypeQ8_0, []int64{64, 2}},
			{"d.q4_k", TypeQ4_K, []int64{256, 1, 1, 2}},
			{"e.i8", TypeI8, []int64{1}},
		}
		want := map[string][]byte{}
		for i, s := range specs {
			n := s.typ.RowSize(s.shape[0])
			for _, d := range s.shape[1:] {
				n *= d
			}
			data := bytes.Repeat([]byte{byte(i + 1)}, int(n))
			want[s.name] = data
			var err error
			if i%2 == 0 {
				_, err = w.AddTensorData(s.name, s.typ, s.shape, data)
			} else {
				_, err = w.AddTensor(s.name, s.typ, s.shape)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		var buf bytes.Buffer
		n, err := w.WriteTo(&buf, func(ti *TensorInfo, dst io.Writer) error {
			d := want[ti.Name]
			// Write in two pieces to check that partial writes add up.
			if _, err := dst.Write(d[:len(d)/2]); err != nil {
				return err
			}
			_, err := dst.Write(d[len(d)/2:])
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if n != int64(buf.Len()) {
			t.Fatalf("WriteTo returned %d, wrote %d", n, buf.Len())
		}
		f, err := Parse(buf.Bytes())
		if err != nil {
			t.Fatalf("align %d: parse: %v", align, err)
		}
		if f.Version != 3 {
			t.Errorf("version %d", f.Version)
		}
		wantAlign := int64(align)
		if align == 0 {
			wantAlign = 32
		}
		if f.Alignment != wantAlign {
			t.Errorf("alignment %d, want %d", f.Alignment, wantAlign)
		}
		if f.Size%wantAlign != 0 || f.Layout.DataOffset%wantAlign != 0 {
			t.Errorf("file size %d / data offset %d not aligned to %d", f.Size, f.Layout.DataOffset, wantAlign)
		}
		got := f.KVs
		if align != 0 {
			got = got[1:] // general.alignment came first
		}
		if !reflect.DeepEqual(got, kvs) {
			t.Errorf("align %d: metadata differs\n got %#v\nwant %#v", align, got, kvs)
		}
		if len(f.Tensors) != len(specs) {
			t.Fatalf("%d tensors, want %d", len(f.Tensors), len(specs))
		}
		for i, s := range specs {
			ti := f.Tensors[i]
			if ti.Name != s.name || ti.Type != s.typ || !reflect.DeepEqual(ti.Shape, s.shape) {
				t.Errorf("tensor %d: %s %s %v, want %s %s %v", i, ti.Name, ti.Type, ti.Shape, s.name, s.typ, s.shape)
			}
			if !bytes.Equal(f.TensorData(&ti), want[s.name]) {
				t.Errorf("tensor %s: data differs", s.name)
			}
			if ti.Offset != w.Tensors()[i].Offset {
				t.Errorf("tensor %s: offset %d, planned %d", s.name, ti.Offset, w.Tensors()[i].Offset)
			}
		}
	}
}

func TestWriterSetInfersTypes(t *testing.T) {
	w := NewWriter()
	cases := []struct {
		v    any
		want ValueType
	}{
		{uint8(1), ValUint8}, {int8(1), ValInt8}, {uint16(1), ValUint16}, {int16(1), ValInt16},
		{uint32(1), ValUint32}, {int32(1), ValInt32}, {float32(1), ValFloat32}, {true, ValBool},
		{"s", ValString}, {uint64(1), ValUint64}, {int64(1), ValInt64}, {1.5, ValFloat64},
		{7, ValInt32}, {1 << 40, ValInt64}, {[]string{"a"}, ValArray}, {[]float32{1}, ValArray},
		{[]Array{{ValInt32, []int32{1}}}, ValArray},
	}
	for i, c := range cases {
		key := string(rune('a' + i))
		if err := w.Set(key, c.v); err != nil {
			t.Fatalf("%T: %v", c.v, err)
		}
		if got := w.KVs()[i].Type; got != c.want {
			t.Errorf("%T: type %s, want %s", c.v, got, c.want)
		}
	}
	if err := w.Set("bad", struct{}{}); err == nil {
		t.Error("struct value accepted")
	}
	if err := w.SetKV(KV{"bad", ValUint32, int32(1)}); err == nil {
		t.Error("mismatched type accepted")
	}
	if err := w.SetKV(KV{"bad", ValArray, Array{ValString, []int32{1}}}); err == nil {
		t.Error("mismatched array accepted")
	}
	if err := w.Set("general.alignment", uint32(48)); err == nil {
		t.Error("alignment 48 accepted")
	}
	// Replacing keeps the position, Delete removes.
	if err := w.Set("a", uint8(9)); err != nil || w.KVs()[0].Value != uint8(9) {
		t.Errorf("replace: %v %v", err, w.KVs()[0])
	}
	w.Delete("a")
	if w.KVs()[0].Key != "b" {
		t.Errorf("after delete first key is %q", w.KVs()[0].Key)
	}
}

func TestWriterRejectsBadTensors(t *testing.T) {
	w := NewWriter()
	bad := []struct {
		name  string
		typ   Type
		shape []int64
		data  []byte
	}{
		{"zero", TypeF32, []int64{0}, nil},
		{"neg", TypeF32, []int64{4, -1}, nil},
		{"dims", TypeF32, []int64{1, 1, 1, 1, 1}, nil},
		{"nodims", TypeF32, nil, nil},
		{"block", TypeQ8_0, []int64{33}, nil},
		{"unknown", Type(99), []int64{4}, nil},
		{"size", TypeF32, []int64{4}, make([]byte, 15)},
		{"overflow", TypeF32, []int64{1 << 40, 1 << 40}, nil},
	}
	for _, b := range bad {
		var err error
		if b.data != nil {
			_, err = w.AddTensorData(b.name, b.typ, b.shape, b.data)
		} else {
			_, err = w.AddTensor(b.name, b.typ, b.shape)
		}
		if err == nil {
			t.Errorf("%s accepted", b.name)
		}
	}
	if _, err := w.AddTensor("x", TypeF32, []int64{4}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.AddTensor("x", TypeF32, []int64{4}); err == nil {
		t.Error("duplicate accepted")
	}
	// A fill that writes too little or too much is an error.
	for _, n := range []int{15, 17} {
		_, err := w.WriteTo(io.Discard, func(ti *TensorInfo, dst io.Writer) error {
			_, err := dst.Write(make([]byte, n))
			return err
		})
		if err == nil {
			t.Errorf("fill of %d bytes for a 16-byte tensor accepted", n)
		}
	}
	if _, err := w.WriteTo(io.Discard, nil); err == nil {
		t.Error("missing fill accepted")
	}
	fillErr := errors.New("boom")
	if _, err := w.WriteTo(io.Discard, func(*TensorInfo, io.Writer) error { return fillErr }); !errors.Is(err, fillErr) {
		t.Errorf("fill error not passed on: %v", err)
	}
}

func TestWriteFileLeavesNothingOnError(t *testing.T) {
	dir := t.TempDir()
	w := NewWriter()
	w.Set("general.architecture", "llama")
	w.AddTensor("x", TypeF32, []int64{4})
	path := filepath.Join(dir, "m.gguf")
	if err := w.WriteFile(path, func(*TensorInfo, io.Writer) error { return errors.New("boom") }); err == nil {
		t.Fatal("no error")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("left %v behind", ents)
	}
	if err := w.WriteFile(path, func(_ *TensorInfo, dst io.Writer) error {
		_, err := dst.Write(make([]byte, 16))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Architecture() != "llama" || len(f.Tensors) != 1 {
		t.Errorf("read back %q with %d tensors", f.Architecture(), len(f.Tensors))
	}
}

// Rewriting a shared file from its parsed contents must reproduce the file
// byte for byte: the writer lays files out exactly as llama.cpp does.
func TestWriterReproducesSharedFiles(t *testing.T) {
	for _, path := range sharedGGUFs(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			orig, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			f, err := Parse(orig)
			if err != nil {
				t.Fatal(err)
			}
			w := NewWriter()
			for _, kv := range f.KVs {
				if err := w.SetKV(kv); err != nil {
					t.Fatal(err)
				}
			}
			for i := range f.Tensors {
				ti := &f.Tensors[i]
				got, err := w.AddTensorData(ti.Name, ti.Type, ti.Shape, f.TensorData(ti))
				if err != nil {
					t.Fatal(err)
				}
				if got.Offset != ti.Offset {
					t.Fatalf("tensor %s planned at %d, original %d", ti.Name, got.Offset, ti.Offset)
				}
			}
			var buf bytes.Buffer
			if _, err := w.WriteTo(&buf, nil); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.Bytes(), orig) {
				n := 0
				for n < min(buf.Len(), len(orig)) && buf.Bytes()[n] == orig[n] {
					n++
				}
				t.Errorf("rewrite differs: %d vs %d bytes, first difference at %d", buf.Len(), len(orig), n)
			}
		})
	}
}
