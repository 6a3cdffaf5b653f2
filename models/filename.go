package models

import (
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"
)

// TODO(integration): inference/gguf/filename.go (the gguf helper) parses the
// llama.cpp file-name convention; switch to it when it lands. Until then this
// small local parser derives the labels the library and Hub views show.

// NameInfo is what a GGUF file name says about its model.
type NameInfo struct {
	Quant      string // "Q8_0", "Q4_K_M", "F16"; "" when the name does not say
	SizeLabel  string // "1B", "0.5B", "8x7B"; "" when the name does not say
	SplitIndex int    // 1-based shard number; 0 when the file is not split
	SplitCount int
}

var (
	splitRe = regexp.MustCompile(`-(\d{5})-of-(\d{5})\.gguf$`)
	quantRe = regexp.MustCompile(`(?i)^(I?Q[1-8](_[0-9A-Z]+)*|B?F16|F32|TQ[12]_0|MXFP4)$`)
	sizeRe  = regexp.MustCompile(`(?i)(?:^|[-_.])((?:\d+x)?\d+(?:\.\d+)?[BMKT])(?:[-_.]|$)`)
)

// ParseFileName reads quant, size label and shard number from a file name
// such as "Llama-3.2-1B-Instruct-Q8_0.gguf" or "m-Q4_K_M-00001-of-00003.gguf".
func ParseFileName(file string) NameInfo {
	var ni NameInfo
	base := path.Base(file)
	if m := splitRe.FindStringSubmatch(base); m != nil {
		ni.SplitIndex, _ = strconv.Atoi(m[1])
		ni.SplitCount, _ = strconv.Atoi(m[2])
		base = base[:len(base)-len(m[0])]
	} else {
		base = strings.TrimSuffix(base, path.Ext(base))
	}
	for _, tok := range strings.FieldsFunc(base, func(r rune) bool { return r == '-' || r == '.' }) {
		if quantRe.MatchString(tok) {
			ni.Quant = strings.ToUpper(tok)
		}
	}
	if m := sizeRe.FindStringSubmatch(base); m != nil {
		ni.SizeLabel = strings.ToUpper(m[1][:len(m[1])-1]) + strings.ToUpper(m[1][len(m[1])-1:])
		ni.SizeLabel = strings.Replace(ni.SizeLabel, "X", "x", 1)
	}
	return ni
}

// SplitName returns the name of shard i (1-based) of the set file belongs to.
func SplitName(file string, i int) (string, bool) {
	loc := splitRe.FindStringSubmatchIndex(file)
	if loc == nil {
		return "", false
	}
	return file[:loc[0]] + fmt.Sprintf("-%05d-of-%s.gguf", i, file[loc[4]:loc[5]]), true
}

// SplitSet lists every shard name of file's set, in order; a file that is not
// split is a set of one.
func SplitSet(file string) []string {
	ni := ParseFileName(file)
	if ni.SplitCount == 0 {
		return []string{file}
	}
	out := make([]string, 0, ni.SplitCount)
	for i := 1; i <= ni.SplitCount; i++ {
		n, _ := SplitName(file, i)
		out = append(out, n)
	}
	return out
}
