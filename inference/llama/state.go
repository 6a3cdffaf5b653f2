package llama

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"burrow/inference/tensor"
)

// ErrContextFull is returned by Eval when the tokens would not fit in the
// context the State was made for.
var ErrContextFull = errors.New("llama: the context is full")

// ErrNonFinite is returned by Eval and EvalAll when the logits hold a NaN or
// an infinity, which finite weights cannot give: the file's weights are
// broken (a NaN or infinite block scale, say), and sampling from such
// logits would print noise.
var ErrNonFinite = errors.New("llama: the model computed non-finite logits; the file's weights are probably corrupt (a NaN or infinite scale)")

// checkFinite reports the first NaN or infinite logit, with the token after
// which it came (a vocab-sized scan per call, no allocation).
func checkFinite(logits []float32, vocab, pos int) error {
	for i, v := range logits {
		if v != v || v > math.MaxFloat32 || v < -math.MaxFloat32 {
			return fmt.Errorf("%w: logit %d after position %d is %v", ErrNonFinite, i%vocab, pos+i/vocab, v)
		}
	}
	return nil
}

// maxBatch is the most prompt tokens one pass of the forward function
// takes; longer inputs run in slices of this size (llama.cpp's ubatch is 512).
const maxBatch = 256

// maxContext bounds the context so sizes cannot overflow on a machine
// where the memory check is skipped.
const maxContext = 1 << 24

// State is the run state of one sequence: the KV cache and the scratch
// buffers of the forward pass, made once so decoding allocates nothing.
// A State is used by one goroutine at a time.
type State struct {
	m      *Model
	fam    *family
	ctxLen int
	pos    int // tokens in the cache
	batch  int // rows of the scratch buffers
	pool   *tensor.Pool
	cache  kvCache
	// ropeFactors divide the rope angles (rope_freqs, or LongRoPE's set
	// for this context length; nil: none).
	ropeFactors []float32

	// Scratch, batch-major: row t of x is x[t*Dim:(t+1)*Dim].
	x     []float32 // residual stream [batch][Dim]
	xb    []float32 // normed input / block output [batch][Dim]
	q     []float32 // queries [batch][QDim]
	k, v  []float32 // new keys and values [batch][KVDim]
	att   []float32 // attention output [batch][QDim]
	gate  []float32 // [batch][HiddenDim]
	fused []float32 // output of a fused projection [batch][fusedWidth] (phi3), else nil

	// Mixture of experts (nil for dense models): router probabilities
	// [batch][Experts]; each token's chosen experts and weights
	// [batch][ExpertsUsed]; those (token, rank) slots grouped by expert
	// (moeOrder, from moeStart[e]); one expert's gathered inputs
	// [batch][Dim]; every slot's expert output [batch][ExpertsUsed][Dim];
	// the experts' down-projection input.
	router, moeW, moeIn, moeRows []float32
	moeSel, moeOrder             []int32
	moeStart, moeNext            []int32
	inExpFF                      *tensor.Activations
	// One token's expert pass (gpt-oss's per-token experts).
	moeOut, moeDown []float32
	in1Dim, in1FF   *tensor.Activations
	up              []float32 // [batch][HiddenDim]
	logits          []float32 // [Vocab], of the last token

	attShape      tensor.AttnShape
	attShapeLocal tensor.AttnShape    // the sliding-window layers' (gemma)
	attScratch    *tensor.AttnScratch // per-thread attention scratch

	yarn, yarnLocal *tensor.YaRN // YaRN rope of the global and local layers (nil: none)

	inDim *tensor.Activations // matmul inputs of width Dim
	inQ   *tensor.Activations // ... of width QDim
	inFF  *tensor.Activations // ... of width HiddenDim

	// Fixed argument arrays for MatMulMulti, so a call allocates nothing.
	outs3 [3][]float32
	mats3 [3]*tensor.Matrix

	layer   int                   // the layer forward is in (for a family's steps)
	inOther []*tensor.Activations // matmul inputs of the other widths layers have (gemma4)
	ple     *pleScratch           // gemma4's per-layer embeddings (nil: none)
	g4moe   *gemma4MoEScratch     // gemma4's experts beside the dense FFN (nil: none)
	trace   *Trace                // the hooks of State.Trace (nil: off, the normal pass)
	rec     *recurrent            // Gated DeltaNet state and scratch (qwen35; nil otherwise)
	rows    []*State              // a Batch's sequences, row t of the pass is rows[t]'s next token (nil: this sequence)
}

