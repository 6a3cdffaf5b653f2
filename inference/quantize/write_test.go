package quantize

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"burrow/inference/gguf"
	"burrow/inference/llama"
	"burrow/inference/tensor"
)

func quantizeTo(t *testing.T, src, ftype string) string {
	t.Helper()
	ft, ok := LookupFtype(ftype)
	if !ok {
		t.Fatalf("no recipe %q", ftype)
	}
	out := filepath.Join(t.TempDir(), "out-"+ftype+".gguf")
	if _, err := File(context.Background(), src, out, Options{Ftype: ft}); err != nil {
		t.Fatal(err)
	}
	return out
}

// qwen3-q4_k_m.gguf is the one round2 file llama-quantize made from the
// -f32 file beside it (the others come from F32 models of other seeds), so
// our Q4_K_M of it must be the same file, byte for byte: recipe, tensor
// order, metadata order, alignment and the Q4_K and Q6_K quantizers.
func TestQwen3Q4KMIsLlamaQuantizesFile(t *testing.T) {
	dir := round2Dir(t)
	out := quantizeTo(t, filepath.Join(dir, "qwen3-f32.gguf"), "q4_k_m")
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join(dir, "qwen3-q4_k_m.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(got, want) {
		return
	}
	a, b := openGGUF(t, out), openGGUF(t, filepath.Join(dir, "qwen3-q4_k_m.gguf"))
	for i := range b.Tensors {
		if i >= len(a.Tensors) || !bytes.Equal(a.TensorData(&a.Tensors[i]), b.TensorData(&b.Tensors[i])) {
			t.Errorf("tensor %s (%s) differs", b.Tensors[i].Name, b.Tensors[i].Type)
		}
	}
	t.Fatalf("file differs from llama-quantize's (%d bytes, want %d)", len(got), len(want))
}

type greedyRef struct {
	PromptIDs    []int     `json:"prompt_ids"`
	GeneratedIDs []int     `json:"generated_ids"`
	LastLogits   []float32 `json:"last_prompt_position_logits"`
}

