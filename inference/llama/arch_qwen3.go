package llama

// qwen3: Qwen3 dense: llama with an RMSNorm over each head of Q and of K
// before rope, NeoX rope, and a head width (key_length) that need not be
// Dim/Heads.
func init() {
	register(&family{
		name:     "qwen3",
		tensors:  concat(llamaHead[1:], llamaAttn, qkNorms, llamaAttnOut, llamaFFN, llamaTail),
		ropeNeoX: true,
		qkSteps:  []step{qkNorm},
	})
}

var qkNorms = []tensorDecl{
	layerVector("attn_q_norm.weight", Norm, func(L *Layer) *[]float32 { return &L.QNorm }, dHead),
	layerVector("attn_k_norm.weight", Norm, func(L *Layer) *[]float32 { return &L.KNorm }, dHead),
}
