package llama

import (
	"errors"
	"fmt"
	"math"
	"sort"

	"burrow/inference/tensor"
)

// Tracing ("run it through"): the forward pass, given a *Trace on its State,
// records what each layer does to a prompt. Off (s.trace nil) the pass only
// tests a pointer; on, it is the same pass with two readers:
//
//   - the attention pattern of every layer and head: the softmax weights each
//     query token gives the positions it sees, recomputed from the very
//     queries and cached keys the attention kernel used (same mask, window,
//     scale, softcap and sinks);
//   - the logit lens: the residual stream of the last prompt token after each
//     layer, through the final norm and the output head (the model's own
//     classifier), as its likeliest next tokens.

// TraceOptions configure State.Trace.
type TraceOptions struct {
	// TopK is how many tokens the logit lens keeps per layer (<= 0: 5).
	TopK int
	// MaxTokens is the longest prompt whose attention is kept token by token
	// (<= 0: 128). A longer prompt's attention is summarised into MaxTokens
	// bins of consecutive tokens (Trace.Summarised says so): cell (i, j) is
	// the weight the queries of bin i give the keys of bin j, averaged over
	// the queries, so rows still sum to 1 and the masks still show.
	MaxTokens int
}

// Trace is what one prompt did inside the model.
type Trace struct {
	Tokens []int `json:"tokens"`
	// Bins are the attention matrices' rows and columns: BinStart[i] is the
	// first prompt token of bin i (BinStart[Bins] = len(Tokens)). Without
	// summarising, every token is its own bin.
	Bins       int          `json:"bins"`
	BinStart   []int        `json:"bin_start"`
	Summarised bool         `json:"summarised"`
	Layers     []TraceLayer `json:"layers"`

	topK     int
	bin      []int     // prompt position -> bin
	scores   []float32 // one attention row (context length)
	logits   []float32 // the lens logits of the layer being read
	lensLast []float32 // the lens logits after the last layer (tests)
	order    []int     // top-k scratch
}

// TraceLayer is one layer's record.
type TraceLayer struct {
	// Lens is the likeliest next tokens after this layer (for the last
	// prompt token), most likely first.
	Lens []LensToken `json:"lens"`
	// Window is the layer's sliding window (0: it sees the whole prompt).
	Window int `json:"window"`
	// Attn holds per query head a Bins x Bins matrix, row-major: row i is
	// the weights the query (bin) i gives every key (bin). nil for a
	// recurrent layer.
	Attn [][]float32 `json:"attention"`
}

// LensToken is one token of the logit lens.
type LensToken struct {
	ID    int     `json:"id"`
	Prob  float32 `json:"prob"`
	Logit float32 `json:"logit"`
}

// Row is query bin i's attention weights of head h.
func (l *TraceLayer) Row(h, i, bins int) []float32 { return l.Attn[h][i*bins : (i+1)*bins] }

// Trace runs tokens from the start of the sequence (the cache is emptied
// first) with the hooks on, and returns the record and the logits after the
// last token, which are the model's own: the hooks read, never write.
func (s *State) Trace(tokens []int, o TraceOptions) (*Trace, []float32, error) {
	if len(tokens) == 0 {
		return nil, nil, errors.New("llama: a trace of no tokens")
	}
	if len(tokens) > s.ctxLen {
		return nil, nil, fmt.Errorf("%w: a prompt of %d tokens, the context holds %d", ErrContextFull, len(tokens), s.ctxLen)
	}
	c := &s.m.Config
	tr := &Trace{Tokens: append([]int(nil), tokens...), topK: o.TopK}
	if tr.topK <= 0 {
		tr.topK = 5
	}
	tr.topK = min(tr.topK, c.VocabSize)
	maxTok := o.MaxTokens
	if maxTok <= 0 {
		maxTok = 128
	}
	n := len(tokens)
	tr.Bins = min(n, maxTok)
	tr.Summarised = n > maxTok
	tr.BinStart = make([]int, tr.Bins+1)
	tr.bin = make([]int, n)
	for i := 0; i <= tr.Bins; i++ {
		tr.BinStart[i] = i * n / tr.Bins
	}
	for b := 0; b < tr.Bins; b++ {
		for p := tr.BinStart[b]; p < tr.BinStart[b+1]; p++ {
			tr.bin[p] = b
		}
	}
	tr.Layers = make([]TraceLayer, c.Layers)
	for l := range tr.Layers {
		L := &tr.Layers[l]
		if c.Local(l) {
			L.Window = c.Window
		}
		if c.Recurrent(l) {
			continue // a DeltaNet layer has no attention weights (Attn nil), only its lens
		}
		L.Attn = make([][]float32, c.Heads)
		for h := range L.Attn {
			L.Attn[h] = make([]float32, tr.Bins*tr.Bins)
		}
	}
	tr.scores = make([]float32, s.ctxLen)
	tr.logits = make([]float32, c.VocabSize)
	tr.order = make([]int, c.VocabSize)

	s.Truncate(0)
	s.trace = tr
	defer func() { s.trace = nil }()
	logits, err := s.Eval(tokens)
	if err != nil {
		return nil, nil, err
	}
	return tr, logits, nil
}

