package llama_test

import (
	"fmt"
	"math"
	"testing"

	"burrow/inference/gguf"
	"burrow/inference/llama"
	"burrow/inference/quantize"
	"burrow/inference/synth"
)

// batchModel writes and loads a synthesized model of the preset.
func batchModel(t *testing.T, preset string, o synth.Options) *llama.Model {
	t.Helper()
	o.Preset, o.Seed, o.Std = preset, 11, 0.5
	return loadSynth(t, o)
}

// TestBatchRowsIndependent: sequences decoded together in a Batch get the
// logits, bit for bit, that each gets alone: from Eval where the batch
// needs no padding (Q8_0, Q4_0, Q6_K, IQ4_NL, Q5_K_M), else from a Batch of
// it alone with its padding rows (F32 and F16 weights; Q4_K_M, whose
// repacked Q4_K makes every pass 4 rows), at every batch size, for the
// families' attention steps (llama; qwen3's head norms; gemma3's sliding
// window, GeGLU and softcaps; phi3's fused projections; the experts of
// qwen3moe and gpt-oss with its sinks; mistral3's attention temperature;
// F32, F16 and Q8_0 caches; qwen35's recurrent layers, which a Batch runs
// one at a time).
func TestBatchRowsIndependent(t *testing.T) {
	ftype := func(name string) quantize.Ftype {
		f, ok := quantize.LookupFtype(name)
		if !ok {
			t.Fatalf("no %s recipe", name)
		}
		return f
	}
	q4km := ftype("Q4_K_M")
	cases := []struct {
		preset string
		synth  synth.Options
		kv     llama.KVType
		pad    int // the rows of the smallest pass
	}{
		// small's FF of 688 is no multiple of 32: its ffn_down stays F32.
		{"small", synth.Options{Type: gguf.TypeQ8_0}, llama.KVF32, 2},
		{"small", synth.Options{Type: gguf.TypeF32}, llama.KVQ8_0, 2},
		{"small", synth.Options{Type: gguf.TypeF16}, llama.KVF32, 2},
		{"qwen3-small", synth.Options{Recipe: q4km}, llama.KVF32, 4},
		{"qwen3-small", synth.Options{Recipe: ftype("Q4_0")}, llama.KVF32, 1},
		{"qwen3-small", synth.Options{Recipe: ftype("Q6_K")}, llama.KVF32, 1},
		{"qwen3-small", synth.Options{Recipe: ftype("IQ4_NL")}, llama.KVQ8_0, 1},
		{"qwen3-small", synth.Options{Recipe: ftype("Q5_K_M")}, llama.KVF16, 1},
		{"qwen3-small", synth.Options{Type: gguf.TypeQ8_0}, llama.KVQ8_0, 1},
		{"qwen3-small", synth.Options{Type: gguf.TypeQ8_0}, llama.KVF16, 1},
		{"gemma3-small", synth.Options{Type: gguf.TypeQ8_0}, llama.KVF32, 1},
		{"phi3-small", synth.Options{Type: gguf.TypeQ8_0}, llama.KVF32, 1},
		{"qwen3moe-small", synth.Options{Type: gguf.TypeQ8_0}, llama.KVF32, 1},
		{"gpt-oss-tiny", synth.Options{Type: gguf.TypeQ8_0}, llama.KVF32, 1},
		{"mistral3-tiny", synth.Options{Type: gguf.TypeQ8_0}, llama.KVF32, 1},
		{"qwen35-tiny", synth.Options{Type: gguf.TypeQ8_0}, llama.KVF32, 1},
		{"gemma4-small", synth.Options{Type: gguf.TypeQ8_0}, llama.KVF32, 1},
		{"gemma4-small", synth.Options{Recipe: q4km}, llama.KVF16, 4},
		{"gemma4moe-small", synth.Options{Type: gguf.TypeQ8_0}, llama.KVQ8_0, 1},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s-%s%v-%v", tc.preset, tc.synth.Recipe.Name, tc.synth.Type, tc.kv), func(t *testing.T) {
			m := batchModel(t, tc.preset, tc.synth)
			if b, err := m.NewBatch(1); err != nil {
				t.Fatal(err)
			} else if b.Close(); b.PadRows() != tc.pad {
				t.Errorf("passes of at least %d rows, want %d", b.PadRows(), tc.pad)
			}
			for _, n := range []int{2, 3, 4} {
				checkBatch(t, m, tc.kv, n)
			}
		})
	}
}

