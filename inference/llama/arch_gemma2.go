package llama

import "fmt"

// gemma2: Gemma 2: gemma3 without the per-head Q/K norms, plus soft-capped
// attention scores and logits (cap*tanh(x/cap)), sliding-window attention
// on every other layer (the even ones), and the queries scaled after rope
// (llama.cpp's f_attention_scale) rather than the scores.
func init() {
	register(&family{
		name:       "gemma2",
		tensors:    concat(llamaHead[1:], llamaAttn, llamaAttnOut, gemmaPostAttn, llamaFFN, gemmaPostFFN, llamaTail),
		ropeNeoX:   true,
		embedScale: true,
		postAttn:   gemmaPostAttnNorm,
		postFFN:    gemmaPostFFNNorm,
		geglu:      true,
		hparams:    gemma2Params,
	})
}

// gemma2Params reads the window and the caps with llama.cpp's defaults
// (window 4096, caps 50 and 30) and the query scale (gemmaQueryScale).
func gemma2Params(c *Config, k keys) error {
	c.Window = k.uint("attention.sliding_window", 4096)
	c.SWAPattern = 2
	// Local layers keep the file's rope base and scaling, as llama.cpp's
	// defaults (gemma2 files have no _swa keys).
	c.RopeBaseSWA = k.float("rope.freq_base_swa", float64(c.RopeBase))
	c.RopeScaleSWA = c.RopeScale
	c.AttnSoftcap = k.float("attn_logit_softcapping", 50)
	c.FinalSoftcap = k.float("final_logit_softcapping", 30)
	if c.AttnSoftcap < 0 || c.FinalSoftcap < 0 {
		return fmt.Errorf("llama: negative soft-capping %g, %g", c.AttnSoftcap, c.FinalSoftcap)
	}
	c.QueryScale = gemmaQueryScale(c, 46)
	return nil
}
