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

// Starters are small instruct models in Q4_K_M (the quantization most people
// download: about a third of Q8_0's size at little loss) from well-known
// publishers, each in a family Burrow's engine runs, chosen for an ordinary
// laptop. The notes give the memory each needs.
var Starters = []Starter{
	{"Qwen3 0.6B", "unsloth/Qwen3-0.6B-GGUF", "Qwen3-0.6B-Q4_K_M.gguf", 397e6, "The newest small Qwen, thinks before it answers; a good first download (about 1 GB of memory)"},
	{"Gemma 3 1B Instruct", "unsloth/gemma-3-1b-it-GGUF", "gemma-3-1b-it-Q4_K_M.gguf", 806e6, "Google's small chat model, many languages (about 1.5 GB; accept its license on the Hub)"},
	{"Llama 3.2 1B Instruct", "bartowski/Llama-3.2-1B-Instruct-GGUF", "Llama-3.2-1B-Instruct-Q4_K_M.gguf", 808e6, "Meta's small chat model (about 1.5 GB; accept its license on the Hub)"},
	{"Qwen2.5 1.5B Instruct", "Qwen/Qwen2.5-1.5B-Instruct-GGUF", "qwen2.5-1.5b-instruct-q4_k_m.gguf", 1117e6, "Capable for its size, many languages (about 2 GB)"},
	{"Qwen3.5 2B", "unsloth/Qwen3.5-2B-GGUF", "Qwen3.5-2B-Q4_K_M.gguf", 1281e6, "The 2026 Qwen: thinks before it answers, its layers mostly linear attention, so long chats stay cheap (about 2 GB)"},
	{"Llama 3.2 3B Instruct", "bartowski/Llama-3.2-3B-Instruct-GGUF", "Llama-3.2-3B-Instruct-Q4_K_M.gguf", 2020e6, "Better answers (about 3 GB)"},
	{"Phi-4 mini Instruct", "unsloth/Phi-4-mini-instruct-GGUF", "Phi-4-mini-instruct-Q4_K_M.gguf", 2491e6, "Microsoft's 3.8B, strong at reasoning and code (about 3.5 GB)"},
	{"Gemma 3 4B Instruct", "unsloth/gemma-3-4b-it-GGUF", "gemma-3-4b-it-Q4_K_M.gguf", 2489e6, "Gemma's laptop size (about 3.5 GB; accept its license on the Hub)"},
	{"Qwen3 4B", "unsloth/Qwen3-4B-GGUF", "Qwen3-4B-Q4_K_M.gguf", 2497e6, "Strong reasoning for a laptop (about 3.5 GB)"},
	{"Gemma 4 E2B Instruct", "unsloth/gemma-4-E2B-it-GGUF", "gemma-4-E2B-it-Q4_K_M.gguf", 3107e6, "Google's 2026 small model (2B effective parameters), thinks when asked to (about 4 GB)"},
	{"gpt-oss 20B (mixture of experts)", "unsloth/gpt-oss-20b-GGUF", "gpt-oss-20b-Q4_K_M.gguf", 11620e6, "OpenAI's open model: reasons, then answers; reads 3.6B weights per token (about 14 GB of memory)"},
	{"Qwen3 30B-A3B (mixture of experts)", "unsloth/Qwen3-30B-A3B-GGUF", "Qwen3-30B-A3B-Q4_K_M.gguf", 18556e6, "Reads only 3B weights per token, so it answers quickly on a CPU; needs about 20 GB of memory"},
}
