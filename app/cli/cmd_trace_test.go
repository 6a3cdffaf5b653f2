package cli

import (
	"math"
	"strings"
	"testing"

	"burrow/internal/testenv"
)

func round2(t *testing.T, name string) string {
	return testenv.Path(t, "models", "round2", name+".gguf")
}

// TestTraceJSON: `burrow trace --json` on the gemma3 file gives per layer
// the lens tokens and per head causal, windowed attention rows summing to 1.
func TestTraceJSON(t *testing.T) {
	out, err := runCLI(t, "trace", "--model", round2(t, "gemma3-q4_k_m"), "--prompt", "Hello world, once upon a time", "--json", "--top", "3")
	if err != nil {
		t.Fatal(err)
	}
	var rep traceReport
	decodeOne(t, out, &rep)
	n := len(rep.Tokens)
	if rep.Arch != "gemma3" || n < 8 || rep.Summarised || rep.Bins != n || len(rep.Layers) != 3 {
		t.Fatalf("arch %s, %d tokens, bins %d, summarised %v, %d layers", rep.Arch, n, rep.Bins, rep.Summarised, len(rep.Layers))
	}
	if rep.Tokens[0].Text != "<s>" {
		t.Errorf("first token %+v", rep.Tokens[0])
	}
	for _, L := range rep.Layers {
		if len(L.Lens) != 3 || L.Lens[0].Text == "" || L.Lens[0].Prob < L.Lens[2].Prob {
			t.Errorf("layer %d lens %+v", L.Layer, L.Lens)
		}
		if want := map[bool]int{true: 0, false: 6}[L.Layer == 2]; L.Window != want {
			t.Errorf("layer %d window %d, want %d", L.Layer, L.Window, want)
		}
		if len(L.Attention) != 2 {
			t.Fatalf("layer %d: %d heads", L.Layer, len(L.Attention))
		}
		for h, rows := range L.Attention {
			for i, row := range rows {
				if len(row) != i+1 {
					t.Fatalf("layer %d head %d row %d has %d values, want %d", L.Layer, h, i, len(row), i+1)
				}
				var sum float64
				for j, w := range row {
					sum += float64(w)
					if (j > i || (L.Window > 0 && i-j >= L.Window)) && w != 0 {
						t.Errorf("layer %d head %d: token %d gives %g to %d", L.Layer, h, i, w, j)
					}
				}
				if math.Abs(sum-1) > 1e-5 {
					t.Errorf("layer %d head %d row %d sums to %g", L.Layer, h, i, sum)
				}
			}
		}
	}

	// Summarised when longer than --max-tokens, and the text says so.
	text, err := runCLI(t, "trace", "--model", round2(t, "llamakq-q4_k_m"), "--prompt", strings.Repeat("once upon a time ", 8), "--max-tokens", "4")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "attention summarised") || !strings.Contains(text, "layer 2 (global): lens") {
		t.Errorf("text output:\n%s", text)
	}
	if _, err := runCLI(t, "trace", "--model", round2(t, "llamakq-q4_k_m")); err == nil {
		t.Error("trace without --prompt did not fail")
	}
}

// TestInspectArch: `burrow inspect --arch` names every block with its
// attention and FFN and lists each tensor under its part.
func TestInspectArch(t *testing.T) {
	out, err := runCLI(t, "inspect", "--arch", round2(t, "qwen3moe-q4_k_m"), "--ctx", "128", "--kv-type", "f16")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"qwen3moe, 2 blocks", "Block 1", "4 experts (2 per token) of width 256", "QK norm",
		"  Experts", "    blk.1.ffn_down_exps.weight  Q6_K", "Output head", "memory at 128 tokens", "KV per layer: 0: 64.0 KiB (128 positions)"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
	js, err := runCLI(t, "inspect", "--arch", "--json", round2(t, "gemma3-q4_k_m"))
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Anatomy struct {
			Blocks []struct {
				Attention struct{ Window int }
			}
		}
		Memory struct {
			KVPerLayer []uint64 `json:"kv_per_layer"`
		}
	}
	decodeOne(t, js, &rep)
	if len(rep.Anatomy.Blocks) != 3 || rep.Anatomy.Blocks[0].Attention.Window != 6 || rep.Anatomy.Blocks[2].Attention.Window != 0 || len(rep.Memory.KVPerLayer) != 3 {
		t.Errorf("json %+v", rep)
	}
}
