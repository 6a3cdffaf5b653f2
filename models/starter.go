package models

// Starter is a curated model offered before the user searches anything.
// Sizes are approximate (for the list); the real size and sha256 come from
// the Hub's file list when the download starts.
type Starter struct {
	Title      string `json:"title"`
	Repo       string `json:"repo"`
	File       string `json:"file"`
	ApproxSize int64  `json:"approx_size"`
	Note       string `json:"note"`
}

// Starters are small instruct models in Q8_0 from well-known publishers,
// chosen to run on an ordinary laptop with Burrow's engine.
var Starters = []Starter{
	{"Qwen2.5 0.5B Instruct", "Qwen/Qwen2.5-0.5B-Instruct-GGUF", "qwen2.5-0.5b-instruct-q8_0.gguf", 676e6, "Tiny and quick; a good first download"},
	{"Llama 3.2 1B Instruct", "bartowski/Llama-3.2-1B-Instruct-GGUF", "Llama-3.2-1B-Instruct-Q8_0.gguf", 1321e6, "Meta's small chat model (accept its license on the Hub)"},
	{"TinyLlama 1.1B Chat", "TheBloke/TinyLlama-1.1B-Chat-v1.0-GGUF", "tinyllama-1.1b-chat-v1.0.Q8_0.gguf", 1170e6, "Small classic chat model"},
	{"Qwen2.5 1.5B Instruct", "Qwen/Qwen2.5-1.5B-Instruct-GGUF", "qwen2.5-1.5b-instruct-q8_0.gguf", 1894e6, "Capable for its size, many languages"},
	{"SmolLM2 1.7B Instruct", "bartowski/SmolLM2-1.7B-Instruct-GGUF", "SmolLM2-1.7B-Instruct-Q8_0.gguf", 1820e6, "Hugging Face's compact model"},
	{"Llama 3.2 3B Instruct", "bartowski/Llama-3.2-3B-Instruct-GGUF", "Llama-3.2-3B-Instruct-Q8_0.gguf", 3421e6, "Better answers, needs about 4 GB of memory"},
}
