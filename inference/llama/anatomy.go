package llama

import (
	"fmt"
	"sort"
	"strings"

	"burrow/inference/gguf"
	"burrow/inference/tensor"
)

// Anatomy is the architecture of one file as plain data, for the window's
// Architecture view and `burrow inspect --arch`: the embedding, the stack of
// blocks with their attention and FFN, the output head, and per part the
// tensors the file holds for it. It is built from the family registry (the
// tensors each family declares), the file's Config and the file's own
// tensor types and sizes, so a new family draws right without a change here.
type Anatomy struct {
	Arch   string `json:"arch"`
	Config Config `json:"-"`
	// Rope is how positions enter the attention.
	Rope RopeInfo `json:"rope"`
	// Activation is the FFN's gated activation (SwiGLU, GeGLU).
	Activation string    `json:"activation"`
	Embedding  Part      `json:"embedding"`
	Blocks     []Block   `json:"blocks"`
	Head       Part      `json:"head"`            // final norm and classifier
	Other      []Part    `json:"other,omitempty"` // model-level tensors of no block (rope factors, ...)
	Notes      []string  `json:"notes,omitempty"` // family features in words (embedding scale, softcaps, ...)
	Params     int64     `json:"params"`
	Bytes      int64     `json:"bytes"`
	Extra      []ATensor `json:"extra,omitempty"` // tensors in the file the family does not declare
}

// RopeInfo describes the rotary position embedding.
type RopeInfo struct {
	Kind    string  `json:"kind"`    // "normal" (adjacent pairs) or "neox" (i, i+d/2)
	Scaling string  `json:"scaling"` // none, linear, yarn, llama3 (rope_freqs), longrope
	Base    float32 `json:"base"`
	Dim     int     `json:"dim"` // rotated values per head
}

// Block is one transformer layer.
type Block struct {
	Layer int `json:"layer"`
	// Attention is nil for a layer without one (a recurrent layer).
	Attention *AttnInfo `json:"attention,omitempty"`
	// Recurrent is a Gated DeltaNet layer's state (qwen35), nil otherwise.
	Recurrent *RecurrentInfo `json:"recurrent,omitempty"`
	FFN       FFNInfo        `json:"ffn"`
	Parts     []Part         `json:"parts"`
	Params    int64          `json:"params"`
	Bytes     int64          `json:"bytes"`
}

// AttnInfo is one layer's attention.
type AttnInfo struct {
	Heads    int     `json:"heads"`
	KVHeads  int     `json:"kv_heads"`
	HeadDim  int     `json:"head_dim"`
	Window   int     `json:"window"` // sliding window (0: the whole context)
	RopeBase float32 `json:"rope_base"`
	RopeDim  int     `json:"rope_dim"` // rotated values per head
	// KVFrom is the layer whose KV cache this one attends over: itself, or
	// an earlier layer's for gemma4's last layers, which keep none.
	KVFrom   int     `json:"kv_from"`
	QKNorm   bool    `json:"qk_norm,omitempty"`
	Bias     bool    `json:"bias,omitempty"`
	PostNorm bool    `json:"post_norm,omitempty"`
	Sinks    bool    `json:"sinks,omitempty"`
	Softcap  float32 `json:"softcap,omitempty"`
}

// RecurrentInfo is a Gated DeltaNet layer: its heads, the state each keeps
// (StateDim x StateDim) and the causal convolution's width.
type RecurrentInfo struct {
	Heads    int `json:"heads"`
	StateDim int `json:"state_dim"`
	Conv     int `json:"conv"`
}

// FFNInfo is one layer's feed-forward block.
type FFNInfo struct {
	Kind        string `json:"kind"` // "dense", "experts" or "none"
	Width       int    `json:"width"`
	Experts     int    `json:"experts,omitempty"`
	ExpertsUsed int    `json:"experts_used,omitempty"`
	// DenseWidth is the width of a dense FFN run beside the experts, their
	// outputs added (gemma4's 26B-A4B; 0: none).
	DenseWidth int  `json:"dense_width,omitempty"`
	PostNorm   bool `json:"post_norm,omitempty"`
}

