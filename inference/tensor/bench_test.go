package tensor

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"burrow/inference/gguf"
)

// benchMatrices makes enough copies of a rows x cols matrix that cycling
// through them overflows the last-level cache, so decode benchmarks measure
// memory bandwidth as a model's forward pass sees it.
func benchMatrices(b *testing.B, typ gguf.Type, rows, cols int) []*Matrix {
	b.Helper()
	r := rand.New(rand.NewPCG(1, 1))
	x := randF32(r, cols, 0.02)
	row := make([]byte, int(typ.RowSize(int64(cols))))
	tb := &testing.T{}
	copy(row, encodeRows(tb, typ, x, cols))
	size := rows * len(row)
	copies := max(1, (96<<20)/size)
	ms := make([]*Matrix, copies)
	for c := range ms {
		data := make([]byte, size)
		for i := 0; i < rows; i++ {
			copy(data[i*len(row):], row)
			data[i*len(row)+2] ^= byte(i) // rows differ a little
		}
		m, err := NewMatrix(typ, rows, cols, data)
		if err != nil {
			b.Fatal(err)
		}
		ms[c] = m
	}
	return ms
}

func benchMatMul(b *testing.B, typ gguf.Type, rows, cols, n int) {
	ms := benchMatrices(b, typ, rows, cols)
	r := rand.New(rand.NewPCG(2, 2))
	a := NewActivations(n, cols)
	a.Set(randF32(r, n*cols, 1), n)
	out := make([]float32, n*rows)
	for _, set := range append([]*kernelSet{plainSet}, fastSets()...) {
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/threads=%d", set.name, threads), func(b *testing.B) {
				use(set)
				defer useFastIfAvailable()
				p := NewPool(threads)
				defer p.Close()
				b.SetBytes(int64(len(ms[0].Data)))
				b.ResetTimer()
				cpu0 := cpuSeconds()
				for i := 0; i < b.N; i++ {
					a.Set(a.f32[:n*cols], n) // the quantization is part of the cost
					MatMul(p, out, ms[i%len(ms)], a)
				}
				sec := b.Elapsed().Seconds()
				bytes := float64(len(ms[0].Data)) * float64(b.N)
				b.ReportMetric(bytes/sec/1e9, "GB/s")
				// Per busy core-second: what the kernel does on a quiet
				// machine when other processes take cores away.
				if cpu := cpuSeconds() - cpu0; cpu > 0 {
					b.ReportMetric(bytes/cpu/1e9*float64(threads), "GB/s-cpu")
				}
				if n > 1 {
					b.ReportMetric(float64(n*b.N)/sec, "rows/s")
				}
			})
		}
	}
}

// Decode: one input row, the FFN up/gate shape of Llama-3.2-1B.
func BenchmarkMatMulQ8_0_2048x8192(b *testing.B) { benchMatMul(b, gguf.TypeQ8_0, 8192, 2048, 1) }
func BenchmarkMatMulQ8_0_8192x2048(b *testing.B) { benchMatMul(b, gguf.TypeQ8_0, 2048, 8192, 1) }
func BenchmarkMatMulF16_2048x8192(b *testing.B)  { benchMatMul(b, gguf.TypeF16, 8192, 2048, 1) }
func BenchmarkMatMulF32_2048x2048(b *testing.B)  { benchMatMul(b, gguf.TypeF32, 2048, 2048, 1) }

// Decode against the tied output matrix of Qwen3.5-0.8B (Q6_K in its Q4_K_M
// file): 208 MB, one dot per vocabulary row.
func BenchmarkMatMulQ6_K_248320x1024(b *testing.B) { benchMatMul(b, gguf.TypeQ6_K, 248320, 1024, 1) }

// Prompt processing: 64 input rows against a 2048x2048 matrix (attn_q).
func BenchmarkMatMulQ8_0_2048x2048_Prompt64(b *testing.B) {
	benchMatMul(b, gguf.TypeQ8_0, 2048, 2048, 64)
}

// Attention for one token over 1024 cached positions, Llama-3.2-1B heads.
func BenchmarkAttention1024(b *testing.B) {
	const nHead, nKV, hd, nPos = 32, 8, 64, 1024
	r := rand.New(rand.NewPCG(3, 3))
	q, k, v := randF32(r, nHead*hd, 1), randF32(r, nPos*nKV*hd, 1), randF32(r, nPos*nKV*hd, 1)
	out, scratch := make([]float32, nHead*hd), make([]float32, AttentionScratch(nHead, hd, nPos))
	for _, set := range []string{"plain", "fast"} {
		b.Run(set, func(b *testing.B) {
			useFastIfAvailable()
			if set == "plain" {
				usePlain()
			}
			defer useFastIfAvailable()
			cpu0 := cpuSeconds()
			for i := 0; i < b.N; i++ {
				Attention(nil, out, q, k, v, nPos, nHead, nKV, hd, scratch)
			}
			b.ReportMetric((cpuSeconds()-cpu0)*1e6/float64(b.N), "cpu-us/op")
		})
	}
}

// The llama.cpp-exact attention pieces for one head over 1024 positions
// (Llama-3.2-1B head size): scores by DotF32GGML, weights times V by
// WeightedSumGGML.
func BenchmarkAttentionGGMLHead1024(b *testing.B) {
	const hd, kvDim, nPos = 64, 512, 1024
	r := rand.New(rand.NewPCG(5, 5))
	q, k, v := randF32(r, hd, 1), randF32(r, nPos*kvDim, 1), randF32(r, nPos*kvDim, 1)
	s, out := make([]float32, nPos), make([]float32, hd)
	scratch := make([]float32, WeightedSumScratch(hd, nPos))
	for _, set := range []string{"plain", "fast"} {
		b.Run(set, func(b *testing.B) {
			useFastIfAvailable()
			if set == "plain" {
				usePlain()
			}
			defer useFastIfAvailable()
			cpu0 := cpuSeconds()
			for i := 0; i < b.N; i++ {
				for p := range s {
					s[p] = DotF32GGML(k[p*kvDim:p*kvDim+hd], q) * 0.125
				}
				WeightedSumGGML(out, v, kvDim, s, scratch)
			}
			b.ReportMetric((cpuSeconds()-cpu0)*1e6/float64(b.N), "cpu-us/op")
		})
	}
}

// Prompt processing through ffn_down's shape: 64 input rows of 8192 values
// (557 KB quantized, more than L2) against a 2048x8192 matrix.
func BenchmarkMatMulQ8_0_8192x2048_Prompt64(b *testing.B) {
	benchMatMul(b, gguf.TypeQ8_0, 2048, 8192, 64)
}
