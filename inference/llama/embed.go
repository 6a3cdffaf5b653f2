package llama

import (
	"errors"
	"fmt"
	"math"
)

// Pooling is how a sequence's hidden states become one embedding
// ({arch}.pooling_type, llama.cpp's enum values).
type Pooling int

const (
	PoolNone Pooling = 0 // a chat model: no sentence embedding
	PoolMean Pooling = 1 // average over the tokens (many BERT-style models)
	PoolCLS  Pooling = 2 // the first token
	PoolLast Pooling = 3 // the last token (Qwen3-Embedding and other decoders)
)

func (p Pooling) String() string {
	switch p {
	case PoolNone:
		return "none"
	case PoolMean:
		return "mean"
	case PoolCLS:
		return "cls"
	case PoolLast:
		return "last"
	}
	return fmt.Sprintf("pooling(%d)", int(p))
}

// ErrNoPooling is the error of embedding with a model that declares no
// pooling: its hidden states were trained to predict tokens, not to
// compare texts.
var ErrNoPooling = errors.New("this model declares no pooling type (it is a chat model, not an embedding model)")

// Embed runs tokens from the start of the sequence (the cache is cleared)
// and writes to out (Dim values) the hidden states after the final norm,
// pooled as p and scaled to unit length, as llama.cpp's server returns
// them. The sequence is left in the cache.
func (s *State) Embed(tokens []int, p Pooling, out []float32) error {
	dim := s.m.Config.Dim
	switch {
	case p != PoolMean && p != PoolCLS && p != PoolLast:
		if p == PoolNone {
			return ErrNoPooling
		}
		return fmt.Errorf("llama: pooling %v is not supported", p)
	case len(tokens) == 0:
		return errors.New("llama: Embed of no tokens")
	case len(out) != dim:
		return fmt.Errorf("llama: Embed needs %d values of room, have %d", dim, len(out))
	}
	s.Truncate(0)
	if err := s.checkTokens(tokens); err != nil {
		return err
	}
	clear(out)
	m, done := s.m, 0
	for done < len(tokens) {
		n := min(len(tokens)-done, s.batch)
		s.forward(tokens[done:done+n], nil, false)
		normed := s.xb[:n*dim]
		s.rmsNorm(normed, s.x[:n*dim], m.OutputNorm, n)
		switch p {
		case PoolMean:
			for t := 0; t < n; t++ {
				for i, v := range normed[t*dim : (t+1)*dim] {
					out[i] += v
				}
			}
		case PoolCLS:
			if done == 0 {
				copy(out, normed[:dim])
			}
		case PoolLast:
			copy(out, normed[(n-1)*dim:n*dim])
		}
		done += n
	}
	if p == PoolMean {
		inv := 1 / float32(len(tokens))
		for i := range out {
			out[i] *= inv
		}
	}
	var ss float64
	for _, v := range out {
		ss += float64(v) * float64(v)
	}
	if ss > 0 && !math.IsInf(ss, 0) && !math.IsNaN(ss) {
		inv := float32(1 / math.Sqrt(ss))
		for i := range out {
			out[i] *= inv
		}
	}
	return nil
}