// Part is a group of tensors that do one job: the embedding, a block's
// attention, its FFN, its router or experts, the output head.
type Part struct {
	Name    string    `json:"name"`
	Note    string    `json:"note,omitempty"`
	Tensors []ATensor `json:"tensors"`
	Params  int64     `json:"params"`
	Bytes   int64     `json:"bytes"`
}

// ATensor is one tensor as the file holds it.
type ATensor struct {
	Name   string  `json:"name"`
	Type   string  `json:"type"`
	Shape  []int64 `json:"shape"` // ggml order: the row length first
	Kind   string  `json:"kind"`  // matrix, norm, vector
	Params int64   `json:"params"`
	Bytes  int64   `json:"bytes"`
}

// Part names, shared with the views that draw them.
const (
	PartEmbedding = "Embedding"
	PartAttention = "Attention"
	PartFFN       = "Feed-forward"
	PartRouter    = "Router"
	PartExperts   = "Experts"
	PartRecurrent = "Recurrent"
	PartPerLayer  = "Per-layer input" // gemma4's per-layer embeddings
	PartOther     = "Other"
	PartHead      = "Output head"
)

// partOf sorts a per-layer tensor (its name without "blk.N.") into a part.
func partOf(name string) string {
	switch {
	case strings.HasPrefix(name, "ffn_gate_inp"):
		return PartRouter
	case strings.Contains(name, "_exps") || strings.Contains(name, "_shexp") || strings.HasSuffix(name, "ffw_norm_2.weight"):
		return PartExperts // gemma4's pre_ffw_norm_2 and post_ffw_norm_2 wrap its experts
	case strings.HasPrefix(name, "attn_") || strings.HasPrefix(name, "post_attention"):
		return PartAttention
	case strings.HasPrefix(name, "ffn_") || strings.HasPrefix(name, "post_ffw"):
		return PartFFN
	case strings.HasPrefix(name, "ssm_"):
		return PartRecurrent
	case name == "inp_gate.weight" || name == "proj.weight" || name == "post_norm.weight":
		return PartPerLayer
	}
	return PartOther
}

var partOrder = map[string]int{PartAttention: 0, PartRecurrent: 1, PartRouter: 2, PartExperts: 3, PartFFN: 4, PartPerLayer: 5, PartOther: 6}

func kindName(k TensorKind) string {
	switch k {
	case Norm:
		return "norm"
	case Vector:
		return "vector"
	}
	return "matrix"
}

