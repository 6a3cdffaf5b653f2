package gguf

import "testing"

func TestParseFileName(t *testing.T) {
	type N = NameInfo
	cases := []struct {
		name string
		want N
	}{
		// From the issue.
		{"llama-3.2-3b-instruct-q8_0.gguf", N{BaseName: "llama-3.2", SizeLabel: "3B", FineTune: "instruct", Encoding: "Q8_0"}},
		{"Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf", N{BaseName: "Meta-Llama-3.1", SizeLabel: "8B", FineTune: "Instruct", Encoding: "Q4_K_M"}},
		{"mistral-7b-instruct-v0.2.Q4_K_M.gguf", N{BaseName: "mistral", SizeLabel: "7B", FineTune: "instruct", Version: "v0.2", Encoding: "Q4_K_M"}},
		{"tinyllama-1.1b-chat-v1.0.Q8_0.gguf", N{BaseName: "tinyllama", SizeLabel: "1.1B", FineTune: "chat", Version: "v1.0", Encoding: "Q8_0"}},
		{"Mixtral-8x7B-v0.1-Q4_K_M-00001-of-00002.gguf", N{BaseName: "Mixtral", SizeLabel: "8x7B", Version: "v0.1", Encoding: "Q4_K_M", Shard: 1, ShardCount: 2}},
		{"qwen2.5-0.5b-instruct-q8_0.gguf", N{BaseName: "qwen2.5", SizeLabel: "0.5B", FineTune: "instruct", Encoding: "Q8_0"}},
		// The GGUF spec's own examples.
		{"Mixtral-8x7B-v0.1-KQ2.gguf", N{BaseName: "Mixtral", SizeLabel: "8x7B", Version: "v0.1", Encoding: "KQ2"}},
		{"Hermes-2-Pro-Llama-3-8B-F16.gguf", N{BaseName: "Hermes-2-Pro-Llama-3", SizeLabel: "8B", Encoding: "F16"}},
		{"Grok-100B-v1.0-Q4_0-00003-of-00009.gguf", N{BaseName: "Grok", SizeLabel: "100B", Version: "v1.0", Encoding: "Q4_0", Shard: 3, ShardCount: 9}},
		{"Hermes-2-Pro-Llama-3-8B-F16-LoRA.gguf", N{BaseName: "Hermes-2-Pro-Llama-3", SizeLabel: "8B", Encoding: "F16", Type: "LoRA"}},
		// Common Hugging Face names.
		{"Llama-3.2-1B-Instruct-Q4_K_M.gguf", N{BaseName: "Llama-3.2", SizeLabel: "1B", FineTune: "Instruct", Encoding: "Q4_K_M"}},
		{"qwen2.5-7b-instruct-q4_k_m-00001-of-00002.gguf", N{BaseName: "qwen2.5", SizeLabel: "7B", FineTune: "instruct", Encoding: "Q4_K_M", Shard: 1, ShardCount: 2}},
		{"gemma-2-2b-it-Q4_K_M.gguf", N{BaseName: "gemma-2", SizeLabel: "2B", FineTune: "it", Encoding: "Q4_K_M"}},
		{"Phi-3-mini-4k-instruct-q4.gguf", N{BaseName: "Phi-3-mini-4k", FineTune: "instruct", Encoding: "Q4"}},
		{"phi-2.Q4_K_M.gguf", N{BaseName: "phi-2", Encoding: "Q4_K_M"}},
		{"llama-2-7b-chat.Q4_K_M.gguf", N{BaseName: "llama-2", SizeLabel: "7B", FineTune: "chat", Encoding: "Q4_K_M"}},
		{"codellama-13b-instruct.Q5_K_M.gguf", N{BaseName: "codellama", SizeLabel: "13B", FineTune: "instruct", Encoding: "Q5_K_M"}},
		{"Meta-Llama-3-8B-Instruct.Q8_0.gguf", N{BaseName: "Meta-Llama-3", SizeLabel: "8B", FineTune: "Instruct", Encoding: "Q8_0"}},
		{"Mistral-7B-Instruct-v0.3.IQ2_XS.gguf", N{BaseName: "Mistral", SizeLabel: "7B", FineTune: "Instruct", Version: "v0.3", Encoding: "IQ2_XS"}},
		{"Qwen3-30B-A3B-Q4_K_M.gguf", N{BaseName: "Qwen3", SizeLabel: "30B-A3B", Encoding: "Q4_K_M"}},
		{"SmolLM2-135M-Instruct-Q8_0.gguf", N{BaseName: "SmolLM2", SizeLabel: "135M", FineTune: "Instruct", Encoding: "Q8_0"}},
		{"DeepSeek-R1-Distill-Qwen-7B-Q4_K_M.gguf", N{BaseName: "DeepSeek-R1-Distill-Qwen", SizeLabel: "7B", Encoding: "Q4_K_M"}},
		{"gpt-oss-20b-mxfp4.gguf", N{BaseName: "gpt-oss", SizeLabel: "20B", Encoding: "MXFP4"}},
		{"Qwen2.5-Coder-1.5B-Instruct-BF16.gguf", N{BaseName: "Qwen2.5-Coder", SizeLabel: "1.5B", FineTune: "Instruct", Encoding: "BF16"}},
		{"Mistral-Nemo-Instruct-2407-Q4_K_M.gguf", N{BaseName: "Mistral-Nemo", FineTune: "Instruct-2407", Encoding: "Q4_K_M"}},
		{"Llama-3.3-70B-Instruct-Q4_K_M-00001-of-00002.gguf", N{BaseName: "Llama-3.3", SizeLabel: "70B", FineTune: "Instruct", Encoding: "Q4_K_M", Shard: 1, ShardCount: 2}},
		{"granite-3.1-2b-instruct-Q4_K_M.gguf", N{BaseName: "granite-3.1", SizeLabel: "2B", FineTune: "instruct", Encoding: "Q4_K_M"}},
		{"starcoder2-3b-Q8_0.gguf", N{BaseName: "starcoder2", SizeLabel: "3B", Encoding: "Q8_0"}},
		{"Llama-3.2-1B-Instruct-f16.gguf", N{BaseName: "Llama-3.2", SizeLabel: "1B", FineTune: "Instruct", Encoding: "F16"}},
		{"gemma-3-270m-it-Q8_0.GGUF", N{BaseName: "gemma-3", SizeLabel: "270M", FineTune: "it", Encoding: "Q8_0"}},
		// The shared test files.
		{"stories260K-q8_0.gguf", N{BaseName: "stories260K", Encoding: "Q8_0"}},
		{"stories260K-f32.gguf", N{BaseName: "stories260K", Encoding: "F32"}},
		{"synth-llama3rope-f32.gguf", N{BaseName: "synth-llama3rope", Encoding: "F32"}},
		{"ggml-vocab-llama-spm.gguf", N{BaseName: "ggml-vocab-llama-spm"}},
		// Paths and odd names.
		{"/models/bartowski/Llama-3.2-3B-Instruct-GGUF/Llama-3.2-3B-Instruct-Q6_K_L.gguf", N{BaseName: "Llama-3.2", SizeLabel: "3B", FineTune: "Instruct", Encoding: "Q6_K_L"}},
		{`C:\models\tinyllama-1.1b-chat-v1.0.Q4_0.gguf`, N{BaseName: "tinyllama", SizeLabel: "1.1B", FineTune: "chat", Version: "v1.0", Encoding: "Q4_0"}},
		{"model.gguf", N{BaseName: "model"}},
	}
	for _, c := range cases {
		got, ok := ParseFileName(c.name)
		if !ok || got != c.want {
			t.Errorf("ParseFileName(%q) =\n  %+v, %v\nwant\n  %+v", c.name, got, ok, c.want)
		}
	}
	for _, bad := range []string{"model.bin", "gguf", "", "x.gguf.part"} {
		if _, ok := ParseFileName(bad); ok {
			t.Errorf("ParseFileName(%q) accepted", bad)
		}
	}
}

func TestParseSizeLabel(t *testing.T) {
	cases := map[string]int64{"8B": 8e9, "0.5B": 5e8, "8x7B": 56e9, "500M": 5e8, "1.1B": 11e8,
		"260K": 260e3, "30B-A3B": 30e9, "1.5T": 15e11}
	for label, want := range cases {
		if got, ok := ParseSizeLabel(label); !ok || got != want {
			t.Errorf("ParseSizeLabel(%q) = %d, %v; want %d", label, got, ok, want)
		}
	}
	for _, bad := range []string{"", "B", "8", "v0.1", "x7B"} {
		if _, ok := ParseSizeLabel(bad); ok {
			t.Errorf("ParseSizeLabel(%q) accepted", bad)
		}
	}
}
