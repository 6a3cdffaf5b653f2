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
	RoPEYaRN(x, nHeads, headDim, ropeDim, pos, base, freqScale, neox, freqFactors, nil)
}

// YaRN holds ggml's rope_yarn parameters for one layer's rope: the pairs
// below Corr[0] keep their unscaled (extrapolated) angle, those above
// Corr[1] the interpolated one (times freq_scale), with a linear ramp
// between, mixed by ExtFactor; every cos and sin is multiplied by
// AttnFactor * (1 + 0.1 ln(1/freq_scale)) when ExtFactor is not 0, by
// AttnFactor otherwise.
type YaRN struct {
	ExtFactor, AttnFactor float32
	Corr                  [2]float32
}

// YaRNCorrDims is ggml_rope_yarn_corr_dims: the pairs whose wavelength
// spans betaFast and betaSlow rotations over the original context,
// floored and ceiled and clamped to [0, ropeDim-1].
func YaRNCorrDims(ropeDim, origCtx int, base, betaFast, betaSlow float32) [2]float32 {
	dim := func(nRot float32) float32 {
		return float32(ropeDim) * logf(float32(origCtx)/(nRot*2*math.Pi)) / (2 * logf(base))
	}
	start := float32(math.Floor(float64(dim(betaFast))))
	end := float32(math.Ceil(float64(dim(betaSlow))))
	return [2]float32{max(0, start), min(float32(ropeDim-1), end)}
}

func logf(x float32) float32 { return float32(math.Log(float64(x))) }

// RoPEYaRN is RoPEScaled with YaRN's angle mix and magnitude scaling (y nil:
// none, as RoPEScaled).
func RoPEYaRN(x []float32, nHeads, headDim, ropeDim, pos int, base, freqScale float32, neox bool, freqFactors []float32, y *YaRN) {
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
	ropeAngles(cs[:half], sn[:half], pos, ropeDim, base, freqScale, freqFactors, y)
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
			// ggml's rotate_pairs as the peer's build compiled it: the
			// normal style's loop contracted (x0's product fused into the
			// sum, x1's rounded first), NeoX's not (bit-equal layer dumps
			// on llama, the recorded gpt-oss runs), so float32() there
			// keeps Go from fusing.
			if neox {
				v[i0] = float32(x0*cs[i]) - float32(x1*sn[i])
				v[i1] = float32(x0*sn[i]) + float32(x1*cs[i])
			} else {
				v[i0] = fma32(x0, cs[i], -float32(x1*sn[i]))
				v[i1] = fma32(x0, sn[i], float32(x1*cs[i]))
			}
		}
	}
}

// ropeAngles fills cos and sin of each pair's angle like ggml's
// rope_cache_init: theta starts at pos and is multiplied by
// theta_scale = base^(-2/ropeDim) once per pair, in float32; cos and sin
// are glibc's sincosf (sinCosF32).
func ropeAngles(cs, sn []float32, pos, ropeDim int, base, freqScale float32, freqFactors []float32, y *YaRN) {
	thetaScale := float32(math.Pow(float64(base), float64(float32(-2)/float32(ropeDim))))
	theta := float32(pos)
	mscale := float32(1)
	if y != nil {
		mscale = y.AttnFactor
		if y.ExtFactor != 0 {
			mscale *= 1 + float32(0.1*logf(1/freqScale)) // conversions: no FMA fusion on arm64
		}
	}
	for i := range cs {
		ff := float32(1)
		if freqFactors != nil {
			ff = freqFactors[i]
		}
		extrap := theta / ff
		t := freqScale * extrap
		if y != nil && y.ExtFactor != 0 {
			mix := float32(yarnRamp(y.Corr[0], y.Corr[1], i) * y.ExtFactor)
			t = float32(t*(1-mix)) + float32(extrap*mix)
		}
		sn[i], cs[i] = sinCosF32(t) // glibc's sincosf, not correctly rounded
		if y != nil {
			cs[i] *= mscale
			sn[i] *= mscale
		}
		theta *= thetaScale
	}
}

// yarnRamp is ggml's rope_yarn_ramp for pair i (ggml's i0/2): 1 below
// low, 0 above high, linear between.
func yarnRamp(low, high float32, i int) float32 {
	v := (float32(i) - low) / max(0.001, high-low)
	return 1 - min(1, max(0, v))
}
