// Package sample picks the next token from the model's logits.
package sample

// Params are the sampler settings. The defaults are llama.cpp's.
type Params struct {
	Temperature      float32 `json:"temperature"` // 0 is greedy
	TopK             int     `json:"top_k"`       // 0 disables
	TopP             float32 `json:"top_p"`       // 1 disables
	MinP             float32 `json:"min_p"`       // 0 disables
	RepeatPenalty    float32 `json:"repeat_penalty"`
	FrequencyPenalty float32 `json:"frequency_penalty"`
	PresencePenalty  float32 `json:"presence_penalty"`
	PenaltyLastN     int     `json:"penalty_last_n"` // tokens the penalties look back over
	Seed             uint64  `json:"seed"`
}

// DefaultParams are llama.cpp's defaults. The seed is chosen by the caller
// (random unless the user gives one) and reported so a run can be replayed.
func DefaultParams() Params {
	return Params{
		Temperature:   0.8,
		TopK:          40,
		TopP:          0.95,
		MinP:          0.05,
		RepeatPenalty: 1.0,
		PenaltyLastN:  64,
	}
}
