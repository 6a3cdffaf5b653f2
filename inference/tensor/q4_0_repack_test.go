package tensor

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"burrow/inference/gguf"
)

// randomQ4_0Rows is rows x nb Q4_0 blocks in the file's layout (quantized,
// zero, random and Inf/NaN-scaled blocks).
func randomQ4_0Rows(r *rand.Rand, rows, nb int) []byte {
	return lqRandBlocks(r, lqFind(gguf.TypeQ4_0), rows*nb)
}

// Repacking keeps every byte of every row.
func TestRepackQ4_0RoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(71, 72))
	src := lqRandBlocks(r, lqFind(gguf.TypeIQ4_NL), 16*3)
	m, err := NewMatrix(gguf.TypeIQ4_NL, 16, 3*lqBlock, src)
	if err != nil || !m.Repacked() {
		t.Fatalf("IQ4_NL: repacked=%v err=%v", m != nil && m.Repacked(), err)
	}
	want := make([]float32, m.Cols)
	got := make([]float32, m.Cols)
	for rr := 0; rr < 16; rr++ {
		dequantizeIQ4_NL(want, src[rr*m.RowBytes:(rr+1)*m.RowBytes])
		m.RowF32(rr, got)
		for i := range want {
			if !sameBits(want[i], got[i]) {
				t.Fatalf("IQ4_NL row %d: RowF32[%d] = %v, want %v", rr, i, got[i], want[i])
			}
		}
	}
	testRepackQ4_0RoundTrip(t)
}

func testRepackQ4_0RoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(61, 62))
	for _, nb := range []int{1, 5} {
		const rows = 16
		src := randomQ4_0Rows(r, rows, nb)
		m, err := NewMatrix(gguf.TypeQ4_0, rows, nb*lqBlock, src)
		if err != nil {
			t.Fatal(err)
		}
		if !m.Repacked() || &m.Data[0] == &src[0] {
			t.Fatalf("nb=%d: %d-row Q4_0 matrix not repacked", nb, rows)
		}
		row := make([]byte, m.RowBytes)
		want := make([]float32, m.Cols)
		got := make([]float32, m.Cols)
		for rr := 0; rr < rows; rr++ {
			file := src[rr*m.RowBytes : (rr+1)*m.RowBytes]
			rowQ4_0x8(row, m, rr)
			if !bytes.Equal(row, file) {
				t.Fatalf("nb=%d row %d: unpacked bytes differ", nb, rr)
			}
			dequantizeQ4_0(want, file)
			m.RowF32(rr, got)
			for i := range want {
				if !sameBits(want[i], got[i]) {
					t.Fatalf("nb=%d row %d: RowF32[%d] = %v, want %v", nb, rr, i, got[i], want[i])
				}
			}
		}
	}
	src := randomQ4_0Rows(r, 12, 1)
	if m, err := NewMatrix(gguf.TypeQ4_0, 12, lqBlock, src); err != nil || m.Repacked() {
		t.Fatalf("12-row matrix: repacked=%v err=%v", m != nil && m.Repacked(), err)
	}
	m, err := NewMatrixAlloc(gguf.TypeQ4_0, 8, lqBlock, src[:8*q4_0BlockSize], func(int) []byte { return nil })
	if err != nil || m.Repacked() || &m.Data[0] != &src[0] {
		t.Fatalf("declined alloc: repacked=%v err=%v", m != nil && m.Repacked(), err)
	}
}

// The repacked twin gives dotQ4_0SeqPlain's bits (the order that matches
// llama.cpp) for every row, on any bytes.
func TestGemvQ4_0x8EqualsSeq(t *testing.T) {
	testGemvX8EqualsSeq(t, gguf.TypeQ4_0, gemvQ4_0x8Plain, dotQ4_0SeqPlain)
}

func TestGemvIQ4_NLx8EqualsSeq(t *testing.T) {
	testGemvX8EqualsSeq(t, gguf.TypeIQ4_NL, gemvIQ4_NLx8Plain, dotIQ4_NLSeqPlain)
}

func testGemvX8EqualsSeq(t *testing.T, typ gguf.Type, gemv func(w, x []byte, nb int, out []float32), seq func(w, x []byte, nb int) float32) {
	r := rand.New(rand.NewPCG(63, 64))
	c := lqFind(typ)
	for it := 0; it < 300; it++ {
		nb := 1 + it%9
		src := lqRandBlocks(r, c, 8*nb)
		w := make([]byte, len(src))
		repackQ4_0(w, src, 8, nb)
		x := lqRandAct(r, c, nb)
		var out [8]float32
		gemv(w, x, nb, out[:])
		for j := 0; j < 8; j++ {
			if want := seq(src[j*nb*q4_0BlockSize:], x, nb); !sameBits(out[j], want) {
				t.Fatalf("it %d nb %d row %d: repacked %v, seq %v", it, nb, j, out[j], want)
			}
		}
	}
}

// MatMul over a repacked Q4_0 matrix gives the seq order's bits in every
// kernel set and batch size (gemv and gemm4 paths); views on 8-row
// boundaries stay repacked, others are file-layout copies.
func TestMatMulQ4_0Repacked(t *testing.T) {
	kernelSets(t, func(t *testing.T) { testMatMulX8Repacked(t, gguf.TypeQ4_0, dotQ4_0SeqPlain) })
}

func TestMatMulIQ4_NLRepacked(t *testing.T) {
	kernelSets(t, func(t *testing.T) { testMatMulX8Repacked(t, gguf.TypeIQ4_NL, dotIQ4_NLSeqPlain) })
}

func testMatMulX8Repacked(t *testing.T, typ gguf.Type, seq func(w, x []byte, nb int) float32) {
	r := rand.New(rand.NewPCG(65, 66))
	const rows, nb = 40, 3
	cols := nb * lqBlock
	src := encodeRows(t, typ, randF32(r, rows*cols, 1), cols)
	m, err := NewMatrix(typ, rows, cols, src)
	if err != nil {
		t.Fatal(err)
	}
	if !m.Repacked() {
		t.Fatal("not repacked")
	}
	rb := m.RowBytes
	for _, n := range []int{1, 2, 3, 4, 5, 7, 8, 9} {
		a := NewActivations(n, cols)
		a.Set(randF32(r, n*cols, 2), n)
		out := make([]float32, n*rows)
		MatMul(nil, out, m, a)
		for tt := 0; tt < n; tt++ {
			for rr := 0; rr < rows; rr++ {
				if g, e := out[tt*rows+rr], seq(src[rr*rb:], a.row(formQ8_0, tt), nb); !sameBits(g, e) {
					t.Fatalf("n=%d out[%d][%d] = %v, want %v", n, tt, rr, g, e)
				}
			}
		}
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
					// 16 rows: the seq order either way.
					if g, e := so[tt*s.Rows+i], out[tt*rows+sl[0]+i]; !sameBits(g, e) {
						t.Fatalf("n=%d slice %v out[%d][%d] = %v, whole matrix %v", n, sl, tt, i, g, e)
					}
				}
			}
		}
	}
}
