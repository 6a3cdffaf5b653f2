package sample

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
)

// Candidate is one token under consideration: its logit after the steps
// applied so far and, once a softmax ran, its probability.
type Candidate struct {
	ID    int32
	Logit float32
	P     float32
}

// maxHistory bounds the penalty window when PenaltyLastN is negative
// ("the whole context" in llama.cpp), so the ring never grows.
const maxHistory = 32768

// Sampler picks tokens from logits with llama.cpp's common chain:
// penalties, top-k, top-p, min-p, temperature, then a seeded draw.
// Temperature <= 0 is greedy (argmax after the penalties).
//
// Everything it needs is allocated in New: Sample and Accept allocate
// nothing. A Sampler is not safe for concurrent use. It runs on one
// goroutine, so the thread count of the forward pass never changes which
// token the same seed draws.
type Sampler struct {
	p     Params
	rng   *rand.Rand
	vocab int

	cand []Candidate // the working set of one Sample call

	// Penalty window: the last n accepted tokens in a ring, with per-token
	// counts kept up to date as tokens enter and leave it.
	ring   []int32
	head   int // next slot to write
	filled int
	count  []int32
	mark   []uint32 // mark[id] == stamp: already penalized in this call
	stamp  uint32

	// Logits after the penalties (and the constraint), kept for TopProbs.
	penalized []float32
	order     []Candidate // scratch for TopProbs

	constraint Constraint
}

// Constraint limits which tokens may be sampled next: a grammar, for
// instance (burrow/inference/grammar.Constraint).
type Constraint interface {
	// Mask sets the logits of the tokens not allowed next to -Inf. An
	// error (no token allowed, a grammar too complex) ends generation.
	Mask(logits []float32) error
	// Accept advances the constraint past the token that was chosen.
	Accept(id int) error
}

// SetConstraint makes every later Sample choose only among the tokens c
// allows (nil removes it). The caller feeds c each chosen token through
// c.Accept; the sampler's own Accept is for the penalties only, since it
// also sees prompt tokens.
func (s *Sampler) SetConstraint(c Constraint) { s.constraint = c }

// New returns a sampler for a vocabulary of vocabSize tokens.
func New(p Params, vocabSize int) *Sampler {
	n := p.PenaltyLastN
	if n < 0 || n > maxHistory {
		n = maxHistory
	}
	s := &Sampler{
		p:         p,
		vocab:     vocabSize,
		cand:      make([]Candidate, vocabSize),
		ring:      make([]int32, n),
		count:     make([]int32, vocabSize),
		mark:      make([]uint32, vocabSize),
		penalized: make([]float32, vocabSize),
		order:     make([]Candidate, vocabSize),
	}
	s.Reset()
	return s
}

// Params returns the settings the sampler was built with.
func (s *Sampler) Params() Params { return s.p }

// Reset forgets the penalty history and restarts the random sequence from
// the seed, so a replay with the same seed draws the same tokens.
func (s *Sampler) Reset() {
	// Two words of state from one seed; the constant only decorrelates them.
	s.rng = rand.New(rand.NewPCG(s.p.Seed, s.p.Seed^0x9e3779b97f4a7c15))
	clear(s.count)
	s.head, s.filled = 0, 0
}

// Accept records a token (prompt or generated) for the penalties.
func (s *Sampler) Accept(id int) {
	if len(s.ring) == 0 || id < 0 || id >= s.vocab {
		return
	}
	if s.filled == len(s.ring) {
		s.count[s.ring[s.head]]--
	} else {
		s.filled++
	}
	s.ring[s.head] = int32(id)
	s.count[id]++
	s.head = (s.head + 1) % len(s.ring)
}

// Sample picks the next token. logits must hold vocabSize values; they are
// not modified. With a constraint set, use Next, which reports its errors.
func (s *Sampler) Sample(logits []float32) int {
	id, _ := s.Next(logits)
	return id
}