// NewAnatomy reads the architecture of f, which must be of a supported
// family (its tensors need not be loaded).
func NewAnatomy(f *gguf.File) (*Anatomy, error) {
	c, err := ConfigFromGGUF(f)
	if err != nil {
		return nil, err
	}
	fam := families[c.Arch]
	a := &Anatomy{Arch: c.Arch, Config: c, Activation: "SwiGLU"}
	if fam.geglu {
		a.Activation = "GeGLU"
	}
	a.Rope = RopeInfo{Kind: "normal", Scaling: "none", Base: c.RopeBase, Dim: c.RopeDim}
	if c.RopeNeoX {
		a.Rope.Kind = "neox"
	}
	switch {
	case c.YarnExtFactor != 0:
		a.Rope.Scaling = "yarn"
	case c.RopeOrigCtx > 0:
		a.Rope.Scaling = "longrope"
	case c.RopeFactors:
		a.Rope.Scaling = "llama3"
	case c.RopeScale != 1:
		a.Rope.Scaling = fmt.Sprintf("linear x%g", 1/c.RopeScale)
	}

	a.Embedding = Part{Name: PartEmbedding}
	a.Head = Part{Name: PartHead}
	a.Blocks = make([]Block, c.Layers)
	layerParts := make([]map[string]*Part, c.Layers)
	other := map[string]*Part{}
	declared := map[string]bool{}
	for _, s := range fam.specs(&c) {
		ti, ok := f.Tensor(s.Name)
		if !ok {
			continue // an optional tensor the file leaves out
		}
		declared[s.Name] = true
		t := aTensor(ti, kindName(s.Kind))
		switch {
		case s.Layer >= 0:
			if layerParts[s.Layer] == nil {
				layerParts[s.Layer] = map[string]*Part{}
			}
			pn := partOf(strings.TrimPrefix(s.Name, fmt.Sprintf("blk.%d.", s.Layer)))
			if pn == PartAttention && c.Recurrent(s.Layer) {
				pn = PartRecurrent // a DeltaNet layer's norm, qkv and gate feed its recurrence
			}
			_, moe := f.Tensor(fmt.Sprintf("blk.%d.ffn_gate_inp.weight", s.Layer))
			_, dense := f.Tensor(fmt.Sprintf("blk.%d.ffn_down.weight", s.Layer))
			if moe && !dense && pn == PartFFN && s.Kind == Norm {
				pn = PartRouter // the FFN's norm feeds the router and the experts
			}
			p := layerParts[s.Layer][pn]
			if p == nil {
				p = &Part{Name: pn}
				layerParts[s.Layer][pn] = p
			}
			p.add(t)
		case s.Name == "token_embd.weight":
			a.Embedding.add(t)
		case s.Name == "output.weight" || s.Name == "output_norm.weight":
			a.Head.add(t)
		default:
			pn := "Rope factors"
			switch {
			case strings.HasPrefix(s.Name, "per_layer_"):
				pn = PartPerLayer // gemma4's per-layer embedding table and projection
			case !strings.HasPrefix(s.Name, "rope_"):
				pn = PartOther
			}
			if other[pn] == nil {
				other[pn] = &Part{Name: pn}
			}
			other[pn].add(t)
		}
	}
	for i := range f.Tensors {
		if ti := &f.Tensors[i]; !declared[ti.Name] {
			a.Extra = append(a.Extra, aTensor(ti, "unused"))
		}
	}
	if c.TiedOutput {
		a.Head.Note = "the classifier is the embedding matrix (tied)"
	}
	if fam.embedScale {
		a.Embedding.Note = "rows scaled by sqrt(embedding length)"
	}
	for _, n := range []string{"Rope factors", PartPerLayer, PartOther} {
		if p := other[n]; p != nil {
			a.Other = append(a.Other, *p)
		}
	}

	for l := range a.Blocks {
		b := &a.Blocks[l]
		b.Layer = l
		for _, p := range layerParts[l] {
			b.Parts = append(b.Parts, *p)
			b.Params += p.Params
			b.Bytes += p.Bytes
		}
		sort.Slice(b.Parts, func(i, j int) bool { return partOrder[b.Parts[i].Name] < partOrder[b.Parts[j].Name] })
		has := func(suffix string) bool { _, ok := f.Tensor(fmt.Sprintf("blk.%d.%s", l, suffix)); return ok }
		if c.Recurrent(l) {
			b.Recurrent = &RecurrentInfo{Heads: c.SSMHeads, StateDim: c.SSMState, Conv: c.SSMConv}
		} else if has("attn_q.weight") || has("attn_qkv.weight") {
			at := &AttnInfo{Heads: c.Heads, KVHeads: c.LayerKVHeads(l), HeadDim: c.LayerHeadDim(l), RopeBase: c.RopeBase,
				RopeDim: c.LayerRopeDim(l), KVFrom: c.KVSource(l),
				QKNorm: has("attn_q_norm.weight"), Bias: has("attn_q.bias"), PostNorm: has("post_attention_norm.weight"),
				Sinks: has("attn_sinks.weight"), Softcap: c.AttnSoftcap}
			if c.Local(l) {
				at.Window, at.RopeBase = c.Window, c.RopeBaseSWA
			}
			b.Attention = at
		}
		switch {
		case has("ffn_gate_inp.weight"):
			b.FFN = FFNInfo{Kind: "experts", Width: c.ExpertFF, Experts: c.Experts, ExpertsUsed: c.ExpertsUsed}
			if has("ffn_down.weight") {
				b.FFN.DenseWidth = c.LayerFF(l)
			}
		case has("ffn_down.weight"):
			b.FFN = FFNInfo{Kind: "dense", Width: c.LayerFF(l)}
		default:
			b.FFN = FFNInfo{Kind: "none"}
		}
		b.FFN.PostNorm = has("post_ffw_norm.weight")
	}

	if len(a.Blocks) > 0 && a.Blocks[0].FFN.DenseWidth > 0 {
		a.Notes = append(a.Notes, fmt.Sprintf("each layer runs a dense FFN of width %d beside its experts; their normed outputs are added",
			a.Blocks[0].FFN.DenseWidth))
	}
	if fam.embedScale {
		a.Notes = append(a.Notes, "embeddings are multiplied by sqrt(embedding length)")
	}
	if c.QueryScale != 0 {
		a.Notes = append(a.Notes, fmt.Sprintf("queries are scaled by %.4g after rope", c.QueryScale))
	}
	if c.AttnSoftcap > 0 {
		a.Notes = append(a.Notes, fmt.Sprintf("attention scores are softcapped at %g", c.AttnSoftcap))
	}
	if c.FinalSoftcap > 0 {
		a.Notes = append(a.Notes, fmt.Sprintf("logits are softcapped at %g", c.FinalSoftcap))
	}
	switch {
	case c.Window > 0 && c.SWALayers != nil:
		local := 0
		for l := 0; l < c.Layers; l++ {
			if c.Local(l) {
				local++
			}
		}
		a.Notes = append(a.Notes, fmt.Sprintf("sliding window of %d positions on %d of the %d layers (rope base %g there)",
			c.Window, local, c.Layers, c.RopeBaseSWA))
	case c.Window > 0:
		a.Notes = append(a.Notes, fmt.Sprintf("sliding window of %d positions on %d of every %d layers (rope base %g there)",
			c.Window, c.SWAPattern-1, c.SWAPattern, c.RopeBaseSWA))
	}
	if c.RopeFactorsGlobal {
		a.Notes = append(a.Notes, "rope factors (rope_freqs) on the global layers only")
	}
	if c.SharedKV > 0 {
		a.Notes = append(a.Notes, fmt.Sprintf("the last %d layers keep no KV cache: they attend over an earlier layer's", c.SharedKV))
	}
	if c.PerLayerDim > 0 {
		a.Notes = append(a.Notes, fmt.Sprintf("per-layer embeddings of %d values gate a projection added to each layer's output", c.PerLayerDim))
	}
	a.Params = a.Embedding.Params + a.Head.Params
	a.Bytes = a.Embedding.Bytes + a.Head.Bytes
	for _, b := range a.Blocks {
		a.Params += b.Params
		a.Bytes += b.Bytes
	}
	for _, p := range a.Other {
		a.Params += p.Params
		a.Bytes += p.Bytes
	}
	return a, nil
}

