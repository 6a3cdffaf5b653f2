package synth

import (
	"math"
	"testing"

	"burrow/inference/gguf"
)

// gpt-oss-20b by plan: llama.cpp's 459 tensors, about 20.9B parameters,
// and with MXFP4 experts and Q8_0 elsewhere about the 12.1 GB of the
// published gpt-oss-20b-mxfp4.gguf.
func TestGptOss20bPlan(t *testing.T) {
	w, _, err := Plan(Options{Preset: "gpt-oss-20b", Type: gguf.TypeQ8_0, ExpertType: "mxfp4"})
	if err != nil {
		t.Fatal(err)
	}
	ts := w.Tensors()
	if len(ts) != 1+24*19+2 {
		t.Errorf("%d tensors, want %d", len(ts), 1+24*19+2)
	}
	var params, size float64
	types := map[string]gguf.Type{}
	for _, ti := range ts {
		params += float64(ti.Elements())
		size += float64(ti.Size)
		types[ti.Name] = ti.Type
	}
	if math.Abs(params/20.91e9-1) > 0.01 || math.Abs(size/12.1e9-1) > 0.02 {
		t.Errorf("%.4g params, %.4g bytes; want about 20.91e9 and 12.1e9", params, size)
	}
	for name, want := range map[string]gguf.Type{
		"blk.0.ffn_gate_exps.weight": gguf.TypeMXFP4, "blk.23.ffn_down_exps.weight": gguf.TypeMXFP4,
		"blk.0.attn_q.weight": gguf.TypeQ8_0, "blk.0.attn_sinks.weight": gguf.TypeF32,
		"blk.0.ffn_up_exps.bias": gguf.TypeF32, "output.weight": gguf.TypeQ8_0,
	} {
		if types[name] != want {
			t.Errorf("%s has type %v, want %v", name, types[name], want)
		}
	}
	kv := map[string]any{}
	for _, k := range w.KVs() {
		kv[k.Key] = k.Value
	}
	for key, want := range map[string]any{
		"gpt-oss.expert_count": uint32(32), "gpt-oss.expert_used_count": uint32(4),
		"gpt-oss.attention.sliding_window": uint32(128), "gpt-oss.rope.scaling.type": "yarn",
		"gpt-oss.rope.scaling.factor": float32(32), "gpt-oss.rope.scaling.original_context_length": uint32(4096),
	} {
		if kv[key] != want {
			t.Errorf("%s = %v, want %v", key, kv[key], want)
		}
	}
}

// Options.Layers keeps the preset's shape with fewer blocks.
func TestLayersOption(t *testing.T) {
	w, _, err := Plan(Options{Preset: "gpt-oss-20b", Layers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(w.Tensors()); n != 1+2*19+2 {
		t.Errorf("%d tensors, want %d", n, 1+2*19+2)
	}
	for _, k := range w.KVs() {
		if k.Key == "gpt-oss.block_count" && k.Value != uint32(2) {
			t.Errorf("block_count %v, want 2", k.Value)
		}
	}
}
