package cli

import (
	"encoding/json"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"burrow/internal/testenv"
)

// burrow run --temp 0 gives llama.cpp's greedy tokens and text for P1.
func TestRunGreedyJSON(t *testing.T) {
	model := testenv.Path(t, "models", "stories260K-f32.gguf")
	data, err := os.ReadFile(testenv.Path(t, "reference", "greedy-f32-p1-kvf32.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		PromptIDs    []int  `json:"prompt_ids"`
		GeneratedIDs []int  `json:"generated_ids"`
		Text         string `json:"generated_text"`
	}
	if err := json.Unmarshal(data, &ref); err != nil {
		t.Fatal(err)
	}
	// Flags after and before the values, as cobra allows.
	out, err := runCLI(t, "run", "--model", model, "--prompt", "Once upon a time", "--temp", "0",
		"--max-tokens", "64", "--threads", "2", "--ctx", "128", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var got runOutput
	decodeOne(t, out, &got)
	if !slices.Equal(got.PromptIDs, ref.PromptIDs) {
		t.Errorf("prompt ids %v, want %v", got.PromptIDs, ref.PromptIDs)
	}
	if !slices.Equal(got.GeneratedIDs, ref.GeneratedIDs) {
		t.Errorf("generated ids %v\nwant %v", got.GeneratedIDs, ref.GeneratedIDs)
	}
	if got.Text != ref.Text {
		t.Errorf("text %q\nwant %q", got.Text, ref.Text)
	}
	if got.StopReason != "max_tokens" || got.Stats.GenTokens != 64 || got.Stats.PromptTokens != len(ref.PromptIDs) {
		t.Errorf("stop %q, stats %+v", got.StopReason, got.Stats)
	}
}

// Streaming prints the same text, and a context that fills up stops with "length".
func TestRunStreamsAndStopsAtLength(t *testing.T) {
	model := testenv.Path(t, "models", "stories260K-q8_0.gguf")
	out, err := runCLI(t, "run", "-m", model, "-p", "Once upon a time", "--temp", "0", "--ctx", "16", "--seed", "1")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out, ", there was a little girl") {
		t.Errorf("streamed %q", out)
	}
	js, err := runCLI(t, "run", "-m", model, "-p", "Once upon a time", "--ctx", "16", "--seed", "7", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var got runOutput
	decodeOne(t, js, &got)
	if got.StopReason != "length" || len(got.PromptIDs)+len(got.GeneratedIDs) != 16+1 || got.Seed != 7 {
		t.Errorf("stop %q with %d+%d tokens, seed %d; want length at 16 (+1 sampled)", got.StopReason, len(got.PromptIDs), len(got.GeneratedIDs), got.Seed)
	}
}

func TestPerplexityCommand(t *testing.T) {
	model := testenv.Path(t, "models", "stories260K-f32.gguf")
	text := testenv.Path(t, "reference", "ppl-stories.txt")
	out, err := runCLI(t, "perplexity", "--model", model, "--file", text, "--ctx", "128", "--threads", "2")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	last := lines[len(lines)-1]
	ppl, err := strconv.ParseFloat(strings.TrimPrefix(last, "PPL = "), 64)
	if err != nil || !strings.HasPrefix(lines[0], "[1]") || !strings.Contains(lines[0], ",[11]") {
		t.Fatalf("output:\n%s", out)
	}
	if d := ppl/5.4657 - 1; d > 0.001 || d < -0.001 {
		t.Errorf("PPL = %.4f, want 5.4657 within 0.1%%", ppl)
	}
}

func TestBenchJSON(t *testing.T) {
	model := testenv.Path(t, "models", "stories260K-q8_0.gguf")
	out, err := runCLI(t, "bench", "--model", model, "--prompt-tokens", "16", "--gen-tokens", "4", "--threads", "1", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var got benchOutput
	decodeOne(t, out, &got)
	if got.Model != "stories260K-q8_0.gguf" || got.Threads != 1 || got.PPTokens != 16 || got.TGTokens != 4 ||
		got.PPTPS <= 0 || got.TGTPS <= 0 || got.LoadMS <= 0 {
		t.Errorf("bench = %+v", got)
	}
}

// --json-schema and --grammar-file constrain the output: a story model's
// sampled text is then valid JSON for the schema, or the grammar's words.
func TestRunWithGrammar(t *testing.T) {
	model := testenv.Path(t, "models", "stories260K-f32.gguf")
	schema := `{"type": "object", "properties": {"n": {"type": "integer", "minimum": 1, "maximum": 9}}, "required": ["n"], "additionalProperties": false}`
	js, err := runCLI(t, "run", "-m", model, "-p", "Once upon a time", "--ctx", "256", "--seed", "3", "--json", "--json-schema", schema)
	if err != nil {
		t.Fatal(err)
	}
	var got runOutput
	decodeOne(t, js, &got)
	var v struct{ N int }
	if err := json.Unmarshal([]byte(got.Text), &v); err != nil || v.N < 1 || v.N > 9 || got.StopReason != "eos" {
		t.Fatalf("text %q (stop %s): %v", got.Text, got.StopReason, err)
	}
	gf := t.TempDir() + "/yn.gbnf"
	if err := os.WriteFile(gf, []byte("root ::= (\"yes\" | \"no\") \".\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := runCLI(t, "run", "-m", model, "-p", "Once upon a time", "--seed", "4", "--grammar-file", gf)
	if err != nil {
		t.Fatal(err)
	}
	if s := strings.TrimSpace(out); s != "yes." && s != "no." {
		t.Fatalf("output %q", out)
	}
	if _, err := runCLI(t, "run", "-m", model, "-p", "x", "--json-schema", `{"type": "string", "pattern": "\\bx"}`); err == nil || !strings.Contains(err.Error(), "word boundary") {
		t.Fatalf("unsupported schema: %v", err)
	}
}
