// Package tokenizer turns text into token ids and back, using the vocabulary
// stored in a GGUF file (the tokenizer.ggml.* keys). It follows llama.cpp's
// llama-vocab.cpp token for token, because a model must see exactly the ids
// it was trained on: SentencePiece ("llama") and byte-level BPE ("gpt2"),
// with the BPE pre-tokenizer chosen by tokenizer.ggml.pre (see
// preConfigFor). Other models (bert, t5, rwkv, gemma4, ...) and the
// pre-tokenizers that need their own splitter (kimi-k2, afmoe, ...) are
// reported as unsupported.
//
// Encoding matches llama.cpp exactly, including its handling of invalid
// UTF-8. Decoding renders pieces like llama_token_to_piece but does not
// apply llama.cpp's clean_spaces rewriting (" ." -> "."), so text survives
// a round trip unchanged.
package tokenizer

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"burrow/inference/gguf"
)

// Model is the tokenizer algorithm named by tokenizer.ggml.model.
type Model int

const (
	ModelSPM Model = iota + 1 // "llama": SentencePiece, score-driven merges
	ModelBPE                  // "gpt2": byte-level BPE with merge ranks
)

// Token types as stored in tokenizer.ggml.token_type.
const (
	TypeUndefined   = 0
	TypeNormal      = 1
	TypeUnknown     = 2
	TypeControl     = 3
	TypeUserDefined = 4
	TypeUnused      = 5
	TypeByte        = 6
)

// attr mirrors llama.cpp's llama_token_attr bit set.
type attr uint16

const (
	attrUnknown attr = 1 << iota
	attrUnused
	attrNormal
	attrControl
	attrUserDefined
	attrByte
	attrNormalized
	attrLStrip
	attrRStrip
	attrSingleWord
)

// Tokenizer is immutable after FromGGUF and safe for concurrent use.
type Tokenizer struct {
	model     Model
	modelName string // tokenizer.ggml.model
	pre       string // tokenizer.ggml.pre

	texts  []string
	scores []float32
	attrs  []attr
	ids    map[string]int32 // text -> id; a later duplicate wins, as in llama.cpp

	bos, eos, eot, eom, unk, sep, pad, mask int
	fim                                     [numFIM]int // pre, suf, mid, pad, rep, sep
	eog                                     map[int]bool

	addBOS, addEOS, addSpacePrefix bool
	ignoreMerges                   bool

	special []int // control / user-defined / unknown ids, longest text first

	// BPE only.
	ranks    map[uint64]int32 // merge rank by the ids of its two sides (pairKey)
	ranksStr map[string]int32 // "left\x00right" for merges with a side that is no token
	splitter *preTokenizer
	cache    wordCache

	// Built on first use, so that opening a model costs only the token
	// list: with a 128k vocabulary these tables were most of the time to
	// open, and a front end may only inspect the file.
	ranksOnce  sync.Once
	merges     []string // until ranks are built
	piecesOnce sync.Once
	pieces     [][]byte // token_to_piece(special=true)
}

const null = -1

// FromGGUF builds the tokenizer from a model or vocabulary-only GGUF file.
func FromGGUF(f *gguf.File) (*Tokenizer, error) {
	var bpeMerges []string
	model, _ := f.String("tokenizer.ggml.model")
	pre, _ := f.String("tokenizer.ggml.pre")
	t := &Tokenizer{modelName: model, pre: pre, eot: null, eom: null, mask: null}
	switch model {
	case "llama":
		t.model = ModelSPM
		t.bos, t.eos, t.unk, t.sep, t.pad = 1, 2, 0, null, null
		t.addSpacePrefix, t.addBOS, t.addEOS = true, true, false
	case "gpt2":
		t.model = ModelBPE
		t.bos, t.eos, t.unk, t.sep, t.pad = 11, 11, null, null, null
		merges, ok := f.Strings("tokenizer.ggml.merges")
		if !ok {
			return nil, fmt.Errorf("tokenizer: gpt2 vocabulary without tokenizer.ggml.merges")
		}
		bpeMerges = merges
		if err := t.configurePre(pre); err != nil {
			return nil, err
		}
	case "":
		return nil, fmt.Errorf("tokenizer: the file has no tokenizer.ggml.model key")
	default:
		return nil, fmt.Errorf("unsupported tokenizer model %q (supported: llama, gpt2)", model)
	}
	t.addSpacePrefix = f.BoolOr("tokenizer.ggml.add_space_prefix", t.addSpacePrefix)

	if err := t.loadTokens(f); err != nil {
		return nil, err
	}
	t.merges = bpeMerges
	t.loadSpecialIDs(f)
	t.addBOS = f.BoolOr("tokenizer.ggml.add_bos_token", t.addBOS)
	t.addEOS = f.BoolOr("tokenizer.ggml.add_eos_token", t.addEOS)
	t.detectByText()
	t.setModelAttrs(f)
	t.buildSpecialCache()
	return t, nil
}

