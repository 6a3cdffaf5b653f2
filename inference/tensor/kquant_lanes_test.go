package tensor

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"
)

// kq23Type describes one of the 256-superblock weight types for the shared tests.
type kq23Type struct {
	name       string
	size       int
	dequantize func([]float32, []byte)
	quantize   func([]byte, []float32)
	plain      func(w, x []byte, nb int) float32
	fast       func(w, x []byte, nb int) float32
	x4         func(w, x []byte, stride, nb int) [4]float32 // nil if none
	// scaleOffs are the byte offsets of the F16 scales inside a block.
	scaleOffs []int
}

// randKQ fills nb random superblocks; mode 0 ordinary scales, 1 extreme
// (any F16, NaN and Inf included), 2 all-zero blocks mixed in.
func randKQ23(r *rand.Rand, typ kq23Type, nb, mode int) []byte {
	b := make([]byte, nb*typ.size)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	for i := 0; i < nb; i++ {
		blk := b[i*typ.size : (i+1)*typ.size]
		for _, off := range typ.scaleOffs {
			var h uint16
			switch mode {
			case 1:
				h = uint16(r.Uint32())
			default:
				h = F32ToF16(float32(r.NormFloat64() * 0.01))
			}
			binary.LittleEndian.PutUint16(blk[off:], h)
		}
		if mode == 2 && r.IntN(3) == 0 {
			clear(blk)
		}
	}
	return b
}

// randQ8K gives nb Q8_K superblocks: quantized from random floats, or
// (raw) random quants including -128 with random sums and scale.
func randQ8K(r *rand.Rand, nb int, raw bool) []byte {
	y := make([]byte, nb*q8KBlockSize)
	if raw {
		for i := range y {
			y[i] = byte(r.Uint32())
		}
		for i := 0; i < nb; i++ {
			binary.LittleEndian.PutUint32(y[i*q8KBlockSize:], math.Float32bits(float32(r.NormFloat64())))
		}
		return y
	}
	x := make([]float32, nb*qkK)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	quantizeQ8_KAct(y, x)
	return y
}

func sameF32(a, b float32) bool { return a == b || (a != a && b != b) }

func testKQ23FastMatchesPlain(t *testing.T, typ kq23Type) {
	if !haveAVX2 {
		t.Skip("no AVX2")
	}
	r := rand.New(rand.NewPCG(7, uint64(typ.size)))
	for nb := 1; nb <= 8; nb++ {
		for mode := 0; mode < 3; mode++ {
			for trial := 0; trial < 30; trial++ {
				w := randKQ23(r, typ, nb, mode)
				x := randQ8K(r, nb, trial%2 == 1)
				got, want := typ.fast(w, x, nb), typ.plain(w, x, nb)
				if !sameF32(got, want) {
					t.Fatalf("%s nb=%d mode=%d: fast %v (%#x), plain %v (%#x)", typ.name, nb, mode,
						got, math.Float32bits(got), want, math.Float32bits(want))
				}
			}
		}
	}
}

// testKQ23DotMatchesDequant: the integer path equals the float64 dot of the
// dequantized weights with the dequantized activations, within float32
// rounding of the terms (bound: 1e-5 of the sum of |terms|).
func testKQ23DotMatchesDequant(t *testing.T, typ kq23Type) {
	r := rand.New(rand.NewPCG(8, uint64(typ.size)))
	for nb := 1; nb <= 8; nb++ {
		w := randKQ23(r, typ, nb, 0)
		y := randQ8K(r, nb, false)
		wf := make([]float32, nb*qkK)
		typ.dequantize(wf, w)
		var want, mag float64
		for i := 0; i < nb; i++ {
			d, q8, _ := q8KParts(y, i)
			for j := 0; j < qkK; j++ {
				v := float64(wf[i*qkK+j]) * float64(d) * float64(int8(q8[j]))
				want += v
				mag += math.Abs(v)
			}
		}
		got := typ.plain(w, y, nb)
		if math.Abs(float64(got)-want) > 1e-5*mag+1e-30 {
			t.Fatalf("%s nb=%d: integer dot %v, dequantized dot %v (mag %v)", typ.name, nb, got, want, mag)
		}
	}
}

