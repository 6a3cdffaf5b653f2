package tensor

import (
	"math/rand/v2"
	"testing"

	"burrow/inference/gguf"
)

// TestQ8_0x2x4ZMM holds the 512-bit prompt tile to the plain twin
// (mulQ8_0x2x4Plain's single-row dots in llama.cpp's order, dotQ8_0Lanes)
// and to the 256-bit tile bit for bit, over awkward widths and offsets.
func TestQ8_0x2x4ZMM(t *testing.T) {
	if !haveZMM {
		t.Skip("no AVX-512 BW+VNNI on this CPU")
	}
	r := rand.New(rand.NewPCG(7, 8))
	for _, cols := range []int{32, 64, 96, 224, 2048, 32 * 41, 32 * 67} {
		checkQ8_0x2x4ZMM(t, r, cols, 9)
	}
}

func checkQ8_0x2x4ZMM(t *testing.T, r *rand.Rand, cols, n int) {
	t.Helper()
	nb := cols / 32
	a := NewActivations(n, cols)
	a.Set(randF32(r, n*cols, 1), n)
	a.prepare(gguf.TypeQ8_0)
	w := append(randQ8(r, nb, false), randQ8(r, nb, false)...)
	for tok := 0; tok+4 <= n; tok++ {
		got := mulQ8_0x2x4ZVNNI(w, len(w)/2, a, tok, nb)
		ymm := mulQ8_0x2x4VNNI(w, len(w)/2, a, tok, nb)
		for k := range got {
			row, x := w[k/4*len(w)/2:], a.q8Row(tok+k%4)
			if lanes := dotQ8_0Lanes(row, x, nb); got[k] != lanes || got[k] != ymm[k] {
				t.Fatalf("cols=%d tok=%d out[%d]: zmm %v, ymm %v, llama.cpp order %v", cols, tok, k, got[k], ymm[k], lanes)
			}
		}
	}
}

func FuzzQ8_0x2x4ZMM(f *testing.F) {
	f.Add(uint64(1), uint8(3))
	f.Fuzz(func(t *testing.T, seed uint64, nb uint8) {
		if !haveZMM || nb == 0 {
			return
		}
		checkQ8_0x2x4ZMM(t, rand.New(rand.NewPCG(seed, 1)), int(nb)*32, 5)
	})
}