// loadRanks indexes the merges by their sides' token ids: a map of 280k
// integer keys builds several times faster than one of concatenated
// strings, which was most of the time a 128k-vocabulary model took to
// open. A side that is no token (never in a sane vocabulary) goes by text.
func (t *Tokenizer) loadRanks(merges []string) {
	if merges == nil {
		return
	}
	t.ranks = make(map[uint64]int32, len(merges))
	// Backwards, so that when a pair is listed twice the first (lowest)
	// rank is the one left in the map, without a lookup per merge.
	for i := len(merges) - 1; i >= 0; i-- {
		m := merges[i]
		// Split at the first space after the first byte, like llama.cpp
		// (a merge may start with a space-like byte symbol).
		first, second := "", ""
		if p := strings.IndexByte(m[min(1, len(m)):], ' '); p >= 0 {
			p += min(1, len(m))
			first, second = m[:p], m[p+1:]
		}
		l, lok := t.ids[first]
		r, rok := t.ids[second]
		if lok && rok {
			t.ranks[pairKey(l, r)] = int32(i)
			continue
		}
		if t.ranksStr == nil {
			t.ranksStr = map[string]int32{}
		}
		t.ranksStr[first+"\x00"+second] = int32(i)
	}
}

func pairKey(l, r int32) uint64 { return uint64(uint32(l))<<32 | uint64(uint32(r)) }

func (t *Tokenizer) loadTokens(f *gguf.File) error {
	texts, ok := f.Strings("tokenizer.ggml.tokens")
	if !ok {
		return fmt.Errorf("tokenizer: the file has no tokenizer.ggml.tokens array")
	}
	n := len(texts)
	scores, hasScores := f.Float32s("tokenizer.ggml.scores")
	if hasScores && len(scores) < n {
		return fmt.Errorf("tokenizer: %d scores for %d tokens", len(scores), n)
	}
	types, hasTypes := f.Int32s("tokenizer.ggml.token_type")
	if hasTypes && len(types) < n {
		return fmt.Errorf("tokenizer: %d token types for %d tokens", len(types), n)
	}
	t.texts = make([]string, n)
	t.scores = make([]float32, n)
	t.attrs = make([]attr, n)
	t.ids = make(map[string]int32, n)
	for i, s := range texts {
		if s == "" {
			s = "[EMPTY_" + strconv.Itoa(i) + "]"
		}
		t.texts[i] = s
		t.ids[s] = int32(i)
		if hasScores {
			t.scores[i] = scores[i]
		}
		t.attrs[i] = attrNormal
		if hasTypes {
			t.attrs[i] = typeAttr(types[i])
		}
	}
	return nil
}

// tokenTypes pairs each stored token type with its attribute, in the
// order TokenType tests the attributes.
var tokenTypes = [...]struct {
	typ  int32
	attr attr
}{
	{TypeUserDefined, attrUserDefined},
	{TypeUnused, attrUnused},
	{TypeControl, attrControl},
	{TypeUnknown, attrUnknown},
	{TypeByte, attrByte},
	{TypeNormal, attrNormal},
}

func typeAttr(ty int32) attr {
	for _, e := range tokenTypes {
		if e.typ == ty {
			return e.attr
		}
	}
	return 0
}

// loadSpecialIDs reads the special token ids; out-of-range values (such as
// 0xFFFFFFFF for "none") keep the default, as llama.cpp does.
func (t *Tokenizer) loadSpecialIDs(f *gguf.File) {
	for i := range t.fim {
		t.fim[i] = null
	}
	fimPre, fimSuf, fimMid, fimPad, fimRep, fimSep := &t.fim[0], &t.fim[1], &t.fim[2], &t.fim[3], &t.fim[4], &t.fim[5]
	keys := []struct {
		key string
		id  *int
	}{
		{"bos_token_id", &t.bos}, {"eos_token_id", &t.eos}, {"eot_token_id", &t.eot},
		{"eom_token_id", &t.eom}, {"unknown_token_id", &t.unk}, {"seperator_token_id", &t.sep},
		{"padding_token_id", &t.pad}, {"mask_token_id", &t.mask},
		{"fim_pre_token_id", fimPre}, {"fim_suf_token_id", fimSuf}, {"fim_mid_token_id", fimMid},
		{"fim_pad_token_id", fimPad}, {"fim_rep_token_id", fimRep}, {"fim_sep_token_id", fimSep},
		{"prefix_token_id", fimPre}, {"suffix_token_id", fimSuf}, {"middle_token_id", fimMid},
	}
	n := len(t.texts)
	for _, k := range keys {
		if *k.id >= n {
			*k.id = null
		}
		if v, ok := f.Uint("tokenizer.ggml." + k.key); ok && v < uint64(n) {
			*k.id = int(v)
		}
	}
}