// testKQ23RoundTrip: dequantize(quantize(x)) stays within relBound of the
// block's RMS for Gaussian x, and zero blocks stay zero.
func testKQ23RoundTrip(t *testing.T, typ kq23Type, relBound float64) {
	r := rand.New(rand.NewPCG(9, uint64(typ.size)))
	const nb = 16
	x := make([]float32, nb*qkK)
	for i := range x {
		x[i] = float32(r.NormFloat64() * 0.05)
	}
	for j := 0; j < qkK; j++ { // block 3 all zero
		x[3*qkK+j] = 0
	}
	q := make([]byte, nb*typ.size)
	typ.quantize(q, x)
	y := make([]float32, len(x))
	typ.dequantize(y, q)
	var se, sx float64
	for i := range x {
		e := float64(y[i] - x[i])
		se += e * e
		sx += float64(x[i]) * float64(x[i])
		if i/qkK == 3 && y[i] != 0 {
			t.Fatalf("%s: zero block dequantized to %v", typ.name, y[i])
		}
	}
	if rel := math.Sqrt(se / sx); rel > relBound {
		t.Fatalf("%s: relative RMS error %.4f > %.4f", typ.name, rel, relBound)
	} else {
		t.Logf("%s: relative RMS round-trip error %.4f", typ.name, rel)
	}
}

// fuzzKQ holds fast == plain on arbitrary weight and activation bytes.
func fuzzKQ23(f *testing.F, typ kq23Type) {
	r := rand.New(rand.NewPCG(10, uint64(typ.size)))
	for nb := 1; nb <= 3; nb++ {
		f.Add(randKQ23(r, typ, nb, 0), randQ8K(r, nb, false))
		f.Add(randKQ23(r, typ, nb, 1), randQ8K(r, nb, true))
	}
	f.Fuzz(func(t *testing.T, w, x []byte) {
		nb := min(len(w)/typ.size, len(x)/q8KBlockSize)
		if nb == 0 {
			return
		}
		out := make([]float32, nb*qkK)
		typ.dequantize(out, w) // must not panic
		want := typ.plain(w, x, nb)
		if haveAVX2 {
			if got := typ.fast(w, x, nb); !sameF32(got, want) {
				t.Fatalf("nb=%d: fast %v, plain %v", nb, got, want)
			}
			// The four-row tile on the row and three shifted copies.
			if typ.x4 != nil && len(x) >= nb*q8KBlockSize+3*16 {
				stride := nb*q8KBlockSize + 16
				xs := make([]byte, 3*stride+nb*q8KBlockSize)
				for k := 0; k < 4; k++ {
					copy(xs[k*stride:], x[k*16:k*16+nb*q8KBlockSize])
				}
				got := typ.x4(w, xs, stride, nb)
				for k := 0; k < 4; k++ {
					if p := typ.plain(w, xs[k*stride:], nb); !sameF32(got[k], p) {
						t.Fatalf("nb=%d: x4 row %d %v, plain %v", nb, k, got[k], p)
					}
				}
			}
		}
	})
}

// testKQ23X4 holds the four-row tile to four plain dots, bit for bit, with
// rows of mixed kinds (quantized, raw with -128s, zero).
func testKQ23X4(t *testing.T, typ kq23Type) {
	if typ.x4 == nil {
		t.Skip("no four-row tile")
	}
	r := rand.New(rand.NewPCG(11, uint64(typ.size)))
	for nb := 1; nb <= 8; nb++ {
		for mode := 0; mode < 3; mode++ {
			w := randKQ23(r, typ, nb, mode)
			stride := nb*q8KBlockSize + 8*r.IntN(3)
			x := make([]byte, 3*stride+nb*q8KBlockSize)
			for k := 0; k < 4; k++ {
				copy(x[k*stride:], randQ8K(r, nb, (k+mode)%2 == 1))
			}
			got := typ.x4(w, x, stride, nb)
			for k := 0; k < 4; k++ {
				if want := typ.plain(w, x[k*stride:], nb); !sameF32(got[k], want) {
					t.Fatalf("%s nb=%d mode=%d row %d: x4 %v, plain %v", typ.name, nb, mode, k, got[k], want)
				}
			}
		}
	}
}
