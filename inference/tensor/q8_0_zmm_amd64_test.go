package tensor

import (
	"math/rand/v2"
	"testing"

	"burrow/inference/gguf"
)

// TestQ8_0x2x4ZMM holds the 512-bit prompt tiles (2x4, 4x4, 4x8) to the plain twin
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
	w4 := append(append(append([]byte{}, w...), randQ8(r, nb, false)...), randQ8(r, nb, false)...)
	for tok := 0; tok+8 <= n; tok++ {
		got32, want32 := mulQ8_0x4x8ZVNNI(w4, len(w)/2, a, tok, nb), mulQ8_0x4x8Plain(w4, len(w)/2, a, tok, nb)
		for k := range got32 {
			row, x := w4[k/8*len(w)/2:], a.q8Row(tok+k%8)
			if lanes := dotQ8_0Lanes(row, x, nb); got32[k] != lanes || !closeRel(float64(got32[k]), float64(want32[k]), q8Magnitude(row, x, nb), 1e-6) {
				t.Fatalf("cols=%d tok=%d 4x8 out[%d]: zmm %v, plain %v, llama.cpp order %v", cols, tok, k, got32[k], want32[k], lanes)
			}
		}
	}
	for tok := 0; tok+4 <= n; tok++ {
		got16, want16 := mulQ8_0x4x4ZVNNI(w4, len(w)/2, a, tok, nb), mulQ8_0x4x4Plain(w4, len(w)/2, a, tok, nb)
		for k := range got16 {
			row, x := w4[k/4*len(w)/2:], a.q8Row(tok+k%4)
			if lanes := dotQ8_0Lanes(row, x, nb); got16[k] != lanes || !closeRel(float64(got16[k]), float64(want16[k]), q8Magnitude(row, x, nb), 1e-6) {
				t.Fatalf("cols=%d tok=%d 4x4 out[%d]: zmm %v, plain %v, llama.cpp order %v", cols, tok, k, got16[k], want16[k], lanes)
			}
		}
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
		checkQ8_0x2x4ZMM(t, rand.New(rand.NewPCG(seed, 1)), int(nb)*32, 9)
	})
}

// TestMatMulQ8_0ZMM: through MatMul (4x4 tiles, then 2x4, then single rows
// and tail tokens in one row group) every output has the one-row dot's
// bits in llama.cpp's order.
func TestMatMulQ8_0ZMM(t *testing.T) {
	if !haveZMM {
		t.Skip("no AVX-512 BW+VNNI on this CPU")
	}
	use(vnniSet)
	defer useFastIfAvailable()
	r := rand.New(rand.NewPCG(11, 12))
	for _, sh := range []struct{ rows, cols, n int }{{37, 96, 9}, {16, 2048, 4}, {7, 32 * 5, 6}, {22, 64, 13}, {40, 256, 16}, {18, 32 * 9, 21}} {
		nb := sh.cols / 32
		w := encodeRows(t, gguf.TypeQ8_0, randF32(r, sh.rows*sh.cols, 0.5), sh.cols)
		m, err := NewMatrix(gguf.TypeQ8_0, sh.rows, sh.cols, w)
		if err != nil {
			t.Fatal(err)
		}
		a := NewActivations(sh.n, sh.cols)
		a.Set(randF32(r, sh.n*sh.cols, 2), sh.n)
		out := make([]float32, sh.n*sh.rows)
		p := NewPool(2)
		MatMul(p, out, m, a)
		p.Close()
		for tok := 0; tok < sh.n; tok++ {
			for row := 0; row < sh.rows; row++ {
				if want := dotQ8_0Lanes(m.Row(row), a.q8Row(tok), nb); out[tok*sh.rows+row] != want {
					t.Fatalf("%dx%dx%d: out[%d][%d] = %v, one-row dot %v", sh.rows, sh.cols, sh.n, tok, row, out[tok*sh.rows+row], want)
				}
			}
		}
	}
}
