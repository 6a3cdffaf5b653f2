package llama_test

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"burrow/inference/gguf"
	"burrow/inference/llama"
	"burrow/inference/synth"
)

// gemma4 (per-layer local/global head sizes and KV heads, proportional rope
// on the global layers, V normed, scale 1, KV shared by the last layers,
// per-layer embeddings, the layer output scale, final soft-cap) against
// llama.cpp on the same synthesized files.
//
// At the synthesizer's usual std 0.5 this shape is chaotic: giving the Q8_K
// input scale one ULP less (-max/127 for 1/iscale) moves Burrow's own
// log-probs by 0.3 within 8 steps on the Q4_K_M file, and by 0.1 on a
// single Q4_K attn_q (qwen3-small: 5e-6). Integer-exact Q8_0 agrees to 4e-6;
// the F32 file, where the engines sum in different orders, keeps the same
// ids but drifts to 0.07. The K-quant file is therefore checked at std 0.2,
// where the same one-ULP change moves nothing beyond 2e-6.
func TestGemma4MatchesLlamaCpp(t *testing.T) {
	for _, c := range []struct {
		name string
		tol  float64
	}{
		{"peer-gemma4-small-f32.json", 0.1},
		{"peer-gemma4-small-q8_0.json", 1e-3},
		{"peer-gemma4-small-q8_0-std0.2.json", 1e-3},
		{"peer-gemma4-small-q4_k_m-std0.2.json", 1e-3},
	} {
		t.Run(c.name, func(t *testing.T) { checkPeerRef(t, c.name, c.tol) })
	}
}

// gemma4 with experts (26B-A4B's kind): beside each layer's dense FFN, 2 of
// 8 GeGLU experts from a fused gate-up stack, routed from the block's input
// normed and scaled, each expert's output scaled; a global layer without
// attn_v. At std 0.5 the F32 file drifts to 3e-3 and Q8_0 and Q4_K_M agree
// to 1e-5. The std 0.2 files keep the same ids and agree to 2e-6 but for
// one run of up to 8 steps (the window) moved by up to 0.2, then 2e-6
// again: a local layer's cached K or V of one token differs, most likely
// an activation rounded to the other int8 on a one-ulp difference. (These
// shapes are chaotic: at six layers a 1e-6 change of the residual after
// layer 0 moves Burrow's own log-probs by 1 to 10.)
func TestGemma4MoEMatchesLlamaCpp(t *testing.T) {
	for _, c := range []struct {
		name string
		tol  float64
	}{
		{"peer-gemma4moe-small-f32.json", 1e-2},
		{"peer-gemma4moe-small-q8_0.json", 1e-3},
		{"peer-gemma4moe-small-q4_k_m.json", 1e-3},
		{"peer-gemma4moe-small-q8_0-std0.2.json", 0.3},
		{"peer-gemma4moe-small-q4_k_m-std0.2.json", 0.3},
	} {
		t.Run(c.name, func(t *testing.T) { checkPeerRef(t, c.name, c.tol) })
	}
}

