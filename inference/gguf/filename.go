package gguf

import (
	"regexp"
	"strconv"
	"strings"
)

// NameInfo is what a GGUF file name says about the model, following the
// GGUF naming convention
// <BaseName>-<SizeLabel>-<FineTune>-<Version>-<Encoding>-<Type>-<Shard>.gguf
// and the variants common on Hugging Face (lowercase, the encoding after a
// dot as in "mistral-7b-instruct-v0.2.Q4_K_M.gguf", no size label).
// Fields that the name does not show are empty (Shard and ShardCount 0).
type NameInfo struct {
	BaseName   string `json:"base_name,omitempty"`  // "Meta-Llama-3.1", "qwen2.5", "Mixtral"
	SizeLabel  string `json:"size_label,omitempty"` // "8B", "0.5B", "8x7B", "30B-A3B"; the suffix letter upper-cased
	FineTune   string `json:"fine_tune,omitempty"`  // "Instruct", "chat", "it", "Instruct-2407"
	Version    string `json:"version,omitempty"`    // "v0.2", "v1.0"
	Encoding   string `json:"encoding,omitempty"`   // "Q4_K_M", "F16", "IQ2_XS"; upper-cased
	Type       string `json:"type,omitempty"`       // "LoRA" or "vocab" when the name ends with it
	Shard      int    `json:"shard,omitempty"`      // 1-based shard number
	ShardCount int    `json:"shard_count,omitempty"`
}

var (
	shardRe = regexp.MustCompile(`(?i)[-.](\d{1,5})-of-(\d{1,5})$`)
	// Encodings: float types, ggml quant names (Q4_K_M, IQ2_XS, TQ1_0,
	// Q4_0_4_4), MXFP4, and the spec's own example KQ2.
	encodingRe = regexp.MustCompile(`(?i)^(f32|f16|bf16|fp16|fp32|f64|i?q\d+(_[a-z0-9]+)*|tq\d_\d|mxfp4(_moe)?|kq\d+)$`)
	// Size labels: 7B, 1.1B, 500M, 8x7B, 30B-A3B (the active part is a separate token).
	sizeRe    = regexp.MustCompile(`(?i)^(\d+x)?\d+(\.\d+)?[kmbt]$`)
	activeRe  = regexp.MustCompile(`(?i)^a\d+(\.\d+)?[kmbt]$`)
	versionRe = regexp.MustCompile(`(?i)^v\d+(\.\d+)*$`)
)

// fineTuneWords start a fine-tune part when the name has no size label.
var fineTuneWords = map[string]bool{
	"instruct": true, "chat": true, "it": true, "sft": true, "dpo": true, "rlhf": true,
	"base": true, "uncensored": true,
}

// ParseFileName reads the parts of a GGUF file name (a path is fine; only
// its last element counts). ok is false when the name does not end in .gguf.
func ParseFileName(name string) (info NameInfo, ok bool) {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	if len(name) < 5 || !strings.EqualFold(name[len(name)-5:], ".gguf") {
		return info, false
	}
	stem := name[:len(name)-5]

	if m := shardRe.FindStringSubmatchIndex(stem); m != nil {
		info.Shard, _ = strconv.Atoi(stem[m[2]:m[3]])
		info.ShardCount, _ = strconv.Atoi(stem[m[4]:m[5]])
		stem = stem[:m[0]]
	}
	if rest, typ := cutLast(stem, "-"); strings.EqualFold(typ, "lora") || strings.EqualFold(typ, "vocab") {
		info.Type = typ
		stem = rest
	}
	if rest, enc := cutLastSep(stem); rest != "" && encodingRe.MatchString(enc) {
		info.Encoding = strings.ToUpper(enc)
		stem = rest
	}

	tokens := strings.Split(stem, "-")
	size := -1
	for i := 1; i < len(tokens); i++ {
		if isSizeLabel(tokens[i]) {
			size = i
			break
		}
	}
	rest := tokens
	if size >= 0 {
		info.BaseName = strings.Join(tokens[:size], "-")
		info.SizeLabel = upperSuffix(tokens[size])
		rest = tokens[size+1:]
		if len(rest) > 0 && activeRe.MatchString(rest[0]) {
			info.SizeLabel += "-" + upperSuffix(rest[0])
			rest = rest[1:]
		}
	} else {
		// No size label: the base name runs up to a version or a
		// fine-tune word.
		end := len(tokens)
		for i := 1; i < len(tokens); i++ {
			if versionRe.MatchString(tokens[i]) || fineTuneWords[strings.ToLower(tokens[i])] {
				end = i
				break
			}
		}
		info.BaseName = strings.Join(tokens[:end], "-")
		rest = tokens[end:]
	}
	var ft []string
	for _, t := range rest {
		if info.Version == "" && versionRe.MatchString(t) {
			info.Version = t
			continue
		}
		ft = append(ft, t)
	}
	info.FineTune = strings.Join(ft, "-")
	return info, true
}

// isSizeLabel accepts 7B, 0.5b, 8x7B, 500M; a K suffix only from 100K up,
// so context sizes like the "4k" in Phi-3-mini-4k are not taken for it.
func isSizeLabel(t string) bool {
	if !sizeRe.MatchString(t) {
		return false
	}
	if last := t[len(t)-1]; last == 'k' || last == 'K' {
		n, err := strconv.ParseFloat(t[:len(t)-1], 64)
		return err == nil && n >= 100
	}
	return true
}

func upperSuffix(s string) string {
	if s == "" {
		return s
	}
	return s[:len(s)-1] + strings.ToUpper(s[len(s)-1:])
}

// cutLast splits s at the last sep.
func cutLast(s, sep string) (before, after string) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return "", s
	}
	return s[:i], s[i+len(sep):]
}

// cutLastSep splits at the last '-' or '.', whichever comes later, so both
// "x-Q8_0" and "x.Q8_0" give the encoding.
func cutLastSep(s string) (before, after string) {
	i := strings.LastIndexAny(s, "-.")
	if i < 0 {
		return "", s
	}
	return s[:i], s[i+1:]
}

// ParseSizeLabel turns a size label into a parameter count: "8B" is 8e9,
// "8x7B" 56e9, "500M" 5e8, "30B-A3B" 30e9 (the total).
func ParseSizeLabel(label string) (int64, bool) {
	label, _, _ = strings.Cut(label, "-")
	if !sizeRe.MatchString(label) {
		return 0, false
	}
	mult := 1.0
	if x, rest, ok := strings.Cut(strings.ToLower(label), "x"); ok {
		n, err := strconv.Atoi(x)
		if err != nil {
			return 0, false
		}
		mult, label = float64(n), rest
	}
	scale := map[byte]float64{'k': 1e3, 'm': 1e6, 'b': 1e9, 't': 1e12}[strings.ToLower(label[len(label)-1:])[0]]
	v, err := strconv.ParseFloat(label[:len(label)-1], 64)
	if err != nil {
		return 0, false
	}
	return int64(v*mult*scale + 0.5), true
}
