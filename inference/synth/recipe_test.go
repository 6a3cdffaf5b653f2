package synth

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"burrow/inference/gguf"
	"burrow/inference/quantize"
)

// A recipe synth file holds what llama-quantize's recipe makes of the F32
// file with the same seed: the same type and bytes for every tensor, and
// the recipe's general.file_type.
func TestRecipeEqualsQuantizedF32(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ arch, preset, ftype string }{
		{"llama", "small", "Q4_K_M"}, {"qwen2", "small", "Q5_K_S"}, {"qwen2", "small", "Q3_K_M"}, {"llama", "small", "IQ4_XS"},
	} {
		t.Run(c.arch+"-"+c.preset+"-"+c.ftype, func(t *testing.T) {
			ft, ok := quantize.LookupFtype(c.ftype)
			if !ok {
				t.Fatal(c.ftype)
			}
			f32 := filepath.Join(dir, c.arch+c.preset+"-f32.gguf")
			if err := Write(f32, Options{Arch: c.arch, Preset: c.preset, Type: gguf.TypeF32, Seed: 5}); err != nil {
				t.Fatal(err)
			}
			quant := filepath.Join(dir, c.arch+c.preset+"-"+c.ftype+".gguf")
			if _, err := quantize.File(context.Background(), f32, quant, quantize.Options{Ftype: ft}); err != nil {
				t.Fatal(err)
			}
			syn, _ := writeMem(t, Options{Arch: c.arch, Preset: c.preset, Recipe: ft, Seed: 5})
			q, err := gguf.Open(quant)
			if err != nil {
				t.Fatal(err)
			}
			defer q.Close()
			if len(syn.Tensors) != len(q.Tensors) {
				t.Fatalf("%d tensors, quantized F32 has %d", len(syn.Tensors), len(q.Tensors))
			}
			for i := range syn.Tensors {
				st := &syn.Tensors[i]
				qt, ok := q.Tensor(st.Name)
				if !ok || qt.Type != st.Type || !bytes.Equal(syn.TensorData(st), q.TensorData(qt)) {
					t.Errorf("%s %s differs from the quantized F32 file's", st.Name, st.Type)
				}
			}
			if v, _ := syn.Uint("general.file_type"); uint32(v) != ft.ID {
				t.Errorf("general.file_type %d, want %d", v, ft.ID)
			}
		})
	}
	// Rows llama-quantize cannot convert are refused, as it refuses them:
	// tiny's FFN of 172 is not a multiple of Q8_0's 32 and Q8_0 has no fallback.
	q8, _ := quantize.LookupFtype("Q8_0")
	if err := Write(filepath.Join(dir, "x.gguf"), Options{Preset: "tiny", Recipe: q8}); err == nil {
		t.Error("tiny Q8_0 recipe accepted")
	}
}
