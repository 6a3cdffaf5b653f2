package llama

import (
	"encoding/json"
	"math"
	"os"
	"slices"
	"testing"

	"burrow/internal/testenv"
)

// ringRun evaluates prompt in batches of batch tokens, then feeds back the
// argmax n times, and returns the ids and every step's logits.
func ringRun(t *testing.T, m *Model, kv KVType, batch int, prompt []int, n int) ([]int, [][]float32) {
	t.Helper()
	s, err := m.NewStateWith(StateOptions{Context: 128, Threads: 2, KV: kv, Batch: batch})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	logits, err := s.Eval(prompt)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int
	var all [][]float32
	for range n {
		all = append(all, slices.Clone(logits))
		id := argmax(logits)
		ids = append(ids, id)
		if logits, err = s.Eval([]int{id}); err != nil {
			t.Fatal(err)
		}
	}
	return ids, all
}

func readRound2(t *testing.T, file, p string) reference {
	t.Helper()
	data, err := os.ReadFile(testenv.Path(t, "models", "round2", file+"-"+p+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref reference
	if err := json.Unmarshal(data, &ref); err != nil {
		t.Fatal(err)
	}
	return ref
}

// Gemma 3's local layers (window 6) in a ring of Window+batch positions
// give, bit for bit, what the linear cache gives, over prompts and 32
// steps that wrap the ring many times, and llama.cpp's ids.
func TestKVRingMatchesLinear(t *testing.T) {
	for _, file := range []string{"gemma3-f32", "gemma3-q8_0"} {
		m := loadModel(t, "models", "round2", file+".gguf")
		for _, kv := range []KVType{KVF32, KVF16} {
			for _, p := range []string{"p1", "p2"} {
				ref := readRound2(t, file, p)
				const batch = 4
				ids, ring := ringRun(t, m, kv, batch, ref.PromptIDs, len(ref.GeneratedIDs))
				kvRingOff = true
				_, linear := ringRun(t, m, kv, batch, ref.PromptIDs, len(ref.GeneratedIDs))
				kvRingOff = false
				for i := range ring {
					for j := range ring[i] {
						if math.Float32bits(ring[i][j]) != math.Float32bits(linear[i][j]) {
							t.Fatalf("%s %s %v step %d: logit %d ring %v, linear %v", file, p, kv, i, j, ring[i][j], linear[i][j])
						}
					}
				}
				if kv == KVF32 && !slices.Equal(ids, ref.GeneratedIDs) {
					t.Errorf("%s %s: ids differ from llama.cpp\n got %v\nwant %v", file, p, ids, ref.GeneratedIDs)
				}
			}
		}
	}
}

// The ring takes Window+batch positions twice per local layer, the others
// the whole context; layers 0 and 1 of the round2 file are local.
func TestKVRingMemory(t *testing.T) {
	m := loadModel(t, "models", "round2", "gemma3-f32.gguf")
	c := &m.Config
	if c.Window != 6 || !c.Local(0) || !c.Local(1) || c.Local(2) {
		t.Fatalf("window %d, pattern %d", c.Window, c.SWAPattern)
	}
	want := 2 * uint64(2*2*(6+4)+1024) * uint64(c.KVDim()) * 4
	if got := kvCacheBytes(c, 1024, 4, KVF32); got != want {
		t.Errorf("kvCacheBytes = %d, want %d", got, want)
	}
	// A window as long as the context gains nothing: linear layers.
	if got, lin := kvCacheBytes(c, 16, 4, KVF32), 2*uint64(3*16)*uint64(c.KVDim())*4; got != lin {
		t.Errorf("short context: %d, want %d", got, lin)
	}
}

// linearRollback evaluates tokens, rolls back to keep and evaluates next,
// on a linear cache.
func linearRollback(t *testing.T, m *Model, tokens []int, keep int, next []int) []float32 {
	kvRingOff = true
	defer func() { kvRingOff = false }()
	s, err := m.NewStateWith(StateOptions{Context: 128, Threads: 2, Batch: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Eval(tokens); err != nil {
		t.Fatal(err)
	}
	if got := s.Truncate(keep); got != keep {
		t.Fatalf("linear Truncate(%d) kept %d", keep, got)
	}
	l, err := s.Eval(next)
	if err != nil {
		t.Fatal(err)
	}
	return slices.Clone(l)
}

// Rolling back within the ring's slack continues exactly as the linear
// cache does; rolling back past it keeps nothing, and the rerun from the
// start is exact.
func TestKVRingTruncate(t *testing.T) {
	m := loadModel(t, "models", "round2", "gemma3-f32.gguf")
	ref := readRound2(t, "gemma3-f32", "p1")
	const batch = 4 // ring of 10 positions; a rollback of up to 5 keeps the window
	tokens := append(slices.Clone(ref.PromptIDs), ref.GeneratedIDs[:20]...)
	fresh := func(toks []int) []float32 {
		s, err := m.NewStateWith(StateOptions{Context: 128, Threads: 2, Batch: batch})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		l, err := s.Eval(toks)
		if err != nil {
			t.Fatal(err)
		}
		return slices.Clone(l)
	}
	n := len(tokens)
	next := []int{7, 8, 9} // a different continuation than the one rolled back
	for _, back := range []int{1, 3, 5, 6, 12} {
		s, err := m.NewStateWith(StateOptions{Context: 128, Threads: 2, Batch: batch})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if _, err := s.Eval(tokens); err != nil {
			t.Fatal(err)
		}
		kept := s.Truncate(n - back)
		// The ring holds positions n-10..n-1; position n-back needs n-back-5..
		if want := n - back; back > 5 {
			if kept != 0 {
				t.Fatalf("Truncate(%d) past the ring kept %d, want 0", want, kept)
			}
		} else if kept != want {
			t.Fatalf("Truncate(%d) kept %d", want, kept)
		}
		rest := append(slices.Clone(tokens[kept:n-back]), next...)
		l, err := s.Eval(rest)
		if err != nil {
			t.Fatal(err)
		}
		// The same calls on a linear cache (which keeps every rollback);
		// after a rollback to 0 that is a fresh run.
		var want []float32
		if kept == 0 {
			want = fresh(append(slices.Clone(tokens[:n-back]), next...))
		} else {
			want = linearRollback(t, m, tokens, n-back, next)
		}
		if !slices.Equal(l, want) {
			t.Fatalf("rollback of %d: logits differ from a fresh run (max %g)", back, maxAbsDiff(l, want))
		}
	}
	// Without a ring every rollback is kept.
	kvRingOff = true
	defer func() { kvRingOff = false }()
	s2, err := m.NewStateWith(StateOptions{Context: 128, Threads: 2, Batch: batch})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if _, err := s2.Eval(tokens); err != nil {
		t.Fatal(err)
	}
	if got := s2.Truncate(3); got != 3 {
		t.Fatalf("linear Truncate(3) kept %d", got)
	}
}

// A Gemma 3 1B shape (window 512, 5 of 6 layers local) at 32k tokens: the
// local layers cost 2*(512+256) positions each instead of 32768.
func TestKVRingMemoryGemma3Shape(t *testing.T) {
	c := &Config{Layers: 26, KVHeads: 1, HeadDim: 256, Window: 512, SWAPattern: 6}
	global, local := 0, 0
	for l := 0; l < c.Layers; l++ {
		if c.Local(l) {
			local++
		} else {
			global++
		}
	}
	got := c.KVCacheBytes(32768, KVF16)
	want := 2 * uint64(global*32768+local*2*(512+256)) * 256 * 2
	linear := 2 * uint64(26*32768) * 256 * 2
	t.Logf("gemma-3-1b KV cache at 32768 tokens, F16: %.0f MiB with the ring, %.0f MiB linear", float64(got)/(1<<20), float64(linear)/(1<<20))
	if got != want {
		t.Fatalf("KVCacheBytes = %d, want %d", got, want)
	}
}
