package tokenizer

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"burrow/inference/gguf"
	"burrow/internal/testenv"
)

// standardCases are llama.cpp's tokenizer test strings.
func standardCases(t testing.TB) []string {
	t.Helper()
	data, err := os.ReadFile(testenv.Path(t, "vocab", "ggml-vocab-llama-spm.gguf.inp"))
	if err != nil {
		t.Fatal(err)
	}
	cases := strings.Split(string(data), caseSeparator)
	return append(cases[:len(cases)-1],
		"héllo wörld — 日本語 🙂🙃 \u00a0\u2003x\r\n\t\t  end  ",
		"<|endoftext|> <s> </s> <|im_end|> [INST]", "'s 'S 'LL 'Ve don't I'M",
		"1234567 3.14159 ١٢٣ ½", "\x00\x01\x7f")
}

// TestRoundTrip checks Decode(Encode(s)) == s for every vocabulary and
// test string the vocabulary can represent: SentencePiece vocabularies
// without the needed byte tokens fall back to <unk>, which cannot.
func TestRoundTrip(t *testing.T) {
	ggufs, _ := filepath.Glob(filepath.Join(testenv.Path(t, "vocab"), "*.gguf"))
	ggufs = append(ggufs, testenv.Path(t, "models", "stories260K-f32.gguf"))
	cases := standardCases(t)
	for _, g := range ggufs {
		t.Run(strings.TrimSuffix(filepath.Base(g), ".gguf"), func(t *testing.T) {
			tok := loadTokenizer(t, g)
			checked := 0
			for _, s := range cases {
				for _, addSpecial := range []bool{false, true} {
					ids := tok.Encode(s, addSpecial, false)
					if tok.Unknown() >= 0 && slices.Contains(ids, tok.Unknown()) {
						continue
					}
					checked++
					if got := tok.Decode(ids); got != s {
						t.Errorf("addSpecial=%v: Decode(Encode(%q)) = %q (ids%s)", addSpecial, s, got, idsString(ids))
					}
				}
			}
			t.Logf("%d round trips checked", checked)
		})
	}
}

// TestStreamDecoderSplitCharacter feeds characters that the vocabulary
// spells as several tokens (SentencePiece byte fallback, byte-level BPE
// pieces of an emoji): each must come out once, whole.
func TestStreamDecoderSplitCharacter(t *testing.T) {
	tests := []struct {
		rel  []string
		text string
	}{
		{[]string{"models", "stories260K-f32.gguf"}, "Once 日本 🙂 é!"},
		{[]string{"vocab", "ggml-vocab-gpt-2.gguf"}, "llama 🦙🦙 日本語 ✅"},
	}
	for _, tc := range tests {
		tok := loadTokenizer(t, testenv.Path(t, tc.rel...))
		ids := tok.Encode(tc.text, true, false)
		partial := 0 // tokens whose piece is not valid UTF-8 on its own
		for _, id := range ids {
			if !utf8.Valid(tok.Piece(id)) {
				partial++
			}
		}
		if partial < 2 {
			t.Fatalf("%s: expected tokens holding parts of characters in %v", tc.rel[1], ids)
		}
		d := tok.NewStreamDecoder()
		var chunks []string
		for _, id := range ids {
			if s := d.Add(id); s != "" {
				if !utf8.ValidString(s) {
					t.Fatalf("%s: stream emitted invalid UTF-8 %q", tc.rel[1], s)
				}
				chunks = append(chunks, s)
			}
		}
		if rest := d.Flush(); rest != "" {
			t.Fatalf("%s: Flush returned %q, want nothing pending", tc.rel[1], rest)
		}
		if got := strings.Join(chunks, ""); got != tc.text {
			t.Fatalf("%s: streamed %q, want %q (leading space after BOS must go)", tc.rel[1], got, tc.text)
		}
	}
}

func TestStreamDecoderTable(t *testing.T) {
	tests := []struct {
		in   []string
		want []string
	}{
		{[]string{"a", "b"}, []string{"a", "b"}},
		{[]string{"\xe6", "\x97", "\xa5x"}, []string{"", "", "日x"}},
		{[]string{"\xf0\x9f", "\x99\x82"}, []string{"", "🙂"}},
		{[]string{"\xff", "a"}, []string{"\xff", "a"}}, // never valid: not held back
		{[]string{"\xe6\x41"}, []string{"\xe6A"}},      // broken sequence passes through
		{[]string{"ok\xc3"}, []string{"ok"}},           // held until completed
		{[]string{"\xed\xa0"}, []string{"\xed\xa0"}},   // surrogate prefix: never valid
	}
	for _, tc := range tests {
		d := &StreamDecoder{}
		for i, in := range tc.in {
			d.pending = append(d.pending, in...)
			if got := d.take(); got != tc.want[i] {
				t.Errorf("%q step %d: got %q want %q", tc.in, i, got, tc.want[i])
			}
		}
	}
}

