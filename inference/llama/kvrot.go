package llama

import "burrow/inference/tensor"

// kvRotation is llama.cpp's attention rotation around a quantized KV cache
// (llama_kv_cache's attn_rot_k/attn_rot_v, on unless LLAMA_ATTN_ROT_DISABLE
// is set): with a quantized K and a head size that is a multiple of 64,
// queries and keys are multiplied by the Walsh-Hadamard matrix of the
// largest power of two dividing the head size before the keys are stored;
// with a quantized V, values by H_64 before they are stored and the
// attention output by H_64 after (H is its own inverse). Scores and outputs
// are unchanged in exact arithmetic but not their rounding, and small models
// turn one flipped int8 into different tokens, so a q8_0 cache takes the
// same steps as llama.cpp's.
//
// llama.cpp's CPU backend runs these products as a fast Walsh-Hadamard
// transform (tensor.HadamardRotate), which Burrow follows bit for bit on
// every decoded token. On prompt batches whose rotation spans 128 or more
// runs (16 tokens of 8 heads of 64, say) the peer's results differ in the
// last place from that transform: the ids of the q8_0 references hold, but
// such batches are not bit-identical to llama.cpp.
type kvRotation struct{ k, v int } // run lengths, 0: no rotation

// newKVRotation is the rotation of a cache of head size hd (gemma4's local
// and global layers differ: llama.cpp's two caches each rotate by their own).
func newKVRotation(hd int, t KVType) kvRotation {
	if t != KVQ8_0 || hd%64 != 0 {
		return kvRotation{}
	}
	k := 64
	for hd%(2*k) == 0 {
		k *= 2
	}
	return kvRotation{k: k, v: 64}
}

// rotateQKV rotates the batch's queries, keys and values before the keys
// and values are stored and the queries attend.
func (r kvRotation) rotateQKV(q, k, v []float32) {
	if r.k == 0 {
		return
	}
	tensor.HadamardRotate(q, r.k)
	tensor.HadamardRotate(k, r.k)
	tensor.HadamardRotate(v, r.v)
}

// unrotate turns the attention output back from the rotated values.
func (r kvRotation) unrotate(att []float32) {
	if r.v != 0 {
		tensor.HadamardRotate(att, r.v)
	}
}
