package quantize

import (
	"os"
	"path/filepath"
	"strconv"
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

// llamaLike lists a dense model's tensors in converter order.
func llamaLike(layers int, dim, ff, kv int64, tied bool) []Tensor {
	ts := []Tensor{{Name: "token_embd.weight", Shape: []int64{dim, 512}}}
	for l := range layers {
		b := "blk." + strconv.Itoa(l) + "."
		ts = append(ts,
			Tensor{Name: b + "attn_norm.weight", Shape: []int64{dim}},
			Tensor{Name: b + "attn_q.weight", Shape: []int64{dim, dim}},
			Tensor{Name: b + "attn_k.weight", Shape: []int64{dim, kv}},
			Tensor{Name: b + "attn_v.weight", Shape: []int64{dim, kv}},
			Tensor{Name: b + "attn_output.weight", Shape: []int64{dim, dim}},
			Tensor{Name: b + "ffn_gate.weight", Shape: []int64{dim, ff}},
			Tensor{Name: b + "ffn_up.weight", Shape: []int64{dim, ff}},
			Tensor{Name: b + "ffn_down.weight", Shape: []int64{ff, dim}},
		)
	}
	ts = append(ts, Tensor{Name: "output_norm.weight", Shape: []int64{dim}})
	if !tied {
		ts = append(ts, Tensor{Name: "output.weight", Shape: []int64{dim, 512}})
	}
	return ts
}

func planTypes(t *testing.T, ftype string, m Model, ts []Tensor) map[string]gguf.Type {
	t.Helper()
	ft, ok := LookupFtype(ftype)
	if !ok {
		t.Fatalf("no recipe %q", ftype)
	}
	plan, err := Plan(ft, m, ts)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]gguf.Type{}
	for _, p := range plan {
		out[p.Name] = p.Out
	}
	return out
}

