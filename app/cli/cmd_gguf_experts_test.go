package cli

import (
	"path/filepath"
	"testing"

	"burrow/inference/gguf"
)

// --expert-type writes the experts' stacks (only) in that type.
func TestGGUFSynthExpertType(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gpt-oss.gguf")
	if _, err := runCLI(t, "gguf", "synth", "--preset", "gpt-oss-tiny", "--type", "q8_0", "--expert-type", "mxfp4", "-o", path); err != nil {
		t.Fatal(err)
	}
	f, err := gguf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for name, want := range map[string]gguf.Type{"blk.1.ffn_up_exps.weight": gguf.TypeMXFP4, "blk.1.attn_q.weight": gguf.TypeQ8_0} {
		if ti, ok := f.Tensor(name); !ok || ti.Type != want {
			t.Errorf("%s: %v, want %v", name, ti, want)
		}
	}
	if _, err := runCLI(t, "gguf", "synth", "--preset", "gpt-oss-tiny", "--expert-type", "iq2_xxs", "-o", path); err == nil {
		t.Error("expert type iq2_xxs (which Burrow cannot write) accepted")
	}
}