// Next is Sample with the constraint's error: when the constraint fails
// it returns -1 and the error.
func (s *Sampler) Next(logits []float32) (int, error) {
	logits = logits[:s.vocab]
	pen := s.penalized
	copy(pen, logits)
	s.applyPenalties(pen)
	constrained := s.constraint != nil
	if constrained {
		if err := s.constraint.Mask(pen); err != nil {
			return -1, err
		}
	}

	if s.p.Temperature <= 0 {
		return argmax(pen), nil
	}

	cand := s.cand[:0]
	if constrained {
		// Only the allowed tokens become candidates: the truncations then
		// work on them alone, and a disallowed one can never be drawn.
		ninf := float32(math.Inf(-1))
		for i, l := range pen {
			if l != ninf {
				cand = append(cand, Candidate{ID: int32(i), Logit: l})
			}
		}
		if len(cand) == 0 {
			return -1, errors.New("sample: the constraint allows no token")
		}
	} else {
		for i, l := range pen {
			cand = append(cand, Candidate{ID: int32(i), Logit: l})
		}
	}
	cand = topK(cand, s.p.TopK)
	cand = topP(cand, s.p.TopP)
	cand = minP(cand, s.p.MinP)
	inv := 1 / s.p.Temperature
	for i := range cand {
		cand[i].Logit *= inv
	}
	softmax(cand)
	return s.draw(cand), nil
}

// applyPenalties is llama.cpp's penalties sampler: for each distinct token
// in the window, divide a positive logit (multiply a negative one) by the
// repeat penalty, then subtract count*frequency + presence.
func (s *Sampler) applyPenalties(logits []float32) {
	rp, fp, pp := s.p.RepeatPenalty, s.p.FrequencyPenalty, s.p.PresencePenalty
	if s.filled == 0 || (rp == 1 && fp == 0 && pp == 0) {
		return
	}
	s.stamp++
	if s.stamp == 0 { // wrapped: old marks could collide
		clear(s.mark)
		s.stamp = 1
	}
	for _, id := range s.ring[:s.filled] {
		if s.mark[id] == s.stamp {
			continue
		}
		s.mark[id] = s.stamp
		c := s.count[id]
		l := logits[id]
		if rp != 1 && rp != 0 {
			if l <= 0 {
				l *= rp
			} else {
				l /= rp
			}
		}
		l -= float32(float32(c)*fp) + pp // conversion: no FMA fusion on arm64
		logits[id] = l
	}
}

// draw picks from the probabilities in cand with the seeded generator.
func (s *Sampler) draw(cand []Candidate) int {
	u := float32(s.rng.Float64())
	var cum float32
	for _, c := range cand {
		cum += c.P
		if u < cum {
			return int(c.ID)
		}
	}
	return int(cand[len(cand)-1].ID) // rounding left u above the total
}

// argmax returns the index of the largest value (the lowest on ties).
func argmax(x []float32) int {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return best
}

// Greedy returns the token with the largest logit.
func Greedy(logits []float32) int { return argmax(logits) }

// byLogit orders candidates by descending logit, then ascending id, so
// ties never depend on the sort algorithm.
func byLogit(a, b Candidate) int {
	switch {
	case a.Logit > b.Logit:
		return -1
	case a.Logit < b.Logit:
		return 1
	}
	return int(a.ID - b.ID)
}

// softmax fills P from Logit (max subtracted, as llama.cpp does).
func softmax(cand []Candidate) {
	max := float32(math.Inf(-1))
	for _, c := range cand {
		if c.Logit > max {
			max = c.Logit
		}
	}
	var sum float32
	for i := range cand {
		p := float32(math.Exp(float64(cand[i].Logit - max)))
		cand[i].P = p
		sum += p
	}
	for i := range cand {
		cand[i].P /= sum
	}
}

// sortDesc sorts candidates by descending logit.
func sortDesc(cand []Candidate) { slices.SortFunc(cand, byLogit) }