// The rules the round2 files do not reach: tied embeddings, the counted
// attn_v and ffn_down layers of a deeper model, fallbacks, 8 experts, 70B.
func TestRecipeRules(t *testing.T) {
	dense := Model{Arch: "llama", Layers: 16, Heads: 32, HeadsKV: 8}
	cases := []struct {
		name  string
		ftype string
		m     Model
		ts    []Tensor
		want  map[string]gguf.Type
	}{
		{"tied embedding is the output", "q4_k_m", dense, llamaLike(16, 256, 768, 64, true), map[string]gguf.Type{
			"token_embd.weight": gguf.TypeQ6_K, "blk.0.attn_norm.weight": gguf.TypeF32,
		}},
		{"untied embedding keeps the base", "q4_k_m", dense, llamaLike(16, 256, 768, 64, false), map[string]gguf.Type{
			"token_embd.weight": gguf.TypeQ4_K, "output.weight": gguf.TypeQ6_K,
		}},
		// use_more_bits(i, 16): i < 2, i >= 14, or (i-2)%3 == 2: 0 1 4 7 10 13 14 15.
		{"q4_k_m layers", "q4_k_m", dense, llamaLike(16, 256, 768, 64, false), map[string]gguf.Type{
			"blk.0.attn_v.weight": gguf.TypeQ6_K, "blk.1.attn_v.weight": gguf.TypeQ6_K, "blk.2.attn_v.weight": gguf.TypeQ4_K,
			"blk.4.attn_v.weight": gguf.TypeQ6_K, "blk.5.attn_v.weight": gguf.TypeQ4_K, "blk.13.attn_v.weight": gguf.TypeQ6_K,
			"blk.4.ffn_down.weight": gguf.TypeQ6_K, "blk.6.ffn_down.weight": gguf.TypeQ4_K, "blk.15.ffn_down.weight": gguf.TypeQ6_K,
			"blk.3.attn_q.weight": gguf.TypeQ4_K, "blk.3.attn_output.weight": gguf.TypeQ4_K,
		}},
		{"q4_k_s", "q4_k_s", dense, llamaLike(16, 256, 768, 64, false), map[string]gguf.Type{
			"blk.3.attn_v.weight": gguf.TypeQ5_K, "blk.4.attn_v.weight": gguf.TypeQ4_K,
			"blk.1.ffn_down.weight": gguf.TypeQ5_K, "blk.2.ffn_down.weight": gguf.TypeQ4_K,
		}},
		{"q3_k_m", "q3_k_m", dense, llamaLike(16, 256, 768, 64, false), map[string]gguf.Type{
			"blk.1.attn_v.weight": gguf.TypeQ5_K, "blk.2.attn_v.weight": gguf.TypeQ4_K,
			"blk.0.ffn_down.weight": gguf.TypeQ5_K, "blk.1.ffn_down.weight": gguf.TypeQ4_K,
			"blk.0.attn_output.weight": gguf.TypeQ4_K, "blk.0.attn_q.weight": gguf.TypeQ3_K,
		}},
		{"q2_k with gqa 4", "q2_k", dense, llamaLike(16, 256, 768, 64, false), map[string]gguf.Type{
			"blk.0.attn_v.weight": gguf.TypeQ4_K, "blk.0.ffn_down.weight": gguf.TypeQ3_K, "blk.0.attn_output.weight": gguf.TypeQ3_K,
		}},
		{"iq4_xs with gqa 4", "iq4_xs", dense, llamaLike(16, 256, 768, 64, false), map[string]gguf.Type{
			"blk.0.attn_v.weight": gguf.TypeQ5_K, "blk.1.ffn_down.weight": gguf.TypeQ5_K, "blk.2.ffn_down.weight": gguf.TypeIQ4_XS,
		}},
		{"70B widens attn_v", "q4_k_s", Model{Arch: "llama", Layers: 80, Heads: 64, HeadsKV: 8}, llamaLike(80, 256, 768, 64, false), map[string]gguf.Type{
			"blk.10.attn_v.weight": gguf.TypeQ5_K,
		}},
		{"8 experts", "q4_k_m", Model{Arch: "llama", Layers: 16, Heads: 32, HeadsKV: 8, Experts: 8}, []Tensor{
			{Name: "blk.3.attn_v.weight", Shape: []int64{256, 64}}, {Name: "blk.3.attn_k.weight", Shape: []int64{256, 64}},
			{Name: "blk.3.attn_output.weight", Shape: []int64{256, 256}}, {Name: "blk.15.ffn_down_exps.weight", Shape: []int64{256, 256, 8}},
			{Name: "blk.5.ffn_gate_inp.weight", Shape: []int64{256, 8}},
		}, map[string]gguf.Type{
			"blk.3.attn_v.weight": gguf.TypeQ8_0, "blk.3.attn_k.weight": gguf.TypeQ8_0, "blk.3.attn_output.weight": gguf.TypeQ5_K,
			"blk.15.ffn_down_exps.weight": gguf.TypeQ6_K, "blk.5.ffn_gate_inp.weight": gguf.TypeF32,
		}},
		{"fallbacks", "q4_k_m", dense, []Tensor{
			{Name: "blk.0.attn_q.weight", Shape: []int64{128, 256}}, {Name: "blk.0.attn_k.weight", Shape: []int64{100, 256}},
			{Name: "output.weight", Shape: []int64{96, 512}},
		}, map[string]gguf.Type{
			"blk.0.attn_q.weight": gguf.TypeQ5_0, "blk.0.attn_k.weight": gguf.TypeF16, "output.weight": gguf.TypeQ8_0,
		}},
		{"k-quant fallbacks", "q6_k", dense, []Tensor{{Name: "blk.0.attn_q.weight", Shape: []int64{96, 256}}}, map[string]gguf.Type{"blk.0.attn_q.weight": gguf.TypeQ8_0}},
		{"q2_k fallback", "q2_k", dense, []Tensor{{Name: "blk.0.attn_q.weight", Shape: []int64{96, 256}}}, map[string]gguf.Type{"blk.0.attn_q.weight": gguf.TypeQ4_0}},
		{"iq4_xs fallback", "iq4_xs", dense, []Tensor{{Name: "blk.0.attn_q.weight", Shape: []int64{96, 256}}}, map[string]gguf.Type{"blk.0.attn_q.weight": gguf.TypeIQ4_NL}},
		{"f16 converts every matrix", "f16", dense, []Tensor{{Name: "blk.0.attn_q.weight", Shape: []int64{100, 256}}, {Name: "blk.0.attn_norm.weight", Shape: []int64{100}}, {Name: "x.bias", Shape: []int64{4, 4}}}, map[string]gguf.Type{
			"blk.0.attn_q.weight": gguf.TypeF16, "blk.0.attn_norm.weight": gguf.TypeF32, "x.bias": gguf.TypeF32,
		}},
		{"1-D by ggml's count", "q8_0", dense, []Tensor{{Name: "blk.0.attn_q.weight", Shape: []int64{256, 1}}}, map[string]gguf.Type{"blk.0.attn_q.weight": gguf.TypeF32}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for i := range c.ts {
				if c.ts[i].Type == 0 {
					c.ts[i].Type = gguf.TypeF32
				}
			}
			got := planTypes(t, c.ftype, c.m, c.ts)
			for name, want := range c.want {
				if got[name] != want {
					t.Errorf("%s: %s, want %s", name, got[name], want)
				}
			}
		})
	}
}

func TestRecipeErrors(t *testing.T) {
	dense := Model{Arch: "llama", Layers: 2, Heads: 4, HeadsKV: 2}
	q8, _ := LookupFtype("q8_0")
	// Q8_0 has no fallback for rows that are not a multiple of 32.
	if _, err := Plan(q8, dense, []Tensor{{Name: "blk.0.attn_q.weight", Shape: []int64{48, 64}}}); err == nil || !strings.Contains(err.Error(), "no fallback") {
		t.Errorf("48-wide Q8_0: %v", err)
	}
	// A MoE tensor outside the blocks cannot be given a layer.
	moe := Model{Arch: "qwen3moe", Layers: 2, Heads: 4, HeadsKV: 2, Experts: 4}
	qk, _ := LookupFtype("q4_k_m")
	if _, err := Plan(qk, moe, []Tensor{{Name: "blk.7.ffn_down_exps.weight", Shape: []int64{256, 256, 4}}}); err == nil {
		t.Error("layer 7 of a 2-layer model accepted")
	}
	if _, err := Plan(Ftype{Name: "Q9_K"}, dense, nil); err == nil {
		t.Error("made-up file type accepted")
	}
	for _, n := range []string{"q4_k_m", "Q4_K_M", "q4_k", "mxfp4_moe", "iq4_xs"} {
		if _, ok := LookupFtype(n); !ok {
			t.Errorf("%s not found", n)
		}
	}
	if !IsMix("q4_k_m") || IsMix("q4_k") || IsMix("q8_0") || IsMix("bogus") {
		t.Error("IsMix")
	}
}