func aTensor(ti *gguf.TensorInfo, kind string) ATensor {
	return ATensor{Name: ti.Name, Type: ti.Type.String(), Shape: append([]int64(nil), ti.Shape...), Kind: kind,
		Params: ti.Elements(), Bytes: ti.Size}
}

func (p *Part) add(t ATensor) {
	p.Tensors = append(p.Tensors, t)
	p.Params += t.Params
	p.Bytes += t.Bytes
}

// Find returns the part of block layer (or of the model for layer -1:
// Embedding, Output head, Rope factors) with that name.
func (a *Anatomy) Find(layer int, name string) (*Part, bool) {
	if layer < 0 {
		for _, p := range append([]*Part{&a.Embedding, &a.Head}, ptrs(a.Other)...) {
			if p.Name == name {
				return p, true
			}
		}
		return nil, false
	}
	if layer >= len(a.Blocks) {
		return nil, false
	}
	for i := range a.Blocks[layer].Parts {
		if p := &a.Blocks[layer].Parts[i]; p.Name == name {
			return p, true
		}
	}
	return nil, false
}

func ptrs(ps []Part) []*Part {
	out := make([]*Part, len(ps))
	for i := range ps {
		out[i] = &ps[i]
	}
	return out
}

// MemoryUse is where the memory of a context goes.
type MemoryUse struct {
	Context   int      `json:"context"`
	KV        string   `json:"kv_type"`
	Weights   uint64   `json:"weights"`
	KVLayers  []uint64 `json:"kv_per_layer"`
	KVTotal   uint64   `json:"kv_total"`
	KVRows    []int    `json:"kv_rows_per_layer"` // positions each layer's cache keeps (a ring for sliding-window layers)
	Recurrent []uint64 `json:"recurrent_per_layer"`
	Scratch   uint64   `json:"scratch"` // the forward pass's buffers and the logits
	Total     uint64   `json:"total"`
}

