package sample

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func randomLogits(n int, seed uint64) []float32 {
	r := rand.New(rand.NewPCG(seed, 1))
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64() * 3)
	}
	return x
}

func TestGreedyIsArgmax(t *testing.T) {
	logits := []float32{0.1, 2, -1, 2, 1.5}
	p := DefaultParams()
	p.Temperature = 0
	s := New(p, len(logits))
	if got := s.Sample(logits); got != 1 {
		t.Fatalf("greedy = %d, want 1 (first of the tied maxima)", got)
	}
}

func TestPenalties(t *testing.T) {
	tests := []struct {
		name          string
		rep, freq, pr float32
		history       []int
		want          []float32
	}{
		{"none", 1, 0, 0, []int{0, 1}, []float32{2, -2, 1}},
		{"repeat divides positive, multiplies negative", 2, 0, 0, []int{0, 1, 1}, []float32{1, -4, 1}},
		{"frequency counts, presence once", 1, 0.5, 0.25, []int{0, 0, 1}, []float32{2 - 1 - 0.25, -2 - 0.5 - 0.25, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Params{Temperature: 0, RepeatPenalty: tt.rep, FrequencyPenalty: tt.freq, PresencePenalty: tt.pr, PenaltyLastN: 64}
			s := New(p, 3)
			for _, id := range tt.history {
				s.Accept(id)
			}
			s.Sample([]float32{2, -2, 1})
			if !slices.Equal(s.penalized, tt.want) {
				t.Fatalf("penalized = %v, want %v", s.penalized, tt.want)
			}
		})
	}
}

func TestPenaltyWindowForgetsOldTokens(t *testing.T) {
	s := New(Params{RepeatPenalty: 2, PenaltyLastN: 2}, 3)
	for _, id := range []int{0, 1, 2} { // 0 leaves the window
		s.Accept(id)
	}
	s.Sample([]float32{4, 4, 4})
	if want := []float32{4, 2, 2}; !slices.Equal(s.penalized, want) {
		t.Fatalf("penalized = %v, want %v", s.penalized, want)
	}
}

func TestTopKMatchesFullSort(t *testing.T) {
	for _, k := range []int{1, 5, 40, 999, 1000, 5000} {
		logits := randomLogits(1000, uint64(k))
		cand := make([]Candidate, len(logits))
		ref := make([]Candidate, len(logits))
		for i, l := range logits {
			cand[i] = Candidate{ID: int32(i), Logit: l}
		}
		copy(ref, cand)
		sortDesc(ref)
		got := topK(cand, k)
		want := ref[:min(k, len(ref))]
		if !slices.Equal(got, want) {
			t.Fatalf("k=%d: top-k differs from a full sort", k)
		}
	}
}

func TestTopPAndMinP(t *testing.T) {
	mk := func(logits ...float32) []Candidate {
		c := make([]Candidate, len(logits))
		for i, l := range logits {
			c[i] = Candidate{ID: int32(i), Logit: l}
		}
		return c
	}
	ln := func(p float64) float32 { return float32(math.Log(p)) }
	// Probabilities 0.5, 0.3, 0.15, 0.05.
	probs := []float32{ln(0.5), ln(0.3), ln(0.15), ln(0.05)}
	tests := []struct {
		name string
		f    func([]Candidate) []Candidate
		want int
	}{
		{"top-p 1 keeps all", func(c []Candidate) []Candidate { return topP(c, 1) }, 4},
		{"top-p 0.5 keeps the first", func(c []Candidate) []Candidate { return topP(c, 0.5) }, 1},
		{"top-p 0.79 keeps two", func(c []Candidate) []Candidate { return topP(c, 0.79) }, 2},
		{"top-p 0.9 keeps three", func(c []Candidate) []Candidate { return topP(c, 0.9) }, 3},
		{"min-p 0 keeps all", func(c []Candidate) []Candidate { return minP(c, 0) }, 4},
		{"min-p 0.25 drops 0.05", func(c []Candidate) []Candidate { return minP(c, 0.25) }, 3},
		{"min-p 0.7 keeps the max", func(c []Candidate) []Candidate { return minP(c, 0.7) }, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := len(tt.f(mk(probs...))); got != tt.want {
				t.Fatalf("kept %d, want %d", got, tt.want)
			}
		})
	}
}

func TestSameSeedSameTokens(t *testing.T) {
	p := DefaultParams()
	p.Seed = 42
	p.RepeatPenalty = 1.1
	run := func() []int {
		s := New(p, 500)
		var out []int
		for i := range 200 {
			id := s.Sample(randomLogits(500, uint64(i)))
			s.Accept(id)
			out = append(out, id)
		}
		return out
	}
	a, b := run(), run()
	if !slices.Equal(a, b) {
		t.Fatal("same seed gave different tokens")
	}
	p.Seed = 43
	s := New(p, 500)
	differs := false
	for i := range 200 {
		if s.Sample(randomLogits(500, uint64(i))) != a[i] {
			differs = true
		}
		s.Accept(a[i])
	}
	if !differs {
		t.Fatal("another seed gave the same 200 tokens")
	}
}