// afterLayer is the hook at the end of layer l of a batch of n tokens at
// s.pos..: in the batch that holds the last prompt token, the logit lens.
func (tr *Trace) afterLayer(s *State, l, n int) {
	if s.pos+n != len(tr.Tokens) {
		return
	}
	m, dim := s.m, s.m.Config.Dim
	// The forward pass's own final step (xb is free between layers).
	s.rmsNorm(s.xb[:dim], s.x[(n-1)*dim:n*dim], m.OutputNorm, 1)
	s.inDim.Set(s.xb, 1)
	tensor.MatMul(s.pool, tr.logits, m.Output, s.inDim)
	if fc := m.Config.FinalSoftcap; fc > 0 {
		softcap(tr.logits, fc)
	}
	if l == len(tr.Layers)-1 {
		tr.lensLast = append(tr.lensLast[:0], tr.logits...)
	}
	tr.Layers[l].Lens = topTokens(tr.logits, tr.order, tr.topK)
}

// topTokens is the k largest logits with their softmax probabilities.
func topTokens(logits []float32, order []int, k int) []LensToken {
	mx := float32(math.Inf(-1))
	for _, v := range logits {
		mx = max(mx, v)
	}
	var sum float64
	for _, v := range logits {
		sum += math.Exp(float64(v - mx))
	}
	order = order[:len(logits)]
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return logits[order[a]] > logits[order[b]] })
	out := make([]LensToken, k)
	for i := range out {
		id := order[i]
		out[i] = LensToken{ID: id, Logit: logits[id], Prob: float32(math.Exp(float64(logits[id]-mx)) / sum)}
	}
	return out
}

// attention is the hook after layer l's attention of n tokens at pos0: the
// weights of every (token, head) over the positions it saw. kv and rel are
// the cache view and the batch's first position in its rows, sh the shape
// the kernel ran with.
func (tr *Trace) attention(s *State, l, pos0, n int, q []float32, kv tensor.KV, rel int, sh tensor.AttnShape) {
	hd, group := sh.HeadDim, sh.Heads/sh.KVHeads
	qDim, kvDim := sh.Heads*hd, sh.KVHeads*hd
	lo := pos0 - rel // the position of the view's row 0
	L := &tr.Layers[l]
	var kf []float32
	if kv.K8 != nil {
		kf = make([]float32, hd)
	}
	for t := 0; t < n; t++ {
		nPos := rel + t + 1
		first := 0
		if w := sh.Window; w > 0 && nPos > w {
			first = nPos - w
		}
		qb := tr.bin[pos0+t]
		share := 1 / float32(tr.BinStart[qb+1]-tr.BinStart[qb])
		for h := 0; h < sh.Heads; h++ {
			qh := q[t*qDim+h*hd : t*qDim+(h+1)*hd]
			off := (h / group) * hd
			row := tr.scores[:nPos-first]
			for j := range row {
				r := (first + j) * kvDim
				var d float32
				switch {
				case kv.K != nil:
					d = tensor.DotF32GGML(qh, kv.K[r+off:r+off+hd]) // the kernel's own score
				case kv.K8 != nil: // Q8_0 rows: q and k are both rotated, so the dot is the plain one
					rb, hb := tensor.Q8_0KVRowBytes(kvDim), tensor.Q8_0KVRowBytes(hd)
					tensor.DequantizeQ8_0KV(kf, kv.K8[(first+j)*rb+(h/group)*hb:])
					d = tensor.DotF32GGML(qh, kf)
				default:
					for i, k := range kv.K16[r+off : r+off+hd] {
						d += qh[i] * tensor.F16ToF32(k)
					}
				}
				d *= sh.Scale
				if c := sh.Softcap; c > 0 {
					d = float32(math.Tanh(float64(d/c))) * c
				}
				row[j] = d
			}
			var sink float32 = float32(math.Inf(-1))
			if sh.Sinks != nil {
				sink = sh.Sinks[h]
			}
			attnWeights(row, sink)
			cells := L.Attn[h][qb*tr.Bins : (qb+1)*tr.Bins]
			for j, w := range row {
				cells[tr.bin[lo+first+j]] += w * share
			}
		}
	}
}

// attnWeights is the softmax of a row of scores, in float64, with an
// optional sink logit in the denominator (-Inf: none).
func attnWeights(x []float32, sink float32) {
	mx := float64(sink)
	for _, v := range x {
		mx = max(mx, float64(v))
	}
	sum := math.Exp(float64(sink) - mx)
	for _, v := range x {
		sum += math.Exp(float64(v) - mx)
	}
	for i, v := range x {
		x[i] = float32(math.Exp(float64(v)-mx) / sum)
	}
}
