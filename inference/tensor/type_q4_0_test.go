package tensor

import (
	"math"
	"math/rand/v2"
	"testing"

	"burrow/inference/gguf"
)

func init() {
	lqCases = append(lqCases, lqCase{
		typ: gguf.TypeQ4_0, bs: q4_0BlockSize, actBS: q8BlockSize, act: quantizeQ8_0Act,
		dequantize: dequantizeQ4_0, quantize: quantizeQ4_0, plain: dotQ4_0Plain,
		// One step (the clamp at 15 on the side opposite the largest
		// value), the F16 scale's rounding over 8 steps.
		roundTrip: func(x []float32) float64 { a := lqAmax(x); return a/8*1.002 + a*math.Ldexp(1, -10) },
	})
}

// TestQ4_0SeqPlainEqualsFast holds the repacked-order kernel's assembly
// equal to its Go twin, on quantized and on random bytes.
func TestQ4_0SeqPlainEqualsFast(t *testing.T) {
	fast := q4_0SeqFast()
	if fast == nil {
		t.Skip("no fast Q4_0 kernels on this CPU")
	}
	c := lqFind(gguf.TypeQ4_0)
	r := rand.New(rand.NewPCG(41, 42))
	for it := 0; it < 400; it++ {
		nb := 1 + it%11
		w, x := lqRandBlocks(r, c, nb), lqRandAct(r, c, nb)
		p, f := dotQ4_0SeqPlain(w, x, nb), fast(w, x, nb)
		if !sameBits(p, f) {
			t.Fatalf("nb %d: plain %g (%#x) fast %g (%#x)", nb, p, math.Float32bits(p), f, math.Float32bits(f))
		}
	}
	if fast(nil, nil, 0) != 0 {
		t.Fatal("nb 0 is not 0")
	}
}

// TestQ4_0SeqOrder: the repacked order is one FMA per block, exactly, and
// agrees with the lane order up to float32 rounding.
func TestQ4_0SeqOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(43, 44))
	for it := 0; it < 100; it++ {
		nb := 1 + it%12
		w := make([]byte, nb*q4_0BlockSize)
		quantizeQ4_0(w, randF32(r, nb*lqBlock, 1))
		x := make([]byte, nb*q8BlockSize)
		quantizeQ8_0Act(x, randF32(r, nb*lqBlock, 2))
		var want float32
		var mag float64
		for i := 0; i < nb; i++ {
			var s int32
			for j := 0; j < lqBlock; j++ {
				q := int32(w[i*q4_0BlockSize+2+j%16] >> (4 * (j / 16)) & 0xF)
				s += (q - 8) * int32(int8(x[i*q8BlockSize+2+j]))
			}
			d := lqF16(w[i*q4_0BlockSize:]) * lqF16(x[i*q8BlockSize:])
			want = float32(math.FMA(float64(s), float64(d), float64(want)))
			mag += math.Abs(float64(s) * float64(d))
		}
		if got := dotQ4_0SeqPlain(w, x, nb); !sameBits(got, want) {
			t.Fatalf("nb %d: %g, want %g", nb, got, want)
		}
		if l := dotQ4_0Plain(w, x, nb); math.Abs(float64(l-want)) > 1e-5*mag+1e-30 {
			t.Fatalf("nb %d: lanes %g, sequential %g", nb, l, want)
		}
	}
}

// TestLegacyRepackChoice: for Q4_0 and IQ4_NL MatMul takes the repacked
// order for matrices whose rows are a multiple of 8 and the vec_dot order
// for the others, in both kernel sets.
func TestLegacyRepackChoice(t *testing.T) { kernelSets(t, testLegacyRepackChoice) }

func testLegacyRepackChoice(t *testing.T) {
	r := rand.New(rand.NewPCG(45, 46))
	const cols = 32 * 24
	for _, tc := range []struct {
		typ      gguf.Type
		dot, seq func(w, x []byte, nb int) float32
	}{
		{gguf.TypeQ4_0, dotQ4_0Plain, dotQ4_0SeqPlain},
		{gguf.TypeIQ4_NL, dotIQ4_NLPlain, dotIQ4_NLSeqPlain},
	} {
		for _, rows := range []int{8, 12, 16, 7} {
			w := encodeRows(t, tc.typ, randF32(r, rows*cols, 1), cols)
			m, err := NewMatrix(tc.typ, rows, cols, w)
			if err != nil {
				t.Fatal(err)
			}
			a := NewActivations(5, cols)
			a.Set(randF32(r, 5*cols, 2), 5)
			out := make([]float32, 5*rows)
			MatMul(nil, out, m, a)
			want := tc.dot
			if rows%8 == 0 {
				want = tc.seq
			}
			for tk := 0; tk < 5; tk++ {
				for rr := 0; rr < rows; rr++ {
					if g, e := out[tk*rows+rr], want(w[rr*m.RowBytes:(rr+1)*m.RowBytes], a.row(formQ8_0, tk), cols/lqBlock); !sameBits(g, e) {
						t.Fatalf("%s, %d rows: out[%d][%d] = %g, want %g", tc.typ, rows, tk, rr, g, e)
					}
				}
			}
		}
	}
}

// FuzzQ4_0SeqDot holds the repacked-order kernel's assembly equal to its Go
// twin on any bytes.
func FuzzQ4_0SeqDot(f *testing.F) {
	r := rand.New(rand.NewPCG(47, 48))
	c := lqFind(gguf.TypeQ4_0)
	for nb := 1; nb <= 4; nb++ {
		f.Add(append(lqRandBlocks(r, c, nb), lqRandAct(r, c, nb)...))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fast := q4_0SeqFast()
		if fast == nil {
			return
		}
		nb := len(data) / (q4_0BlockSize + q8BlockSize)
		w, x := data[:nb*q4_0BlockSize], data[nb*q4_0BlockSize:nb*(q4_0BlockSize+q8BlockSize)]
		if p, fa := dotQ4_0SeqPlain(w, x, nb), fast(w, x, nb); !sameBits(p, fa) {
			t.Fatalf("nb %d: plain %g fast %g", nb, p, fa)
		}
	})
}
