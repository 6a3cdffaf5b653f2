package llama

import (
	"fmt"

	"burrow/inference/gguf"
	"burrow/inference/tensor"
)

// Layer holds the weights of one transformer block. Matrices are views of
// the mapped file; vectors (norms, biases) are small F32 copies. Which
// fields a family fills is declared in its arch_*.go file; the others
// stay nil.
type Layer struct {
	AttnNorm       []float32
	Wq, Wk, Wv, Wo *tensor.Matrix
	Bq, Bk, Bv     []float32 // biases of Q, K and V
	QNorm, KNorm   []float32 // RMSNorm weights of each Q and K head
	FFNNorm        []float32
	Gate, Up, Down *tensor.Matrix
	Wqkv           *tensor.Matrix // fused Q, K, V projection (phi3)
	GateUp         *tensor.Matrix // fused gate and up (phi3): gate rows, then up rows
	PostAttnNorm   []float32      // norm of the attention output (gemma)
	PostFFNNorm    []float32      // norm of the FFN output (gemma)

	// Mixture of experts (qwen3moe): the router and the experts' stacked
	// matrices, and per expert a view of its rows of each.
	Router                     *tensor.Matrix // ffn_gate_inp: one row per expert
	GateExps, UpExps, DownExps *tensor.Matrix
	ExpGate, ExpUp, ExpDown    []*tensor.Matrix

	// gpt-oss: the attention output's bias, each head's sink logit, and
	// the router's and experts' biases (stacked, one row per expert).
	Bo                                     []float32
	Sinks                                  []float32
	RouterB, GateExpsB, UpExpsB, DownExpsB []float32

	// gemma4: the per-layer embedding's gate and projection and the norm
	// after it, and the scalar the layer's output is multiplied by.
	PLEGate, PLEProj *tensor.Matrix
	PLEPostNorm      []float32
	OutScale         []float32
	// gemma4's experts (26B-A4B), run beside its dense FFN: the norms of
	// their input and output and of the dense FFN's output, the router
	// input's per-value scale, the experts' gate and up rows in one stack
	// (each expert's gate rows, then its up rows), each expert's output scale.
	PreFFNNorm2, PostFFNNorm1, PostFFNNorm2 []float32
	RouterScale, DownExpsScale              []float32
	GateUpExps                              *tensor.Matrix
	// qwen35's Gated DeltaNet layers (Wqkv is their fused attn_qkv): the
	// output gate z (attn_gate), beta and alpha projections, output
	// (ssm_out), the conv kernel [convDim][SSMConv], dt bias, A (-exp of
	// A_log) and the per-head norm; qwen35moe's shared expert and its
	// sigmoid gate (one weight per input value).
	SSMGate, SSMBeta, SSMAlpha, SSMOut *tensor.Matrix
	SSMConv1d, SSMDt, SSMA, SSMNorm    []float32
	ShGate, ShUp, ShDown               *tensor.Matrix
	ShGateInp                          []float32
}

// Model is a loaded llama-family model: its hyperparameters and weights.
// It stays valid while the gguf.File it was loaded from is open.
type Model struct {
	Config      Config
	Embedding   *tensor.Matrix // token_embd: one row per token
	Layers      []Layer
	OutputNorm  []float32
	Output      *tensor.Matrix // output.weight, or Embedding when tied
	RopeFactors []float32      // Llama-3 rope_freqs (nil when absent)
	// Phi-3 LongRoPE factors, for contexts up to and past RopeOrigCtx.
	RopeShort, RopeLong []float32
	// gemma4's per-layer embeddings: one row of Layers*PerLayerDim per
	// token, the projection of the embeddings to as many values, its norm.
	PLEEmbd, PLEModelProj *tensor.Matrix
	PLEProjNorm           []float32
}

// Load checks that the file is supported and builds views of its weights.
// Nothing is copied but the small vectors.
func Load(f *gguf.File) (*Model, error) {
	if err := CheckSupported(f); err != nil {
		return nil, err
	}
	c, err := ConfigFromGGUF(f)
	if err != nil {
		return nil, err
	}
	m := &Model{Config: c, Layers: make([]Layer, c.Layers)}
	w := weightLoader{f: f}
	for _, s := range families[c.Arch].specs(&c) {
		if _, ok := f.Tensor(s.Name); !ok && s.Optional {
			continue
		}
		var L *Layer
		if s.Layer >= 0 {
			L = &m.Layers[s.Layer]
		}
		if s.Kind == Matrix {
			*s.decl.matrix(m, L) = w.matrix(s.Name)
		} else {
			*s.decl.vector(m, L) = w.vector(s.Name)
		}
	}
	if c.TiedOutput {
		m.Output = m.Embedding
	}
	if w.err != nil {
		return nil, w.err
	}
	if c.Experts > 0 {
		for l := range m.Layers {
			if err := m.Layers[l].splitExperts(c.Experts); err != nil {
				return nil, fmt.Errorf("llama: layer %d experts: %w", l, err)
			}
		}
	}
	return m, nil
}

// weightLoader keeps the first error so Load reads as a list of tensors.
type weightLoader struct {
	f   *gguf.File
	err error
}

func (w *weightLoader) info(name string) *gguf.TensorInfo {
	if w.err != nil {
		return nil
	}
	ti, ok := w.f.Tensor(name)
	if !ok {
		w.err = fmt.Errorf("llama: tensor %s is missing", name)
		return nil
	}
	return ti
}

func (w *weightLoader) matrix(name string) *tensor.Matrix {
	ti := w.info(name)
	if ti == nil {
		return nil
	}
	rows := int(ti.Elements() / ti.Shape[0])
	data := w.f.TensorData(ti)
	alloc := w.f.Alloc
	if len(ti.Shape) == 3 && ti.Shape[1]%8 != 0 {
		// Stacked experts repack per expert in llama.cpp (rows of one expert
		// a multiple of 8); whole-tensor groups would straddle experts.
		alloc = func(int) []byte { return nil }
	}
	m, err := tensor.NewMatrixAlloc(ti.Type, rows, int(ti.Shape[0]), data, alloc)
	if err != nil {
		w.err = fmt.Errorf("llama: tensor %s: %w", name, err)
		return nil
	}
	if m.Repacked() { // the kernels read their own copy (f.Alloc's): memory stays ~1x the file
		w.f.Release(data)
	}
	return m
}

func (w *weightLoader) vector(name string) []float32 {
	ti := w.info(name)
	if ti == nil {
		return nil
	}
	v := make([]float32, ti.Elements())
	if err := tensor.DequantizeRow(ti.Type, v, w.f.TensorData(ti)); err != nil {
		w.err = fmt.Errorf("llama: tensor %s: %w", name, err)
		return nil
	}
	return v
}
