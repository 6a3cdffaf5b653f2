package tensor

import (
	"fmt"
	"math"
)

// RoPE rotates, in place, the first ropeDim values of each of the nHeads
// heads (headDim values each) in x for position pos, as ggml's rope with
// freq_scale 1 and no YaRN: pair i turns by theta_i = pos * base^(-2i/ropeDim)
// / freqFactors[i] (freqFactors nil means 1, e.g. Llama 3's rope_freqs).
// Normal style pairs adjacent values (2i, 2i+1); NeoX style (neox true)
// pairs (i, i+ropeDim/2).
func RoPE(x []float32, nHeads, headDim, ropeDim, pos int, base float32, neox bool, freqFactors []float32) {
	RoPEScaled(x, nHeads, headDim, ropeDim, pos, base, 1, neox, freqFactors)
}

// RoPEScaled is RoPE with ggml's freq_scale (1/linear rope scaling factor)
// multiplying every angle.
func RoPEScaled(x []float32, nHeads, headDim, ropeDim, pos int, base, freqScale float32, neox bool, freqFactors []float32) {
	if ropeDim > headDim || ropeDim%2 != 0 || len(x) < nHeads*headDim {
		panic(fmt.Sprintf("tensor: RoPE of %d values as %d heads of %d, rotating %d", len(x), nHeads, headDim, ropeDim))
	}
	half := ropeDim / 2
	if freqFactors != nil && len(freqFactors) < half {
		panic(fmt.Sprintf("tensor: RoPE has %d frequency factors, needs %d", len(freqFactors), half))
	}
	// cos/sin once per call, shared by all heads; on the stack for the usual sizes.
	var cbuf, sbuf [256]float32
	cs, sn := cbuf[:], sbuf[:]
	if half > len(cbuf) {
		cs, sn = make([]float32, half), make([]float32, half)
	}
	ropeAngles(cs[:half], sn[:half], pos, ropeDim, base, freqScale, freqFactors)
	for h := 0; h < nHeads; h++ {
		v := x[h*headDim : h*headDim+ropeDim]
		for i := 0; i < half; i++ {
			var i0, i1 int
			if neox {
				i0, i1 = i, i+half
			} else {
				i0, i1 = 2*i, 2*i+1
			}
			x0, x1 := v[i0], v[i1]
			// float32() on each product keeps the compiler from fusing
			// them into an FMA, which ggml does not do.
			v[i0] = float32(x0*cs[i]) - float32(x1*sn[i])
			v[i1] = float32(x0*sn[i]) + float32(x1*cs[i])
		}
	}
}

// ropeAngles fills cos and sin of each pair's angle like ggml's
// rope_cache_init: theta starts at pos and is multiplied by
// theta_scale = base^(-2/ropeDim) once per pair, in float32.
func ropeAngles(cs, sn []float32, pos, ropeDim int, base, freqScale float32, freqFactors []float32) {
	thetaScale := float32(math.Pow(float64(base), float64(float32(-2)/float32(ropeDim))))
	theta := float32(pos)
	for i := range cs {
		ff := float32(1)
		if freqFactors != nil {
			ff = freqFactors[i]
		}
		t := freqScale * (theta / ff)
		cs[i] = float32(math.Cos(float64(t)))
		sn[i] = float32(math.Sin(float64(t)))
		theta *= thetaScale
	}
}
