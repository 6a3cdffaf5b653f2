package tokenizer

import (
	"testing"
	"unicode/utf8"

	"burrow/internal/testenv"
)

// FuzzEncodeDecode: encoding and decoding never panic, on any bytes
// (invalid UTF-8 included), with every option and several vocabularies.
// SentencePiece with byte fallback and byte-level BPE must also round trip
// valid UTF-8 (llama.cpp mangles invalid bytes in both, on purpose here).
func FuzzEncodeDecode(f *testing.F) {
	spm := loadTokenizer(f, testenv.Path(f, "models", "stories260K-f32.gguf"))
	gpt2 := loadTokenizer(f, testenv.Path(f, "vocab", "ggml-vocab-gpt-2.gguf"))
	coder := loadTokenizer(f, testenv.Path(f, "vocab", "ggml-vocab-deepseek-coder.gguf"))
	for _, s := range standardCases(f) {
		f.Add(s)
	}
	f.Add("\xff\xfe\xed\xa0\x80\xc0\x80\xf4\x90\x80\x80\xf7\xbf\xbf\xbf")
	f.Add("<s>a</s><unk><|endoftext|>")
	f.Fuzz(func(t *testing.T, s string) {
		for _, tok := range []*Tokenizer{spm, gpt2, coder} {
			for _, special := range []bool{false, true} {
				ids := tok.Encode(s, special, special)
				for _, id := range ids {
					if id < 0 || id >= tok.VocabSize() {
						t.Fatalf("id %d out of range for %q", id, s)
					}
				}
				back := tok.Decode(ids)
				// The stream decoder drops the space prefix only after a BOS
				// (mid-stream pieces keep their spaces), Decode also at the start.
				d := tok.NewStreamDecoder()
				streamed := ""
				if len(ids) == 0 || ids[0] != tok.BOS() {
					streamed += d.Add(tok.BOS())
				}
				for _, id := range ids {
					streamed += d.Add(id)
				}
				streamed += d.Flush()
				if streamed != back {
					t.Fatalf("stream %q != Decode %q", streamed, back)
				}
				if special {
					continue
				}
				switch tok {
				case spm:
					// Invalid UTF-8 need not survive: llama.cpp's SPM takes a
					// lead byte plus the next bytes as one symbol, even when
					// those belong to the "▁" that replaced a space.
					if utf8.ValidString(s) && back != s {
						t.Fatalf("SPM round trip %q -> %q", s, back)
					}
				case gpt2:
					if utf8.ValidString(s) && back != s {
						t.Fatalf("BPE round trip %q -> %q", s, back)
					}
				}
			}
		}
	})
}
