package llama

import (
	"fmt"
	"math"
)

// PerplexityResult is the outcome of Perplexity.
type PerplexityResult struct {
	PPL      float64   // exp(mean negative log-likelihood)
	StdErr   float64   // llama.cpp's "+/-" estimate
	Running  []float64 // the estimate after each chunk
	Chunks   int
	Scored   int // tokens scored
	NegLogLL float64
}

// Perplexity scores tokens (the whole text, tokenized with BOS) the way
// llama.cpp's llama-perplexity does: n = len(tokens)/ctx chunks of ctx
// tokens, each evaluated from an empty cache with its first token replaced
// by bos (when bos >= 0), and the second half of each chunk scored.
// s must hold ctx tokens. progress, if not nil, sees each chunk's running
// estimate.
func Perplexity(s *State, tokens []int, ctx, bos int, progress func(chunk int, ppl float64)) (PerplexityResult, error) {
	var r PerplexityResult
	if ctx < 4 {
		return r, fmt.Errorf("perplexity: a context of %d tokens is too small", ctx)
	}
	if ctx > s.ContextLen() {
		return r, fmt.Errorf("perplexity: context %d is larger than the state's %d", ctx, s.ContextLen())
	}
	if len(tokens) < 2*ctx {
		return r, fmt.Errorf("perplexity: the text has %d tokens, need at least 2*ctx = %d", len(tokens), 2*ctx)
	}
	vocab := s.Model().Config.VocabSize
	logits := make([]float32, ctx*vocab)
	chunk := make([]int, ctx)
	first := ctx / 2
	r.Chunks = len(tokens) / ctx
	var nll, nll2 float64
	for i := 0; i < r.Chunks; i++ {
		copy(chunk, tokens[i*ctx:(i+1)*ctx])
		if bos >= 0 {
			chunk[0] = bos
		}
		s.Truncate(0)
		if err := s.EvalAll(chunk, logits); err != nil {
			return r, fmt.Errorf("perplexity: chunk %d: %w", i+1, err)
		}
		// Logits at position j predict token j+1; score j = first .. ctx-2.
		for j := first; j < ctx-1; j++ {
			lp := logSoftmaxAt(logits[j*vocab:(j+1)*vocab], chunk[j+1])
			nll -= lp
			nll2 += float64(lp * lp) // conversions: the same sums on arm64
			r.Scored++
		}
		ppl := math.Exp(nll / float64(r.Scored))
		r.Running = append(r.Running, ppl)
		if progress != nil {
			progress(i+1, ppl)
		}
	}
	s.Truncate(0)
	mean := nll / float64(r.Scored)
	r.NegLogLL = mean
	r.PPL = math.Exp(mean)
	if v := nll2/float64(r.Scored) - float64(mean*mean); v > 0 && r.Scored > 1 {
		r.StdErr = math.Sqrt(v/float64(r.Scored-1)) * r.PPL
	}
	return r, nil
}

// logSoftmaxAt is log(softmax(logits)[tok]), with the sum in float64 as
// llama.cpp does.
func logSoftmaxAt(logits []float32, tok int) float64 {
	max := logits[0]
	for _, v := range logits {
		if v > max {
			max = v
		}
	}
	var sum float64
	for _, v := range logits {
		sum += math.Exp(float64(v - max))
	}
	return float64(logits[tok]-max) - math.Log(sum)
}
