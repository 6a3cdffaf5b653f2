package tokenizer

import (
	"fmt"
	"strings"

	"github.com/dlclark/regexp2"
)

// Pre-tokenizer regexes, as llama.cpp's llm_tokenizer_bpe picks them by
// tokenizer.ggml.pre. Each expression in a list splits every piece left by
// the previous one.
const (
	reGPT2 = `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)`

	reLlama3 = `(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`

	reQwen2 = `(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`

	reQwen35 = `(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?[\p{L}\p{M}]+|\p{N}| ?[^\s\p{L}\p{M}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`

	reDeepseekV3 = `[!"#$%&'()*+,\-./:;<=>?@\[\\\]^_` + "`" + `{|}~][A-Za-z]+|[^` + "\r\n" + `\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+| ?[\p{P}\p{S}]+[` + "\r\n" + `]*|\s*[` + "\r\n" + `]+|\s+(?!\S)|\s+`

	reGPT4o = `[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))*((?=[\p{L}])([^A-Z]))+(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))+((?=[\p{L}])([^A-Z]))*(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`

	reTekken = `[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))*((?=[\p{L}])([^A-Z]))+|[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))+((?=[\p{L}])([^A-Z]))*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`

	reSeedCoder = `(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1}| ?[^\s\p{L}\p{N}\r\n]+|\s*[\r\n]+|\s+(?!\S)|\s+`

	reBloom = ` ?[^(\s|.,!?…。，、।۔،)]+`

	// Letters that Unicode normalization would fold are written as \u escapes.
	reDeepseekLLMLetters = `\s?[A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽᲐ-ᲺᲽ-Ჿᴀ-ᴫᵫ-ᵷᵹ-ᶚḀ-ἕἘ-Ἕἠ-ὅὈ-Ὅὐ-ὗὙὛὝὟ-\u1F7Dᾀ-ᾴᾶ-ᾼ\u1FBEῂ-ῄῆ-ῌῐ-\u1FD3ῖ-\u1FDBῠ-Ῥῲ-ῴῶ-ῼℂℇℊ-ℓℕℙ-ℝℤ\u2126ℨ\u212A-ℭℯ-ℴℹℼ-ℿⅅ-ⅉⅎↃↄⰀ-ⱻⱾ-ⳤⳫ-ⳮⳲⳳꙀ-ꙭꚀ-ꚛꜢ-ꝯꝱ-ꞇꞋ-ꞎꭰ-ꮿﬀ-ﬆﬓ-ﬗＡ-Ｚａ-ｚ𐐀-𐑏𐒰-𐓓𐓘-𐓻𐲀-𐲲𐳀-𐳲𑢠-𑣟𞤀-𞥃]+`
	reCJK                = `[一-龥ࠀ-一가-퟿]+`
)

// preConfig is what a tokenizer.ggml.pre name selects.
type preConfig struct {
	regexes      []string
	ignoreMerges bool // look a whole pre-token up in the vocabulary first
	addBOS       bool // llama.cpp turns add_bos on before reading metadata
}

