package tokenizer

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"burrow/inference/gguf"
	"burrow/internal/testenv"
)

// caseSeparator separates the strings of llama.cpp's .inp test files.
const caseSeparator = "\n__ggml_vocab_test__\n"

// readCases parses a .inp/.out pair: the .inp ends with one separator.
func readCases(t *testing.T, inp, out string) (inputs []string, want [][]int) {
	t.Helper()
	in, err := os.ReadFile(inp)
	if err != nil {
		t.Fatal(err)
	}
	outb, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	inputs = strings.Split(string(in), caseSeparator)
	inputs = inputs[:len(inputs)-1]
	lines := strings.Split(strings.TrimSuffix(string(outb), "\n"), "\n")
	if len(lines) != len(inputs) {
		t.Fatalf("%s: %d inputs but %d output lines", inp, len(inputs), len(lines))
	}
	for _, l := range lines {
		var ids []int
		for _, f := range strings.Fields(l) {
			id, err := strconv.Atoi(f)
			if err != nil {
				t.Fatalf("%s: bad id %q", out, f)
			}
			ids = append(ids, id)
		}
		want = append(want, ids)
	}
	return inputs, want
}

// loaded caches tokenizers across tests: building a 150k-token vocabulary
// takes a moment and tokenizers are immutable.
var loaded sync.Map

func loadTokenizer(t testing.TB, path string) *Tokenizer {
	t.Helper()
	if tok, ok := loaded.Load(path); ok {
		return tok.(*Tokenizer)
	}
	f, err := gguf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tok, err := FromGGUF(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	loaded.Store(path, tok)
	return tok
}

func idsString(ids []int) string {
	var b strings.Builder
	for _, id := range ids {
		b.WriteByte(' ')
		b.WriteString(strconv.Itoa(id))
	}
	return b.String()
}

// checkCases tokenizes every case like llama.cpp's test-tokenizer-0
// (add_special=false, parse_special=false) and compares with the .out.
func checkCases(t *testing.T, tok *Tokenizer, inp, out string) {
	inputs, want := readCases(t, inp, out)
	pass := 0
	for i, s := range inputs {
		got := tok.Encode(s, false, false)
		if idsString(got) != idsString(want[i]) {
			t.Errorf("case %d %q:\n got%s\nwant%s", i, s, idsString(got), idsString(want[i]))
			continue
		}
		pass++
	}
	t.Logf("%s: %d/%d cases pass", filepath.Base(inp), pass, len(inputs))
}

// TestVocabCases runs every .gguf + .inp + .out triple in the shared vocab
// folder, so a new triple is covered without code changes.
func TestVocabCases(t *testing.T) {
	dir := testenv.Path(t, "vocab")
	ggufs, _ := filepath.Glob(filepath.Join(dir, "*.gguf"))
	found := 0
	for _, g := range ggufs {
		if _, err := os.Stat(g + ".inp"); err != nil {
			continue
		}
		if _, err := os.Stat(g + ".out"); err != nil {
			continue
		}
		found++
		t.Run(strings.TrimSuffix(filepath.Base(g), ".gguf"), func(t *testing.T) {
			checkCases(t, loadTokenizer(t, g), g+".inp", g+".out")
		})
	}
	if found == 0 {
		t.Fatalf("no vocab test triples in %s", dir)
	}
}

func TestStoriesVocabCases(t *testing.T) {
	tok := loadTokenizer(t, testenv.Path(t, "models", "stories260K-f32.gguf"))
	ref := testenv.Path(t, "reference", "stories260K-vocab-tests.inp")
	checkCases(t, tok, ref, strings.TrimSuffix(ref, ".inp")+".out")
}

// TestStoriesPrompts checks the prompt ids llama-tokenize printed (with BOS).
func TestStoriesPrompts(t *testing.T) {
	tok := loadTokenizer(t, testenv.Path(t, "models", "stories260K-f32.gguf"))
	data, err := os.ReadFile(testenv.Path(t, "reference", "tokenize-prompts.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		prompt, idsText, ok := strings.Cut(line, "\t")
		if !ok {
			t.Fatalf("bad line %q", line)
		}
		var want []int
		for _, f := range strings.Split(strings.Trim(idsText, "[]"), ",") {
			id, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil {
				t.Fatalf("bad id in %q", line)
			}
			want = append(want, id)
		}
		got := tok.Encode(prompt, true, false)
		if idsString(got) != idsString(want) {
			t.Errorf("%q: got%s want%s", prompt, idsString(got), idsString(want))
		}
		if back := tok.Decode(got); back != prompt {
			t.Errorf("Decode(Encode(%q)) = %q", prompt, back)
		}
	}
}

// TestStoriesPerplexityText checks a 3 kB text file tokenized whole by
// llama-tokenize (BOS included): newlines, punctuation and long runs.
func TestStoriesPerplexityText(t *testing.T) {
	tok := loadTokenizer(t, testenv.Path(t, "models", "stories260K-f32.gguf"))
	text, err := os.ReadFile(testenv.Path(t, "reference", "ppl-stories.txt"))
	if err != nil {
		t.Fatal(err)
	}
	ref, err := os.ReadFile(testenv.Path(t, "reference", "ppl-stories.tokens.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var want []int
	for _, f := range strings.Split(strings.Trim(strings.TrimSpace(string(ref)), "[]"), ",") {
		id, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			t.Fatalf("bad id %q", f)
		}
		want = append(want, id)
	}
	got := tok.Encode(string(text), true, false)
	if idsString(got) != idsString(want) {
		n := 0
		for n < len(got) && n < len(want) && got[n] == want[n] {
			n++
		}
		t.Fatalf("got %d tokens, want %d; first difference at %d", len(got), len(want), n)
	}
	if back := tok.Decode(got); back != string(text) {
		t.Fatal("Decode(Encode(text)) differs from the text")
	}
}
