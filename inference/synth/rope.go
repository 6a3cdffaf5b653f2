package synth

import "math"

// Llama3RopeFactors computes rope_freqs.weight (headDim/2 values) the way
// convert_hf_to_gguf.py does for rope_type "llama3": wavelengths shorter
// than original_context/high_freq_factor keep factor 1, longer than
// original_context/low_freq_factor get Factor, and the band between is
// interpolated. The converter computes in float32 (torch), so this does too.
func Llama3RopeFactors(headDim int, theta float64, r Llama3Rope) []float32 {
	old := float32(r.OriginalContext)
	low, high, factor := float32(r.LowFreqFactor), float32(r.HighFreqFactor), float32(r.Factor)
	lowWavelen := old / low
	highWavelen := old / high
	out := make([]float32, 0, headDim/2)
	for i := 0; i < headDim; i += 2 {
		exp := float32(i) / float32(headDim)
		freq := 1 / float32(math.Pow(theta, float64(exp)))
		wavelen := float32(2*math.Pi) / freq
		switch {
		case wavelen < highWavelen:
			out = append(out, 1)
		case wavelen > lowWavelen:
			out = append(out, factor)
		default:
			smooth := (old/wavelen - low) / (high - low)
			out = append(out, 1/((1-smooth)/factor+smooth))
		}
	}
	return out
}

// PartialRopeFactors is the rope_freqs.weight convert_hf_to_gguf.py writes
// for Gemma 4's "proportional" rope on heads of headDim values: ggml's NeoX
// rope rotates every pair, so the pairs past the partial rotary factor get
// a divisor of 1e30 (angle 0: not rotated) and the others 1.
func PartialRopeFactors(headDim int, partial float64) []float32 {
	out := make([]float32, headDim/2)
	rot := int(float64(headDim) * partial / 2)
	for i := range out {
		out[i] = 1
		if i >= rot {
			out[i] = 1e30
		}
	}
	return out
}