// StateOptions configure NewStateWith.
type StateOptions struct {
	Context int    // tokens the KV cache holds
	Threads int    // <= 0: tensor.DefaultThreads
	KV      KVType // KVF32 (default), KVF16, KVF16Flash or KVQ8_0
	Batch   int    // most tokens per forward pass (<= 0: 256); a sliding-window ring keeps Window+Batch positions
}

// stateBytes estimates the memory NewState allocates for ctxLen tokens.
func stateBytes(c *Config, ctxLen, batch, threads int, kv KVType) uint64 {
	perRow := uint64(2*c.Dim + 2*c.QDim() + 2*c.KVDim() + 2*c.HiddenDim + fusedWidth(c))
	// Activations keep F32 plus at most an F16 copy (the larger form).
	act := uint64(c.Dim+c.QDim()+c.HiddenDim) * 6
	// Mixture of experts: router, routes, gathered inputs, slot outputs.
	var moe uint64
	if c.Experts > 0 {
		moe = uint64(batch)*uint64(c.Experts+3*c.ExpertsUsed+c.Dim+c.ExpertsUsed*c.Dim+c.ExpertFF)*4 +
			gemma4MoEScratchBytes(c, batch)
	}
	return kvCacheBytes(c, ctxLen, batch, kv) + moe + recurrentBytes(c, batch) +
		uint64(batch)*(perRow*4+act) +
		tensor.AttnScratchBytesFor(threads, scratchShape(c), ctxLen, kv.kind()) +
		uint64(c.VocabSize)*4
}

// NewState makes a run state with an F32 KV cache for ctxLen tokens,
// running the kernels on threads threads (<= 0: tensor.DefaultThreads). It
// checks that the memory is available before allocating.
func (m *Model) NewState(ctxLen, threads int) (*State, error) {
	return m.NewStateWith(StateOptions{Context: ctxLen, Threads: threads})
}

