package llama

import (
	"math"
	"slices"
	"testing"

	"burrow/inference/gguf"
	"burrow/inference/tensor"
)

// moeFFNPerToken is the mixture of experts one token at a time (each
// expert's matrices read once per token): the reference the grouped pass
// is held to.
func (s *State) moeFFNPerToken(L *Layer, n int) {
	c, p := &s.m.Config, s.pool
	dim, ff, ne, k := c.Dim, c.ExpertFF, c.Experts, c.ExpertsUsed
	probs := s.router[:n*ne]
	s.inDim.Set(s.xb[:n*dim], n)
	tensor.MatMul(p, probs, L.Router, s.inDim)
	in1, inFF := tensor.NewActivations(1, dim), tensor.NewActivations(1, ff)
	out, d := make([]float32, dim), make([]float32, dim)
	sel, w := make([]int32, k), make([]float32, k)
	for t := 0; t < n; t++ {
		s.route(probs[t*ne:(t+1)*ne], sel, w)
		in1.Set(s.xb[t*dim:(t+1)*dim], 1)
		clear(out)
		for j, e := range sel {
			g, u := s.gate[:ff], s.up[:ff]
			tensor.MatMulMulti(p, [][]float32{g, u}, []*tensor.Matrix{L.ExpGate[e], L.ExpUp[e]}, in1)
			tensor.SwiGLU(g, g, u)
			inFF.Set(g, 1)
			tensor.MatMul(p, d, L.ExpDown[e], inFF)
			for i, v := range d {
				out[i] += v * w[j]
			}
		}
		copy(s.xb[t*dim:(t+1)*dim], out)
	}
}

// The grouped pass over a prompt batch gives the per-token pass's logits
// (equal up to float rounding: an expert's product over several rows may
// sum in another order than over one) and the same greedy ids, on every
// round2 qwen3moe file.
func TestMoEGroupedMatchesPerToken(t *testing.T) {
	for _, file := range []string{"qwen3moe-f32", "qwen3moe-q8_0", "qwen3moe-q4_k_m", "qwen3moe-mxfp4_moe"} {
		m := loadModel(t, "models", "round2", file+".gguf")
		for _, p := range []string{"p1", "p2"} {
			ref := readRound2(t, file, p)
			run := func(perToken bool) ([]int, [][]float32) {
				s := newState(t, m, 128, 2)
				if perToken {
					moeTestPass = (*State).moeFFNPerToken
					defer func() { moeTestPass = nil }()
				}
				var all [][]float32
				logits, err := s.Eval(ref.PromptIDs)
				var ids []int
				for err == nil && len(ids) < 16 {
					all = append(all, slices.Clone(logits))
					ids = append(ids, argmax(logits))
					logits, err = s.Eval(ids[len(ids)-1:])
				}
				if err != nil {
					t.Fatal(err)
				}
				return ids, all
			}
			ids, grouped := run(false)
			want, per := run(true)
			if !slices.Equal(ids, want) {
				t.Errorf("%s %s: ids %v, per-token %v", file, p, ids, want)
			}
			var d float64
			for i := range grouped {
				d = math.Max(d, maxAbsDiff(grouped[i], per[i]))
			}
			t.Logf("%s %s: max |Δlogit| grouped vs per-token over 16 steps: %g", file, p, d)
			if d > 1e-4 {
				t.Errorf("%s %s: max |Δlogit| %g", file, p, d)
			}
		}
	}
}

// A decoded token runs exactly ExpertsUsed experts per layer, and the
// weight bytes it reads are the dense matrices plus those experts' rows.
func TestMoEDecodeReadsRoutedExperts(t *testing.T) {
	m := loadModel(t, "models", "round2", "qwen3moe-q8_0.gguf")
	c := &m.Config
	s := newState(t, m, 64, 1)
	if _, err := s.Eval([]int{1, 2, 3, 4}); err != nil {
		t.Fatal(err)
	}
	var expertBytes uint64
	moeTestPass = func(s *State, L *Layer, n int) {
		s.moeFFNRows(L, n)
		ran := 0
		for e := 0; e < c.Experts; e++ {
			if s.moeStart[e+1] > s.moeStart[e] {
				ran++
				expertBytes += uint64(len(L.ExpGate[e].Data) + len(L.ExpUp[e].Data) + len(L.ExpDown[e].Data))
			}
		}
		if ran != c.ExpertsUsed {
			t.Errorf("one token ran %d experts, want %d", ran, c.ExpertsUsed)
		}
	}
	defer func() { moeTestPass = nil }()
	if _, err := s.Eval([]int{5}); err != nil {
		t.Fatal(err)
	}
	perToken, total := m.WeightBytesPerToken()
	var dense uint64
	for _, L := range m.Layers {
		for _, w := range []*tensor.Matrix{L.Wq, L.Wk, L.Wv, L.Wo, L.Router} {
			dense += uint64(len(w.Data))
		}
	}
	dense += uint64(len(m.Output.Data)) + uint64(m.Embedding.RowBytes)
	t.Logf("%s: %d weight bytes per decoded token of %d (experts %d of %d, %d used)", c.Arch, perToken, total, expertBytes, c.Experts, c.ExpertsUsed)
	if perToken != dense+expertBytes {
		t.Errorf("WeightBytesPerToken = %d, want dense %d + routed experts %d", perToken, dense, expertBytes)
	}
}

// Qwen3-30B-A3B in Q4_K (hyperparameters of its config.json): the bytes a
// decoded token reads, against the whole file.
func TestMoEDecodeBytes30B(t *testing.T) {
	c := &Config{Arch: "qwen3moe", Dim: 2048, HiddenDim: 6144, Layers: 48, Heads: 32, KVHeads: 4, HeadDim: 128,
		RopeDim: 128, VocabSize: 151936, Experts: 128, ExpertsUsed: 8, ExpertFF: 768}
	per, total, err := WeightBytesPerToken("qwen3moe", c, func(s TensorSpec) uint64 {
		return uint64(gguf.TypeQ4_K.RowSize(s.Shape[0]))
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("qwen3-30b-a3b Q4_K: %.2f GB of weights read per decoded token of %.2f GB (%.1f%%)",
		float64(per)/1e9, float64(total)/1e9, 100*float64(per)/float64(total))
	if per*8 > total {
		t.Errorf("a token reads %d of %d bytes: more than routed experts", per, total)
	}
}

// Neither the grouped MoE pass nor the gemma ring allocates per token, in a
// prompt batch or in decoding.
func TestMoEAndRingDoNotAllocate(t *testing.T) {
	for _, file := range []string{"qwen3moe-q8_0", "gemma3-q8_0"} {
		m := loadModel(t, "models", "round2", file+".gguf")
		s, err := m.NewStateWith(StateOptions{Context: 128, Threads: 2, Batch: 4})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if _, err := s.Eval([]int{1, 2, 3}); err != nil {
			t.Fatal(err)
		}
		allocs := testing.AllocsPerRun(10, func() {
			if _, err := s.Eval([]int{42, 43, 44}); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Eval([]int{45}); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("%s: %.1f allocations per run", file, allocs)
		}
	}
}
