package cli

import (
	"bytes"
	"encoding/json"
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

// runCLI runs the command tree in-process and returns stdout.
func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := NewCLI()
	var out, errb bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errb)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), err
}

// decodeOne checks that s holds exactly one JSON object and decodes it.
func decodeOne(t *testing.T, s string, v any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	if err := dec.Decode(v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, s)
	}
	var extra json.RawMessage
	if err := dec.Decode(&extra); err == nil {
		t.Fatalf("more than one JSON value on stdout")
	}
}

func TestInspectStoriesQ8(t *testing.T) {
	path := testenv.Path(t, "models", "stories260K-q8_0.gguf")
	out, err := runCLI(t, "inspect", "--json", path)
	if err != nil {
		t.Fatal(err)
	}
	var rep inspectReport
	decodeOne(t, out, &rep)
	if len(rep.Tensors) != 48 {
		t.Fatalf("%d tensors, want 48", len(rep.Tensors))
	}
	count := map[string]int{}
	for _, ti := range rep.Tensors {
		count[ti.Type]++
		if strings.HasSuffix(ti.Name, "ffn_down.weight") && ti.Type != "F16" {
			t.Errorf("%s is %s, want F16", ti.Name, ti.Type)
		}
	}
	if count["Q8_0"] != 32 || count["F32"] != 11 || count["F16"] != 5 {
		t.Errorf("types %v, want 32 Q8_0, 11 F32, 5 F16", count)
	}
	s := rep.Summary
	if s.Architecture != "llama" || s.Layers != 5 || s.Heads != 8 || s.KVHeads != 4 || s.EmbeddingLength != 64 ||
		s.ContextLength != 128 || s.VocabSize != 512 || s.TokenizerModel != "llama" || s.FileType != "Q8_0" ||
		s.ChatTemplate || s.KeyLength != 8 {
		t.Errorf("summary %+v", s)
	}
	mix := map[string]gguf.QuantShare{}
	var share float64
	for _, q := range s.QuantMix {
		mix[q.Type] = q
		share += q.Share
	}
	if mix["Q8_0"].Tensors != 32 || mix["F16"].Tensors != 5 || mix["F32"].Tensors != 11 || share > 1 || share < 0.9 {
		t.Errorf("quant mix %+v", s.QuantMix)
	}
	// KV cache at 128, F16 (the default): 2 * 5 layers * 128 * (4*8) * 2 bytes.
	if len(rep.Memory) == 0 || rep.Memory[0].Context != 128 || rep.Memory[0].KVCache != 2*5*128*32*2 ||
		rep.Memory[0].Weights != s.TensorBytes || rep.Memory[0].Total <= rep.Memory[0].Weights {
		t.Errorf("memory %+v", rep.Memory)
	}
	var tokens *inspectKV
	for i := range rep.Metadata {
		if rep.Metadata[i].Key == "tokenizer.ggml.tokens" {
			tokens = &rep.Metadata[i]
		}
	}
	if tokens == nil || tokens.Count == nil || *tokens.Count != 512 || len(tokens.First) != arrayPreview || tokens.First[1] != "<s>" {
		t.Errorf("tokens shown as %+v", tokens)
	}

	// The human table lists every tensor and the quant mix.
	text, err := runCLI(t, "inspect", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"blk.4.ffn_up.weight", "quant mix", "Q8_0  32", "KV CACHE", "512: [\"<unk>\""} {
		if !strings.Contains(text, want) {
			t.Errorf("table lacks %q", want)
		}
	}
}

