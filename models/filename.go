package models

import (
	"fmt"
	"regexp"
	"strconv"

	"burrow/inference/gguf"
)

// NameInfo is what a GGUF file name says about its model (a thin view of
// gguf.ParseFileName with the fields the library and Hub views show).
type NameInfo struct {
	Quant      string `json:"quant,omitempty"`       // "Q8_0", "Q4_K_M", "F16"; "" when the name does not say
	SizeLabel  string `json:"size_label,omitempty"`  // "1B", "0.5B", "8x7B"
	SplitIndex int    `json:"split_index,omitempty"` // 1-based shard number; 0 when not split
	SplitCount int    `json:"split_count,omitempty"`
}

// ParseFileName reads quant, size label and shard number from a file name
// such as "Llama-3.2-1B-Instruct-Q8_0.gguf" or "m-Q4_K_M-00001-of-00003.gguf".
func ParseFileName(file string) NameInfo {
	ni, _ := gguf.ParseFileName(file)
	return NameInfo{Quant: ni.Encoding, SizeLabel: ni.SizeLabel, SplitIndex: ni.Shard, SplitCount: ni.ShardCount}
}

// splitRe finds the shard suffix of a split set's file ("-00002-of-00003.gguf").
var splitRe = regexp.MustCompile(`(?i)-(\d{1,5})-of-(\d{1,5})\.gguf$`)

// SplitName returns the name of shard i (1-based) of the set file belongs
// to, written with the same zero padding as the original.
func SplitName(file string, i int) (string, bool) {
	loc := splitRe.FindStringSubmatchIndex(file)
	if loc == nil {
		return "", false
	}
	width := loc[3] - loc[2]
	return file[:loc[2]] + fmt.Sprintf("%0*d", width, i) + file[loc[3]:], true
}

// SplitSet lists every shard name of file's set, in order; a file that is not
// split is a set of one.
func SplitSet(file string) []string {
	m := splitRe.FindStringSubmatch(file)
	if m == nil {
		return []string{file}
	}
	n, _ := strconv.Atoi(m[2])
	if n <= 0 || n > 10000 {
		return []string{file}
	}
	out := make([]string, 0, n)
	for i := 1; i <= n; i++ {
		s, _ := SplitName(file, i)
		out = append(out, s)
	}
	return out
}