func preConfigFor(pre string) (preConfig, bool) {
	switch pre {
	case "", "default":
		return preConfig{regexes: []string{`[\p{P}\$\+<=>\^~\|]+`, reGPT2, `\p{N}+`, `[0-9][0-9][0-9]`}}, true
	case "llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2", "jina-v5-nano":
		return preConfig{regexes: []string{reLlama3}, ignoreMerges: true, addBOS: true}, true
	case "dbrx", "smaug-bpe":
		return preConfig{regexes: []string{reLlama3}}, true
	case "deepseek-llm":
		return preConfig{regexes: []string{"[\r\n]", reDeepseekLLMLetters, `\s?[!-/:-~！-／：-～‘-‟　-。]+`, `\s+$`, reCJK, `\p{N}+`}}, true
	case "deepseek-v3", "hunyuan-dense", "joyai-llm":
		return preConfig{regexes: []string{`\p{N}{1,3}`, `[一-龥぀-ゟ゠-ヿ]+`, reDeepseekV3}}, true
	case "deepseek-coder":
		return preConfig{regexes: []string{"[\r\n]", `\s?\p{L}+`, `\s?\p{P}+`, reCJK, `\p{N}`}}, true
	case "falcon":
		return preConfig{regexes: []string{"[\\p{P}\\$\\+<=>\\^~\\|`]+", reGPT2, `[0-9][0-9][0-9]`}}, true
	case "starcoder", "refact", "command-r", "smollm", "codeshell", "exaone", "minerva-7b", "mellum2":
		return preConfig{regexes: []string{`\p{N}`, reGPT2}}, true
	case "gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v2-es", "jina-v2-de", "a.x-4.0", "mellum",
		"modern-bert", "jina-v1-en", "jina-v2-code", "roberta-bpe", "exaone4", "mpt", "olmo", "jais", "trillion", "granite-docling":
		return preConfig{regexes: []string{reGPT2}}, true
	case "qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2", "megrez", "stablelm2", "hunyuan", "solar-open":
		return preConfig{regexes: []string{reQwen2}}, true
	case "qwen35":
		return preConfig{regexes: []string{reQwen35}}, true
	case "poro-chat", "bloom", "gpt3-finnish":
		return preConfig{regexes: []string{reBloom}}, true
	case "viking":
		return preConfig{regexes: []string{reBloom, `\p{N}`}}, true
	case "glm4", "chatglm-bpe":
		return preConfig{regexes: []string{reLlama3}}, true
	case "tekken":
		return preConfig{regexes: []string{reTekken}, ignoreMerges: true, addBOS: true}, true
	case "gpt-4o", "llama4", "kanana2", "talkie", "minimax-m2":
		return preConfig{regexes: []string{reGPT4o}}, true
	case "seed-coder":
		return preConfig{regexes: []string{reSeedCoder}}, true
	case "grok-2":
		return preConfig{regexes: []string{reQwen2}}, true
	}
	return preConfig{}, false
}

// configurePre selects the pre-tokenizer and the llama.cpp flags that come
// with it (clean_spaces only matters to llama.cpp's detokenizer, which
// Burrow does not imitate).
func (t *Tokenizer) configurePre(pre string) error {
	cfg, ok := preConfigFor(pre)
	if !ok {
		return fmt.Errorf("tokenizer: unsupported BPE pre-tokenizer %q (tokenizer.ggml.pre)", pre)
	}
	if pre == "glm4" || pre == "chatglm-bpe" {
		t.bos = null
	}
	t.ignoreMerges = cfg.ignoreMerges
	if cfg.addBOS {
		t.addBOS = true
	}
	p, err := newPreTokenizer(cfg.regexes)
	if err != nil {
		return fmt.Errorf("tokenizer: pre-tokenizer %q: %w", pre, err)
	}
	t.splitter = p
	return nil
}

// splitStep is one expression of the chain: a hand-written splitter for
// the two patterns llama.cpp implements by hand, else a compiled regex.
type splitStep struct {
	custom    func(cpts []rune, flags []cptFlags, lo, hi int, out []int) []int
	re        *regexp2.Regexp
	collapsed bool // run on the category-collapsed text (the regex used \p{..})
}

type preTokenizer struct {
	steps        []splitStep
	needCollapse bool
}

func newPreTokenizer(exprs []string) (*preTokenizer, error) {
	p := &preTokenizer{}
	for _, e := range exprs {
		switch e {
		case reGPT2:
			p.steps = append(p.steps, splitStep{custom: splitGPT2})
			continue
		case reLlama3:
			p.steps = append(p.steps, splitStep{custom: splitLlama3})
			continue
		}
		st, err := compileStep(e)
		if err != nil {
			return nil, err
		}
		p.needCollapse = p.needCollapse || st.collapsed
		p.steps = append(p.steps, st)
	}
	return p, nil
}

// Collapsed text: llama.cpp runs std::regex over a string where every
// non-ASCII codepoint becomes one byte standing for its class, and writes
// \p{N}, \p{L}, ... in the regex as "that byte or the ASCII members".
const (
	collapsedOther = 0xD0
	collapsedN     = 0xD1
	collapsedL     = 0xD2
	collapsedP     = 0xD3
	collapsedM     = 0xD4
	collapsedS     = 0xD5
	collapsedSpace = 0x0B // vertical tab: std::regex \s only knows ASCII spaces
)

var categoryClass = map[string]string{
	`\p{N}`:  `\u00D1` + `0-9`,
	`\p{L}`:  `\u00D2` + `A-Za-z`,
	`\p{P}`:  `\u00D3` + `!-#%-*,-/:-;?-@\[-\]_\{\}`,
	`\p{M}`:  `\u00D4`,
	`\p{S}`:  `\u00D5` + `\$\+<->^` + "`" + `\|`,
	`\p{Lu}`: `\u00D2` + `A-Za-z`, `\p{Ll}`: `\u00D2` + `A-Za-z`, `\p{Lt}`: `\u00D2` + `A-Za-z`,
	`\p{Lm}`: `\u00D2` + `A-Za-z`, `\p{Lo}`: `\u00D2` + `A-Za-z`,
}