// Every shared .gguf (models, vocab-only files with no tensors, architectures
// the engine cannot run) inspects, with --json before or after the file.
func TestInspectEverySharedFile(t *testing.T) {
	root := filepath.Dir(testenv.Path(t, "models"))
	var files []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".gguf") {
			files = append(files, p)
		}
		return nil
	})
	if len(files) < 10 {
		t.Fatalf("only %d .gguf files under %s", len(files), root)
	}
	for _, p := range files {
		t.Run(filepath.Base(p), func(t *testing.T) {
			for _, args := range [][]string{{"inspect", p, "--json"}, {"inspect", "--json", p}} {
				out, err := runCLI(t, args...)
				if err != nil {
					t.Fatal(err)
				}
				var rep inspectReport
				decodeOne(t, out, &rep)
				if rep.Summary.TensorCount != len(rep.Tensors) || rep.Summary.VocabSize == 0 {
					t.Errorf("summary %+v", rep.Summary)
				}
				// Vocabulary-only files get no memory estimate; models do.
				if (len(rep.Tensors) == 0) != (len(rep.Memory) == 0) {
					t.Errorf("%d tensors but %d memory estimates", len(rep.Tensors), len(rep.Memory))
				}
			}
			if _, err := runCLI(t, "inspect", p); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestInspectOddMetadata(t *testing.T) {
	w := gguf.NewWriter()
	w.Set("general.architecture", "mamba")
	w.Set("odd.nan", float32(math.NaN()))
	w.Set("odd.inf", math.Inf(1))
	w.Set("odd.nested", []gguf.Array{{Type: gguf.ValString, Values: []string{"a"}}, {Type: gguf.ValFloat64, Values: []float64{math.NaN()}}})
	w.Set("odd.long", strings.Repeat("x", 500))
	w.Set("mamba.attention.head_count", []int32{4, 8, 2})
	path := filepath.Join(t.TempDir(), "odd.gguf")
	if err := w.WriteFile(path, nil); err != nil {
		t.Fatal(err)
	}
	out, err := runCLI(t, "inspect", path, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var rep inspectReport
	decodeOne(t, out, &rep)
	if rep.Summary.Heads != 8 || rep.Summary.Architecture != "mamba" {
		t.Errorf("summary %+v", rep.Summary)
	}
	text, err := runCLI(t, "inspect", path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "(500 bytes)") || !strings.Contains(text, "NaN") {
		t.Errorf("table:\n%s", text)
	}
	if _, err := runCLI(t, "inspect", filepath.Join(t.TempDir(), "missing.gguf")); err == nil {
		t.Error("missing file gave no error")
	}
}

func TestGGUFSynthCommand(t *testing.T) {
	dir := t.TempDir()
	for _, typ := range []string{"q8_0", "f16", "f32"} {
		path := filepath.Join(dir, "tiny-"+typ+".gguf")
		out, err := runCLI(t, "gguf", "synth", "--arch", "qwen2", "--preset", "tiny", "--type", typ, "--seed", "3", "-o", path, "--json")
		if err != nil {
			t.Fatal(err)
		}
		var res map[string]any
		decodeOne(t, out, &res)
		out, err = runCLI(t, "inspect", path, "--json")
		if err != nil {
			t.Fatal(err)
		}
		var rep inspectReport
		decodeOne(t, out, &rep)
		if rep.Summary.Architecture != "qwen2" || rep.Summary.Layers != 2 || !rep.Summary.ChatTemplate {
			t.Errorf("%s: summary %+v", typ, rep.Summary)
		}
		if want := strings.ToUpper(typ); rep.Summary.FileType != want {
			t.Errorf("file type %s, want %s", rep.Summary.FileType, want)
		}
	}
	// Same options as the Go API give the same bytes.
	if _, err := runCLI(t, "gguf", "synth", "-o", filepath.Join(dir, "x.gguf"), "--type", "iq2_xxs"); err == nil {
		t.Error("iq2_xxs (a type Burrow cannot write) accepted")
	}
	if _, err := runCLI(t, "gguf", "synth", "-o", filepath.Join(dir, "k.gguf"), "--type", "q4_k"); err != nil {
		t.Errorf("q4_k (a K-quant the engine writes): %v", err)
	}
	if _, err := runCLI(t, "gguf", "synth"); err == nil {
		t.Error("missing -o accepted")
	}
	api := filepath.Join(dir, "api.gguf")
	if err := synth.Write(api, synth.Options{Arch: "qwen2", Type: gguf.TypeQ8_0, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(api)
	b, _ := os.ReadFile(filepath.Join(dir, "tiny-q8_0.gguf"))
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Error("CLI and Go API wrote different files for the same options")
	}
}
