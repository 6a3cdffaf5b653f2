package sample

import "math"

// TopProbs appends to dst the n most likely tokens of the last Sample call,
// most likely first, with probabilities over the whole vocabulary after the
// penalties and the temperature (1 when greedy) but before any truncation:
// what an API reports as logprobs. With enough capacity in dst it allocates
// nothing.
func (s *Sampler) TopProbs(dst []Candidate, n int) []Candidate {
	if n <= 0 {
		return dst
	}
	t := s.p.Temperature
	if t <= 0 {
		t = 1
	}
	inv := 1 / t
	max := float32(math.Inf(-1))
	for _, l := range s.penalized {
		if l > max {
			max = l
		}
	}
	var sum float64
	for _, l := range s.penalized {
		sum += math.Exp(float64((l - max) * inv))
	}
	order := s.order[:s.vocab]
	for i, l := range s.penalized {
		order[i] = Candidate{ID: int32(i), Logit: l}
	}
	best := topK(order, n)
	for _, c := range best {
		c.P = float32(math.Exp(float64((c.Logit-max)*inv)) / sum)
		dst = append(dst, c)
	}
	return dst
}
