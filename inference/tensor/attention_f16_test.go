package tensor

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestAttentionF16: the blocked kernel (plain and assembly) gives exactly
// the one-position-at-a-time model of llama.cpp's flash attention, and
// that model is softmax attention within F16 rounding.
func TestAttentionF16(t *testing.T) { kernelSets(t, testAttentionF16) }

func testAttentionF16(t *testing.T) {
	r := rand.New(rand.NewPCG(61, 62))
	for _, tc := range []struct{ hd, stride, nPos int }{
		{8, 32, 1}, {8, 32, 45}, {64, 64, 1}, {64, 512, 33}, {64, 128, 100},
		{128, 256, 70}, {80, 80, 20}, {12, 24, 9}, {256, 256, 3},
	} {
		for trial := 0; trial < 4; trial++ {
			// Scores large enough that the running maximum moves often.
			q := randF32(r, tc.hd, 2)
			k16, v16 := make([]uint16, tc.nPos*tc.stride), make([]uint16, tc.nPos*tc.stride)
			convertF16(k16, randF32(r, len(k16), 1))
			convertF16(v16, randF32(r, len(v16), 1))
			scale := 1 / float32(math.Sqrt(float64(tc.hd)))
			got, want := make([]float32, tc.hd), make([]float32, tc.hd)
			AttentionF16(got, q, k16, v16, tc.stride, tc.nPos, scale, make([]uint16, tc.hd), make([]float32, tc.hd))
			attendF16Plain(want, q, k16, v16, tc.stride, tc.nPos, scale, 0, make([]uint16, tc.hd), make([]float32, tc.hd))
			for d := range got {
				if math.Float32bits(got[d]) != math.Float32bits(want[d]) {
					t.Fatalf("%+v: out[%d] = %v, model %v", tc, d, got[d], want[d])
				}
			}
			exact := softmaxAttention64(q, k16, v16, tc.stride, tc.nPos, float64(scale))
			for d := range got {
				if e := math.Abs(float64(got[d]) - exact[d]); e > 2e-2 {
					t.Fatalf("%+v: out[%d] = %v, exact %v", tc, d, got[d], exact[d])
				}
			}
		}
	}
}

// softmaxAttention64 is one head's attention in float64 over F16 K and V
// (the query rounded to F16 as the kernel does).
func softmaxAttention64(q []float32, k, v []uint16, stride, nPos int, scale float64) []float64 {
	hd := len(q)
	w := make([]float64, nPos)
	mx := math.Inf(-1)
	for p := range w {
		for i := range q {
			w[p] += float64(F16ToF32(F32ToF16(q[i]))) * float64(F16ToF32(k[p*stride+i]))
		}
		w[p] *= scale
		mx = math.Max(mx, w[p])
	}
	var sum float64
	for p := range w {
		w[p] = math.Exp(w[p] - mx)
		sum += w[p]
	}
	out := make([]float64, hd)
	for p := range w {
		for d := range out {
			out[d] += w[p] / sum * float64(F16ToF32(v[p*stride+d]))
		}
	}
	return out
}

func BenchmarkAttentionF16(b *testing.B) {
	const hd, stride, nPos = 64, 512, 1024
	r := rand.New(rand.NewPCG(63, 64))
	q := randF32(r, hd, 1)
	k16, v16 := make([]uint16, nPos*stride), make([]uint16, nPos*stride)
	convertF16(k16, randF32(r, len(k16), 1))
	convertF16(v16, randF32(r, len(v16), 1))
	out, q16, acc := make([]float32, hd), make([]uint16, hd), make([]float32, hd)
	for _, set := range []string{"plain", "fast"} {
		b.Run(set, func(b *testing.B) {
			if set == "plain" {
				usePlain()
			} else if !haveAVX2 {
				b.Skip("no AVX2")
			}
			defer useFastIfAvailable()
			c0 := cpuSeconds()
			for b.Loop() {
				AttentionF16(out, q, k16, v16, stride, nPos, 0.125, q16, acc)
			}
			b.ReportMetric((cpuSeconds()-c0)*1e9/float64(b.N*nPos), "cpu-ns/pos")
		})
	}
	b.Run("model", func(b *testing.B) {
		c0 := cpuSeconds()
		for b.Loop() {
			attendF16Plain(out, q, k16, v16, stride, nPos, 0.125, 0, q16, acc)
		}
		b.ReportMetric((cpuSeconds()-c0)*1e9/float64(b.N*nPos), "cpu-ns/pos")
	})
}
