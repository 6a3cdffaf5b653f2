package llama

import (
	"math"
	"slices"
	"testing"

	"burrow/inference/gguf"
	"burrow/internal/testenv"
)

func openRound2(t *testing.T, name string) *gguf.File {
	t.Helper()
	f, err := gguf.Open(testenv.Path(t, "models", "round2", name+".gguf"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// TestAnatomyRound2 reads the architecture of a llama, a qwen3moe and a
// gemma3 file back: every tensor of the file in exactly one part, sizes and
// parameters adding up to the file's, and the family's features per layer.
func TestAnatomyRound2(t *testing.T) {
	for _, name := range []string{"llamakq-q4_k_m", "qwen3moe-q4_k_m", "gemma3-q4_k_m"} {
		t.Run(name, func(t *testing.T) {
			f := openRound2(t, name)
			a, err := NewAnatomy(f)
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]int{}
			var bytes int64
			count := func(p Part) {
				var pb, pp int64
				for _, x := range p.Tensors {
					seen[x.Name]++
					pb += x.Bytes
					pp += x.Params
					ti, _ := f.Tensor(x.Name)
					if x.Type != ti.Type.String() || !slices.Equal(x.Shape, ti.Shape) || x.Bytes != ti.Size {
						t.Errorf("%s: %s %v %d, file %s %v %d", x.Name, x.Type, x.Shape, x.Bytes, ti.Type, ti.Shape, ti.Size)
					}
				}
				if pb != p.Bytes || pp != p.Params {
					t.Errorf("part %s: bytes %d params %d, tensors add to %d, %d", p.Name, p.Bytes, p.Params, pb, pp)
				}
				bytes += pb
			}
			count(a.Embedding)
			count(a.Head)
			for _, p := range a.Other {
				count(p)
			}
			for _, b := range a.Blocks {
				for _, p := range b.Parts {
					count(p)
				}
			}
			for _, ti := range f.Tensors {
				if seen[ti.Name] != 1 {
					t.Errorf("%s is in %d parts", ti.Name, seen[ti.Name])
				}
			}
			if len(a.Extra) != 0 {
				t.Errorf("undeclared tensors %v", a.Extra)
			}
			var fileBytes int64
			for _, ti := range f.Tensors {
				fileBytes += ti.Size
			}
			if bytes != fileBytes || a.Bytes != fileBytes || a.Params != int64(f.Summary().ParamCount) {
				t.Errorf("bytes %d (total %d), file %d; params %d, file %d", bytes, a.Bytes, fileBytes, a.Params, f.Summary().ParamCount)
			}
			c := a.Config
			if len(a.Blocks) != c.Layers {
				t.Fatalf("%d blocks, %d layers", len(a.Blocks), c.Layers)
			}
			for l, b := range a.Blocks {
				at := b.Attention
				if at == nil || at.Heads != c.Heads || at.KVHeads != c.KVHeads || at.HeadDim != c.HeadDim {
					t.Fatalf("layer %d attention %+v", l, at)
				}
				names := []string{}
				for _, p := range b.Parts {
					names = append(names, p.Name)
				}
				switch a.Arch {
				case "llama":
					if !slices.Equal(names, []string{PartAttention, PartFFN}) || at.QKNorm || at.Window != 0 || b.FFN.Kind != "dense" || b.FFN.Width != 768 {
						t.Errorf("llama layer %d: parts %v, %+v, ffn %+v", l, names, at, b.FFN)
					}
				case "qwen3moe":
					if !slices.Equal(names, []string{PartAttention, PartRouter, PartExperts}) || !at.QKNorm || b.FFN.Kind != "experts" || b.FFN.Experts != c.Experts || b.FFN.ExpertsUsed != c.ExpertsUsed {
						t.Errorf("qwen3moe layer %d: parts %v, %+v, ffn %+v", l, names, at, b.FFN)
					}
					if p, _ := a.Find(l, PartExperts); len(p.Tensors) != 3 || p.Tensors[0].Shape[2] != int64(c.Experts) {
						t.Errorf("experts part %+v", p)
					}
				case "gemma3":
					// The file: window 6, every 3rd layer global; local layers on rope base 10000.
					wantWin, wantBase := 6, float32(10000)
					if l == 2 {
						wantWin, wantBase = 0, 1e6
					}
					if at.Window != wantWin || at.RopeBase != wantBase || !at.QKNorm || !at.PostNorm || !b.FFN.PostNorm {
						t.Errorf("gemma3 layer %d: %+v ffn %+v", l, at, b.FFN)
					}
				}
			}
			switch a.Arch {
			case "gemma3":
				if a.Activation != "GeGLU" || a.Rope.Kind != "neox" || a.Rope.Scaling != "linear x8" || a.Embedding.Note == "" {
					t.Errorf("gemma3: %s, rope %+v, embedding note %q", a.Activation, a.Rope, a.Embedding.Note)
				}
			case "llama":
				if a.Activation != "SwiGLU" || a.Rope.Kind != "normal" {
					t.Errorf("llama: %s, rope %+v", a.Activation, a.Rope)
				}
			}

			// Memory: the KV per layer adds up to the engine's own estimate.
			for _, ctx := range []int{64, 256} {
				mu := a.Memory(ctx, KVF16)
				if mu.KVTotal != c.KVCacheBytes(ctx, KVF16) || mu.Total <= mu.Weights+mu.KVTotal {
					t.Errorf("ctx %d: %+v, engine KV %d", ctx, mu, c.KVCacheBytes(ctx, KVF16))
				}
			}
		})
	}
}

// TestLogitLensLastLayerIsTheLogits: after the last layer the lens is the
// model's own classifier on the model's own final state, so its logits are
// the logits, bit for bit; and tracing changes nothing the model computes.
func TestLogitLensLastLayerIsTheLogits(t *testing.T) {
	prompt := []int{1, 72, 101, 108, 108, 111, 44, 32, 119, 111, 114, 108, 100}
	for _, name := range []string{"llamakq-q4_k_m", "qwen3moe-q4_k_m", "gemma3-q4_k_m", "gemma3-f32"} {
		t.Run(name, func(t *testing.T) {
			m := loadModel(t, "models", "round2", name+".gguf")
			s := newState(t, m, 64, 2)
			plain, err := s.Eval(prompt)
			if err != nil {
				t.Fatal(err)
			}
			plain = slices.Clone(plain)
			tr, logits, err := s.Trace(prompt, TraceOptions{TopK: 3})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(logits, plain) {
				t.Fatalf("tracing changed the logits: max |Δ| %g", maxAbsDiff(logits, plain))
			}
			if !slices.Equal(tr.lensLast, plain) {
				t.Fatalf("lens after the last layer differs from the logits: max |Δ| %g", maxAbsDiff(tr.lensLast, plain))
			}
			last := tr.Layers[len(tr.Layers)-1].Lens
			if len(last) != 3 || last[0].ID != argmax(plain) || last[0].Prob < last[1].Prob {
				t.Errorf("last layer's lens %+v, argmax %d", last, argmax(plain))
			}
			for l, L := range tr.Layers {
				if len(L.Lens) != 3 {
					t.Errorf("layer %d: lens %+v", l, L.Lens)
				}
			}
		})
	}
}

// TestTraceAttentionGemma3: every row is a distribution (sums to 1) over
// the positions its token may see: none after it (the causal mask) and, on
// the sliding-window layers, none more than Window-1 before it. The last
// (global) layer's weights times the cached values give the attention
// kernel's own output.
func TestTraceAttentionGemma3(t *testing.T) {
	m := loadModel(t, "models", "round2", "gemma3-f32.gguf")
	c := &m.Config
	if c.Window != 6 || !c.Local(0) || c.Local(2) {
		t.Fatalf("the file's window %d, pattern %d", c.Window, c.SWAPattern)
	}
	s := newState(t, m, 64, 2)
	prompt := make([]int, 20)
	for i := range prompt {
		prompt[i] = (i*37 + 5) % c.VocabSize
	}
	tr, _, err := s.Trace(prompt, TraceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n := len(prompt)
	if tr.Bins != n || tr.Summarised {
		t.Fatalf("bins %d summarised %v", tr.Bins, tr.Summarised)
	}
	for l, L := range tr.Layers {
		if len(L.Attn) != c.Heads {
			t.Fatalf("layer %d: %d heads", l, len(L.Attn))
		}
		beyondWindow := false
		for h := range L.Attn {
			for i := 0; i < n; i++ {
				row := L.Row(h, i, n)
				var sum float64
				for j, w := range row {
					sum += float64(w)
					seen := j <= i && (L.Window == 0 || i-j < L.Window)
					if !seen && w != 0 {
						t.Errorf("layer %d head %d: token %d gives %g to position %d (window %d)", l, h, i, w, j, L.Window)
					}
					if seen && w <= 0 {
						t.Errorf("layer %d head %d: token %d gives %g to visible position %d", l, h, i, w, j)
					}
					beyondWindow = beyondWindow || (i-j >= c.Window && w > 0)
				}
				if math.Abs(sum-1) > 1e-5 {
					t.Errorf("layer %d head %d row %d sums to %g", l, h, i, sum)
				}
			}
		}
		if L.Window != 0 && beyondWindow || L.Window == 0 && !beyondWindow {
			t.Errorf("layer %d (window %d): weight beyond the window %v", l, L.Window, beyondWindow)
		}
	}

	// The global last layer: Σ_j w_j v_j is what the kernel wrote to s.att.
	l, hd, kvDim := c.Layers-1, c.HeadDim, c.KVDim()
	group := c.Heads / c.KVHeads
	v := s.cache.v[l]
	var worst float64
	for i := 0; i < n; i++ {
		for h := 0; h < c.Heads; h++ {
			row := tr.Layers[l].Row(h, i, n)
			for d := 0; d < hd; d++ {
				var sum float64
				for j, w := range row {
					sum += float64(w) * float64(v[j*kvDim+(h/group)*hd+d])
				}
				worst = max(worst, math.Abs(sum-float64(s.att[i*c.QDim()+h*hd+d])))
			}
		}
	}
	if worst > 1e-4 {
		t.Errorf("weights x values differ from the attention output by %g", worst)
	}
}

// TestTraceSummarisesLongPrompts: past MaxTokens the attention is binned,
// says so, and keeps distributions and the causal mask.
func TestTraceSummarisesLongPrompts(t *testing.T) {
	m := loadModel(t, "models", "round2", "llamakq-q4_k_m.gguf")
	s := newState(t, m, 128, 2)
	prompt := make([]int, 50)
	for i := range prompt {
		prompt[i] = (i*13 + 1) % m.Config.VocabSize
	}
	tr, _, err := s.Trace(prompt, TraceOptions{MaxTokens: 8})
	if err != nil {
		t.Fatal(err)
	}
	if !tr.Summarised || tr.Bins != 8 || tr.BinStart[0] != 0 || tr.BinStart[8] != 50 {
		t.Fatalf("summarised %v, bins %d, starts %v", tr.Summarised, tr.Bins, tr.BinStart)
	}
	for l, L := range tr.Layers {
		for h := range L.Attn {
			for i := 0; i < tr.Bins; i++ {
				var sum float64
				for j, w := range L.Row(h, i, tr.Bins) {
					sum += float64(w)
					if j > i && w != 0 {
						t.Errorf("layer %d head %d: bin %d gives %g to later bin %d", l, h, i, w, j)
					}
				}
				if math.Abs(sum-1) > 1e-5 {
					t.Errorf("layer %d head %d bin %d sums to %g", l, h, i, sum)
				}
			}
		}
	}
	if _, _, err := s.Trace(make([]int, 129), TraceOptions{}); err == nil {
		t.Error("a trace longer than the context was accepted")
	}
	if _, _, err := s.Trace(nil, TraceOptions{}); err == nil {
		t.Error("a trace of no tokens was accepted")
	}
}

// TestDecodeAfterTraceDoesNotAllocate: with the hooks off again (after a
// trace on the same state) decoding allocates nothing.
func TestDecodeAfterTraceDoesNotAllocate(t *testing.T) {
	for _, name := range []string{"gemma3-q4_k_m", "qwen3moe-q4_k_m"} {
		m := loadModel(t, "models", "round2", name+".gguf")
		s := newState(t, m, 128, 2)
		if _, _, err := s.Trace([]int{1, 2, 3}, TraceOptions{}); err != nil {
			t.Fatal(err)
		}
		if s.trace != nil {
			t.Fatal("the hooks stayed on after the trace")
		}
		tok := []int{42}
		allocs := testing.AllocsPerRun(20, func() {
			if _, err := s.Eval(tok); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("%s: %.1f allocations per decoded token with the hooks off", name, allocs)
		}
	}
}

// TestTraceF16Cache: on an F16 or Q8_0 KV cache the weights come from the
// cache's own keys (Q8_0's rotated, as its queries are) and stay within
// rounding of the F32 cache's.
func TestTraceF16Cache(t *testing.T) {
	for _, kv := range []KVType{KVF16, KVQ8_0} {
		t.Run(kv.String(), func(t *testing.T) { testTraceCache(t, kv) })
	}
}

func testTraceCache(t *testing.T, kvType KVType) {
	m := loadModel(t, "models", "round2", "gemma3-f32.gguf")
	prompt := []int{1, 72, 101, 108, 108, 111, 44, 32, 119, 111, 114, 108, 100}
	var traces [2]*Trace
	for i, kv := range []KVType{KVF32, kvType} {
		s, err := m.NewStateWith(StateOptions{Context: 32, Threads: 2, KV: kv})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if traces[i], _, err = s.Trace(prompt, TraceOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	var worst float64
	for l := range traces[0].Layers {
		for h := range traces[0].Layers[l].Attn {
			for j, w := range traces[0].Layers[l].Attn[h] {
				w16 := traces[1].Layers[l].Attn[h][j]
				if (w == 0) != (w16 == 0) {
					t.Fatalf("layer %d head %d cell %d: %g with F32, %g with %s", l, h, j, w, w16, kvType)
				}
				worst = max(worst, math.Abs(float64(w-w16)))
			}
		}
	}
	if worst > 0.02 {
		t.Errorf("%s cache weights differ by up to %g", kvType, worst)
	}
	t.Logf("largest F32/%s difference of a weight: %g", kvType, worst)
}

// TestTraceAcrossBatchesAndRing: a prompt run in batches of 4 through a
// window-sized ring cache (gemma3's local layers) traces exactly as one
// batch over a linear cache: the hook maps ring rows back to positions.
func TestTraceAcrossBatchesAndRing(t *testing.T) {
	m := loadModel(t, "models", "round2", "gemma3-f32.gguf")
	prompt := make([]int, 30)
	for i := range prompt {
		prompt[i] = (i*11 + 2) % m.Config.VocabSize
	}
	var traces [2]*Trace
	for i, o := range []StateOptions{{Context: 64, Threads: 2}, {Context: 64, Threads: 2, Batch: 4}} {
		s, err := m.NewStateWith(o)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if i == 1 && s.cache.ring[0] == 0 {
			t.Fatal("the local layer has no ring: the test does not test it")
		}
		if traces[i], _, err = s.Trace(prompt, TraceOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for l := range traces[0].Layers {
		for h := range traces[0].Layers[l].Attn {
			a, b := traces[0].Layers[l].Attn[h], traces[1].Layers[l].Attn[h]
			if d := maxAbsDiff(a, b); d > 1e-6 {
				t.Errorf("layer %d head %d: ring and batches differ by %g", l, h, d)
			}
		}
		if a, b := traces[0].Layers[l].Lens, traces[1].Layers[l].Lens; !slices.Equal(a, b) {
			t.Errorf("layer %d lens %v, in batches %v", l, a, b)
		}
	}
}
