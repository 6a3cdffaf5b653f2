package sample

import "math"

// topK keeps the k candidates with the largest logits, sorted descending.
// k <= 0 keeps all (and leaves them unsorted), as llama.cpp does.
func topK(cand []Candidate, k int) []Candidate {
	if k <= 0 {
		return cand
	}
	if k >= len(cand) {
		sortDesc(cand)
		return cand
	}
	// A min-heap (by byLogit, the worst candidate at the root) of the best k
	// seen so far: O(n log k) instead of sorting the whole vocabulary.
	h := cand[:k]
	for i := k/2 - 1; i >= 0; i-- {
		siftDown(h, i)
	}
	for _, c := range cand[k:] {
		if byLogit(c, h[0]) < 0 {
			h[0] = c
			siftDown(h, 0)
		}
	}
	sortDesc(h)
	return h
}

// siftDown restores the heap property below i; "worse" candidates (later
// in byLogit order) rise to the root.
func siftDown(h []Candidate, i int) {
	for {
		worst := i
		l, r := 2*i+1, 2*i+2
		if l < len(h) && byLogit(h[l], h[worst]) > 0 {
			worst = l
		}
		if r < len(h) && byLogit(h[r], h[worst]) > 0 {
			worst = r
		}
		if worst == i {
			return
		}
		h[i], h[worst] = h[worst], h[i]
		i = worst
	}
}

// topP keeps the smallest prefix (by descending probability) whose
// probabilities sum to at least p. p >= 1 keeps all.
func topP(cand []Candidate, p float32) []Candidate {
	if p >= 1 {
		return cand
	}
	sortDesc(cand)
	softmax(cand)
	var cum float32
	for i, c := range cand {
		cum += c.P
		if cum >= p {
			return cand[:i+1]
		}
	}
	return cand
}

// minP keeps the candidates whose probability is at least p times the
// largest one, i.e. whose logit is at least max + ln(p). p <= 0 keeps all.
func minP(cand []Candidate, p float32) []Candidate {
	if p <= 0 || len(cand) == 0 {
		return cand
	}
	max := float32(math.Inf(-1))
	for _, c := range cand {
		if c.Logit > max {
			max = c.Logit
		}
	}
	floor := max + float32(math.Log(float64(p)))
	n := 0
	for _, c := range cand {
		if c.Logit >= floor {
			cand[n] = c
			n++
		}
	}
	return cand[:n]
}
