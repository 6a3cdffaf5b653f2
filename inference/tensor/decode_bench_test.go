package tensor

import (
	"math/rand/v2"
	"testing"

	"burrow/inference/gguf"
)

// BenchmarkDecodeLlama1BLayers runs the matrix products of one decode step
// through four Llama-3.2-1B-shaped Q8_0 layers (Q/K/V fused, O, gate/up
// fused, down: 260 MB of weights, far beyond the caches), the way the
// forward pass calls them. GB/s is weight bytes read per second; the full
// 1.32 GB model (16 layers and the tied output matrix) reads 1.32 GB per token, so
// tokens/s ≈ GB/s / 1.32.
func BenchmarkDecodeLlama1BLayers(b *testing.B) {
	const dim, kvDim, ff, layers = 2048, 512, 8192, 4
	r := rand.New(rand.NewPCG(4, 4))
	block := make([]byte, q8BlockSize)
	QuantizeQ8_0(block, randF32(r, 32, 0.02))
	mk := func(rows, cols int) *Matrix {
		data := make([]byte, rows*Q8_0RowSize(cols))
		for i := 0; i < len(data); i += q8BlockSize {
			copy(data[i:], block)
			data[i+2+i%32] ^= byte(i) // vary the quants a little
		}
		m, err := NewMatrix(gguf.TypeQ8_0, rows, cols, data)
		if err != nil {
			b.Fatal(err)
		}
		return m
	}
	type layer struct{ q, k, v, o, gate, up, down *Matrix }
	ls := make([]layer, layers)
	var bytes int64
	for i := range ls {
		ls[i] = layer{mk(dim, dim), mk(kvDim, dim), mk(kvDim, dim), mk(dim, dim), mk(ff, dim), mk(ff, dim), mk(dim, ff)}
		for _, m := range []*Matrix{ls[i].q, ls[i].k, ls[i].v, ls[i].o, ls[i].gate, ls[i].up, ls[i].down} {
			bytes += int64(len(m.Data))
		}
	}
	x := randF32(r, dim, 1)
	q, k, v := make([]float32, dim), make([]float32, kvDim), make([]float32, kvDim)
	o, g, u, d := make([]float32, dim), make([]float32, ff), make([]float32, ff), make([]float32, dim)
	inDim, inFF := NewActivations(1, dim), NewActivations(1, ff)
	for _, threads := range []int{1, 2} {
		b.Run(map[int]string{1: "threads=1", 2: "threads=2"}[threads], func(b *testing.B) {
			p := NewPool(threads)
			defer p.Close()
			outs3, ms3 := make([][]float32, 3), make([]*Matrix, 3)
			b.SetBytes(bytes)
			b.ResetTimer()
			cpu0 := cpuSeconds()
			for i := 0; i < b.N; i++ {
				for _, l := range ls {
					inDim.Set(x, 1)
					outs3[0], outs3[1], outs3[2] = q, k, v
					ms3[0], ms3[1], ms3[2] = l.q, l.k, l.v
					MatMulMulti(p, outs3, ms3, inDim)
					inDim.Set(q, 1)
					MatMul(p, o, l.o, inDim)
					inDim.Set(x, 1)
					outs3[0], outs3[1] = g, u
					ms3[0], ms3[1] = l.gate, l.up
					MatMulMulti(p, outs3[:2], ms3[:2], inDim)
					SwiGLU(g, g, u)
					inFF.Set(g, 1)
					MatMul(p, d, l.down, inFF)
				}
			}
			gbs := float64(bytes) * float64(b.N) / b.Elapsed().Seconds() / 1e9
			b.ReportMetric(gbs, "GB/s")
			b.ReportMetric(gbs/1.32, "tok/s-1B")
			// Per busy core: what a quiet machine would give (while the
			// memory bus allows it).
			if cpu := cpuSeconds() - cpu0; cpu > 0 {
				b.ReportMetric(float64(bytes)*float64(b.N)/cpu/1e9, "GB/s-per-core")
			}
		})
	}
}