func TestParseSpecialAndEOG(t *testing.T) {
	tok := loadTokenizer(t, testenv.Path(t, "vocab", "ggml-vocab-llama-bpe.gguf"))
	eot, ok := tok.TokenID("<|eot_id|>")
	if !ok {
		t.Fatal("no <|eot_id|>")
	}
	text := "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
	with := tok.Encode(text, true, true)
	if with[0] != tok.BOS() || with[len(with)-1] != eot {
		t.Fatalf("parseSpecial: got%s", idsString(with))
	}
	without := tok.Encode(text, false, false)
	if slices.Contains(without, eot) {
		t.Fatalf("user text must not produce <|eot_id|>: %v", without)
	}
	if !tok.IsEOG(eot) || !tok.IsEOG(tok.EOS()) || tok.IsEOG(tok.BOS()) {
		t.Fatalf("IsEOG wrong: eot %v eos %v bos %v", tok.IsEOG(eot), tok.IsEOG(tok.EOS()), tok.IsEOG(tok.BOS()))
	}
	if got := tok.Decode(with); got != "user\n\nHi" {
		t.Fatalf("Decode skips control tokens: got %q", got)
	}
	if got := tok.DecodeSpecial(with); got != "<|begin_of_text|>"+text {
		t.Fatalf("DecodeSpecial: got %q", got)
	}

	qwen := loadTokenizer(t, testenv.Path(t, "vocab", "ggml-vocab-qwen2.gguf"))
	imEnd, _ := qwen.TokenID("<|im_end|>")
	endText, _ := qwen.TokenID("<|endoftext|>")
	if !qwen.IsEOG(imEnd) || !qwen.IsEOG(endText) || qwen.AddBOS() {
		t.Fatalf("qwen2: IsEOG(im_end)=%v IsEOG(endoftext)=%v AddBOS=%v", qwen.IsEOG(imEnd), qwen.IsEOG(endText), qwen.AddBOS())
	}
	if ids := qwen.Encode("<|im_start|>user\nhi<|im_end|>", false, true); len(ids) != 5 || ids[4] != imEnd {
		t.Fatalf("qwen2 chat ids%s", idsString(ids))
	}
}

func TestStoriesMetadataDefaults(t *testing.T) {
	tok := loadTokenizer(t, testenv.Path(t, "models", "stories260K-f32.gguf"))
	if tok.VocabSize() != 512 || tok.BOS() != 1 || tok.EOS() != 2 || tok.Unknown() != 0 || !tok.AddBOS() || tok.AddEOS() {
		t.Fatalf("vocab %d bos %d eos %d unk %d addBOS %v addEOS %v",
			tok.VocabSize(), tok.BOS(), tok.EOS(), tok.Unknown(), tok.AddBOS(), tok.AddEOS())
	}
	if !tok.IsEOG(2) || tok.IsEOG(1) {
		t.Fatal("EOS must be the only EOG")
	}
	if got := string(tok.Piece(259 + 0)); got == "" {
		t.Fatal("first normal token renders empty")
	}
	if p := tok.Piece(3 + 'A'); string(p) != "A" {
		t.Fatalf("byte token <0x41> renders %q", p)
	}
	if p := tok.Piece(1); len(p) != 0 {
		t.Fatalf("BOS renders %q without special", p)
	}
	if p := tok.PieceSpecial(1); string(p) != "<s>" {
		t.Fatalf("BOS renders %q with special", p)
	}
}

// minimalGGUF writes a GGUF v3 header with string metadata only; a value
// holding "|" is written as an array of strings split there.
func minimalGGUF(kvs map[string]string) []byte {
	var b []byte
	b = append(b, "GGUF"...)
	b = binary.LittleEndian.AppendUint32(b, 3)
	b = binary.LittleEndian.AppendUint64(b, 0)
	b = binary.LittleEndian.AppendUint64(b, uint64(len(kvs)))
	str := func(s string) {
		b = binary.LittleEndian.AppendUint64(b, uint64(len(s)))
		b = append(b, s...)
	}
	keys := make([]string, 0, len(kvs))
	for k := range kvs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		str(k)
		if strings.Contains(kvs[k], "|") {
			parts := strings.Split(kvs[k], "|")
			b = binary.LittleEndian.AppendUint32(b, 9) // array
			b = binary.LittleEndian.AppendUint32(b, 8) // of strings
			b = binary.LittleEndian.AppendUint64(b, uint64(len(parts)))
			for _, p := range parts {
				str(p)
			}
			continue
		}
		b = binary.LittleEndian.AppendUint32(b, 8) // string
		str(kvs[k])
	}
	return b
}

