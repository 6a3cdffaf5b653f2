package llama_test

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"burrow/inference/gguf"
	"burrow/inference/llama"
	"burrow/inference/synth"
)

// peerRecord is greedy output of llama.cpp recorded on a synthesized file
// (testdata/*-peer.json): the file is rewritten here from the same preset
// and seed, so no model is stored.
type peerRecord struct {
	Synth string `json:"synth"`
	Runs  []struct {
		Prompt       string `json:"prompt"`
		Ctx          int    `json:"ctx"` // 0: 128
		PromptIDs    []int  `json:"prompt_ids"`
		GeneratedIDs []int  `json:"generated_ids"`
	} `json:"runs"`
}

// gemma2 (soft-capped attention and logits, a window of 8 on the even
// layers, queries scaled after rope) generates llama.cpp's ids. The record
// was made with
//
//	burrow gguf synth --preset gemma2-small --type f32 --std 0.5 --seed 7 -o g2.gguf
//	node tools/peer/peer.mjs greedy --model g2.gguf --prompt PROMPT --n 32 --threads 2 --kv f32
func TestGemma2MatchesPeer(t *testing.T) {
	o := synth.Options{Preset: "gemma2-small", Type: gguf.TypeF32, Std: 0.5, Seed: 7}
	m := checkPeerRecord(t, "testdata/gemma2-small-peer.json", o)
	// Batches of 4 keep the local layers in a ring of 12 positions.
	checkPeerRecordBatch(t, "testdata/gemma2-small-peer.json", o, 4)
	c := m.Config
	if c.AttnSoftcap != 50 || c.FinalSoftcap != 30 || c.Window != 8 || !c.Local(0) || c.Local(1) || c.QueryScale != 0.125 {
		t.Fatalf("config %+v", c)
	}
	// Greedy ids do not see the final cap (tanh keeps the order): the
	// logits must lie inside it and come close to it.
	s, err := m.NewState(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	logits, err := s.Eval([]int{1, 300, 301, 302})
	if err != nil {
		t.Fatal(err)
	}
	var top float32
	for _, v := range logits {
		top = max(top, v, -v)
	}
	if top >= 30 || top < 15 {
		t.Errorf("largest |logit| %v, want within the cap of 30 and near it", top)
	}
}

// checkPeerRecord runs the record's prompts greedily on the synthesized
// file and returns the model, for family-specific checks.
// phi3 with Phi-4-mini's partial rotary (24 of 32 values per head) and
// LongRoPE (short factors up to the original context of 256, long ones
// past it, and the attention factor sqrt(1+ln 4/ln 256) on cos and sin)
// generates llama.cpp's ids at both context sizes. The record was made with
//
//	burrow gguf synth --preset phi3-small --type f32 --std 0.5 --seed 7 -o p3.gguf
//	node tools/peer/peer.mjs greedy --model p3.gguf --ctx CTX --prompt PROMPT --n 32 --threads 2 --kv f32
func TestPhi3LongRopeMatchesPeer(t *testing.T) {
	m := checkPeerRecord(t, "testdata/phi3-small-peer.json",
		synth.Options{Preset: "phi3-small", Type: gguf.TypeF32, Std: 0.5, Seed: 7})
	c := m.Config
	if c.RopeDim != 24 || c.HeadDim != 32 || c.RopeOrigCtx != 256 || c.RopeAttnFactor != float32(math.Sqrt(1.25)) ||
		len(m.RopeShort) != 12 || len(m.RopeLong) != 12 {
		t.Fatalf("config %+v, %d short and %d long factors", c, len(m.RopeShort), len(m.RopeLong))
	}
}

func checkPeerRecord(t *testing.T, record string, o synth.Options) *llama.Model {
	return checkPeerRecordBatch(t, record, o, 0)
}

// checkPeerRecordBatch is checkPeerRecord with prompts run in batches of
// batch tokens (0: the default), which puts a sliding window in a ring.
func checkPeerRecordBatch(t *testing.T, record string, o synth.Options, batch int) *llama.Model {
	data, err := os.ReadFile(record)
	if err != nil {
		t.Fatal(err)
	}
	var rec peerRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "m.gguf")
	if err := synth.Write(path, o); err != nil {
		t.Fatal(err)
	}
	f, err := gguf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	m, err := llama.Load(f)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rec.Runs {
		ctx := r.Ctx
		if ctx == 0 {
			ctx = 128
		}
		s, err := m.NewStateWith(llama.StateOptions{Context: ctx, Threads: 2, Batch: batch})
		if err != nil {
			t.Fatal(err)
		}
		var got []int
		logits, err := s.Eval(r.PromptIDs)
		for err == nil && len(got) < len(r.GeneratedIDs) {
			id := argmaxF32(logits)
			got = append(got, id)
			logits, err = s.Eval([]int{id})
		}
		s.Close()
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, r.GeneratedIDs) {
			t.Errorf("%q: ids differ from llama.cpp\n got %v\nwant %v", r.Prompt, got, r.GeneratedIDs)
		}
	}
	return m
}

func argmaxF32(x []float32) int {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return best
}
