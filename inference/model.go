package inference

import (
	"burrow/inference/toolcall"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"

	"burrow/inference/chat"
	"burrow/inference/gguf"
	"burrow/inference/grammar"
	"burrow/inference/llama"
	"burrow/inference/tensor"
	"burrow/inference/tokenizer"
)

// Model bundles what running a GGUF file takes: the mapped file, the
// weights, and its Vocab (tokenizer and chat template). It stays valid
// until Close; the Vocab outlives it.
type Model struct {
	File *gguf.File
	LM   *llama.Model
	*Vocab
	Info ModelInfo
	// Threads and ContextLength resolve the LoadOptions (0 = automatic).
	Threads       int
	ContextLength int
	// KV is the KV cache type NewState makes (LoadOptions.KV).
	KV llama.KVType
}

// Vocab is the text side of a model: its tokenizer and chat template. It
// holds no mapped memory, so it stays usable after the model is closed, and
// it is safe for concurrent use.
type Vocab struct {
	Tok      *tokenizer.Tokenizer
	meta     chat.Meta
	prompter *chat.Prompter // the file's chat template, or a built-in
	// prompterErr is why no template could be chosen: only chat needs one,
	// so a plain-text run still works.
	prompterErr error

	// The vocabulary as a byte trie for grammar masks, built on first use.
	grammarOnce  sync.Once
	grammarVocab *grammar.Vocab
	grammarErr   error
}

// GrammarVocab is the vocabulary prepared for grammar-constrained
// sampling (grammar.NewConstraint), built once and then shared.
func (v *Vocab) GrammarVocab() (*grammar.Vocab, error) {
	v.grammarOnce.Do(func() {
		n := v.Tok.VocabSize()
		pieces := make([][]byte, n)
		var eog []int
		for id := range n {
			pieces[id] = v.Tok.Piece(id) // control tokens have none: never allowed
			if v.Tok.IsEOG(id) {
				eog = append(eog, id)
			}
		}
		v.grammarVocab, v.grammarErr = grammar.NewVocab(pieces, eog)
	})
	return v.grammarVocab, v.grammarErr
}

// LoadVocab reads the tokenizer and chat template of the GGUF file at path,
// without its weights (a vocabulary-only file is fine).
func LoadVocab(path string) (*Vocab, error) {
	f, err := gguf.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return vocabOf(f)
}

// vocabOf reads f's tokenizer and chat template.
func vocabOf(f *gguf.File) (*Vocab, error) {
	tok, err := tokenizer.FromGGUF(f)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	meta := chat.MetaFromGGUF(f)
	prompter, perr := chat.NewPrompter(meta, "")
	return &Vocab{Tok: tok, meta: meta, prompter: prompter, prompterErr: perr}, nil
}

// Reasoning is how the model's chat template marks reasoning ("think",
// "harmony", "channel" or "") and whether it can be turned off (ModelInfo).
func (m *Vocab) Reasoning() (syntax string, canSwitch bool) {
	if m.prompter == nil {
		return "", false
	}
	src := m.prompter.Source()
	switch ReasoningOf(src, "").Syntax {
	case ReasoningThinkTags:
		syntax = "think"
	case ReasoningHarmony:
		syntax = "harmony"
	case ReasoningChannel:
		syntax = "channel"
	}
	return syntax, ThinkSwitch(src)
}

// toolFormat is how the model's template writes tool calls (ModelInfo).
func (m *Vocab) toolFormat() int {
	if m.prompter == nil {
		return int(toolcall.None)
	}
	return int(toolcall.FormatOf(m.prompter.Source()))
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
	v, err := vocabOf(f)
	if err != nil {
		return nil, err
	}
	if v.Tok.VocabSize() > lm.Config.VocabSize {
		return nil, fmt.Errorf("the vocabulary has %d tokens but the embedding only %d rows", v.Tok.VocabSize(), lm.Config.VocabSize)
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
	reasoning, thinkSwitch := v.Reasoning()
	return &Model{
		File: f, LM: lm, Vocab: v,
		Threads: threads, ContextLength: ctxLen, KV: opts.KV,
		Info: ModelInfo{
			Path:          path,
			Name:          f.StringOr("general.name", strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))),
			Architecture:  f.Architecture(),
			ContextLength: ctxLen,
			Fingerprint:   Fingerprint(f),
			Pooling:       poolingName(lm.Config.Pooling),
			Reasoning:     reasoning,
			ThinkSwitch:   thinkSwitch,
			ToolFormat:    v.toolFormat(),
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
func (m *Vocab) Tokenize(text string) []int {
	return m.Tok.Encode(text, true, false)
}

// Prompt is a conversation as the model reads it.
type Prompt struct {
	Tokens   []int
	Text     string // the rendered template
	Template string // the name of the template used
	FellBack error  // why the model's template was replaced by a built-in
	// Reasoning is how replies to it mark their reasoning.
	Reasoning ReasoningFormat
}

// Prompt renders msgs with the model's chat template (and the generation
// prompt) and tokenizes the text with special tokens parsed, adding the BOS
// token only when the template did not write it: the tokens a reply to msgs
// starts from.
func (m *Vocab) Prompt(msgs []chat.Message) (Prompt, error) {
	if m.prompterErr != nil {
		return Prompt{}, m.prompterErr
	}
	return m.render(m.prompter, msgs, nil)
}

// PromptWith is Prompt with template variables (GenerateRequest.TemplateVars).
func (m *Vocab) PromptWith(msgs []chat.Message, vars map[string]any) (Prompt, error) {
	if m.prompterErr != nil {
		return Prompt{}, m.prompterErr
	}
	return m.render(m.prompter, msgs, vars)
}

// render is Prompt with a given template and variables.
func (m *Vocab) render(p *chat.Prompter, msgs []chat.Message, vars map[string]any) (Prompt, error) {
	r, err := p.Render(msgs, chat.RenderOptions{AddGenerationPrompt: true, Vars: vars})
	if err != nil {
		return Prompt{}, fmt.Errorf("chat template: %w", err)
	}
	bosText := m.meta.BOS
	addSpecial := bosText == "" || !strings.HasPrefix(r.Text, bosText)
	tokens := m.Tok.Encode(r.Text, addSpecial, true)
	// Never two BOS tokens in a row, whatever the template and vocabulary did.
	if bos := m.Tok.BOS(); len(tokens) >= 2 && tokens[0] == bos && tokens[1] == bos {
		tokens = tokens[1:]
	}
	if len(tokens) == 0 {
		return Prompt{}, errors.New("the conversation renders to no tokens")
	}
	return Prompt{Tokens: tokens, Text: r.Text, Template: r.Template, FellBack: r.FellBack,
		Reasoning: ReasoningOf(r.Source, r.Text)}, nil
}

// Close unmaps the file; the model must not be used afterwards.
func (m *Model) Close() error { return m.File.Close() }

// poolingName is ModelInfo.Pooling: "" for a chat model.
func poolingName(p llama.Pooling) string {
	if p == llama.PoolNone {
		return ""
	}
	return p.String()
}
