package tensor

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"burrow/inference/gguf"
)

// TestF16MatMulRoundsInput: F16 weights see the input rounded to F16 in a
// batch too, as llama.cpp (no F16 x F32 tinyBLAS on AVX-512: it converts
// src1 first): each output of a batch whose rows are a multiple of 16 is
// tinyBLAS's F16 x F16 dot, of a single row (or rows of other lengths)
// ggml_vec_dot_f16's, on every kernel set. Large inputs (the SwiGLU outputs
// of a random model reach hundreds) make the two roundings differ in most
// outputs, as they did in check-peer's "llama small q4_k_m".
func TestF16MatMulRoundsInput(t *testing.T) { kernelSets(t, testF16MatMulRoundsInput) }

func testF16MatMulRoundsInput(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	for _, c := range []struct{ rows, cols, n int }{{24, 688, 1}, {24, 688, 2}, {24, 688, 5}, {16, 200, 3}, {8, 64, 35}} {
		w := randF32(r, c.rows*c.cols, 1)
		wb := make([]byte, 2*len(w))
		quantizeF16(wb, w)
		m, err := NewMatrix(gguf.TypeF16, c.rows, c.cols, wb)
		if err != nil {
			t.Fatal(err)
		}
		x := randF32(r, c.n*c.cols, 300)
		a := NewActivations(c.n, c.cols)
		a.Set(x, c.n)
		out := make([]float32, c.n*c.rows)
		MatMul(NewPool(2), out, m, a)
		hx := make([]uint16, c.cols)
		for tk := 0; tk < c.n; tk++ {
			for i := range hx {
				hx[i] = F32ToF16(x[tk*c.cols+i])
			}
			for row := 0; row < c.rows; row++ {
				hw := u16s(m.Row(row))
				want := dotF16GGML512Plain(hw, hx)
				if f16Tiled(c.n, c.cols) {
					want = dotF16L16Plain(hw, hx)
				}
				if got := out[tk*c.rows+row]; math.Float32bits(got) != math.Float32bits(want) {
					t.Fatalf("%dx%d, %d rows: out[%d][%d] = %v, want %v", c.rows, c.cols, c.n, tk, row, got, want)
				}
			}
		}
	}
}

// FuzzDotF16 holds every assembly set's F16 kernels (the F16-input row dot
// and the F16 x F16 batch dot) to their plain twins bit for bit.
func FuzzDotF16(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4})
	f.Add(make([]byte, 4*200))
	seed := make([]byte, 4*(64*3+17))
	for i := range seed {
		seed[i] = byte(i*131 + i/7)
	}
	f.Add(seed)
	f.Fuzz(func(t *testing.T, data []byte) {
		n := len(data) / 4
		x, y := make([]uint16, n), make([]uint16, n)
		for i := 0; i < n; i++ {
			x[i] = binary.LittleEndian.Uint16(data[4*i:])
			y[i] = binary.LittleEndian.Uint16(data[4*i+2:])
			// Finite values only: NaN payloads and inf-inf differ by design.
			if x[i]&0x7c00 == 0x7c00 {
				x[i] &^= 0x4000
			}
			if y[i]&0x7c00 == 0x7c00 {
				y[i] &^= 0x4000
			}
		}
		want, wantF := dotF16GGML512Plain(x, y), dotF16L16Plain(x, y)
		for _, s := range fastSets() {
			k := f16PlainKernels
			for b := s; b != nil; b = b.base { // a set without its own F16 uses its base's
				if e, ok := b.rows[gguf.TypeF16].ext.(*f16Kernels); ok {
					k = e
					break
				}
			}
			if got := k.dot(x, y); math.Float32bits(got) != math.Float32bits(want) && !(got != got && want != want) {
				t.Fatalf("n=%d: %s F16 dot %v, plain %v", n, s.name, got, want)
			}
			if got := k.tile(x, y); math.Float32bits(got) != math.Float32bits(wantF) && !(got != got && wantF != wantF) {
				t.Fatalf("n=%d: %s F16 tile dot %v, plain %v", n, s.name, got, wantF)
			}
		}
	})
}