// TestTinySyntheticVocab builds a BPE vocabulary from scratch: merges
// apply by rank and bytes without a token are dropped, as in llama.cpp.
func TestTinySyntheticVocab(t *testing.T) {
	f, err := gguf.Parse(minimalGGUF(map[string]string{
		"tokenizer.ggml.model":  "gpt2",
		"tokenizer.ggml.pre":    "gpt-2",
		"tokenizer.ggml.tokens": "a|b|c|ab|abc|Ġ|Ġa",
		"tokenizer.ggml.merges": "a b|ab c|Ġ a",
	}))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := FromGGUF(f)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		text string
		want string
	}{
		{"abc", " 4"},
		{"ab", " 3"},
		{"abcab a", " 4 3 6"},
		{"cba", " 2 1 0"},
		{"xyz", ""},
	}
	for _, tc := range tests {
		if got := idsString(tok.Encode(tc.text, false, false)); got != tc.want {
			t.Errorf("%q: got%q want%q", tc.text, got, tc.want)
		}
	}
}

func TestUnsupportedModels(t *testing.T) {
	tests := []struct {
		kvs  map[string]string
		want string
	}{
		{map[string]string{"tokenizer.ggml.model": "bert"}, `unsupported tokenizer model "bert" (supported: llama, gpt2)`},
		{map[string]string{"tokenizer.ggml.model": "t5"}, `unsupported tokenizer model "t5"`},
		{map[string]string{"general.architecture": "llama"}, "no tokenizer.ggml.model"},
		{map[string]string{"tokenizer.ggml.model": "llama"}, "no tokenizer.ggml.tokens"},
		{map[string]string{"tokenizer.ggml.model": "gpt2"}, "without tokenizer.ggml.merges"},
		{map[string]string{"tokenizer.ggml.model": "gpt2", "tokenizer.ggml.merges": "a b|c d", "tokenizer.ggml.pre": "martian"},
			`unsupported BPE pre-tokenizer "martian"`},
	}
	for _, tc := range tests {
		f, err := gguf.Parse(minimalGGUF(tc.kvs))
		if err != nil {
			t.Fatal(err)
		}
		_, err = FromGGUF(f)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: got error %v, want %q", tc.kvs, err, tc.want)
		}
	}
}

// TestGPTNeoxAndBaichuanLoad covers the vocabularies without test cases.
func TestGPTNeoxAndBaichuanLoad(t *testing.T) {
	for _, name := range []string{"ggml-vocab-gpt-neox.gguf", "ggml-vocab-baichuan.gguf"} {
		tok := loadTokenizer(t, testenv.Path(t, "vocab", name))
		s := "Hello world, 123 héllo"
		if got := tok.Decode(tok.Encode(s, true, false)); got != s {
			t.Errorf("%s: round trip %q", name, got)
		}
	}
}

// TestLongInputs runs 100 000 characters without a space through each
// kind of splitter (no timing assertion: it must simply finish).
func TestLongInputs(t *testing.T) {
	inputs := []string{
		strings.Repeat("a", 100000),
		strings.Repeat("日", 100000),
		strings.Repeat("1", 100000),
		strings.Repeat("!", 100000),
		strings.Repeat("ab1.", 25000),
		strings.Repeat(" ", 100000) + "x",
	}
	if testing.Short() {
		inputs = inputs[:1]
	}
	for _, name := range []string{"ggml-vocab-llama-bpe.gguf", "ggml-vocab-qwen2.gguf", "ggml-vocab-deepseek-llm.gguf", "ggml-vocab-llama-spm.gguf"} {
		tok := loadTokenizer(t, testenv.Path(t, "vocab", name))
		for _, s := range inputs {
			ids := tok.Encode(s, false, false)
			if len(ids) == 0 {
				t.Fatalf("%s: no tokens", name)
			}
			if got := tok.Decode(ids); got != s {
				t.Errorf("%s: long input (%q...) does not round trip", name, s[:8])
			}
		}
	}
}
