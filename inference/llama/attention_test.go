package llama

import (
	"math"
	"math/rand/v2"
	"testing"
)

// dotF32GGMLRef is ggml_vec_dot_f32 (AVX-512) written out step by step:
// 4x16 lanes of FMA from zero, the accumulators added pairwise, the lanes
// reduced, then the leftovers fused into the float sum.
func dotF32GGMLRef(x, y []float32) float32 {
	n := len(x)
	np := n &^ 63
	var acc [4][16]float32
	for i := 0; i < np; i += 64 {
		for a := 0; a < 4; a++ {
			for l := 0; l < 16; l++ {
				k := i + 16*a + l
				acc[a][l] = fma32(x[k], y[k], acc[a][l])
			}
		}
	}
	for l := 0; l < 16; l++ {
		acc[0][l] += acc[2][l]
		acc[1][l] += acc[3][l]
	}
	for l := 0; l < 16; l++ {
		acc[0][l] += acc[1][l]
	}
	sumf := reduce16(&acc[0])
	for i := np; i < n; i++ {
		sumf = fma32(x[i], y[i], sumf)
	}
	return sumf
}

func TestDotF32GGMLMatchesStepByStep(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 8, 63, 64, 65, 100, 128, 192, 256} {
		for trial := 0; trial < 50; trial++ {
			x, y := make([]float32, n), make([]float32, n)
			for i := range x {
				x[i], y[i] = float32(r.NormFloat64()), float32(r.NormFloat64())
			}
			if got, want := dotF32GGML(x, y), dotF32GGMLRef(x, y); got != want {
				t.Fatalf("n=%d: %v, step by step %v", n, got, want)
			}
		}
	}
}

// expV stays within 2 ulp of exp over the range softmax uses.
func TestExpV(t *testing.T) {
	for x := float32(-100); x <= 0; x += 0.0137 {
		got, want := expV(x), float32(math.Exp(float64(x)))
		if want < 1e-37 {
			continue // subnormal: ggml flushes differently
		}
		if ulps := math.Abs(float64(got-want)) / float64(math.Nextafter32(want, 1)-want); ulps > 2 {
			t.Fatalf("expV(%v) = %v, exp = %v (%.1f ulp)", x, got, want, ulps)
		}
	}
	if expV(-200) != 0 || !math.IsInf(float64(expV(200)), 1) {
		t.Fatal("expV does not flush to 0 / overflow to Inf")
	}
}

// naiveAttention is softmax(q·k/sqrt(d))·v in float64.
func naiveAttention(q, k, v []float32, nPos, kvDim, off int) []float64 {
	hd := len(q)
	w := make([]float64, nPos)
	max := math.Inf(-1)
	for p := range w {
		var s float64
		for i := range q {
			s += float64(q[i]) * float64(k[p*kvDim+off+i])
		}
		w[p] = s / math.Sqrt(float64(hd))
		max = math.Max(max, w[p])
	}
	var sum float64
	for p := range w {
		w[p] = math.Exp(w[p] - max)
		sum += w[p]
	}
	out := make([]float64, hd)
	for p := range w {
		for d := range out {
			out[d] += w[p] / sum * float64(v[p*kvDim+off+d])
		}
	}
	return out
}

func TestAttentionKernelsAgreeWithMath(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	const hd, kvHeads = 64, 2
	kvDim := hd * kvHeads
	for _, nPos := range []int{1, 5, 16, 17, 100} {
		q := make([]float32, hd)
		k, v := make([]float32, nPos*kvDim), make([]float32, nPos*kvDim)
		for _, s := range [][]float32{q, k, v} {
			for i := range s {
				s[i] = float32(r.NormFloat64())
			}
		}
		k16, v16 := make([]uint16, len(k)), make([]uint16, len(v))
		for i := range k {
			k16[i], v16[i] = f32ToF16(k[i]), f32ToF16(v[i])
		}
		scale := 1 / float32(math.Sqrt(hd))
		off := hd // the second KV head
		want := naiveAttention(q, k, v, nPos, kvDim, off)
		got32, got16 := make([]float32, hd), make([]float32, hd)
		attendF32(got32, q, k, v, nPos, kvDim, off, make([]float32, (nPos+15)&^15), make([]float32, 16*hd), scale)
		attendF16(got16, q, k16, v16, nPos, kvDim, off, make([]uint16, hd), make([]float32, hd), scale)
		for d := range want {
			if e := math.Abs(float64(got32[d]) - want[d]); e > 1e-5 {
				t.Fatalf("F32 cache, %d positions: out[%d] = %v, want %v", nPos, d, got32[d], want[d])
			}
			if e := math.Abs(float64(got16[d]) - want[d]); e > 2e-2 {
				t.Fatalf("F16 cache, %d positions: out[%d] = %v, want %v", nPos, d, got16[d], want[d])
			}
		}
	}
}
