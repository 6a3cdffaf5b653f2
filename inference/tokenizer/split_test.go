package tokenizer

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestCustomSplittersMatchRegex holds the hand-written GPT-2 and Llama 3
// splitters to the same patterns run by regexp2 on the collapsed text (the
// path llama.cpp takes for every other pattern).
func TestCustomSplittersMatchRegex(t *testing.T) {
	alphabet := []rune{'a', 'Z', 'é', '日', '1', '٣', '½', ' ', ' ', '\t', '\n', '\r', '\u00a0', '\u3000', '\u2028',
		'!', '.', '\'', 's', 't', 'l', 'L', 'e', 'v', 'r', 'D', 'M', '🙂', '\u0301', '$', '\x00', '\u200d', '\U000E0001'}
	rng := rand.New(rand.NewPCG(1, 2))
	inputs := []string{"", " ", "  ", "a  b", "a \tb", "'s", "x's 'LL 'Re", "\n\n \n", "1234567", " !!\n\n", "日本 語"}
	for range 3000 {
		n := rng.IntN(24)
		r := make([]rune, n)
		for i := range r {
			r[i] = alphabet[rng.IntN(len(alphabet))]
		}
		inputs = append(inputs, string(r))
	}
	for _, tc := range []struct {
		name   string
		expr   string
		custom func([]rune, []cptFlags, int, int, []int) []int
	}{
		{"gpt2", reGPT2, splitGPT2},
		{"llama3", reLlama3, splitLlama3},
	} {
		st, err := compileStep(tc.expr)
		if err != nil {
			t.Fatal(err)
		}
		viaRegex := &preTokenizer{steps: []splitStep{st}, needCollapse: true}
		viaCustom := &preTokenizer{steps: []splitStep{{custom: tc.custom}}}
		diff := 0
		for _, s := range inputs {
			cpts := decodeCodepoints(s)
			a, b := viaCustom.split(cpts), viaRegex.split(cpts)
			if !slices.Equal(a, b) {
				diff++
				if diff <= 5 {
					t.Errorf("%s %q: custom %v, regex %v", tc.name, s, a, b)
				}
			}
		}
		if diff > 0 {
			t.Errorf("%s: %d of %d inputs split differently", tc.name, diff, len(inputs))
		}
	}
}