// Memory is what a State for ctxLen tokens with a KV cache of type kv
// takes beside the weights, as NewStateWith allocates it.
func (a *Anatomy) Memory(ctxLen int, kv KVType) MemoryUse {
	return a.Config.Memory(uint64(a.Bytes), ctxLen, kv)
}

// EstimateMemory is the memory a file's model and a State for ctxLen tokens
// take, layer by layer as Load and NewStateWith allocate them (windowed
// layers keep rings, shared-KV layers nothing, recurrent layers a fixed
// state), without loading anything. The library and inspect show it; a
// file of a family the engine does not know gives ConfigFromGGUF's error.
func EstimateMemory(f *gguf.File, ctxLen int, kv KVType) (MemoryUse, error) {
	c, err := ConfigFromGGUF(f)
	if err != nil {
		return MemoryUse{}, err
	}
	var weights uint64
	for _, t := range f.Tensors {
		weights += uint64(max(t.Size, 0))
	}
	return c.Memory(weights, ctxLen, kv), nil
}

// Memory is what a model of this configuration with the given weight bytes
// and a State for ctxLen tokens take (EstimateMemory for a file).
func (c *Config) Memory(weights uint64, ctxLen int, kv KVType) MemoryUse {
	ctxLen = max(ctxLen, 1)
	batch := min(maxBatch, ctxLen)
	m := MemoryUse{Context: ctxLen, KV: kv.String(), Weights: weights}
	m.KVLayers = make([]uint64, c.Layers)
	m.KVRows = make([]int, c.Layers)
	m.Recurrent = make([]uint64, c.Layers)
	var rec uint64
	for l := range m.KVLayers {
		if c.Recurrent(l) {
			m.Recurrent[l] = recLayerBytes(c)
			rec += m.Recurrent[l]
		}
		rows, _ := kvLayerRows(c, l, ctxLen, batch) // 0 for recurrent and shared-KV layers
		m.KVRows[l] = rows
		m.KVLayers[l] = 2 * uint64(rows) * kv.rowBytes(kvLayerDim(c, l))
		m.KVTotal += m.KVLayers[l]
	}
	all := stateBytes(c, ctxLen, batch, tensor.DefaultThreads(), kv) // KV, recurrent state and scratch
	m.Scratch = all - min(all, kvCacheBytes(c, ctxLen, batch, kv)+rec)
	m.Total = m.Weights + m.KVTotal + rec + m.Scratch
	return m
}

// Estimate is m in the form gguf's header-only estimate takes (the KV type
// "" for F32), for the places that show either.
func (m MemoryUse) Estimate() gguf.Memory {
	e := gguf.Memory{Context: m.Context, Weights: int64(m.Weights), KVCache: int64(m.KVTotal),
		Compute: int64(m.Scratch), Total: int64(m.Total)}
	if m.KV != KVF32.String() {
		e.KVType = m.KV
	}
	for _, r := range m.Recurrent {
		e.Recurrent += int64(r)
	}
	return e
}
