package tensor

import (
	"math"
	"testing"

	"burrow/inference/gguf"
	"burrow/internal/testenv"
)

// TestKQRound2Tensors dequantizes llama-quantize's own Q2_K, Q3_K and
// IQ4_XS tensors from the round2 files: every value finite, each tensor's
// spread plausible for N(0, 1/fan_in) weights, and re-quantizing the
// dequantized blocks gives back nearly the same values (those blocks lie on
// the format's grid, so a faithful quantizer should mostly land on it).
func TestKQRound2Tensors(t *testing.T) {
	types := map[gguf.Type]kq23Type{gguf.TypeQ2_K: q2KType, gguf.TypeQ3_K: q3KType, gguf.TypeIQ4_XS: iq4XSType}
	// Bounds on re-quantizing the grid values, relative RMS.
	requant := map[gguf.Type]float64{gguf.TypeQ2_K: 0.10, gguf.TypeQ3_K: 0.05, gguf.TypeIQ4_XS: 0.05}
	for _, file := range []string{"llamakq-q2_k.gguf", "llamakq-q3_k_m.gguf", "llamakq-iq4_xs.gguf"} {
		f, err := gguf.Open(testenv.Path(t, "models", "round2", file))
		if err != nil {
			t.Fatal(err)
		}
		seen := map[gguf.Type]int{}
		for i := range f.Tensors {
			ti := &f.Tensors[i]
			typ, ok := types[ti.Type]
			if !ok {
				continue
			}
			seen[ti.Type]++
			rowLen := int(ti.Shape[0])
			n := int(ti.Elements())
			data := f.TensorData(ti)
			if len(data) != n/qkK*typ.size {
				t.Fatalf("%s %s: %d bytes for %d values", file, ti.Name, len(data), n)
			}
			vals := make([]float32, n)
			typ.dequantize(vals, data)
			var s2 float64
			for _, v := range vals {
				if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
					t.Fatalf("%s %s: non-finite value", file, ti.Name)
				}
				s2 += float64(v) * float64(v)
			}
			std := math.Sqrt(s2 / float64(n))
			// Projections are N(0, 1/fan_in); token_embd and output have
			// their own spreads, so only the order of magnitude is checked.
			want := 1 / math.Sqrt(float64(rowLen))
			if ti.Name != "token_embd.weight" && ti.Name != "output.weight" && (std < want/2 || std > want*2) {
				t.Errorf("%s %s: std %.4g, want about %.4g", file, ti.Name, std, want)
			}
			// Re-quantize the first 8 superblocks.
			nb := min(8, n/qkK)
			q := make([]byte, nb*typ.size)
			typ.quantize(q, vals[:nb*qkK])
			back := make([]float32, nb*qkK)
			typ.dequantize(back, q)
			var se, sx float64
			same := 0
			for j := range back {
				e := float64(back[j] - vals[j])
				se += e * e
				sx += float64(vals[j]) * float64(vals[j])
				if back[j] == vals[j] {
					same++
				}
			}
			if rel := math.Sqrt(se / sx); rel > requant[ti.Type] {
				t.Errorf("%s %s: re-quantized relative RMS %.4f > %.4f", file, ti.Name, rel, requant[ti.Type])
			} else if seen[ti.Type] == 1 {
				t.Logf("%s %s (%s): std %.4g (1/sqrt(fan_in) %.4g), re-quantized rel RMS %.4f, %d/%d values identical",
					file, ti.Name, typ.name, std, want, rel, same, len(back))
			}
		}
		if len(seen) == 0 {
			t.Errorf("%s: no Q2_K/Q3_K/IQ4_XS tensors", file)
		}
		t.Logf("%s: tensors checked per type %v", file, seen)
		f.Close()
	}
}
