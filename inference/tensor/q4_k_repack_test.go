package tensor

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"burrow/inference/gguf"
)

// randomQ4Kx8 is nb repacked superblocks of eight rows from random bytes,
// with the F16 scales of some superblocks sane, special or random.
func randomQ4Kx8(r *rand.Rand, nb int) []byte {
	w := make([]byte, nb*q4Kx8Bytes)
	for i := range w {
		w[i] = byte(r.Uint32())
	}
	specials := []uint16{0x0000, 0x8000, 0x7bff, 0x0001, 0x3c00, 0x7c00, 0xfc00, 0x7e00}
	for b := 0; b < nb; b++ {
		mode := r.IntN(4)
		for j := 0; j < 16; j++ {
			o := b*q4Kx8Bytes + 2*j
			switch mode {
			case 1:
				binary.LittleEndian.PutUint16(w[o:], specials[r.IntN(len(specials))])
			case 2, 3:
				binary.LittleEndian.PutUint16(w[o:], F32ToF16(float32(r.Float64()*0.01)))
			}
		}
	}
	return w
}

// Repacking keeps every byte of every row: unpacking gives the file back.
func TestRepackQ4_KRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for _, nb := range []int{1, 3} {
		rows := 16
		src := randomKQBlocks(r, kqQ4_K, rows*nb)
		m, err := NewMatrix(gguf.TypeQ4_K, rows, nb*qkK, src)
		if err != nil {
			t.Fatal(err)
		}
		if !m.Repacked() || &m.Data[0] == &src[0] {
			t.Fatalf("nb=%d: %d-row Q4_K matrix not repacked", nb, rows)
		}
		row := make([]byte, m.RowBytes)
		want := make([]float32, m.Cols)
		got := make([]float32, m.Cols)
		for rr := 0; rr < rows; rr++ {
			rowQ4_Kx8(row, m, rr)
			if !bytes.Equal(row, src[rr*m.RowBytes:(rr+1)*m.RowBytes]) {
				t.Fatalf("nb=%d row %d: unpacked bytes differ", nb, rr)
			}
			dequantizeQ4_K(want, row)
			m.RowF32(rr, got)
			for i := range want {
				if !sameFloat(want[i], got[i]) {
					t.Fatalf("nb=%d row %d: RowF32[%d] = %v, want %v", nb, rr, i, got[i], want[i])
				}
			}
		}
	}
	// Row counts that are not a multiple of 8 stay in the file's layout,
	// and so does a matrix whose alloc declines.
	src := randomKQBlocks(r, kqQ4_K, 12)
	if m, err := NewMatrix(gguf.TypeQ4_K, 12, qkK, src); err != nil || m.Repacked() {
		t.Fatalf("12-row matrix: repacked=%v err=%v", m != nil && m.Repacked(), err)
	}
	m, err := NewMatrixAlloc(gguf.TypeQ4_K, 8, qkK, src[:8*q4KBlockSize], func(int) []byte { return nil })
	if err != nil || m.Repacked() || &m.Data[0] != &src[0] {
		t.Fatalf("declined alloc: repacked=%v err=%v", m != nil && m.Repacked(), err)
	}
}

// gemvQ4_Kx8Plain's two orders against a float64 dot of the dequantized
// weights and activations.
func TestGemvQ4_Kx8VsF64(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	for nb := 1; nb <= 4; nb++ {
		rows := 8
		x := gaussRow(r, rows*nb*qkK, 0.05)
		src := make([]byte, rows*nb*q4KBlockSize)
		quantizeQ4_K(src, x)
		m, err := NewMatrix(gguf.TypeQ4_K, rows, nb*qkK, src)
		if err != nil {
			t.Fatal(err)
		}
		_, aq := quantRow(r, nb*qkK)
		ad := deqQ8_K(aq)
		wf := make([]float32, nb*qkK)
		for _, perSB := range []bool{false, true} {
			var out [8]float32
			gemvQ4_Kx8Plain(m.Data, aq, nb, perSB, out[:])
			for j := 0; j < 8; j++ {
				dequantizeQ4_K(wf, src[j*m.RowBytes:(j+1)*m.RowBytes])
				var want, mag float64
				for i := range wf {
					want += float64(wf[i]) * float64(ad[i])
					mag += math.Abs(float64(wf[i]) * float64(ad[i]))
				}
				if e := math.Abs(float64(out[j]) - want); e > 1e-5*mag+1e-6 {
					t.Errorf("nb=%d perSB=%v row %d: %v, want %v (err %g)", nb, perSB, j, out[j], want, e)
				}
			}
		}
	}
}

// MatMul over a repacked matrix follows llama.cpp's dispatch: batches of
// one to three rows all in gemv order; larger batches gemm for the first
// n-n%4 rows and gemv for the rest. Views on 8-row boundaries stay
// repacked; others are copies in the file's layout.
func TestMatMulQ4_KRepacked(t *testing.T) {
	r := rand.New(rand.NewPCG(25, 26))
	const rows, nb = 40, 2
	x := gaussRow(r, rows*nb*qkK, 0.05)
	src := make([]byte, rows*nb*q4KBlockSize)
	quantizeQ4_K(src, x)
	m, err := NewMatrix(gguf.TypeQ4_K, rows, nb*qkK, src)
	if err != nil {
		t.Fatal(err)
	}
	for _, set := range append([]*kernelSet{plainSet}, fastSets()...) {
		prev := active
		use(set)
		for _, n := range []int{1, 2, 3, 4, 5, 7, 8, 9} {
			a := NewActivations(n, nb*qkK)
			a.Set(gaussRow(r, n*nb*qkK, 1), n)
			out := make([]float32, n*rows)
			MatMul(nil, out, m, a)
			a.prepare(gguf.TypeQ4_K)
			g4 := 0
			if n > 3 {
				g4 = n - n%4
			}
			for tt := 0; tt < n; tt++ {
				var want [8]float32
				for g := 0; g < rows/8; g++ {
					gemvQ4_Kx8Plain(m.Data[g*8*m.RowBytes:], a.row(formQ8_K, tt), nb, tt < g4, want[:])
					for j := 0; j < 8; j++ {
						if got := out[tt*rows+8*g+j]; !sameFloat(got, want[j]) {
							t.Fatalf("%s n=%d row %d col %d: %v, want %v", set.name, n, tt, 8*g+j, got, want[j])
						}
					}
				}
			}
			// Slices: [8,24) stays repacked, [4,20) is a plain copy; both
			// give their rows' results (the plain one in the old order, so
			// only close).
			for _, sl := range [][2]int{{8, 24}, {4, 20}} {
				s, err := m.Slice(sl[0], sl[1])
				if err != nil {
					t.Fatal(err)
				}
				if s.Repacked() != (sl[0]%8 == 0) {
					t.Fatalf("slice %v repacked=%v", sl, s.Repacked())
				}
				so := make([]float32, n*s.Rows)
				MatMul(nil, so, s, a)
				for tt := 0; tt < n; tt++ {
					for i := 0; i < s.Rows; i++ {
						got, want := so[tt*s.Rows+i], out[tt*rows+sl[0]+i]
						if s.Repacked() && !sameFloat(got, want) || math.Abs(float64(got-want)) > 1e-4*(1+math.Abs(float64(want))) {
							t.Fatalf("%s n=%d slice %v row %d col %d: %v, whole matrix %v", set.name, n, sl, tt, i, got, want)
						}
					}
				}
			}
		}
		use(prev)
	}
}
