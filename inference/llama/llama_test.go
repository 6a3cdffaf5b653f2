package llama

import (
	"errors"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"burrow/inference/gguf"
	"burrow/inference/tensor"
)

// writeTiny writes a minimal llama-shaped file (zero weights) whose
// architecture and tensor types the test chooses.
func writeTiny(t *testing.T, arch string, typeOf func(name string) gguf.Type) string {
	t.Helper()
	const dim, ff, vocab, heads, kvHeads = 32, 64, 40, 2, 1
	w := gguf.NewWriter()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(w.Set("general.architecture", arch))
	for k, v := range map[string]uint32{
		"context_length": 64, "embedding_length": dim, "feed_forward_length": ff, "block_count": 1,
		"attention.head_count": heads, "attention.head_count_kv": kvHeads,
	} {
		must(w.Set(arch+"."+k, v))
	}
	must(w.Set(arch+".attention.layer_norm_rms_epsilon", float32(1e-5)))
	add := func(name string, shape ...int64) {
		typ := gguf.TypeF32
		if typeOf != nil {
			typ = typeOf(name)
		}
		n := int64(1)
		for _, d := range shape {
			n *= d
		}
		_, err := w.AddTensorData(name, typ, shape, make([]byte, typ.RowSize(n)))
		must(err)
	}
	add("token_embd.weight", dim, vocab)
	add("output_norm.weight", dim)
	add("blk.0.attn_norm.weight", dim)
	add("blk.0.attn_q.weight", dim, dim)
	add("blk.0.attn_k.weight", dim, dim/heads*kvHeads)
	add("blk.0.attn_v.weight", dim, dim/heads*kvHeads)
	add("blk.0.attn_output.weight", dim, dim)
	add("blk.0.ffn_norm.weight", dim)
	add("blk.0.ffn_gate.weight", dim, ff)
	add("blk.0.ffn_up.weight", dim, ff)
	add("blk.0.ffn_down.weight", ff, dim)
	p := filepath.Join(t.TempDir(), arch+".gguf")
	must(w.WriteFile(p, nil))
	return p
}

func openGGUF(t *testing.T, path string) *gguf.File {
	t.Helper()
	f, err := gguf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func TestUnsupportedFilesSayWhy(t *testing.T) {
	tests := []struct {
		name   string
		arch   string
		typeOf func(string) gguf.Type
		want   string
	}{
		{"architecture", "mamba", nil, "mamba is not supported yet; supported: " + strings.Join(SupportedArchitectures(), ", ")},
		{"tensor type", "llama", func(n string) gguf.Type {
			if n == "blk.0.attn_q.weight" {
				return gguf.TypeQ8_1
			}
			return gguf.TypeF32
		}, "tensor blk.0.attn_q.weight has type Q8_1, which is not supported yet; supported: " + supportedTypeNames()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := openGGUF(t, writeTiny(t, tt.arch, tt.typeOf))
			for _, err := range []error{CheckSupported(f), func() error { _, err := Load(f); return err }()} {
				if err == nil || err.Error() != tt.want {
					t.Fatalf("error %v, want %q", err, tt.want)
				}
				if !errors.Is(err, ErrUnsupported) {
					t.Fatalf("error %v does not wrap ErrUnsupported", err)
				}
			}
		})
	}
	// The tiny file itself is fine.
	if err := CheckSupported(openGGUF(t, writeTiny(t, "llama", nil))); err != nil {
		t.Fatal(err)
	}
}

func TestNotEnoughMemoryForContext(t *testing.T) {
	m := loadModel(t, "models", "stories260K-f32.gguf")
	old := availableMemory
	availableMemory = func() (uint64, bool) { return 1 << 30, true }
	t.Cleanup(func() { availableMemory = old })

	_, err := m.NewState(1<<22, 1)
	// The KV cache alone is 4194304 tokens * 5 layers * 2 * 32 values * 4 bytes = 5 GiB.
	want := regexp.MustCompile(`^not enough memory for a context of 4194304 tokens: needs 5\.\d GiB, 1\.0 GiB available$`)
	if err == nil || !want.MatchString(err.Error()) {
		t.Fatalf("error %v, want %s", err, want)
	}
	if s, err := m.NewState(128, 1); err != nil {
		t.Fatalf("a small context fails: %v", err)
	} else {
		s.Close()
	}
}

func TestConfigDefaults(t *testing.T) {
	tests := []struct {
		file string
		want Config
	}{
		{"stories260K-f32.gguf", Config{Arch: "llama", Dim: 64, HiddenDim: 172, Layers: 5, Heads: 8, KVHeads: 4, HeadDim: 8,
			RopeDim: 8, VocabSize: 512, ContextLen: 128, RopeBase: 10000, RopeScale: 1, NormEps: 1e-5}},
		{"synth/synth-qwen2-f32.gguf", Config{Arch: "qwen2", Dim: 128, HiddenDim: 256, Layers: 2, Heads: 4, KVHeads: 2, HeadDim: 32,
			RopeDim: 32, VocabSize: 512, ContextLen: 256, RopeBase: 1e6, RopeScale: 1, RopeNeoX: true, NormEps: 1e-6}},
		{"synth/synth-llama3rope-f32.gguf", Config{Arch: "llama", Dim: 128, HiddenDim: 384, Layers: 2, Heads: 4, KVHeads: 1, HeadDim: 32,
			RopeDim: 32, VocabSize: 512, ContextLen: 256, RopeBase: 5e5, RopeScale: 1, NormEps: 1e-5, TiedOutput: true, RopeFactors: true}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			m := loadModel(t, "models", tt.file)
			if !reflect.DeepEqual(m.Config, tt.want) {
				t.Fatalf("config\n got %+v\nwant %+v", m.Config, tt.want)
			}
			if tt.want.TiedOutput && m.Output != m.Embedding {
				t.Fatal("tied output does not use the embedding")
			}
			if tt.want.RopeFactors && len(m.RopeFactors) != tt.want.RopeDim/2 {
				t.Fatalf("%d rope factors", len(m.RopeFactors))
			}
		})
	}
}

