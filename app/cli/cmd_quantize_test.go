package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"burrow/internal/testenv"
)

func TestQuantizeCommand(t *testing.T) {
	src := testenv.Path(t, "models", "round2", "llamakq-f32.gguf")
	dir := t.TempDir()
	out := filepath.Join(dir, "q4km.gguf")
	res, err := runCLI(t, "quantize", src, out, "q4_k_m", "--json", "--quiet")
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Type      string `json:"type"`
		Tensors   int    `json:"tensors"`
		Converted int    `json:"converted"`
		Bytes     int64  `json:"bytes"`
	}
	decodeOne(t, res, &rep)
	if rep.Type != "Q4_K_M" || rep.Tensors != 30 || rep.Converted != 23 {
		t.Errorf("report %+v", rep)
	}
	if st, err := os.Stat(out); err != nil || st.Size() != rep.Bytes {
		t.Errorf("output %v %v, report says %d bytes", st, err, rep.Bytes)
	}
	insp, err := runCLI(t, "inspect", out, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var ir inspectReport
	decodeOne(t, insp, &ir)
	if ir.Summary.FileType != "Q4_K_M" {
		t.Errorf("file type %q", ir.Summary.FileType)
	}
	types := map[string]string{}
	for _, ti := range ir.Tensors {
		types[ti.Name] = ti.Type
	}
	if types["output.weight"] != "Q6_K" || types["blk.0.attn_q.weight"] != "Q4_K" || types["blk.2.ffn_down.weight"] != "Q6_K" || types["output_norm.weight"] != "F32" {
		t.Errorf("types %v", types)
	}

	// --dry-run writes nothing and prints the plan.
	dry := filepath.Join(dir, "dry.gguf")
	res, err = runCLI(t, "quantize", src, dry, "Q8_0", "--dry-run")
	if err != nil || !strings.Contains(res, "blk.0.attn_q.weight") || !strings.Contains(res, "Q8_0") {
		t.Errorf("dry run: %v\n%s", err, res)
	}
	if _, err := os.Stat(dry); err == nil {
		t.Error("--dry-run wrote a file")
	}

	// Refusals: the input as output, an unknown type, a wrong argument count.
	if _, err := runCLI(t, "quantize", src, src, "q4_k_m"); err == nil || !strings.Contains(err.Error(), "input") {
		t.Errorf("overwriting the input: %v", err)
	}
	if _, err := runCLI(t, "quantize", src, filepath.Join(dir, "x.gguf"), "q9_k"); err == nil || !strings.Contains(err.Error(), "Q4_K_M") {
		t.Errorf("unknown type: %v", err)
	}
	if _, err := runCLI(t, "quantize", src, filepath.Join(dir, "x.gguf")); err == nil {
		t.Error("missing TYPE accepted")
	}
	if _, err := runCLI(t, "quantize", out, filepath.Join(dir, "re.gguf"), "q8_0", "--quiet"); err == nil || !strings.Contains(err.Error(), "allow-requantize") {
		t.Errorf("requantizing without the flag: %v", err)
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

// gguf synth takes a llama-quantize mix as --type.
func TestGGUFSynthRecipe(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.gguf")
	if _, err := runCLI(t, "gguf", "synth", "--preset", "small", "--type", "q4_k_m", "-o", path); err != nil {
		t.Fatal(err)
	}
	out, err := runCLI(t, "inspect", path, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var rep inspectReport
	decodeOne(t, out, &rep)
	if rep.Summary.FileType != "Q4_K_M" {
		t.Errorf("file type %q", rep.Summary.FileType)
	}
	types := map[string]string{}
	for _, ti := range rep.Tensors {
		types[ti.Name] = ti.Type
	}
	// small: tied embedding (the output: Q6_K), FFN 688 (F16 fallback for ffn_down).
	if types["token_embd.weight"] != "Q6_K" || types["blk.0.ffn_down.weight"] != "F16" || types["blk.0.attn_q.weight"] != "Q4_K" || types["blk.3.attn_v.weight"] != "Q6_K" {
		t.Errorf("types %v", types)
	}
}