// checkBatch runs n sequences with prompts of different lengths, so the
// rows sit at different positions, through 6 batched decode steps and
// through Eval alone, comparing every logit.
func checkBatch(t *testing.T, m *llama.Model, kv llama.KVType, n int) {
	t.Helper()
	vocab := m.Config.VocabSize
	mk := func() []*llama.State {
		out := make([]*llama.State, n)
		for i := range out {
			s, err := m.NewStateWith(llama.StateOptions{Context: 48, Threads: 2, KV: kv})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(s.Close)
			prompt := make([]int, 3+5*i)
			for j := range prompt {
				prompt[j] = (7*i + 3*j + 1) % vocab
			}
			if _, err := s.Eval(prompt); err != nil {
				t.Fatal(err)
			}
			out[i] = s
		}
		return out
	}
	alone, together := mk(), mk()
	b, err := m.NewBatch(2)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ids := make([]int, n)
	for step := range 6 {
		for i, s := range alone {
			ids[i] = argmaxF32(s.Logits())
			if b.PadRows() == 1 { // no padding: a batch row is Eval's bits
				if _, err := s.Eval(ids[i : i+1]); err != nil {
					t.Fatal(err)
				}
			} else if err := b.Decode([]*llama.State{s}, ids[i:i+1]); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.Decode(together, ids); err != nil {
			t.Fatal(err)
		}
		for i := range n {
			a, g := alone[i].Logits(), together[i].Logits()
			if together[i].Len() != alone[i].Len() {
				t.Fatalf("batch %d step %d row %d: %d tokens cached, alone %d", n, step, i, together[i].Len(), alone[i].Len())
			}
			for j := range a {
				if math.Float32bits(a[j]) != math.Float32bits(g[j]) {
					t.Fatalf("batch %d step %d row %d: logit %d = %v, alone %v", n, step, i, j, g[j], a[j])
				}
			}
		}
	}
}

// TestBatchDecodeAllocatesNothing: a batched decode step allocates nothing
// at every batch size, padded (Q8_0: to 2 rows; Q4_K_M: to 4) or not.
func TestBatchDecodeAllocatesNothing(t *testing.T) {
	q4km, _ := quantize.LookupFtype("Q4_K_M")
	for _, o := range []synth.Options{{Type: gguf.TypeQ8_0}, {Recipe: q4km}} {
		m := batchModel(t, "small", o)
		b, err := m.NewBatch(2)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		states := make([]*llama.State, llama.MaxBatchRows)
		for i := range states {
			s, err := m.NewState(256, 2)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if _, err := s.Eval([]int{1, 2 + i}); err != nil {
				t.Fatal(err)
			}
			states[i] = s
		}
		ids := []int{5, 6, 7, 8}
		for n := 1; n <= llama.MaxBatchRows; n++ {
			allocs := testing.AllocsPerRun(20, func() {
				if err := b.Decode(states[:n], ids[:n]); err != nil {
					t.Fatal(err)
				}
			})
			if allocs != 0 {
				t.Errorf("%v%s, batch of %d: %v allocations per step", o.Type, o.Recipe.Name, n, allocs)
			}
		}
	}
}

// TestBatchDecodeRefusesBadInput: wrong sizes, a state twice, a full
// context and a token out of range are errors that change no state.
func TestBatchDecodeRefusesBadInput(t *testing.T) {
	m := batchModel(t, "tiny", synth.Options{Type: gguf.TypeQ8_0})
	b, err := m.NewBatch(1)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	s1, _ := m.NewState(4, 1)
	s2, _ := m.NewState(4, 1)
	defer s1.Close()
	defer s2.Close()
	if _, err := s2.Eval([]int{1, 2, 3, 4}); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		states []*llama.State
		ids    []int
	}{
		"empty":      {nil, nil},
		"too many":   {[]*llama.State{s1, s1, s1, s1, s1}, []int{1, 1, 1, 1, 1}},
		"ids":        {[]*llama.State{s1}, []int{1, 2}},
		"twice":      {[]*llama.State{s1, s1}, []int{1, 2}},
		"full":       {[]*llama.State{s1, s2}, []int{1, 2}},
		"vocabulary": {[]*llama.State{s1}, []int{m.Config.VocabSize}},
	} {
		if err := b.Decode(c.states, c.ids); err == nil {
			t.Errorf("%s: no error", name)
		}
		if s1.Len() != 0 || s2.Len() != 4 {
			t.Fatalf("%s: the states changed (%d, %d tokens)", name, s1.Len(), s2.Len())
		}
	}
}
