package llama

// qwen2: Qwen2 and Qwen2.5: llama with biases on Q, K and V and NeoX rope.
func init() {
	register(&family{
		name:     "qwen2",
		tensors:  concat(llamaHead, llamaAttn, qkvBiases, llamaAttnOut, llamaFFN, llamaTail),
		ropeNeoX: true,
		qkSteps:  []step{addQKVBias},
	})
}

var qkvBiases = []tensorDecl{
	layerVector("attn_q.bias", Vector, func(L *Layer) *[]float32 { return &L.Bq }, dQ),
	layerVector("attn_k.bias", Vector, func(L *Layer) *[]float32 { return &L.Bk }, dKV),
	layerVector("attn_v.bias", Vector, func(L *Layer) *[]float32 { return &L.Bv }, dKV),
}
