package synth

import (
	"bytes"
	"math"
	"reflect"
	"strings"
	"testing"

	"burrow/inference/gguf"
	"burrow/inference/tensor"
	"burrow/internal/testenv"
)

func writeMem(t *testing.T, o Options) (*gguf.File, []byte) {
	t.Helper()
	var buf bytes.Buffer
	if _, err := WriteTo(&buf, o); err != nil {
		t.Fatal(err)
	}
	f, err := gguf.Parse(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return f, buf.Bytes()
}

// values decodes a whole tensor to float32.
func values(t *testing.T, f *gguf.File, name string) []float32 {
	t.Helper()
	ti, ok := f.Tensor(name)
	if !ok {
		t.Fatalf("no tensor %s", name)
	}
	out := make([]float32, ti.Elements())
	if err := tensor.DequantizeRow(ti.Type, out, f.TensorData(ti)); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return out
}

func TestTinyModels(t *testing.T) {
	for _, arch := range []string{"llama", "qwen2"} {
		for _, typ := range []gguf.Type{gguf.TypeF32, gguf.TypeF16, gguf.TypeQ8_0} {
			t.Run(arch+"-"+typ.String(), func(t *testing.T) {
				f, _ := writeMem(t, Options{Arch: arch, Preset: "tiny", Type: typ, Seed: 1})
				if f.Architecture() != arch {
					t.Errorf("architecture %q", f.Architecture())
				}
				wantTensors := 1 + 2*9 + 2 // embd, 2 layers, output_norm, output (untied)
				if arch == "qwen2" {
					wantTensors += 2 * 3
				}
				if len(f.Tensors) != wantTensors {
					t.Errorf("%d tensors, want %d", len(f.Tensors), wantTensors)
				}
				hp := map[string]uint64{"block_count": 2, "embedding_length": 64, "feed_forward_length": 172,
					"attention.head_count": 4, "attention.head_count_kv": 2, "context_length": 256,
					"rope.dimension_count": 16, "vocab_size": 354}
				for k, want := range hp {
					if got, ok := f.Uint(f.ArchKey(k)); !ok || got != want {
						t.Errorf("%s = %d (%v), want %d", f.ArchKey(k), got, ok, want)
					}
				}
				if ft := f.UintOr("general.file_type", 99); ft != uint64(fileType(typ)) {
					t.Errorf("file_type %d", ft)
				}
				shapes := map[string][]int64{
					"token_embd.weight":        {64, 354},
					"blk.1.attn_q.weight":      {64, 64},
					"blk.1.attn_k.weight":      {64, 32},
					"blk.1.attn_v.weight":      {64, 32},
					"blk.1.attn_output.weight": {64, 64},
					"blk.1.ffn_gate.weight":    {64, 172},
					"blk.1.ffn_up.weight":      {64, 172},
					"blk.1.ffn_down.weight":    {172, 64},
					"blk.1.attn_norm.weight":   {64},
					"output_norm.weight":       {64},
					"output.weight":            {64, 354},
				}
				if arch == "qwen2" {
					shapes["blk.0.attn_q.bias"] = []int64{64}
					shapes["blk.0.attn_k.bias"] = []int64{32}
				}
				for name, shape := range shapes {
					ti, ok := f.Tensor(name)
					if !ok {
						t.Errorf("missing %s", name)
						continue
					}
					if !reflect.DeepEqual(ti.Shape, shape) {
						t.Errorf("%s shape %v, want %v", name, ti.Shape, shape)
					}
					want := typ
					switch {
					case len(shape) == 1:
						want = gguf.TypeF32
					case typ == gguf.TypeQ8_0 && shape[0] == 172:
						want = gguf.TypeF16 // llama.cpp's fallback
					}
					if ti.Type != want {
						t.Errorf("%s type %s, want %s", name, ti.Type, want)
					}
				}
				for _, v := range values(t, f, "blk.0.ffn_norm.weight") {
					if v != 1 {
						t.Fatalf("norm weight %g, want 1", v)
					}
				}
				// Weights are N(0, 0.02): check mean and std loosely.
				w := values(t, f, "token_embd.weight")
				var sum, sq float64
				for _, v := range w {
					sum += float64(v)
					sq += float64(v) * float64(v)
				}
				mean := sum / float64(len(w))
				std := math.Sqrt(sq/float64(len(w)) - mean*mean)
				if math.Abs(mean) > 0.001 || math.Abs(std-0.02) > 0.001 {
					t.Errorf("token_embd mean %g std %g, want 0 and 0.02", mean, std)
				}
			})
		}
	}
}

func TestSeedAndStd(t *testing.T) {
	_, a := writeMem(t, Options{Seed: 7, Type: gguf.TypeQ8_0})
	_, b := writeMem(t, Options{Seed: 7, Type: gguf.TypeQ8_0})
	_, c := writeMem(t, Options{Seed: 8, Type: gguf.TypeQ8_0})
	if !bytes.Equal(a, b) {
		t.Error("same seed gave different files")
	}
	if bytes.Equal(a, c) {
		t.Error("different seeds gave the same file")
	}
	f, _ := writeMem(t, Options{Seed: 7, Std: 0.5})
	var sq float64
	w := values(t, f, "blk.0.attn_q.weight")
	for _, v := range w {
		sq += float64(v) * float64(v)
	}
	if std := math.Sqrt(sq / float64(len(w))); math.Abs(std-0.5) > 0.03 {
		t.Errorf("std %g with Std 0.5", std)
	}
}

// The real presets are checked by plan only: writing them takes minutes.
func TestRealPresetPlans(t *testing.T) {
	cases := []struct {
		preset  string
		typ     gguf.Type
		tensors int
		params  float64 // approximate, from the published models
		bytes   float64
		embd    []int64
	}{
		{"llama-3.2-1b", gguf.TypeQ8_0, 1 + 1 + 16*9 + 1, 1.236e9, 1.313e9, []int64{2048, 128256}},
		{"llama-3.2-3b", gguf.TypeQ8_0, 1 + 1 + 28*9 + 1, 3.213e9, 3.414e9, []int64{3072, 128256}},
		{"qwen2.5-0.5b", gguf.TypeQ8_0, 1 + 24*12 + 1, 0.494e9, 0.525e9, []int64{896, 151936}},
	}
	for _, c := range cases {
		w, _, err := Plan(Options{Preset: c.preset, Type: c.typ})
		if err != nil {
			t.Fatal(err)
		}
		ts := w.Tensors()
		if len(ts) != c.tensors {
			t.Errorf("%s: %d tensors, want %d", c.preset, len(ts), c.tensors)
		}
		var params, size float64
		for _, ti := range ts {
			params += float64(ti.Elements())
			size += float64(ti.Size)
			if ti.Name == "output.weight" {
				t.Errorf("%s: tied model has output.weight", c.preset)
			}
			if ti.Name == "token_embd.weight" && !reflect.DeepEqual(ti.Shape, c.embd) {
				t.Errorf("%s: token_embd %v", c.preset, ti.Shape)
			}
		}
		if math.Abs(params/c.params-1) > 0.01 || math.Abs(size/c.bytes-1) > 0.01 {
			t.Errorf("%s: %.4g params, %.4g bytes; want about %.4g and %.4g", c.preset, params, size, c.params, c.bytes)
		}
	}
}

func TestLlama3RopeFactors(t *testing.T) {
	got := Llama3RopeFactors(64, 500000, *llama32Rope)
	if len(got) != 32 {
		t.Fatalf("%d factors", len(got))
	}
	if got[0] != 1 || got[31] != 32 {
		t.Errorf("ends %g, %g; want 1 and 32", got[0], got[31])
	}
	for i := 1; i < len(got); i++ {
		if got[i] < got[i-1] {
			t.Errorf("not monotonic at %d: %v", i, got)
		}
	}
	// Recompute the interpolated band in float64 as a cross-check.
	banded := 0
	for i, g := range got {
		freq := math.Pow(500000, -float64(2*i)/64)
		wl := 2 * math.Pi / freq
		want := 1.0
		switch {
		case wl > 8192:
			want = 32
		case wl >= 2048:
			smooth := (8192/wl - 1) / 3
			want = 1 / ((1-smooth)/32 + smooth)
			banded++
		}
		if math.Abs(float64(g)-want) > 1e-4*want {
			t.Errorf("factor %d = %g, want %g", i, g, want)
		}
	}
	if banded == 0 {
		t.Error("no factor in the interpolated band")
	}
	// qwen2 never gets rope_freqs, llama-3.2 does.
	w, _, _ := Plan(Options{Preset: "llama-3.2-1b", Arch: "qwen2"})
	for _, ti := range w.Tensors() {
		if ti.Name == "rope_freqs.weight" {
			t.Error("qwen2 plan has rope_freqs")
		}
	}
	w, _, _ = Plan(Options{Preset: "llama-3.2-1b"})
	if ti := w.Tensors()[0]; ti.Name != "rope_freqs.weight" || ti.Shape[0] != 32 {
		t.Errorf("first tensor %s %v", ti.Name, ti.Shape)
	}
}

func TestVocabFrom(t *testing.T) {
	path := testenv.Path(t, "vocab", "ggml-vocab-llama-spm.gguf")
	src, err := gguf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	f, _ := writeMem(t, Options{VocabFrom: path, Type: gguf.TypeQ8_0})
	n := 0
	for _, kv := range src.KVs {
		if !strings.HasPrefix(kv.Key, "tokenizer.") {
			continue
		}
		n++
		got, ok := f.Lookup(kv.Key)
		if !ok || !reflect.DeepEqual(got, kv) {
			t.Errorf("%s not copied", kv.Key)
		}
	}
	toks, _ := src.Strings("tokenizer.ggml.tokens")
	if n < 4 || len(toks) == 0 {
		t.Fatalf("vocab file has %d tokenizer keys, %d tokens", n, len(toks))
	}
	if ti, _ := f.Tensor("token_embd.weight"); ti.Shape[1] != int64(len(toks)) {
		t.Errorf("token_embd rows %d, vocab %d", ti.Shape[1], len(toks))
	}
	if _, _, err := Plan(Options{VocabFrom: "/nonexistent.gguf"}); err == nil {
		t.Error("missing vocab file accepted")
	}
}

func TestBuiltinVocab(t *testing.T) {
	kvs := BuiltinVocab(0)
	if n := vocabSize(kvs); n != 3+256+95 {
		t.Errorf("%d tokens", n)
	}
	kvs = BuiltinVocab(1000)
	var toks []string
	for _, kv := range kvs {
		if kv.Key == "tokenizer.ggml.tokens" {
			toks = kv.Value.(gguf.Array).Values.([]string)
		}
	}
	if len(toks) != 1000 || toks[3] != "<0x00>" || toks[259] != "▁" || toks[999] != "[PAD645]" {
		t.Errorf("tokens: %d, %q %q %q", len(toks), toks[3], toks[259], toks[999])
	}
}

func TestBadOptions(t *testing.T) {
	for _, o := range []Options{
		{Preset: "nope"}, {Arch: "gpt2"}, {Type: gguf.TypeIQ2_XXS}, {Std: -1},
	} {
		if _, _, err := Plan(o); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
}