// Prompt evaluation in one batch or token by token gives the same logits.
func TestBatchEqualsOneByOne(t *testing.T) {
	for _, file := range []string{"stories260K-f32.gguf", "synth/synth-qwen2-f32.gguf", "synth/synth-llama3rope-f32.gguf"} {
		t.Run(file, func(t *testing.T) {
			m := loadModel(t, "models", file)
			prompt := []int{1, 403, 407, 261, 378, 432, 383, 286}
			a := newState(t, m, 64, 2)
			batch, err := a.Eval(prompt)
			if err != nil {
				t.Fatal(err)
			}
			b := newState(t, m, 64, 2)
			var one []float32
			for _, id := range prompt {
				if one, err = b.Eval([]int{id}); err != nil {
					t.Fatal(err)
				}
			}
			if d := maxAbsDiff(batch, one); d > 1e-4 {
				t.Fatalf("batch and one-by-one logits differ by %g", d)
			}
		})
	}
}

func TestTruncateRollsBack(t *testing.T) {
	m := loadModel(t, "models", "stories260K-f32.gguf")
	// The reference: [1 403] then [407], from an empty cache.
	ref := newState(t, m, 32, 1)
	if _, err := ref.Eval([]int{1, 403}); err != nil {
		t.Fatal(err)
	}
	want, err := ref.Eval([]int{407})
	if err != nil {
		t.Fatal(err)
	}
	// The same after other tokens were evaluated and rolled back.
	s := newState(t, m, 32, 1)
	if _, err := s.Eval([]int{1, 403}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Eval([]int{261, 378, 432}); err != nil {
		t.Fatal(err)
	}
	s.Truncate(2)
	if s.Len() != 2 {
		t.Fatalf("Len = %d after Truncate(2)", s.Len())
	}
	got, err := s.Eval([]int{407})
	if err != nil {
		t.Fatal(err)
	}
	if d := maxAbsDiff(want, got); d != 0 {
		t.Fatalf("logits after rollback differ by %g", d)
	}
}

func TestEvalErrors(t *testing.T) {
	m := loadModel(t, "models", "stories260K-f32.gguf")
	s := newState(t, m, 4, 1)
	if _, err := s.Eval([]int{1, 2, 3, 4, 5}); !errors.Is(err, ErrContextFull) {
		t.Fatalf("overflow: %v", err)
	}
	if s.Len() != 0 {
		t.Fatalf("a failed Eval left %d tokens", s.Len())
	}
	if _, err := s.Eval([]int{512}); err == nil {
		t.Fatal("token 512 of a 512-token vocabulary was accepted")
	}
}

func TestDecodeDoesNotAllocate(t *testing.T) {
	for _, file := range []string{"stories260K-q8_0.gguf", "synth/synth-qwen2-f32.gguf"} {
		m := loadModel(t, "models", file)
		s := newState(t, m, 128, 2)
		if _, err := s.Eval([]int{1, 2, 3}); err != nil {
			t.Fatal(err)
		}
		tok := []int{42}
		allocs := testing.AllocsPerRun(20, func() {
			if _, err := s.Eval(tok); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("%s: %.1f allocations per decoded token", file, allocs)
		}
	}
}

// BenchmarkDecode reports single-token decoding speed on stories260K Q8_0.
func BenchmarkDecode(b *testing.B) {
	m := loadModel(b, "models", "stories260K-q8_0.gguf")
	s := newState(b, m, 128, 0)
	tok := []int{42}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if s.Len() == s.ContextLen() {
			s.Truncate(0)
		}
		if _, err := s.Eval(tok); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tok/s")
}

// BenchmarkPrompt reports batched prompt processing speed (64 tokens).
func BenchmarkPrompt(b *testing.B) {
	m := loadModel(b, "models", "stories260K-q8_0.gguf")
	s := newState(b, m, 128, 0)
	prompt := make([]int, 64)
	for i := range prompt {
		prompt[i] = 3 + i
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.Truncate(0)
		if _, err := s.Eval(prompt); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(prompt))/b.Elapsed().Seconds(), "tok/s")
}

// supportedTypeNames is the kernels' list as the error gives it (it grows
// as weight types are added).
func supportedTypeNames() string {
	var names []string
	for _, t := range tensor.SupportedTypes() {
		names = append(names, t.String())
	}
	return strings.Join(names, ", ")
}
