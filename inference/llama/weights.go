package llama

import (
	"fmt"

	"burrow/inference/gguf"
	"burrow/inference/tensor"
)

// Layer holds the weights of one transformer block. Matrices are views of
// the mapped file; vectors (norms, biases) are small F32 copies.
type Layer struct {
	AttnNorm       []float32
	Wq, Wk, Wv, Wo *tensor.Matrix
	Bq, Bk, Bv     []float32 // qwen2 only
	FFNNorm        []float32
	Gate, Up, Down *tensor.Matrix
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
	m.Embedding = w.matrix("token_embd.weight")
	m.OutputNorm = w.vector("output_norm.weight")
	if c.TiedOutput {
		m.Output = m.Embedding
	} else {
		m.Output = w.matrix("output.weight")
	}
	if c.RopeFactors {
		m.RopeFactors = w.vector("rope_freqs.weight")
	}
	for l := range m.Layers {
		b := func(s string) string { return fmt.Sprintf("blk.%d.%s", l, s) }
		L := &m.Layers[l]
		L.AttnNorm = w.vector(b("attn_norm.weight"))
		L.Wq = w.matrix(b("attn_q.weight"))
		L.Wk = w.matrix(b("attn_k.weight"))
		L.Wv = w.matrix(b("attn_v.weight"))
		L.Wo = w.matrix(b("attn_output.weight"))
		if c.QKVBias {
			L.Bq = w.vector(b("attn_q.bias"))
			L.Bk = w.vector(b("attn_k.bias"))
			L.Bv = w.vector(b("attn_v.bias"))
		}
		L.FFNNorm = w.vector(b("ffn_norm.weight"))
		L.Gate = w.matrix(b("ffn_gate.weight"))
		L.Up = w.matrix(b("ffn_up.weight"))
		L.Down = w.matrix(b("ffn_down.weight"))
	}
	if w.err != nil {
		return nil, w.err
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
	m, err := tensor.NewMatrix(ti.Type, rows, int(ti.Shape[0]), w.f.TensorData(ti))
	if err != nil {
		w.err = fmt.Errorf("llama: tensor %s: %w", name, err)
		return nil
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
