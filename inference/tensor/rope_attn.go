package tensor

// RoPEAttn is RoPEScaled with ggml's attn_factor (mscale) multiplying every
// cos and sin before the rotation, as ggml's rope_yarn does without YaRN
// extrapolation: Phi-3 LongRoPE's attention factor, sqrt(1 +
// log(scale)/log(original context)). Values past ropeDim in a head are left
// as they are (partial rotary).
func RoPEAttn(x []float32, nHeads, headDim, ropeDim, pos int, base, freqScale, attnFactor float32, neox bool, freqFactors []float32) {
	RoPEYaRN(x, nHeads, headDim, ropeDim, pos, base, freqScale, neox, freqFactors, &YaRN{AttnFactor: attnFactor})
}
