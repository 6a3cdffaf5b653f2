package llama_test

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"burrow/inference/gguf"
	"burrow/inference/llama"
	"burrow/inference/synth"
)

// familyPresets are synth's test shapes of the families that need their
// own (the others take "tiny" in their architecture).
var familyPresets = map[string]string{
	"qwen3moe": "qwen3moe-small", "gemma2": "gemma2-small", "gemma3": "gemma3-small",
	"phi3": "phi3-small", "gpt-oss": "gpt-oss-tiny", "mistral3": "mistral3-tiny", "qwen3": "qwen3-small",
	"qwen35": "qwen35-tiny", "qwen35moe": "qwen35moe-small", "gemma4": "gemma4-small",
}

// TestEveryFamilyDrawsAndTraces: for every family of the registry, a
// synthesized file's anatomy puts each tensor in exactly one part, and a
// trace gives causal, windowed attention rows that sum to 1 (less with
// gpt-oss's sinks) and a last-layer lens whose best token is the logits'.
func TestEveryFamilyDrawsAndTraces(t *testing.T) {
	type run struct{ arch, preset string }
	var runs []run
	for _, arch := range llama.SupportedArchitectures() {
		preset, ok := familyPresets[arch]
		if !ok {
			preset = "tiny"
		}
		runs = append(runs, run{arch, preset})
	}
	runs = append(runs, run{"gemma4", "gemma4moe-small"}) // the same family with experts
	for _, r := range runs {
		arch, preset := r.arch, r.preset
		t.Run(arch+"/"+preset, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "m.gguf")
			if err := synth.Write(path, synth.Options{Arch: arch, Preset: preset, Type: gguf.TypeF32, Std: 0.5, Seed: 5}); err != nil {
				t.Fatal(err)
			}
			f, m := openSynth(t, path)
			a, err := llama.NewAnatomy(f)
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]int{}
			parts := append([]llama.Part{a.Embedding, a.Head}, a.Other...)
			for _, b := range a.Blocks {
				parts = append(parts, b.Parts...)
			}
			for _, p := range parts {
				for _, x := range p.Tensors {
					seen[x.Name]++
				}
			}
			for _, ti := range f.Tensors {
				if seen[ti.Name] != 1 {
					t.Errorf("%s is in %d parts", ti.Name, seen[ti.Name])
				}
			}
			if len(a.Extra) != 0 || len(a.Blocks) != m.Config.Layers {
				t.Errorf("%d extra tensors, %d blocks", len(a.Extra), len(a.Blocks))
			}
			checkAttnInfo(t, f, a)

			s, err := m.NewState(64, 2)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			prompt := make([]int, 24)
			for i := range prompt {
				prompt[i] = (i*7 + 3) % m.Config.VocabSize
			}
			tr, logits, err := s.Trace(prompt, llama.TraceOptions{TopK: 2})
			if err != nil {
				t.Fatal(err)
			}
			best := float32(math.Inf(-1))
			for _, x := range logits {
				best = max(best, x)
			}
			if got := tr.Layers[len(tr.Layers)-1].Lens[0].Logit; got != best {
				t.Errorf("last layer's lens logit %g, the logits' best %g", got, best)
			}
			n := len(prompt)
			for l, L := range tr.Layers {
				at := a.Blocks[l].Attention
				if a.Blocks[l].Recurrent != nil {
					if at != nil || L.Attn != nil {
						t.Fatalf("recurrent layer %d has attention", l)
					}
					continue
				}
				if at == nil || L.Window != at.Window {
					t.Fatalf("layer %d: trace window %d, anatomy %+v", l, L.Window, at)
				}
				for h := range L.Attn {
					for i := 0; i < n; i++ {
						var sum float64
						for j, w := range L.Row(h, i, n) {
							sum += float64(w)
							if (j > i || (L.Window > 0 && i-j >= L.Window)) && w != 0 {
								t.Fatalf("layer %d head %d: token %d gives %g to %d", l, h, i, w, j)
							}
						}
						if sum > 1+1e-5 || (!at.Sinks && sum < 1-1e-5) || sum <= 0 {
							t.Fatalf("layer %d head %d row %d sums to %g (sinks %v)", l, h, i, sum, at.Sinks)
						}
					}
				}
			}

			// The last layer's weights times the cached values are the
			// kernel's own attention output (softcaps and sinks included).
			// (gemma4's last layer reads an earlier layer's cache, of its
			// own head size and KV heads.)
			c := &m.Config
			l := c.Layers - 1
			at := a.Blocks[l].Attention
			hd, kvDim, group := at.HeadDim, at.KVHeads*at.HeadDim, at.Heads/at.KVHeads
			v, att := llama.CachedValues(s, at.KVFrom), llama.AttnOutput(s)
			var worst float64
			for i := 0; i < n; i++ {
				for h := 0; h < c.Heads; h++ {
					row := tr.Layers[l].Row(h, i, n)
					for d := 0; d < hd; d++ {
						var sum float64
						for j, w := range row {
							sum += float64(w) * float64(v[j*kvDim+(h/group)*hd+d])
						}
						worst = max(worst, math.Abs(sum-float64(att[i*c.Heads*hd+h*hd+d])))
					}
				}
			}
			if worst > 1e-4 {
				t.Errorf("weights x values differ from the attention output by %g", worst)
			}
		})
	}
}

