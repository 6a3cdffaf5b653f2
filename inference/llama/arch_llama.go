package llama

import "burrow/inference/tensor"

// llama: Llama 1-3 and Mistral files. Its tensors are the building blocks
// other families start from.
func init() {
	register(&family{
		name:    "llama",
		tensors: concat(llamaHead, llamaAttn, llamaAttnOut, llamaFFN, llamaTail),
	})
}

// The tensors of a llama block, in converter order, in the groups other
// families insert their own between.
var (
	llamaHead = []tensorDecl{
		optional(modelVector("rope_freqs.weight", Vector, func(m *Model) *[]float32 { return &m.RopeFactors }, dRopePair)),
		modelMatrix("token_embd.weight", func(m *Model) **tensor.Matrix { return &m.Embedding }, dModel, dVocab),
	}
	llamaAttn = []tensorDecl{
		layerVector("attn_norm.weight", Norm, func(L *Layer) *[]float32 { return &L.AttnNorm }, dModel),
		layerMatrix("attn_q.weight", func(L *Layer) **tensor.Matrix { return &L.Wq }, dModel, dQ),
		layerMatrix("attn_k.weight", func(L *Layer) **tensor.Matrix { return &L.Wk }, dModel, dKV),
		layerMatrix("attn_v.weight", func(L *Layer) **tensor.Matrix { return &L.Wv }, dModel, dKV),
	}
	llamaAttnOut = []tensorDecl{
		layerMatrix("attn_output.weight", func(L *Layer) **tensor.Matrix { return &L.Wo }, dQ, dModel),
	}
	llamaFFN = []tensorDecl{
		layerVector("ffn_norm.weight", Norm, func(L *Layer) *[]float32 { return &L.FFNNorm }, dModel),
		layerMatrix("ffn_gate.weight", func(L *Layer) **tensor.Matrix { return &L.Gate }, dModel, dFF),
		layerMatrix("ffn_up.weight", func(L *Layer) **tensor.Matrix { return &L.Up }, dModel, dFF),
		layerMatrix("ffn_down.weight", func(L *Layer) **tensor.Matrix { return &L.Down }, dFF, dModel),
	}
	llamaTail = []tensorDecl{
		modelVector("output_norm.weight", Norm, func(m *Model) *[]float32 { return &m.OutputNorm }, dModel),
		// Absent when the classifier is tied to the embedding.
		optional(modelMatrix("output.weight", func(m *Model) **tensor.Matrix { return &m.Output }, dModel, dVocab)),
	}
)

func concat(groups ...[]tensorDecl) []tensorDecl {
	var out []tensorDecl
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}