// NewStateWith is NewState with a choice of KV cache type.
func (m *Model) NewStateWith(o StateOptions) (*State, error) {
	c := &m.Config
	ctxLen, threads := o.Context, o.Threads
	if o.KV != KVF32 && !o.KV.isF16() && o.KV != KVQ8_0 {
		return nil, fmt.Errorf("llama: unknown KV cache type %v", o.KV)
	}
	for _, hd := range [2]int{c.HeadDim, c.HeadDimSWA} { // HeadDimSWA: gemma4's local layers (0: none)
		if o.KV == KVQ8_0 && hd%32 != 0 {
			return nil, fmt.Errorf("llama: a q8_0 KV cache needs a head size that is a multiple of 32, this model's is %d", hd)
		}
	}
	if ctxLen <= 0 {
		return nil, fmt.Errorf("llama: context length %d must be positive", ctxLen)
	}
	batch := min(maxBatch, ctxLen)
	if o.Batch > 0 {
		batch = min(o.Batch, batch)
	}
	if threads <= 0 {
		threads = tensor.DefaultThreads()
	}
	if err := checkMemory(ctxLen, stateBytes(c, ctxLen, batch, threads, o.KV)); err != nil {
		return nil, err
	}
	if ctxLen > maxContext {
		return nil, fmt.Errorf("llama: a context of %d tokens is larger than the %d supported", ctxLen, maxContext)
	}
	s := &State{
		m:      m,
		fam:    families[c.Arch],
		ctxLen: ctxLen,
		batch:  batch,
		pool:   tensor.NewPool(threads),
		cache:  newKVCache(c, ctxLen, batch, o.KV),
		x:      make([]float32, batch*c.Dim),
		xb:     make([]float32, batch*c.Dim),
		q:      make([]float32, batch*c.QDim()),
		k:      make([]float32, batch*c.KVDim()),
		v:      make([]float32, batch*c.KVDim()),
		att:    make([]float32, batch*c.QDim()),
		gate:   make([]float32, batch*max(c.HiddenDim, c.ExpertFF)),
		up:     make([]float32, batch*max(c.HiddenDim, c.ExpertFF)),
		logits: make([]float32, c.VocabSize),
		inDim:  tensor.NewActivations(batch, c.Dim),
		inQ:    tensor.NewActivations(batch, c.QDim()),
		inFF:   tensor.NewActivations(batch, c.HiddenDim),
	}
	if f := s.fam; f.project != nil || f.gateUp != nil {
		s.fused = make([]float32, batch*fusedWidth(c))
	}
	if c.Experts > 0 {
		k := c.ExpertsUsed
		s.router = make([]float32, batch*c.Experts)
		s.moeSel, s.moeW, s.moeOrder = make([]int32, batch*k), make([]float32, batch*k), make([]int32, batch*k)
		s.moeStart, s.moeNext = make([]int32, c.Experts+1), make([]int32, c.Experts)
		s.moeIn, s.moeRows = make([]float32, batch*c.Dim), make([]float32, batch*k*c.Dim)
		s.inExpFF = tensor.NewActivations(batch, c.ExpertFF)
		s.moeOut, s.moeDown = make([]float32, c.Dim), make([]float32, c.Dim)
		s.in1Dim, s.in1FF = tensor.NewActivations(1, c.Dim), tensor.NewActivations(1, c.ExpertFF)
	}
	if c.SSMState > 0 {
		s.rec = newRecurrent(c, batch)
	}
	s.ropeFactors = m.ropeFactorsFor(ctxLen)
	s.attShape = attnShape(c)
	s.attShapeLocal = s.attShape
	s.attShapeLocal.Window = c.Window
	if c.HeadDimSWA > 0 {
		s.attShapeLocal.HeadDim = c.HeadDimSWA
	}
	if c.KVHeadsSWA > 0 {
		s.attShapeLocal.KVHeads = c.KVHeadsSWA
	}
	for l := 0; l < c.Layers; l++ {
		for _, w := range [2]int{c.Heads * c.LayerHeadDim(l), c.LayerFF(l)} {
			if w != c.QDim() && w != c.HiddenDim && w != c.Dim && !slices.ContainsFunc(s.inOther, func(a *tensor.Activations) bool { return a.Cols == w }) {
				s.inOther = append(s.inOther, tensor.NewActivations(batch, w))
			}
		}
	}
	if s.fam.newState != nil {
		s.fam.newState(s)
	}
	s.yarn, s.yarnLocal = c.yarnFor(c.RopeBase), c.yarnFor(c.RopeBaseSWA)
	if af := c.RopeAttnFactor; s.yarn == nil && af != 0 && af != 1 {
		// LongRoPE's attention factor: ggml's attn_factor without YaRN's mix.
		s.yarn = &tensor.YaRN{AttnFactor: af}
	}
	s.attScratch = tensor.NewAttnScratchFor(s.pool.Threads(), scratchShape(c), ctxLen, o.KV.kind())
	return s, nil
}

// attnShape is the attention of c's layers: 1/sqrt(HeadDim) computed as
// llama.cpp does (or 1 when the queries carry the scale), and the cap.
func attnShape(c *Config) tensor.AttnShape {
	sh := tensor.AttnShape{Heads: c.Heads, KVHeads: c.KVHeads, HeadDim: c.HeadDim,
		Scale: 1 / float32(math.Sqrt(float64(c.HeadDim))), Softcap: c.AttnSoftcap}
	if c.QueryScale != 0 {
		sh.Scale = 1
	}
	return sh
}

// scratchShape is the attention shape the scratch is made for: the widest
// head and the largest group of query heads per KV head of any layer.
func scratchShape(c *Config) tensor.AttnShape {
	sh := attnShape(c)
	sh.HeadDim = max(c.HeadDim, c.HeadDimSWA)
	if c.KVHeadsSWA > 0 {
		sh.KVHeads = min(c.KVHeads, c.KVHeadsSWA)
	}
	return sh
}

// Model is the model this state runs.
func (s *State) Model() *Model { return s.m }

// ContextLen is the number of tokens the cache holds at most.
func (s *State) ContextLen() int { return s.ctxLen }