// The anatomy of a gemma4 file with experts puts the router, the experts
// (with the norms around them) and the dense FFN (with its own) apart, and
// the weights one token reads count 2 of the 8 experts' stacks.
func TestGemma4MoEAnatomyAndWeights(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.gguf")
	if err := synth.Write(path, synth.Options{Preset: "gemma4moe-small", Type: gguf.TypeQ8_0, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	f, m := openSynth(t, path)
	a, err := llama.NewAnatomy(f)
	if err != nil {
		t.Fatal(err)
	}
	b := a.Blocks[0]
	if b.FFN.Kind != "experts" || b.FFN.Experts != 8 || b.FFN.ExpertsUsed != 2 || b.FFN.Width != 128 || b.FFN.DenseWidth != 512 {
		t.Errorf("FFN %+v", b.FFN)
	}
	want := map[string][]string{
		llama.PartRouter:  {"ffn_gate_inp.weight", "ffn_gate_inp.scale"},
		llama.PartExperts: {"pre_ffw_norm_2.weight", "ffn_gate_up_exps.weight", "ffn_down_exps.weight", "ffn_down_exps.scale", "post_ffw_norm_2.weight"},
		llama.PartFFN:     {"ffn_norm.weight", "ffn_gate.weight", "ffn_up.weight", "ffn_down.weight", "post_ffw_norm.weight", "post_ffw_norm_1.weight"},
	}
	for _, p := range b.Parts {
		w, ok := want[p.Name]
		if !ok {
			continue
		}
		var got []string
		for _, x := range p.Tensors {
			got = append(got, strings.TrimPrefix(x.Name, "blk.0."))
		}
		slices.Sort(got)
		slices.Sort(w)
		if !slices.Equal(got, w) {
			t.Errorf("%s: %v, want %v", p.Name, got, w)
		}
		delete(want, p.Name)
	}
	if len(want) != 0 {
		t.Errorf("parts missing: %v", want)
	}

	var exps uint64
	for _, ti := range f.Tensors {
		if strings.HasSuffix(ti.Name, "_exps.weight") {
			exps += uint64(ti.Type.RowSize(ti.Shape[0]) * (ti.Elements() / ti.Shape[0]))
		}
	}
	perToken, total := m.WeightBytesPerToken()
	if exps == 0 || perToken != total-exps+exps/4 {
		t.Errorf("per token %d of %d, want %d (a quarter of the %d expert bytes)", perToken, total, total-exps+exps/4, exps)
	}
}

// A gemma4 file with experts but no gate and up stacks (neither fused nor
// separate) is a clear error, not a panic.
func TestGemma4MoEWithoutGateUpIsAnError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.gguf")
	if err := synth.Write(path, synth.Options{Preset: "gemma4moe-small", Type: gguf.TypeF32, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.ReplaceAll(b, []byte("ffn_gate_up_exps"), []byte("ffn_gate_up_expz"))
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := gguf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := llama.Load(f); err == nil || !strings.Contains(err.Error(), "stack is missing") {
		t.Fatalf("Load: %v", err)
	}
}

// A second chat turn on a gemma4 State keeps the shared prefix (the local
// layers' window-sized rings, the global layers' caches and the layers that
// read them), evaluates the rest, and gives the logits of a fresh run over
// the whole history: the prefix reuse of chats holds for gemma4.
func TestGemma4SecondTurnReusesCache(t *testing.T) {
	m := loadSynth(t, synth.Options{Preset: "gemma4-small", Type: gguf.TypeQ8_0, Std: 0.5, Seed: 7})
	s, err := m.NewState(256, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	turn1 := []int{1}
	for len(turn1) < 40 {
		turn1 = append(turn1, 40+len(turn1)%50)
	}
	logits := evalChunks(t, s, turn1, 16)
	history := append([]int(nil), turn1...)
	for range 6 { // the reply, token by token
		id := argmaxF32(logits)
		history = append(history, id)
		if logits, err = s.Eval([]int{id}); err != nil {
			t.Fatal(err)
		}
	}
	turn2 := append(append([]int(nil), history[:len(turn1)+3]...), 60, 61, 62, 63, 64)
	keep := s.Truncate(len(turn1) + 3)
	if keep == 0 {
		t.Fatalf("Truncate(%d) kept nothing", len(turn1)+3)
	}
	t.Logf("kept %d of %d tokens", keep, len(turn1)+3)
	reused := evalChunks(t, s, turn2[keep:], 16)
	if d := maxDiff(reused, freshLogits(t, m, turn2)); d > 1e-4 {
		t.Errorf("second turn after keeping %d tokens: logits differ from a fresh run by %g", keep, d)
	}
}

// The memory estimate the library and inspect show is the engine's: for
// gemma4 the local layers' rings and the shared layers' nothing, not every
// layer at the full context as the header-only estimate counts.
func TestEstimateMemoryCountsRingsAndSharedLayers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "g4.gguf")
	if err := synth.Write(path, synth.Options{Preset: "gemma4-small", Type: gguf.TypeQ8_0, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	f, err := gguf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	est, err := llama.EstimateMemory(f, 1024, llama.KVF32)
	if err != nil {
		t.Fatal(err)
	}
	a, err := llama.NewAnatomy(f)
	if err != nil {
		t.Fatal(err)
	}
	if want := a.Memory(1024, llama.KVF32); est.Total != want.Total || est.KVTotal != want.KVTotal {
		t.Errorf("EstimateMemory = %d (KV %d), the anatomy's %d (KV %d)", est.Total, est.KVTotal, want.Total, want.KVTotal)
	}
	header := f.Summary().MemoryEstimate(1024)
	if est.KVTotal*2 > uint64(header.KVCache) {
		t.Errorf("KV %d, header-only estimate %d: rings and shared layers not counted", est.KVTotal, header.KVCache)
	}
	if e := est.Estimate(); e.Total != int64(est.Total) || e.KVCache != int64(est.KVTotal) || e.KVType != "" {
		t.Errorf("Estimate() = %+v", e)
	}
}
