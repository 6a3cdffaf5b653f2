package tokenizer

import (
	"os"
	"strings"
	"testing"

	"burrow/internal/testenv"
)

// mixedText builds about 1 MB from the stories text, llama.cpp's test
// strings (code, CJK, emoji, odd whitespace) and long runs without spaces.
func mixedText(b *testing.B) string {
	stories, err := os.ReadFile(testenv.Path(b, "reference", "ppl-stories.txt"))
	if err != nil {
		b.Fatal(err)
	}
	parts := append([]string{string(stories), strings.Repeat("x", 3000), strings.Repeat("日本", 500)}, standardCases(b)...)
	unit := strings.Join(parts, "\n")
	var sb strings.Builder
	for sb.Len() < 1<<20 {
		sb.WriteString(unit)
	}
	return sb.String()
}

func benchEncode(b *testing.B, rel ...string) {
	tok := loadTokenizer(b, testenv.Path(b, rel...))
	text := mixedText(b)
	b.SetBytes(int64(len(text)))
	b.ResetTimer()
	n := 0
	for b.Loop() {
		n = len(tok.Encode(text, true, false))
	}
	b.ReportMetric(float64(n), "tokens")
}

func BenchmarkEncode1MBStoriesSPM(b *testing.B) { benchEncode(b, "models", "stories260K-f32.gguf") }
func BenchmarkEncode1MBLlamaSPM(b *testing.B) {
	benchEncode(b, "vocab", "ggml-vocab-llama-spm.gguf")
}
func BenchmarkEncode1MBLlama3BPE(b *testing.B) {
	benchEncode(b, "vocab", "ggml-vocab-llama-bpe.gguf")
}
func BenchmarkEncode1MBQwen2BPE(b *testing.B) { benchEncode(b, "vocab", "ggml-vocab-qwen2.gguf") }

func BenchmarkDecode1MBLlama3BPE(b *testing.B) {
	tok := loadTokenizer(b, testenv.Path(b, "vocab", "ggml-vocab-llama-bpe.gguf"))
	text := mixedText(b)
	ids := tok.Encode(text, false, false)
	b.SetBytes(int64(len(text)))
	b.ResetTimer()
	for b.Loop() {
		d := tok.NewStreamDecoder()
		for _, id := range ids {
			d.Add(id)
		}
		d.Flush()
	}
}