// checkAttnInfo holds each block's AttnInfo to the file's own tensors: the
// query projection is Heads x HeadDim wide, the per-head norms HeadDim long,
// the key projection KVHeads x HeadDim; a layer that reads another's KV
// (KVFrom) has no key projection and reads an earlier layer of its kind
// (window) and shape that has one.
func checkAttnInfo(t *testing.T, f *gguf.File, a *llama.Anatomy) {
	t.Helper()
	shape := func(l int, name string) []int64 {
		if ti, ok := f.Tensor(fmt.Sprintf("blk.%d.%s", l, name)); ok {
			return ti.Shape
		}
		return nil
	}
	for l, b := range a.Blocks {
		at := b.Attention
		if at == nil {
			continue
		}
		want := int64(at.Heads * at.HeadDim)
		if strings.HasPrefix(a.Arch, "qwen35") {
			want *= 2 // the query projection carries the output gate too
		}
		if q := shape(l, "attn_q.weight"); q != nil && q[1] != want {
			t.Errorf("layer %d: attn_q is %v wide, anatomy says %d heads of %d", l, q, at.Heads, at.HeadDim)
		}
		if qn := shape(l, "attn_q_norm.weight"); qn != nil && qn[0] != int64(at.HeadDim) {
			t.Errorf("layer %d: attn_q_norm %v, head %d", l, qn, at.HeadDim)
		}
		if at.RopeDim <= 0 || at.RopeDim > at.HeadDim {
			t.Errorf("layer %d: rope over %d of a head of %d", l, at.RopeDim, at.HeadDim)
		}
		k := shape(l, "attn_k.weight")
		if at.KVFrom == l {
			if k != nil && k[1] != int64(at.KVHeads*at.HeadDim) {
				t.Errorf("layer %d: attn_k is %v, anatomy says %d KV heads of %d", l, k, at.KVHeads, at.HeadDim)
			}
			continue
		}
		src := a.Blocks[at.KVFrom].Attention
		switch {
		case k != nil:
			t.Errorf("layer %d reads layer %d's KV but has its own attn_k", l, at.KVFrom)
		case at.KVFrom > l || src == nil || src.KVFrom != at.KVFrom:
			t.Errorf("layer %d reads layer %d's KV, which is not an earlier layer with its own", l, at.KVFrom)
		case src.Window != at.Window || src.HeadDim != at.HeadDim || src.KVHeads != at.KVHeads:
			t.Errorf("layer %d (%+v) reads layer %d's KV (%+v) of another kind", l, *at, at.KVFrom, *src)
		}
	}
}