// collapsedClasses gives the byte standing for each class, in the order
// llama.cpp tests them.
var collapsedClasses = [...]struct {
	flag cptFlags
	b    rune
}{
	{flagNumber, collapsedN},
	{flagLetter, collapsedL},
	{flagPunct, collapsedP},
	{flagMark, collapsedM},
	{flagSymbol, collapsedS},
}

func collapseCodepoint(r rune, f cptFlags) rune {
	if r >= 0 && r < 128 {
		return r
	}
	if f.whitespace() {
		return collapsedSpace
	}
	for _, c := range collapsedClasses {
		if f&c.flag != 0 {
			return c.b
		}
	}
	return collapsedOther
}

// compileStep rewrites \p{..} classes for the collapsed text the way
// llama.cpp does, and makes the regex behave like ECMAScript std::regex
// where regexp2 (.NET syntax) differs: $ only at the very end.
func compileStep(expr string) (splitStep, error) {
	st := splitStep{}
	for k := range categoryClass {
		if strings.Contains(expr, k) {
			st.collapsed = true
		}
	}
	src := expr
	if st.collapsed {
		var b strings.Builder
		inside := false
		for i := 0; i < len(expr); i++ {
			c := expr[i]
			if c == '[' && (i == 0 || expr[i-1] != '\\') {
				inside = true
				b.WriteByte(c)
				continue
			}
			if inside && c == ']' && expr[i-1] != '\\' {
				inside = false
				b.WriteByte(c)
				continue
			}
			if c == '\\' && i+3 < len(expr) && expr[i+1] == 'p' && expr[i+2] == '{' {
				if end := strings.IndexByte(expr[i+3:], '}'); end >= 0 {
					if cls, ok := categoryClass[expr[i:i+3+end+1]]; ok {
						if !inside {
							b.WriteByte('[')
						}
						b.WriteString(cls)
						if !inside {
							b.WriteByte(']')
						}
						i += 3 + end
						continue
					}
				}
			}
			b.WriteByte(c)
		}
		src = b.String()
	}
	if strings.HasSuffix(src, "$") && !strings.HasSuffix(src, `\$`) {
		src = strings.TrimSuffix(src, "$") + `\z`
	}
	re, err := regexp2.Compile(src, regexp2.None)
	if err != nil {
		return st, fmt.Errorf("compile %q: %w", expr, err)
	}
	st.re = re
	return st, nil
}

// split cuts text (already decoded to codepoints) into pre-tokens and
// returns their lengths in codepoints.
func (p *preTokenizer) split(cpts []rune) []int {
	flags := make([]cptFlags, len(cpts))
	for i, r := range cpts {
		flags[i] = flagsOf(r)
	}
	var collapsed, plain []rune
	lens := []int{len(cpts)}
	for _, st := range p.steps {
		var next []int
		start := 0
		for _, n := range lens {
			lo, hi := start, start+n
			start = hi
			switch {
			case st.custom != nil:
				next = st.custom(cpts, flags, lo, hi, next)
			case st.collapsed:
				if collapsed == nil {
					collapsed = make([]rune, len(cpts))
					for i, r := range cpts {
						collapsed[i] = collapseCodepoint(r, flags[i])
					}
				}
				next = regexSplit(st.re, collapsed[lo:hi], next)
			default:
				if plain == nil {
					plain = make([]rune, len(cpts))
					for i, r := range cpts {
						if r > 0x7F && flags[i].whitespace() {
							r = collapsedSpace
						}
						plain[i] = r
					}
				}
				next = regexSplit(st.re, plain[lo:hi], next)
			}
		}
		lens = next
	}
	return lens
}

// regexSplit is llama.cpp's unicode_regex_split_stl for one piece: the
// matches and the gaps between them all become pieces.
func regexSplit(re *regexp2.Regexp, text []rune, out []int) []int {
	pos := 0
	m, err := re.FindRunesMatch(text)
	for err == nil && m != nil {
		if m.Index > pos {
			out = append(out, m.Index-pos)
		}
		if m.Length > 0 {
			out = append(out, m.Length)
		}
		pos = m.Index + m.Length
		m, err = re.FindNextMatch(m)
	}
	if pos < len(text) {
		out = append(out, len(text)-pos)
	}
	return out
}
