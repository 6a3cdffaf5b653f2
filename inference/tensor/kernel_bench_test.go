package tensor

import (
	"math/rand/v2"
	"testing"

	"burrow/inference/gguf"
)

// In-cache kernel benchmarks: compute cost per Q8_0 block (block x input row
// for the tile) apart from memory bandwidth, in CPU time so that other
// processes on the machine distort it less. One call covers a 2048-wide row.
func BenchmarkKernelQ8_0(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	const nb = 64
	a := NewActivations(8, nb*32)
	a.Set(randF32(r, 8*nb*32, 1), 8)
	a.prepare(gguf.TypeQ8_0)
	w := randQ8(r, nb, false)
	kernels := []struct {
		name string
		rows int
		f    func() float32
	}{
		{"plain", 1, func() float32 { return dotQ8_0Plain(w, a.q8Row(0), nb) }},
	}
	w2 := append(append([]byte{}, w...), w...)
	w4 := append(append([]byte{}, w2...), w2...)
	for _, set := range fastSets() {
		k := set.rows[gguf.TypeQ8_0].ext.(*q8_0Kernels)
		if k.x4x4 != nil {
			kernels = append(kernels, struct {
				name string
				rows int
				f    func() float32
			}{set.name + "-tile4x4", 16, func() float32 { return k.x4x4(w4, len(w), a, 0, nb)[0] }})
		}
		if k.x4x8 != nil {
			kernels = append(kernels, struct {
				name string
				rows int
				f    func() float32
			}{set.name + "-tile4x8", 32, func() float32 { return k.x4x8(w4, len(w), a, 0, nb)[0] }})
		}
		kernels = append(kernels, []struct {
			name string
			rows int
			f    func() float32
		}{
			{set.name, 1, func() float32 { return k.one(w, a, 0, nb) }},
			{set.name + "-tile4", 4, func() float32 { return k.x4(w, a, 0, nb)[0] }},
			{set.name + "-tile2x4", 8, func() float32 { return k.x2x4(w2, len(w), a, 0, nb)[0] }},
		}...)
	}
	for _, k := range kernels {
		b.Run(k.name, func(b *testing.B) {
			var s float32
			cpu0 := cpuSeconds()
			for i := 0; i < b.N; i++ {
				s += k.f()
			}
			b.ReportMetric((cpuSeconds()-cpu0)*1e9/float64(b.N)/nb/float64(k.rows), "cpu-ns/block-row")
			sink = s
		})
	}
}

var sink float32
