package tokenizer

import (
	"testing"

	"burrow/inference/gguf"
	"burrow/internal/testenv"
)

// Building the Llama 3 tokenizer (128k tokens, 280k merges) is most of the
// time it takes to open a model.
func BenchmarkFromGGUFLlama3(b *testing.B) {
	f, err := gguf.Open(testenv.Path(b, "vocab", "ggml-vocab-llama-bpe.gguf"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	for i := 0; i < b.N; i++ {
		if _, err := FromGGUF(f); err != nil {
			b.Fatal(err)
		}
	}
}
