package tensor

import "burrow/inference/gguf"

// The active set's kernels under the names the twin tests use.

func q8Active() *q8_0Kernels                                   { return kernelsOf(gguf.TypeQ8_0).ext.(*q8_0Kernels) }
func f16Active() *f16Kernels                                   { return kernelsOf(gguf.TypeF16).ext.(*f16Kernels) }
func f32Active() *f32Kernels                                   { return kernelsOf(gguf.TypeF32).ext.(*f32Kernels) }
func dotQ8_0(x, y []byte, nb int) float32                      { return kernelsOf(gguf.TypeQ8_0).dot(x, y, nb) }
func mulQ8_0(w []byte, a *Activations, t, nb int) float32      { return q8Active().one(w, a, t, nb) }
func mulQ8_0x4(w []byte, a *Activations, t, nb int) [4]float32 { return q8Active().x4(w, a, t, nb) }
func mulQ8_0x2x4(w []byte, ws int, a *Activations, t, nb int) [8]float32 {
	return q8Active().x2x4(w, ws, a, t, nb)
}
func dotF32(x, y []float32) float32     { return f32Active().dot(x, y) }
func dotF32Tile(x, y []float32) float32 { return f32Active().tile(x, y) }
func dotF16(x, y []uint16) float32      { return f16Active().dot(x, y) }
func dotF16Tile(x, y []uint16) float32  { return f16Active().tile(x, y) }
