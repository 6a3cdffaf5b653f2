package tensor

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The AVX2 attention kernels equal their plain twins bit for bit: the
// chain-pair value sums around the chain and strip edges (an odd count of
// positions, chains of unequal length, several strips, lanes that already
// hold sums) and the eight-position scores of F32 and F16 caches.
func TestAttentionKernelsEqualPlain(t *testing.T) {
	if !haveAVX2 {
		t.Log("no AVX2: the assembly kernels are not tested on this machine")
		return
	}
	r := rand.New(rand.NewPCG(95, 96))
	for _, hd := range []int{32, 64, 96, 128, 256, 512, 640} {
		for _, n := range []int{32, 33, 47, 64, 127, 128, 129, 200, 1000} {
			checkAttentionKernels(t, r, hd, hd+r.IntN(3)*8, n, 1)
		}
	}
}

func checkAttentionKernels(t *testing.T, r *rand.Rand, hd, stride, n int, scale float32) {
	t.Helper()
	v, w := randF32(r, n*stride, scale), randF32(r, n, 1)
	v16, w16 := make([]uint16, len(v)), make([]uint16, n)
	convertF16(v16, v)
	convertF16(w16, w)
	q := randF32(r, hd, scale)
	q16 := make([]uint16, hd)
	convertF16(q16, q)
	same := func(what string, got, want []float32) {
		t.Helper()
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) && !(got[i] != got[i] && want[i] != want[i]) {
				t.Fatalf("hd %d stride %d n %d: %s %d = %v, plain %v", hd, stride, n, what, i, got[i], want[i])
			}
		}
	}
	got, want := make([]float32, n), make([]float32, n)
	scoresGGMLFast(got, v, stride, q, 0.125)
	scoresGGMLPlain(want, v, stride, q, 0.125)
	same("F32 score", got, want)
	scoresF16Fast(got, v16, stride, q16, 0.125)
	scoresF16Plain(want, v16, stride, q16, 0.125)
	same("F16 score", got, want)
	init16, init64 := randF32(r, 16*hd, 1), randF32(r, 64*hd, 1)
	got, want = append([]float32(nil), init16...), append([]float32(nil), init16...)
	wsumLanesChains(got, v, stride, w)
	wsumLanesPlain(want, v, stride, w)
	same("F32 lane value", got, want)
	got, want = append([]float32(nil), init64...), append([]float32(nil), init64...)
	wsumF16x64Fast(got, v16, stride, w16)
	wsumF16x64Plain(want, v16, stride, w16)
	same("F16 lane value", got, want)
}

// FuzzAttentionKernels: the same on arbitrary shapes and magnitudes (sums
// that overflow to infinity or NaN must agree too).
func FuzzAttentionKernels(f *testing.F) {
	f.Add(uint64(1), uint16(40), uint8(1), uint8(0), uint8(10))
	f.Add(uint64(2), uint16(300), uint8(3), uint8(2), uint8(60))
	f.Fuzz(func(t *testing.T, seed uint64, n uint16, hdIn, pad, mag uint8) {
		if !haveAVX2 {
			t.Skip("no AVX2 here")
		}
		r := rand.New(rand.NewPCG(seed, 97))
		hd := (int(hdIn)%20 + 1) * 32
		checkAttentionKernels(t, r, hd, hd+int(pad)%4*8, int(n)%1500+1, float32(math.Pow(2, float64(int(mag)%80-20))))
	})
}