// Len is the number of tokens in the cache.
func (s *State) Len() int { return s.pos }

// KV is the type of the KV cache.
func (s *State) KV() KVType { return s.cache.typ }

// Threads is the number of threads the kernels run on.
func (s *State) Threads() int { return s.pool.Threads() }

// Truncate rolls the cache back to its first n tokens (n >= Len keeps all)
// and returns the tokens kept, which callers must evaluate from. A
// sliding-window layer keeps only its last Window+batch positions, so a
// rollback past the window it still holds drops everything (0): those
// layers' keys before n are gone and only a rerun from the start restores
// them.
// A model with recurrent layers (qwen35) resumes from the latest snapshot
// of its state at or before n (taken where an Eval of several tokens
// ended), else from 0, and returns that position.
func (s *State) Truncate(n int) int {
	n = max(n, 0)
	if n < s.pos {
		s.pos = n
		if !s.cache.keeps(n) {
			s.pos = 0
		}
		if s.rec != nil { // a recurrence resumes only from a snapshot (deltanet.go)
			s.pos = s.rec.rewind(s.pos)
		}
	}
	if s.pos == 0 {
		s.cache.hw = 0
		if s.rec != nil {
			s.rec.reset()
		}
	}
	return s.pos
}

// Close stops the state's worker threads.
func (s *State) Close() { s.pool.Close() }

// Eval appends tokens to the sequence and returns the logits after the
// last one. The slice belongs to the state and is overwritten by the next
// call. It fails, leaving the cache as it was, when a token is out of
// range or the tokens would overflow the context; with ErrNonFinite when
// the logits are not finite (the cache then rolled back as by Truncate).
func (s *State) Eval(tokens []int) ([]float32, error) {
	if len(tokens) == 0 {
		return nil, errors.New("llama: Eval of no tokens")
	}
	if err := s.checkTokens(tokens); err != nil {
		return nil, err
	}
	pos0, many := s.pos, len(tokens) > 1
	for len(tokens) > 0 {
		n := min(len(tokens), s.batch)
		s.forward(tokens[:n], nil, n == len(tokens))
		tokens = tokens[n:]
	}
	if err := checkFinite(s.logits, len(s.logits), s.pos-1); err != nil {
		s.Truncate(pos0)
		return nil, err
	}
	if s.rec != nil && many { // a prompt's end: where the next turn may resume
		s.rec.snapshot(s.pos)
	}
	return s.logits, nil
}

// EvalAll appends tokens like Eval and writes the logits after every one of
// them to out (len(tokens) rows of Vocab values): what perplexity needs.
func (s *State) EvalAll(tokens []int, out []float32) error {
	vocab := s.m.Config.VocabSize
	if len(out) < len(tokens)*vocab {
		return fmt.Errorf("llama: EvalAll needs %d logits of room, have %d", len(tokens)*vocab, len(out))
	}
	if err := s.checkTokens(tokens); err != nil {
		return err
	}
	pos0, all, many := s.pos, out[:len(tokens)*vocab], len(tokens) > 1
	for len(tokens) > 0 {
		n := min(len(tokens), s.batch)
		s.forward(tokens[:n], out[:n*vocab], false)
		tokens, out = tokens[n:], out[n*vocab:]
	}
	if err := checkFinite(all, vocab, pos0); err != nil {
		s.Truncate(pos0)
		return err
	}
	if s.rec != nil && many {
		s.rec.snapshot(s.pos)
	}
	return nil
}

func (s *State) checkTokens(tokens []int) error {
	if s.pos+len(tokens) > s.ctxLen {
		return fmt.Errorf("%w: %d tokens cached + %d new > %d", ErrContextFull, s.pos, len(tokens), s.ctxLen)
	}
	for _, id := range tokens {
		if id < 0 || id >= s.m.Config.VocabSize {
			return fmt.Errorf("llama: token id %d is outside the vocabulary of %d", id, s.m.Config.VocabSize)
		}
	}
	return nil
}

// fusedWidth is the widest fused projection output a layer may make:
// Q, K and V together, or gate and up together.
func fusedWidth(c *Config) int { return max(c.QDim()+2*c.KVDim(), 2*c.HiddenDim) }
