package llama

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"testing"

	"burrow/inference/gguf"
	"burrow/internal/testenv"
)

// reference is one greedy run of llama.cpp (../shared/testdata/reference).
type reference struct {
	PromptIDs    []int          `json:"prompt_ids"`
	GeneratedIDs []int          `json:"generated_ids"`
	LastLogits   []float32      `json:"last_prompt_position_logits"`
	Top5         [][][2]float64 `json:"top5_per_step"`
}

func readReference(t *testing.T, name string) reference {
	t.Helper()
	data, err := os.ReadFile(testenv.Path(t, "reference", name))
	if err != nil {
		t.Fatal(err)
	}
	var r reference
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return r
}

func loadModel(t testing.TB, rel ...string) *Model {
	t.Helper()
	f, err := gguf.Open(testenv.Path(t, rel...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	m, err := Load(f)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func newState(t testing.TB, m *Model, ctx, threads int) *State {
	t.Helper()
	s, err := m.NewState(ctx, threads)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func argmax(x []float32) int {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return best
}

// greedy evaluates the prompt as one batch, then feeds back the argmax n times.
func greedy(t testing.TB, s *State, prompt []int, n int) (ids []int, promptLogits []float32) {
	t.Helper()
	logits, err := s.Eval(prompt)
	if err != nil {
		t.Fatal(err)
	}
	promptLogits = slices.Clone(logits)
	for range n {
		id := argmax(logits)
		ids = append(ids, id)
		if logits, err = s.Eval([]int{id}); err != nil {
			t.Fatal(err)
		}
	}
	return ids, promptLogits
}

func maxAbsDiff(a, b []float32) float64 {
	var d float64
	for i := range a {
		d = math.Max(d, math.Abs(float64(a[i]-b[i])))
	}
	return d
}

// All 12 greedy references: the 64 generated ids are llama.cpp's, and the
// logits after the prompt are close to the F32-KV-cache run.
func TestGreedyMatchesLlamaCpp(t *testing.T) {
	tol := map[string]float64{"f32": 1e-3, "q8_0": 0.1}
	for _, typ := range []string{"f32", "q8_0"} {
		m := loadModel(t, "models", "stories260K-"+typ+".gguf")
		for _, p := range []string{"p1", "p2", "p3"} {
			for _, kv := range []string{"kvf16", "kvf32"} {
				name := fmt.Sprintf("greedy-%s-%s-%s.json", typ, p, kv)
				t.Run(name, func(t *testing.T) {
					ref := readReference(t, name)
					s := newState(t, m, 128, 2)
					ids, logits := greedy(t, s, ref.PromptIDs, len(ref.GeneratedIDs))
					if !slices.Equal(ids, ref.GeneratedIDs) {
						t.Errorf("generated ids differ\n got %v\nwant %v", ids, ref.GeneratedIDs)
					}
					d := maxAbsDiff(logits, ref.LastLogits)
					t.Logf("max |Δlogit| at the last prompt position: %.6f", d)
					if kv == "kvf32" && d > tol[typ] {
						t.Errorf("max |Δlogit| = %.6f, want <= %g", d, tol[typ])
					}
				})
			}
		}
	}
}
