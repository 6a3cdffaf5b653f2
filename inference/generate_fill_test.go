package inference

import (
	"context"
	"testing"
)

// The pieces say how full the context is as the reply grows, ending where
// the reply's stats end, so a meter can fill while it streams.
func TestGeneratePiecesReportContextFill(t *testing.T) {
	m := loadStories(t, "stories260K-q8_0.gguf", 128)
	st, err := m.NewState()
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ids := m.Tokenize("Once upon a time")
	var used []int
	res, err := Generate(context.Background(), st, m, ids, greedyOpts(20), func(ev Event) {
		if ev.ContextSize != 128 {
			t.Fatalf("piece says the context holds %d", ev.ContextSize)
		}
		used = append(used, ev.ContextUsed)
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(used) == 0 || used[0] != len(ids) {
		t.Fatalf("first piece reports %v, the prompt is %d tokens", used, len(ids))
	}
	for i := 1; i < len(used); i++ {
		if used[i] < used[i-1] {
			t.Fatalf("fill went down: %v", used)
		}
	}
	if last := used[len(used)-1]; last != res.Stats.ContextUsed || last <= len(ids) {
		t.Fatalf("last piece reports %d, the stats %d", last, res.Stats.ContextUsed)
	}
}
