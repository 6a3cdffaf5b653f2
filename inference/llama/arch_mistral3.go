package llama

import (
	"fmt"
	"math"
)

// mistral3: Mistral's Ministral 3 / Mistral Small 3.x text models as
// llama.cpp reads them (LLM_ARCH_MISTRAL3): llama's tensors and rope, YaRN
// whose magnitude scaling the graph cancels (its attn_factor is
// 1/(1 + 0.1 ln(1/freq_scale))), and optionally llama 4's attention
// temperature: queries times 1 + scale*ln(floor(pos/orig_ctx)+1).
func init() {
	register(&family{
		name:    "mistral3",
		tensors: concat(llamaHead, llamaAttn, llamaAttnOut, llamaFFN, llamaTail),
		hparams: mistral3Params,
	})
}

func mistral3Params(c *Config, k keys) error {
	if c.YarnOrigCtx != 0 {
		c.YarnAttnFactor = 1 / (1 + float32(0.1*float32(math.Log(float64(1/c.RopeScale))))) // conversion: no FMA fusion on arm64
	}
	c.AttnTempScale = k.float("attention.temperature_scale", 0)
	if c.AttnTempScale != 0 {
		c.AttnTempFloor = c.YarnOrigCtx
		if c.AttnTempFloor == 0 {
			c.AttnTempFloor = c.ContextLen
		}
		if c.AttnTempFloor <= 0 {
			return fmt.Errorf("llama: mistral3 attention temperature needs rope.scaling.original_context_length")
		}
	}
	return nil
}
