package tensor

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"
)

// checkVec holds the active set's vector steps (maximum, scaling, the
// softmax's sum of groups, lane reductions, rounding to half) to their plain
// loops bit for bit on x, any float32 bits (NaN, infinities, subnormals).
func checkVec(t *testing.T, x []float32) {
	t.Helper()
	bitsEq := func(a, b float32) bool {
		return math.Float32bits(a) == math.Float32bits(b) || (a != a && b != b)
	}
	want := float32(math.Inf(-1))
	for _, v := range x {
		want = max(want, v)
	}
	if got := maxF32(x); !bitsEq(got, want) && !(got == 0 && want == 0) {
		t.Fatalf("maxF32 of %d values = %v, plain %v", len(x), got, want)
	}
	if got, want := sumGroups16(x), sumGroups16Plain(x, 0, 0); math.Float64bits(got) != math.Float64bits(want) && !(got != got && want != want) {
		t.Fatalf("sumGroups16 of %d values = %v, plain %v", len(x), got, want)
	}
	got := append([]float32(nil), x...)
	scaleF32(got, 0.37)
	for i, v := range x {
		if !bitsEq(got[i], v*0.37) {
			t.Fatalf("scaleF32: value %d = %v, plain %v", i, got[i], v*0.37)
		}
	}
	h, hp := make([]uint16, len(x)), make([]uint16, len(x))
	convertF16(h, x)
	for i, v := range x {
		hp[i] = F32ToF16(v)
	}
	for i := range h {
		if h[i] != hp[i] {
			t.Fatalf("convertF16: value %d (%08x) = %04x, plain %04x", i, math.Float32bits(x[i]), h[i], hp[i])
		}
	}
	if hd := len(x) / 64 &^ 7; hd > 0 {
		out, outp := make([]float32, hd), make([]float32, hd)
		reduceF16x64(out, x[:64*hd])
		reduceF16x64Plain(outp, x[:64*hd])
		for i := range out {
			if !bitsEq(out[i], outp[i]) {
				t.Fatalf("reduceF16x64: value %d = %v, plain %v", i, out[i], outp[i])
			}
		}
	}
	if hd := len(x) / 16 &^ 7; hd > 0 {
		out, outp := make([]float32, hd), make([]float32, hd)
		reduceLanes(out, x[:16*hd])
		reduceLanesPlain(outp, x[:16*hd])
		for i := range out {
			if !bitsEq(out[i], outp[i]) {
				t.Fatalf("reduceLanes: value %d = %v, plain %v", i, out[i], outp[i])
			}
		}
	}
}

func TestVecStepsEqualPlain(t *testing.T) { kernelSets(t, testVecSteps) }

func testVecSteps(t *testing.T) {
	r := rand.New(rand.NewPCG(101, 102))
	for _, n := range []int{0, 1, 7, 8, 9, 64, 100, 128, 1000, 1024, 1040, 1168, 4096} {
		checkVec(t, randF32(r, n, 1))
		x := randF32(r, n, 1e-6) // F16 subnormals and underflow
		checkVec(t, x)
		for i := range x {
			x[i] = math.Float32frombits(r.Uint32()) // every kind of value
		}
		checkVec(t, x)
	}
	// Ties to even at the half's precision, overflow to infinity, a NaN
	// among finite values (the maximum is NaN).
	checkVec(t, []float32{1 + 1.0/2048, 1 + 3.0/2048, 65520, -65520, 65504, 2.98e-8, 5.96e-8, float32(math.NaN()), 3})
}

// FuzzVecSteps: the same on arbitrary float32 bits.
func FuzzVecSteps(f *testing.F) {
	f.Add([]byte{0, 0, 0xc0, 0x7f, 0, 0, 0x80, 0x3f, 1, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		x := make([]float32, len(data)/4)
		for i := range x {
			x[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
		}
		checkVec(t, x)
	})
}