const numFIM = 6

// fimTexts are the texts llama.cpp recognises for the FIM tokens, by slot.
var fimTexts = [numFIM][]string{
	{"<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>", "<PRE>", "▁<PRE>", "<|code_prefix|>", "<|prefix|>"},
	{"<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<｜fim▁hole｜>", "<SUF>", "▁<SUF>", "<|code_suffix|>", "<|suffix|>"},
	{"<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>", "<MID>", "▁<MID>", "<|code_middle|>", "<|middle|>"},
	{"<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"},
	{"<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"},
	{"<|file_sep|>"},
}

// eogTexts are the token texts llama.cpp treats as end of generation.
var eogTexts = map[string]bool{
	"<|eot_id|>": true, "<|im_end|>": true, "<|end|>": true, "<|return|>": true,
	"<|call|>": true, "<|flush|>": true, "<|calls|>": true, "<end_of_turn>": true,
	"<|endoftext|>": true, "</s>": true, "<|eom_id|>": true, "<EOT>": true,
	"_<EOT>": true, "[EOT]": true, "[EOS]": true, "<|end_of_text|>": true,
	"<end_of_utterance>": true, "<eos>": true, "<turn|>": true, "<|tool_response>": true,
	"<｜end▁of▁sentence｜>": true, "[e~[": true,
}

var eotTexts = map[string]bool{
	"<|eot_id|>": true, "<|im_end|>": true, "<|end|>": true, "<end_of_turn>": true,
	"<|endoftext|>": true, "<|end_of_text|>": true, "<EOT>": true, "_<EOT>": true,
	"[EOT]": true, "<｜end▁of▁sentence｜>": true, "<end_of_utterance>": true,
}

// detectByText applies llama.cpp's text-based special token detection: EOT,
// EOM, the EOG set and the tokens it forces to CONTROL or USER_DEFINED.
func (t *Tokenizer) detectByText() {
	// The texts are a small fixed set, so look them up rather than scan the
	// vocabulary (128k+ tokens in recent models). t.ids holds, for a text
	// that appears twice, the entry llama.cpp sees; among several texts for
	// one role the lowest id wins, as in llama.cpp's scan.
	first := func(texts []string) int {
		best := null
		for _, s := range texts {
			if id, ok := t.ids[s]; ok && (best == null || int(id) < best) {
				best = int(id)
			}
		}
		return best
	}
	if id := first(slices.Collect(maps.Keys(eotTexts))); t.eot == null && id != null {
		t.eot = id
		t.attrs[id] |= attrControl
	}
	if id := first([]string{"<|eom_id|>"}); t.eom == null && id != null {
		t.eom = id
		t.attrs[id] |= attrControl
	}
	for slot, texts := range fimTexts {
		if id := first(texts); t.fim[slot] == null && id != null {
			t.fim[slot] = id
			t.attrs[id] |= attrControl
		}
	}
	for id, s := range t.texts {
		if t.attrs[id]&attrControl != 0 && strings.Contains(s, "unused") && int(t.ids[s]) == id {
			t.attrs[id] |= attrUnused
		}
	}
	t.eog = map[int]bool{}
	for _, id := range t.fim[3:] { // pad, rep, sep end generation
		if id != null {
			t.eog[id] = true
		}
	}
	for s := range eogTexts {
		if id, ok := t.ids[s]; ok {
			t.eog[int(id)] = true
			t.attrs[id] |= attrControl
		}
	}
	// gpt-oss's harmony markers and Gemma 4's channel, tool-call and quote
	// markers are printed: the reply parsers read them (llama.cpp's
	// converter writes Gemma 4's as user-defined for the same reason).
	for _, s := range []string{"<|channel|>", "<|message|>", "<|start|>", "<|constrain|>",
		"<|channel>", "<channel|>", "<|tool_call>", "<tool_call|>", "<|tool_response>", "<tool_response|>", `<|"|>`} {
		if id, ok := t.ids[s]; ok {
			t.attrs[id] = attrUserDefined
		}
	}
	for _, id := range []int{t.eos, t.eot, t.eom} {
		if id != null {
			t.eog[id] = true
		}
	}
	// o200k_harmony / solar-open: "<|end|>" is not the end of generation there.
	has := func(s string) bool { id, ok := t.ids[s]; return ok && t.eog[int(id)] }
	if end, ok := t.ids["<|end|>"]; ok && t.eog[int(end)] &&
		((has("<|return|>") && (has("<|call|>") || has("<|calls|>"))) || (has("<|flush|>") && (has("<|call|>") || has("<|calls|>")))) {
		delete(t.eog, int(end))
		t.attrs[end] = attrUserDefined
	}
	// gemma4 / paddleocr: "</s>" is not EOG when "<|tool_response>" is.
	if s, ok := t.ids["</s>"]; ok && has("<|tool_response>") && t.eog[int(s)] {
		delete(t.eog, int(s))
		t.attrs[s] = attrNormal
	}
}