// The draw follows the probabilities: a token with p=0.75 is picked about
// three times as often as one with p=0.25.
func TestDrawFollowsProbabilities(t *testing.T) {
	p := Params{Temperature: 1, TopP: 1, Seed: 7}
	s := New(p, 2)
	logits := []float32{float32(math.Log(0.75)), float32(math.Log(0.25))}
	n0 := 0
	const n = 20000
	for range n {
		if s.Sample(logits) == 0 {
			n0++
		}
	}
	if f := float64(n0) / n; math.Abs(f-0.75) > 0.02 {
		t.Fatalf("token 0 drawn %.3f of the time, want 0.75", f)
	}
}

func TestTopProbs(t *testing.T) {
	p := Params{Temperature: 2, TopK: 1, TopP: 1}
	s := New(p, 3)
	logits := []float32{0, 2, 1}
	s.Sample(logits)
	got := s.TopProbs(nil, 2)
	e := []float64{1, math.Exp(1), math.Exp(0.5)}
	sum := e[0] + e[1] + e[2]
	if len(got) != 2 || got[0].ID != 1 || got[1].ID != 2 {
		t.Fatalf("TopProbs = %+v, want ids 1, 2", got)
	}
	if math.Abs(float64(got[0].P)-e[1]/sum) > 1e-6 || math.Abs(float64(got[1].P)-e[2]/sum) > 1e-6 {
		t.Fatalf("TopProbs = %+v, want p %.6f %.6f", got, e[1]/sum, e[2]/sum)
	}
}

func TestSampleDoesNotAllocate(t *testing.T) {
	for _, p := range []Params{DefaultParams(), {Temperature: 0, RepeatPenalty: 1.1, PenaltyLastN: 64}, {Temperature: 1, TopP: 0.9}} {
		p.RepeatPenalty = 1.1
		s := New(p, 32000)
		logits := randomLogits(32000, 3)
		dst := make([]Candidate, 0, 5)
		allocs := testing.AllocsPerRun(20, func() {
			id := s.Sample(logits)
			s.Accept(id)
			dst = s.TopProbs(dst[:0], 5)
		})
		if allocs != 0 {
			t.Fatalf("%+v: %.1f allocations per Sample", p, allocs)
		}
	}
}

// onlyEven allows the even ids, or the ids in allow when set.
type onlyEven struct {
	accepted []int
	fail     error
}

func (c *onlyEven) Mask(logits []float32) error {
	if c.fail != nil {
		return c.fail
	}
	for i := 1; i < len(logits); i += 2 {
		logits[i] = float32(math.Inf(-1))
	}
	return nil
}

func (c *onlyEven) Accept(id int) error { c.accepted = append(c.accepted, id); return nil }

func TestConstraintLimitsTheDraw(t *testing.T) {
	for _, temp := range []float32{0, 0.7, 1.5} {
		p := DefaultParams()
		p.Temperature = temp
		p.TopK = 0 // even with every token a candidate
		p.MinP = 0
		p.TopP = 1
		p.Seed = 5
		s := New(p, 101)
		c := &onlyEven{}
		s.SetConstraint(c)
		for i := range 300 {
			logits := randomLogits(101, uint64(i))
			id, err := s.Next(logits)
			if err != nil || id%2 != 0 {
				t.Fatalf("temp %v: Next = %d, %v; want an even id", temp, id, err)
			}
			if logits[1] == float32(math.Inf(-1)) && logits[3] == float32(math.Inf(-1)) {
				t.Fatal("Next modified the caller's logits")
			}
		}
		// The greedy pick is the best allowed one.
		if temp == 0 {
			logits := make([]float32, 101)
			logits[7], logits[8] = 10, 5
			if id, _ := s.Next(logits); id != 8 {
				t.Fatalf("greedy = %d, want 8 (7 is not allowed)", id)
			}
		}
	}
}

func TestConstraintErrorStopsSampling(t *testing.T) {
	s := New(DefaultParams(), 10)
	s.SetConstraint(&onlyEven{fail: errors.New("boom")})
	if id, err := s.Next(make([]float32, 10)); err == nil || id != -1 {
		t.Fatalf("Next = %d, %v; want -1 and the constraint's error", id, err)
	}
}

func TestConstrainedSampleAllocatesNothing(t *testing.T) {
	p := DefaultParams()
	p.Seed = 3
	s := New(p, 1000)
	s.SetConstraint(&onlyEven{accepted: make([]int, 0, 1)})
	logits := randomLogits(1000, 1)
	if n := testing.AllocsPerRun(50, func() { s.Next(logits) }); n != 0 {
		t.Fatalf("Next allocates %v times per call", n)
	}
}
