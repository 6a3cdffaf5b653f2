package tensor

import "fmt"

// RoPEAttn is RoPEScaled with ggml's attn_factor (mscale) multiplying every
// cos and sin before the rotation, as ggml's rope_yarn does without YaRN
// extrapolation: Phi-3 LongRoPE's attention factor, sqrt(1 +
// log(scale)/log(original context)). Values past ropeDim in a head are left
// as they are (partial rotary).
func RoPEAttn(x []float32, nHeads, headDim, ropeDim, pos int, base, freqScale, attnFactor float32, neox bool, freqFactors []float32) {
	if ropeDim > headDim || ropeDim%2 != 0 || len(x) < nHeads*headDim {
		panic(fmt.Sprintf("tensor: RoPE of %d values as %d heads of %d, rotating %d", len(x), nHeads, headDim, ropeDim))
	}
	half := ropeDim / 2
	if freqFactors != nil && len(freqFactors) < half {
		panic(fmt.Sprintf("tensor: RoPE has %d frequency factors, needs %d", len(freqFactors), half))
	}
	var cbuf, sbuf [256]float32
	cs, sn := cbuf[:], sbuf[:]
	if half > len(cbuf) {
		cs, sn = make([]float32, half), make([]float32, half)
	}
	cs, sn = cs[:half], sn[:half]
	ropeAngles(cs, sn, pos, ropeDim, base, freqScale, freqFactors)
	for i := range cs {
		cs[i] *= attnFactor
		sn[i] *= attnFactor
	}
	for h := 0; h < nHeads; h++ {
		v := x[h*headDim : h*headDim+ropeDim]
		for i := 0; i < half; i++ {
			i0, i1 := 2*i, 2*i+1
			if neox {
				i0, i1 = i, i+half
			}
			x0, x1 := v[i0], v[i1]
			// No FMA, as in RoPEScaled.
			v[i0] = float32(x0*cs[i]) - float32(x1*sn[i])
			v[i1] = float32(x0*sn[i]) + float32(x1*cs[i])
		}
	}
}
