package synth

import (
	"fmt"
	"strings"

	"burrow/inference/gguf"
)

// SentencePiece token types as llama.cpp stores them in tokenizer.ggml.token_type.
const (
	tokNormal  int32 = 1
	tokUnknown int32 = 2
	tokControl int32 = 3
	tokUnused  int32 = 5
	tokByte    int32 = 6
)

// builtinChatTemplate is a minimal template so chat code paths work
// without a vocabulary file.
const builtinChatTemplate = "{% for message in messages %}{{ '<|' + message['role'] + '|>\\n' + message['content'] + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}"

// BuiltinVocab returns the tokenizer.* entries of a small SentencePiece
// ("llama") vocabulary: <unk>, <s>, </s>, the 256 byte tokens <0x00>..<0xFF>,
// and one piece per printable ASCII character (space written as ▁), padded
// with [PADn] tokens (type unused, as the converter pads) to size when size
// is larger. Every text can be encoded with it, byte by byte at worst.
func BuiltinVocab(size int) []gguf.KV {
	var tokens []string
	var scores []float32
	var types []int32
	add := func(s string, score float32, t int32) {
		tokens = append(tokens, s)
		scores = append(scores, score)
		types = append(types, t)
	}
	add("<unk>", 0, tokUnknown)
	add("<s>", 0, tokControl)
	add("</s>", 0, tokControl)
	for b := 0; b < 256; b++ {
		add(fmt.Sprintf("<0x%02X>", b), 0, tokByte)
	}
	for c := byte(' '); c <= '~'; c++ {
		s := string(c)
		if c == ' ' {
			s = "▁"
		}
		add(s, -float32(len(tokens)), tokNormal)
	}
	for i := 0; len(tokens) < size; i++ {
		add(fmt.Sprintf("[PAD%d]", i), -1000, tokUnused)
	}
	return []gguf.KV{
		{Key: "tokenizer.ggml.model", Type: gguf.ValString, Value: "llama"},
		{Key: "tokenizer.ggml.tokens", Type: gguf.ValArray, Value: gguf.Array{Type: gguf.ValString, Values: tokens}},
		{Key: "tokenizer.ggml.scores", Type: gguf.ValArray, Value: gguf.Array{Type: gguf.ValFloat32, Values: scores}},
		{Key: "tokenizer.ggml.token_type", Type: gguf.ValArray, Value: gguf.Array{Type: gguf.ValInt32, Values: types}},
		{Key: "tokenizer.ggml.bos_token_id", Type: gguf.ValUint32, Value: uint32(1)},
		{Key: "tokenizer.ggml.eos_token_id", Type: gguf.ValUint32, Value: uint32(2)},
		{Key: "tokenizer.ggml.unknown_token_id", Type: gguf.ValUint32, Value: uint32(0)},
		{Key: "tokenizer.ggml.add_bos_token", Type: gguf.ValBool, Value: true},
		{Key: "tokenizer.ggml.add_eos_token", Type: gguf.ValBool, Value: false},
		{Key: "tokenizer.chat_template", Type: gguf.ValString, Value: builtinChatTemplate},
	}
}

// vocabFromFile copies every tokenizer.* entry of a GGUF file.
func vocabFromFile(path string) ([]gguf.KV, error) {
	f, err := gguf.Open(path)
	if err != nil {
		return nil, fmt.Errorf("synth: vocabulary: %w", err)
	}
	defer f.Close()
	var out []gguf.KV
	for _, kv := range f.KVs {
		if strings.HasPrefix(kv.Key, "tokenizer.") {
			out = append(out, kv) // values are copies, safe after Close
		}
	}
	if _, ok := f.Strings("tokenizer.ggml.tokens"); !ok {
		return nil, fmt.Errorf("synth: %s has no tokenizer.ggml.tokens", path)
	}
	return out, nil
}

func vocabSize(kvs []gguf.KV) int {
	for _, kv := range kvs {
		if kv.Key == "tokenizer.ggml.tokens" {
			if a, ok := kv.Value.(gguf.Array); ok {
				return a.Len()
			}
		}
	}
	return 0
}
