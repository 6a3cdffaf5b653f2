package inference

import (
	"fmt"
	"path/filepath"
	"strings"

	"burrow/inference/gguf"
	"burrow/inference/llama"
	"burrow/inference/tensor"
	"burrow/inference/tokenizer"
)

// Model bundles what running a GGUF file takes: the mapped file, the
// weights and the tokenizer. It stays valid until Close.
type Model struct {
	File *gguf.File
	LM   *llama.Model
	Tok  *tokenizer.Tokenizer
	Info ModelInfo
	// Threads and ContextLength resolve the LoadOptions (0 = automatic).
	Threads       int
	ContextLength int
	// KV is the KV cache type NewState makes (default F32).
	KV llama.KVType
}

// maxDefaultContext caps the context when LoadOptions leave it to the model.
const maxDefaultContext = 4096

// LoadModel opens a GGUF file, checks that Burrow can run it, and builds
// its weights (views of the mapping) and tokenizer. The KV cache is made
// separately by NewState.
func LoadModel(path string, opts LoadOptions) (*Model, error) {
	f, err := gguf.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	m, err := newModel(path, f, opts)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	return m, nil
}

func newModel(path string, f *gguf.File, opts LoadOptions) (*Model, error) {
	lm, err := llama.Load(f)
	if err != nil {
		return nil, err
	}
	tok, err := tokenizer.FromGGUF(f)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	if tok.VocabSize() > lm.Config.VocabSize {
		return nil, fmt.Errorf("the vocabulary has %d tokens but the embedding only %d rows", tok.VocabSize(), lm.Config.VocabSize)
	}
	ctxLen := opts.ContextLength
	if ctxLen <= 0 {
		ctxLen = lm.Config.ContextLen
		if ctxLen <= 0 || ctxLen > maxDefaultContext {
			ctxLen = maxDefaultContext
		}
	}
	threads := opts.Threads
	if threads <= 0 {
		threads = tensor.DefaultThreads()
	}
	return &Model{
		File: f, LM: lm, Tok: tok,
		Threads: threads, ContextLength: ctxLen,
		Info: ModelInfo{
			Path:          path,
			Name:          f.StringOr("general.name", strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))),
			Architecture:  f.Architecture(),
			ContextLength: ctxLen,
			Fingerprint:   Fingerprint(f),
		},
	}, nil
}

// NewState makes a KV cache for the model's context length, checking
// first that the memory is available.
func (m *Model) NewState() (*llama.State, error) {
	return m.LM.NewStateWith(llama.StateOptions{Context: m.ContextLength, Threads: m.Threads, KV: m.KV})
}

// Tokenize encodes a plain-text prompt the way llama.cpp does by default:
// BOS added when the vocabulary asks for it, special tokens not parsed.
func (m *Model) Tokenize(text string) []int {
	return m.Tok.Encode(text, true, false)
}

// Close unmaps the file; the model must not be used afterwards.
func (m *Model) Close() error { return m.File.Close() }
