package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"burrow/internal/testenv"
)

func runTokenize(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := NewCLI()
	var out, errb bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errb)
	root.SetArgs(append([]string{"tokenize"}, args...))
	err := root.Execute()
	return out.String(), err
}

// TestTokenizeCasesMatchOut runs `tokenize --cases` on every vocab triple
// and compares with llama.cpp's .out byte for byte.
func TestTokenizeCasesMatchOut(t *testing.T) {
	dir := testenv.Path(t, "vocab")
	ggufs, _ := filepath.Glob(filepath.Join(dir, "*.gguf"))
	pairs := [][2]string{{testenv.Path(t, "models", "stories260K-f32.gguf"), testenv.Path(t, "reference", "stories260K-vocab-tests.inp")}}
	for _, g := range ggufs {
		if _, err := os.Stat(g + ".out"); err == nil {
			pairs = append(pairs, [2]string{g, g + ".inp"})
		}
	}
	for _, p := range pairs {
		got, err := runTokenize(t, "--cases", p[1], "--model", p[0])
		if err != nil {
			t.Fatalf("%s: %v", p[1], err)
		}
		want, err := os.ReadFile(strings.TrimSuffix(p[1], ".inp") + ".out")
		if err != nil {
			t.Fatal(err)
		}
		if got != string(want) {
			t.Errorf("%s: output differs from the .out file", filepath.Base(p[1]))
		}
	}
}

func TestTokenizeText(t *testing.T) {
	model := testenv.Path(t, "models", "stories260K-f32.gguf")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--model", model, "Once upon a time"}, "1 403 407 261 378\n"},
		{[]string{"Once upon a time", "--no-bos", "-m", model}, "403 407 261 378\n"},
		{[]string{"--model", model, "--special", "<s>"}, "1 1\n"},
		{[]string{"--model", model, "<s>"}, "1 410 504 419 505\n"},
		{[]string{"--model", model, "--pieces", "--no-bos", "Once"}, "403\t\" Once\"\n"},
	}
	for _, tc := range tests {
		got, err := runTokenize(t, tc.args...)
		if err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		if got != tc.want {
			t.Errorf("%v: got %q want %q", tc.args, got, tc.want)
		}
	}
	got, err := runTokenize(t, "--model", model, "--json", "Once upon a time")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Count int   `json:"count"`
		IDs   []int `json:"ids"`
	}
	if err := json.Unmarshal([]byte(got), &v); err != nil || v.Count != 5 || len(v.IDs) != 5 {
		t.Fatalf("--json: %v %q", err, got)
	}
	for _, bad := range [][]string{{"x"}, {"--model", model}, {"--model", model, "a", "--file", "f"}, {"--model", "/nonexistent.gguf", "a"}} {
		if _, err := runTokenize(t, bad...); err == nil {
			t.Errorf("%v: want an error", bad)
		}
	}
}
