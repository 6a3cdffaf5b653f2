package llama

import (
	"fmt"
	"math"

	"burrow/inference/tensor"
)

// readYaRN reads rope.scaling.type yarn's keys as llama.cpp does: the
// factor (positions times 1/factor), the original context (default the
// trained one), the ramp's betas (32 and 1), and the attention factor its
// context computes from them.
func (c *Config) readYaRN(k keys) error {
	factor := k.float("rope.scaling.factor", 0)
	if !(factor >= 1) || factor > 1<<16 {
		return fmt.Errorf("llama: yarn rope scaling factor %g is not supported", factor)
	}
	c.RopeScale = 1 / factor
	c.YarnOrigCtx = k.uint("rope.scaling.original_context_length", c.ContextLen)
	if c.YarnOrigCtx <= 0 {
		return fmt.Errorf("llama: yarn rope scaling needs rope.scaling.original_context_length")
	}
	c.YarnBetaFast = k.float("rope.scaling.yarn_beta_fast", 32)
	c.YarnBetaSlow = k.float("rope.scaling.yarn_beta_slow", 1)
	c.YarnExtFactor = k.float("rope.scaling.yarn_ext_factor", 1)
	c.YarnAttnFactor = yarnAttnFactor(1/c.RopeScale, c.YarnExtFactor,
		k.float("rope.scaling.yarn_log_multiplier", 0), k.float("rope.scaling.attn_factor", 1))
	return nil
}

// yarnAttnFactor is llama.cpp's cparams.yarn_attn_factor: with YaRN on,
// get_mscale(factor, 1) (or its ratio with the log multiplier's), divided
// by the 1 + 0.1 ln(factor) ggml's rope multiplies in again, times the
// file's rope.scaling.attn_factor.
func yarnAttnFactor(factor, ext, logMul, fileFactor float32) float32 {
	mscale := func(scale, m float32) float32 {
		if scale <= 1 {
			return 1
		}
		return float32(0.1*m*float32(math.Log(float64(scale)))) + 1 // conversions: no FMA fusion on arm64
	}
	af := float32(1)
	if ext != 0 {
		if logMul != 0 {
			af = mscale(factor, 1) / mscale(factor, logMul)
		} else {
			af = mscale(factor, 1)
		}
		af *= 1 / (1 + float32(0.1*float32(math.Log(float64(factor)))))
	}
	return af * fileFactor
}

// yarnFor is the YaRN parameters of the layers with rope base base (nil
// when the file has no YaRN).
func (c *Config) yarnFor(base float32) *tensor.YaRN {
	if c.YarnOrigCtx == 0 {
		return nil
	}
	return &tensor.YaRN{ExtFactor: c.YarnExtFactor, AttnFactor: c.YarnAttnFactor,
		Corr: tensor.YaRNCorrDims(c.RopeDim, c.YarnOrigCtx, base, c.YarnBetaFast, c.YarnBetaSlow)}
}

// attnTemp multiplies the n queries by the attention temperature of their
// positions (llama 4 / mistral3).
func (s *State) attnTemp(q []float32, pos0, n int) {
	c := &s.m.Config
	d := c.QDim()
	for t := 0; t < n; t++ {
		p := float32(pos0 + t)
		// As llama.cpp: the quotient in float, the rest in double.
		sc := float32(float64(math.Log(math.Floor(float64((p+c.AttnTempOffset)/float32(c.AttnTempFloor)))+1)*float64(c.AttnTempScale)) + 1)
		row := q[t*d : (t+1)*d]
		for i := range row {
			row[i] *= sc
		}
	}
}