func readRef(t *testing.T, name string) greedyRef {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(round2Dir(t), name))
	if err != nil {
		t.Fatal(err)
	}
	var r greedyRef
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func greedyIDs(t *testing.T, path string, prompt []int, n int) []int {
	t.Helper()
	f := openGGUF(t, path)
	m, err := llama.Load(f)
	if err != nil {
		t.Fatal(err)
	}
	s, err := m.NewState(64, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	logits, err := s.Eval(prompt)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int
	for range n {
		best := 0
		for i, v := range logits {
			if v > logits[best] {
				best = i
			}
		}
		ids = append(ids, best)
		if logits, err = s.Eval([]int{best}); err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

func commonPrefix(a, b []int) int {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return i
}

// forced runs the model on the prompt and then on the reference's ids
// (teacher forcing): it returns the relative RMS difference of the logits
// after the prompt from the reference's, and at how many steps the model's
// own pick is the reference's id.
func forced(t *testing.T, path string, ref greedyRef) (relErr float64, agree int) {
	t.Helper()
	f := openGGUF(t, path)
	m, err := llama.Load(f)
	if err != nil {
		t.Fatal(err)
	}
	s, err := m.NewState(64, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	logits, err := s.Eval(ref.PromptIDs)
	if err != nil {
		t.Fatal(err)
	}
	var d2, r2 float64
	for i, v := range ref.LastLogits {
		d := float64(logits[i] - v)
		d2 += d * d
		r2 += float64(v) * float64(v)
	}
	relErr = math.Sqrt(d2 / r2)
	for _, id := range ref.GeneratedIDs {
		best := 0
		for i, v := range logits {
			if v > logits[best] {
				best = i
			}
		}
		if best == id {
			agree++
		}
		if logits, err = s.Eval([]int{id}); err != nil {
			t.Fatal(err)
		}
	}
	return relErr, agree
}

// Our Q4_K_M of llamakq-f32 loads, has llama-quantize's types, and stays
// as close to the F32 model (llama.cpp's logits and ids for the F32 file)
// as llama-quantize's own Q4_K_M of qwen3-f32 (the file above) stays to
// its F32 model. (round2's llamakq-q4_k_m comes from an F32 model of
// another seed, so neither its bytes nor its ids are comparable; greedy
// paths of these random models part after a few steps under any 4-bit
// noise, so the ids are compared with the F32 history fed in.)
func TestLlamakqQ4KMLoadsAndDecodes(t *testing.T) {
	dir := round2Dir(t)
	out := quantizeTo(t, filepath.Join(dir, "llamakq-f32.gguf"), "q4_k_m")
	f := openGGUF(t, out)
	if v, _ := f.Uint("general.file_type"); v != idQ4_K_M {
		t.Errorf("general.file_type %d, want %d", v, idQ4_K_M)
	}
	counts := map[gguf.Type]int{}
	for _, ti := range f.Tensors {
		counts[ti.Type]++
	}
	// output, blk.2.attn_v, blk.2.ffn_down in Q6_K; 7 norms F32; 20 Q4_K.
	if counts[gguf.TypeQ6_K] != 3 || counts[gguf.TypeF32] != 7 || counts[gguf.TypeQ4_K] != 20 {
		t.Errorf("type counts %v", counts)
	}
	// The yardstick: llama-quantize's Q4_K_M of qwen3-f32 against qwen3-f32.
	var refErr float64
	refAgree := 32
	for _, p := range []string{"p1", "p2"} {
		e, a := forced(t, filepath.Join(dir, "qwen3-q4_k_m.gguf"), readRef(t, "qwen3-f32-"+p+".json"))
		refErr, refAgree = max(refErr, e), min(refAgree, a)
	}
	for _, p := range []string{"p1", "p2"} {
		ref := readRef(t, "llamakq-f32-"+p+".json")
		e, agree := forced(t, out, ref)
		t.Logf("%s: logits after the prompt %.3f%% from the F32 model's (llama-quantize's qwen3 Q4_K_M: %.3f%%); "+
			"%d of %d forced steps pick the F32 model's id (qwen3: %d)", p, 100*e, 100*refErr, agree, len(ref.GeneratedIDs), refAgree)
		if e > 2*refErr {
			t.Errorf("%s: logits %.3f%% off, more than twice llama-quantize's %.3f%%", p, 100*e, 100*refErr)
		}
		// llama-quantize's qwen3 file picks the F32 id at 23 of 32 steps.
		if agree < len(ref.GeneratedIDs)*2/3 {
			t.Errorf("%s: only %d of %d steps agree with the F32 model", p, agree, len(ref.GeneratedIDs))
		}
	}
}

// Greedy decoding of our Q4_K_M of qwen3-f32 gives llama.cpp's ids for
// llama-quantize's file (they are the same file).
func TestQwen3Q4KMGreedyMatchesReference(t *testing.T) {
	out := quantizeTo(t, filepath.Join(round2Dir(t), "qwen3-f32.gguf"), "q4_k_m")
	for _, p := range []string{"p1", "p2"} {
		ref := readRef(t, "qwen3-q4_k_m-"+p+".json")
		if ids := greedyIDs(t, out, ref.PromptIDs, len(ref.GeneratedIDs)); !slices.Equal(ids, ref.GeneratedIDs) {
			t.Errorf("%s: ids differ\n got %v\nwant %v", p, ids, ref.GeneratedIDs)
		}
	}
}

// Every recipe the engine writes turns each round2 f32 model into a file
// that loads and decodes; where the quantizer is missing the error says so.
func TestEveryRecipeLoads(t *testing.T) {
	dir := round2Dir(t)
	srcs := map[string][]string{
		"llamakq":  {"q8_0", "q4_0", "q4_1", "q5_0", "q5_1", "q2_k", "q3_k_s", "q3_k_m", "q3_k_l", "q4_k_s", "q5_k_s", "q5_k_m", "q6_k", "iq4_nl", "iq4_xs", "f16", "bf16"},
		"qwen3moe": {"mxfp4_moe", "q4_k_m"},
		"gemma3":   {"q4_k_m", "q5_k_m"},
		"phi3":     {"q4_k_m"},
	}
	for arch, fts := range srcs {
		for _, name := range fts {
			t.Run(arch+"-"+name, func(t *testing.T) {
				ft, _ := LookupFtype(name)
				src := filepath.Join(dir, arch+"-f32.gguf")
				out := filepath.Join(t.TempDir(), "o.gguf")
				_, err := File(context.Background(), src, out, Options{Ftype: ft})
				if err != nil {
					// Only a missing quantizer may stop a recipe, with a clear message.
					if strings.Contains(err.Error(), "is not supported yet") {
						if _, statErr := os.Stat(out); statErr == nil {
							t.Error("an output was left behind")
						}
						t.Logf("%v", err)
						return
					}
					t.Fatal(err)
				}
				ref := readRef(t, arch+"-f32-p1.json")
				ids := greedyIDs(t, out, ref.PromptIDs, 8)
				t.Logf("first %d of 8 ids equal the F32 model's", commonPrefix(ids, ref.GeneratedIDs))
			})
		}
	}
}

// The output may not replace the input: not by the same path, another
// spelling of it, a symlink or a hard link.
func TestRefusesToOverwriteInput(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.gguf")
	data, err := os.ReadFile(filepath.Join(round2Dir(t), "llamakq-f32.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(in, data, 0o644); err != nil {
		t.Fatal(err)
	}
	sym, hard := filepath.Join(dir, "sym.gguf"), filepath.Join(dir, "hard.gguf")
	if err := os.Symlink(in, sym); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(in, hard); err != nil {
		t.Fatal(err)
	}
	ft, _ := LookupFtype("q8_0")
	for _, out := range []string{in, filepath.Join(dir, ".", "in.gguf"), sym, hard} {
		if _, err := File(context.Background(), in, out, Options{Ftype: ft}); err == nil || !strings.Contains(err.Error(), "input") {
			t.Errorf("output %s: err %v, want a refusal", out, err)
		}
	}
	if got, _ := os.ReadFile(in); !bytes.Equal(got, data) {
		t.Fatal("the input changed")
	}
	assertNoTemps(t, dir)
}

func assertNoTemps(t *testing.T, dir string) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

// A failure halfway (here a cancel after a few tensors) leaves the old
// output untouched and no temporary file; so does a recipe that needs a
// quantizer the engine lacks.
func TestFailureLeavesNoOutput(t *testing.T) {
	src := filepath.Join(round2Dir(t), "llamakq-f32.gguf")
	dir := t.TempDir()
	out := filepath.Join(dir, "out.gguf")
	if err := os.WriteFile(out, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ft, _ := LookupFtype("q4_k_m")
	var seen int
	_, err := File(ctx, src, out, Options{Ftype: ft, Progress: func(p Progress) {
		if seen++; seen == 5 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	if seen != 5 {
		t.Errorf("%d tensors written after the cancel", seen-5)
	}
	if got, _ := os.ReadFile(out); string(got) != "old" {
		t.Errorf("output is %d bytes, want the old file", len(got))
	}
	assertNoTemps(t, dir)

	// A missing quantizer is found before anything is written.
	q41, _ := LookupFtype("q4_1")
	if !tensor.CanQuantize(gguf.TypeQ4_1) {
		_, err := File(context.Background(), src, filepath.Join(dir, "q41.gguf"), Options{Ftype: q41})
		if err == nil || !strings.Contains(err.Error(), "Q4_1 is not supported yet") {
			t.Errorf("q4_1: %v", err)
		}
		if _, err := os.Stat(filepath.Join(dir, "q41.gguf")); err == nil {
			t.Error("q4_1 left an output")
		}
	}
	// Already-quantized input needs AllowRequantize.
	q8 := quantizeTo(t, src, "q8_0")
	if _, err := File(context.Background(), q8, filepath.Join(dir, "re.gguf"), Options{Ftype: ft}); err == nil || !strings.Contains(err.Error(), "requantiz") {
		t.Errorf("requantizing Q8_0 without permission: %v", err)
	}
	if _, err := File(context.Background(), q8, filepath.Join(dir, "re.gguf"), Options{Ftype: ft, AllowRequantize: true}); err != nil {
		t.Errorf("requantizing Q8_0 with permission: %v", err)
	}
	// Not a GGUF file.
	if _, err := File(context.Background(), out, filepath.Join(dir, "x.gguf"), Options{Ftype: ft}); err == nil {
		t.Error("a 3-byte input was accepted")
	}
	assertNoTemps(t, dir)
}

// The heap does not grow with the model: with a small conversion chunk,
// quantizing the 10 MiB llamakq-f32 allocates far less than the file.
func TestStreamingMemory(t *testing.T) {
	old := chunkFloats
	chunkFloats = 16 << 10
	defer func() { chunkFloats = old }()
	src := filepath.Join(round2Dir(t), "llamakq-f32.gguf")
	ft, _ := LookupFtype("q8_0")
	out := filepath.Join(t.TempDir(), "o.gguf")
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	res, err := File(context.Background(), src, out, Options{Ftype: ft, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("allocated %d KiB for %d KiB in, %d KiB out", alloc>>10, res.InBytes>>10, res.OutBytes>>10)
	if alloc > uint64(res.OutBytes)/2 {
		t.Errorf("allocated %d bytes, more than half the %d output bytes: not streaming", alloc, res.OutBytes)
	}
}

// Q8_0 has no llama-quantize file from a source we hold, but stories260K's
// Q8_0 file was converted (gguf-py, ggml's rounding) from the same weights
// as its F32 file: every tensor it holds in Q8_0 must be what the Q8_0 row
// quantizer makes of the F32 one. (llama-quantize itself refuses Q8_0 for
// stories260K: its FFN rows of 172 have no Q8_0 fallback; so do we.)
func TestQ8_0MatchesConverter(t *testing.T) {
	dir := filepath.Dir(round2Dir(t))
	src, ref := openGGUF(t, filepath.Join(dir, "stories260K-f32.gguf")), openGGUF(t, filepath.Join(dir, "stories260K-q8_0.gguf"))
	q8, _ := LookupFtype("q8_0")
	if _, err := File(context.Background(), filepath.Join(dir, "stories260K-f32.gguf"), filepath.Join(t.TempDir(), "x.gguf"), Options{Ftype: q8}); err == nil || !strings.Contains(err.Error(), "no fallback") {
		t.Errorf("Q8_0 of stories260K: %v, want llama-quantize's refusal", err)
	}
	same := 0
	for i := range ref.Tensors {
		rt := &ref.Tensors[i]
		st, ok := src.Tensor(rt.Name)
		if !ok || rt.Type != gguf.TypeQ8_0 || st.Type != gguf.TypeF32 {
			continue
		}
		vals := make([]float32, st.Elements())
		if err := tensor.DequantizeRow(gguf.TypeF32, vals, src.TensorData(st)); err != nil {
			t.Fatal(err)
		}
		out := make([]byte, gguf.TypeQ8_0.RowSize(st.Elements()))
		if err := tensor.QuantizeRow(gguf.TypeQ8_0, out, vals); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out, ref.TensorData(rt)) {
			t.Errorf("%s differs", rt.Name)
		}
		same++
	}
	if same < 30 {
		t.Errorf("only %d tensors compared", same)
	}
}