func (t *Tokenizer) buildSpecialCache() {
	t.special = t.special[:0]
	for id, a := range t.attrs {
		if a&(attrControl|attrUserDefined|attrUnknown) != 0 {
			t.special = append(t.special, id)
		}
	}
	sort.SliceStable(t.special, func(i, j int) bool {
		return len(t.texts[t.special[i]]) > len(t.texts[t.special[j]])
	})
}

// setModelAttrs applies llama.cpp's per-model lstrip/rstrip attributes.
func (t *Tokenizer) setModelAttrs(f *gguf.File) {
	name := strings.ToLower(f.StringOr("general.name", ""))
	arch := f.Architecture()
	set := func(s string, a attr, on bool) {
		id, ok := t.ids[s]
		if !ok {
			return
		}
		if on {
			t.attrs[id] |= a
		} else {
			t.attrs[id] &^= a
		}
	}
	containsAny := func(s string, subs ...string) bool {
		for _, sub := range subs {
			if strings.Contains(s, sub) {
				return true
			}
		}
		return false
	}
	switch {
	case containsAny(t.pre, "jina-v2-de", "jina-v2-es", "jina-v2-code") || containsAny(arch, "nomic-bert-moe", "jina-bert-v3"):
		set("<mask>", attrLStrip, true)
	case containsAny(name, "phi-3", "phi3"):
		for id, a := range t.attrs {
			if a&(attrControl|attrUserDefined|attrUnknown) != 0 {
				t.attrs[id] |= attrRStrip
			}
		}
		set("</s>", attrRStrip, true)
		for _, s := range []string{"<unk>", "<s>", "<|endoftext|>"} {
			set(s, attrRStrip, false)
		}
	case containsAny(name, "modern-bert"):
		set("[MASK]", attrLStrip, true)
	}
}

// Model reports the tokenizer algorithm.
func (t *Tokenizer) Model() Model { return t.model }

// Pre is tokenizer.ggml.pre (the BPE pre-tokenizer name), "" when absent.
func (t *Tokenizer) Pre() string { return t.pre }

// VocabSize is the number of tokens.
func (t *Tokenizer) VocabSize() int { return len(t.texts) }

// BOS, EOS, EOT, EOM and Unknown return the special ids, -1 when absent.
func (t *Tokenizer) BOS() int     { return t.bos }
func (t *Tokenizer) EOS() int     { return t.eos }
func (t *Tokenizer) EOT() int     { return t.eot }
func (t *Tokenizer) EOM() int     { return t.eom }
func (t *Tokenizer) Unknown() int { return t.unk }

// AddBOS and AddEOS say whether Encode with addSpecial adds them.
func (t *Tokenizer) AddBOS() bool { return t.addBOS && t.bos != null }
func (t *Tokenizer) AddEOS() bool { return t.addEOS && t.eos != null }

// IsEOG reports whether id ends generation (EOS, EOT, EOM and the tokens
// llama.cpp recognises by text, like <|eot_id|>, <|im_end|>, <end_of_turn>).
func (t *Tokenizer) IsEOG(id int) bool { return t.eog[id] }

// EOGs lists the end-of-generation ids in increasing order.
func (t *Tokenizer) EOGs() []int {
	return slices.Sorted(maps.Keys(t.eog))
}

// TokenText is the stored text of a token ("" when out of range).
func (t *Tokenizer) TokenText(id int) string {
	if id < 0 || id >= len(t.texts) {
		return ""
	}
	return t.texts[id]
}

// TokenID finds a token by its stored text.
func (t *Tokenizer) TokenID(text string) (int, bool) {
	id, ok := t.ids[text]
	return int(id), ok
}

// TokenType returns the token type (TypeNormal, TypeControl, ...) as
// llama.cpp sees it after its text-based fixes.
func (t *Tokenizer) TokenType(id int) int {
	if id < 0 || id >= len(t.attrs) {
		return TypeUndefined
	}
	for _, e := range tokenTypes {
		if t.attrs[id]&e.attr != 0 {
			return int(e.typ)
		}
	}
	return TypeUndefined
}

// IsControl reports whether id is a control (or unknown) token, which
// renders as nothing unless special rendering is asked for.
func (t *Tokenizer) IsControl(id int) bool {
	return id >= 0 && id < len(t.attrs) && t.attrs[id]&(attrControl|attrUnknown) != 0
}
