package tensor

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"burrow/inference/gguf"
)

// The plain twins are always available as dotXPlain; these tests compare
// them with whatever useFast installed (assembly on AVX2 machines, the
// twins themselves elsewhere, where the tests pass trivially).

// randQ8 makes nb random Q8_0 blocks; quants stay in -127..127 as the
// quantizer makes them.
func randQ8(r *rand.Rand, nb int, unitScale bool) []byte {
	b := make([]byte, nb*q8BlockSize)
	for i := 0; i < nb; i++ {
		d := F32ToF16(float32(r.ExpFloat64() * 0.01))
		if unitScale {
			d = 0x3c00 // 1.0
		}
		binary.LittleEndian.PutUint16(b[i*q8BlockSize:], d)
		for j := 2; j < q8BlockSize; j++ {
			b[i*q8BlockSize+j] = byte(int8(r.IntN(255) - 127))
		}
	}
	return b
}

// q8Magnitude is sum |dx*dy*qx*qy|, the scale rounding errors are relative to.
func q8Magnitude(x, y []byte, nb int) float64 {
	var m float64
	for i := 0; i < nb; i++ {
		dx := float64(F16ToF32(binary.LittleEndian.Uint16(x[i*q8BlockSize:])))
		dy := float64(F16ToF32(binary.LittleEndian.Uint16(y[i*q8BlockSize:])))
		for j := 2; j < q8BlockSize; j++ {
			m += math.Abs(dx * dy * float64(int8(x[i*q8BlockSize+j])) * float64(int8(y[i*q8BlockSize+j])))
		}
	}
	return m
}

// dotQ8_0Lanes models llama.cpp's AVX2 order (eight FMA lanes, then
// ggml's horizontal sum) in Go, to hold the assembly to it bit for bit.
func dotQ8_0Lanes(x, y []byte, nb int) float32 {
	var acc [8]float32
	for i := 0; i < nb; i++ {
		bx, by := x[i*q8BlockSize:], y[i*q8BlockSize:]
		d := F16ToF32(binary.LittleEndian.Uint16(bx)) * F16ToF32(binary.LittleEndian.Uint16(by))
		for l := 0; l < 8; l++ {
			var s int32
			for j := 4 * l; j < 4*l+4; j++ {
				s += int32(int8(bx[2+j])) * int32(int8(by[2+j]))
			}
			acc[l] = float32(math.FMA(float64(d), float64(s), float64(acc[l])))
		}
	}
	return hsum8(acc)
}

func hsum8(a [8]float32) float32 {
	r := [4]float32{a[0] + a[4], a[1] + a[5], a[2] + a[6], a[3] + a[7]}
	return (r[0] + r[2]) + (r[1] + r[3])
}

func TestDotQ8_0FastMatchesPlain(t *testing.T) { kernelSets(t, testDotQ8_0FastMatchesPlain) }

func testDotQ8_0FastMatchesPlain(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	for _, nb := range []int{0, 1, 2, 3, 7, 8, 64, 65, 256} {
		for trial := 0; trial < 20; trial++ {
			// Unit scales: the result is the integer dot, exactly.
			x, y := randQ8(r, nb, true), randQ8(r, nb, true)
			if got, want := dotQ8_0(x, y, nb), dotQ8_0Plain(x, y, nb); got != want {
				t.Fatalf("nb=%d unit scales: fast %v, plain %v", nb, got, want)
			}
			x, y = randQ8(r, nb, false), randQ8(r, nb, false)
			got, want := dotQ8_0(x, y, nb), dotQ8_0Plain(x, y, nb)
			if !closeRel(float64(got), float64(want), q8Magnitude(x, y, nb), 1e-6) {
				t.Fatalf("nb=%d: fast %v, plain %v", nb, got, want)
			}
			if active != plainSet {
				if lanes := dotQ8_0Lanes(x, y, nb); got != lanes {
					t.Fatalf("nb=%d: assembly %v, llama.cpp order %v", nb, got, lanes)
				}
			}
		}
	}
}

// TestMulQ8_0 holds the matmul kernels (float32 scales from Activations,
// single row and four-row tile) to the plain twin, and on AVX2 to
// llama.cpp's accumulation order bit for bit.
func TestMulQ8_0(t *testing.T) { kernelSets(t, testMulQ8_0) }

func testMulQ8_0(t *testing.T) {
	r := rand.New(rand.NewPCG(45, 46))
	for _, cols := range []int{32, 64, 96, 2048, 32 * 41} {
		nb := cols / 32
		const n = 11
		a := NewActivations(n+1, cols)
		a.Set(randF32(r, n*cols, 1), n)
		a.prepare(gguf.TypeQ8_0)
		w := randQ8(r, nb, false)
		for tok := 0; tok < n; tok++ {
			got, want := mulQ8_0(w, a, tok, nb), dotQ8_0Plain(w, a.q8Row(tok), nb)
			if !closeRel(float64(got), float64(want), q8Magnitude(w, a.q8Row(tok), nb), 1e-6) {
				t.Fatalf("cols=%d row %d: fast %v, plain %v", cols, tok, got, want)
			}
			if active != plainSet {
				if lanes := dotQ8_0Lanes(w, a.q8Row(tok), nb); got != lanes {
					t.Fatalf("cols=%d row %d: assembly %v, llama.cpp order %v", cols, tok, got, lanes)
				}
			}
			if tok+4 <= n {
				w2 := append(append([]byte{}, w...), randQ8(r, nb, false)...) // two rows
				eight := mulQ8_0x2x4(w2, len(w), a, tok, nb)
				for k := 0; k < 8; k++ {
					if one := mulQ8_0(w2[k/4*len(w):], a, tok+k%4, nb); eight[k] != one {
						t.Fatalf("cols=%d 2x4 tile row %d token %d: %v, single %v", cols, k/4, tok+k%4, eight[k], one)
					}
				}
				four := mulQ8_0x4(w, a, tok, nb)
				for k := range four {
					if one := mulQ8_0(w, a, tok+k, nb); four[k] != one {
						t.Fatalf("cols=%d tile row %d: %v, single %v", cols, tok+k, four[k], one)
					}
				}
			}
		}
	}
}

func FuzzDotQ8_0(f *testing.F) {
	f.Add([]byte{1, 2, 3}, uint16(0x3c00), uint16(0x2000))
	// Seeds the test runs everywhere (fuzzing itself cannot run under
	// qemu-user): -128 weights and extreme products in every lane.
	f.Add(bytes.Repeat([]byte{0x80}, 64*3), uint16(0x3c00), uint16(0x3c00))
	f.Add(bytes.Repeat([]byte{0x80, 0x7f, 0x81, 0x01}, 16*5), uint16(0x5bff), uint16(0x1400))
	seed := rand.New(rand.NewPCG(47, 48))
	for _, n := range []int{1, 2, 7, 64} {
		data := make([]byte, 64*n)
		for i := range data {
			data[i] = byte(seed.Uint32())
		}
		f.Add(data, F32ToF16(float32(seed.ExpFloat64())), F32ToF16(float32(seed.ExpFloat64()*0.01)))
	}
	f.Fuzz(func(t *testing.T, data []byte, dx, dy uint16) {
		nb := len(data) / 64
		if nb == 0 || dx&0x7c00 == 0x7c00 || dy&0x7c00 == 0x7c00 {
			return
		}
		x, y := make([]byte, nb*q8BlockSize), make([]byte, nb*q8BlockSize)
		for i := 0; i < nb; i++ {
			binary.LittleEndian.PutUint16(x[i*q8BlockSize:], dx)
			binary.LittleEndian.PutUint16(y[i*q8BlockSize:], dy)
			for j := 0; j < 32; j++ {
				x[i*q8BlockSize+2+j] = data[i*64+j] // weights: any int8
				q := int8(data[i*64+32+j])
				if q == -128 { // the activation quantizer never makes -128
					q = -127
				}
				y[i*q8BlockSize+2+j] = byte(q)
			}
		}
		want := dotQ8_0Plain(x, y, nb)
		for _, s := range fastSets() {
			got := s.rows[gguf.TypeQ8_0].dot(x, y, nb)
			if !closeRel(float64(got), float64(want), q8Magnitude(x, y, nb), 1e-6) {
				t.Fatalf("nb=%d: %s %v, plain %v", nb, s.name, got, want)
			}
			if lanes := dotQ8_0Lanes(x, y, nb); got != lanes {
				t.Fatalf("nb=%d: %s %v, llama.cpp order %v", nb, s.name, got, lanes)
			}
		}
	})
}

// TestDotF32F16FastMatchPlain: the F32 and F16 matmul dots (single rows in
// ggml_vec_dot's AVX-512 order, batches in AVX-512 tinyBLAS's) equal their
// plain twins bit for bit, and stay close to the exact sum.
func TestDotF32F16FastMatchPlain(t *testing.T) { kernelSets(t, testDotF32F16FastMatchPlain) }

func testDotF32F16FastMatchPlain(t *testing.T) {
	r := rand.New(rand.NewPCG(43, 44))
	for _, n := range []int{0, 1, 7, 8, 9, 16, 31, 32, 33, 48, 64, 100, 128, 172, 200, 2048, 8192} {
		for trial := 0; trial < 10; trial++ {
			x, y := randF32(r, n, 1), randF32(r, n, 1)
			hx, hy := make([]uint16, n), make([]uint16, n)
			for i := range x {
				hx[i], hy[i] = F32ToF16(x[i]), F32ToF16(y[i])
			}
			var mag, exact, exactH float64
			for i := range x {
				mag += math.Abs(float64(x[i] * y[i]))
				exact += float64(x[i]) * float64(y[i])
				exactH += float64(F16ToF32(hx[i])) * float64(F16ToF32(hy[i]))
			}
			for _, c := range []struct {
				name      string
				got, want float32
				exact     float64
			}{
				{"F32", dotF32(x, y), dotF32GGML512Plain(x, y), exact},
				{"F16", dotF16(hx, hy), dotF16GGML512Plain(hx, hy), exactH},
				{"F32 tile", dotF32Tile(x, y), dotF32L16Plain(x, y), exact},
				{"F16 tile", dotF16Tile(hx, hy), dotF16L16Plain(hx, hy), exactH},
			} {
				if math.Float32bits(c.got) != math.Float32bits(c.want) {
					t.Fatalf("%s n=%d: fast %v, plain %v", c.name, n, c.got, c.want)
				}
				if !closeRel(float64(c.got), c.exact, mag, 1e-6) {
					t.Fatalf("%s n=%d: %v, exact %v", c.name, n, c.got, c.exact)
				}
			}
		}
	}
}

// TestDotF32GGML: the assembly keeps the AVX-512 build's 16-lane order bit
// for bit (its Go model is the plain twin).
func TestDotF32GGML(t *testing.T) {
	r := rand.New(rand.NewPCG(49, 50))
	for _, n := range []int{0, 1, 8, 63, 64, 65, 100, 128, 200, 2048} {
		for trial := 0; trial < 20; trial++ {
			x, y := randF32(r, n, 1), randF32(r, n, 1)
			got, want := DotF32GGML(x, y), dotF32GGML512Plain(x, y)
			if math.Float32bits(got) != math.Float32bits(want) {
				t.Fatalf("n=%d: %v, model %v", n, got, want)
			}
		}
	}
}

// weightedSumGGMLModel is the plain statement of WeightedSumGGML's order.
func weightedSumGGMLModel(out, v []float32, stride int, w []float32) {
	hd := len(out)
	lanes := make([]float32, 16*hd)
	for p, wp := range w {
		for d := 0; d < hd; d++ {
			lanes[d*16+p%16] = fma32(wp, v[p*stride+d], lanes[d*16+p%16])
		}
	}
	for d := range out {
		out[d] = reduce16((*[16]float32)(lanes[d*16 : d*16+16]))
	}
}

func TestWeightedSumGGML(t *testing.T) { kernelSets(t, testWeightedSumGGML) }

func testWeightedSumGGML(t *testing.T) {
	r := rand.New(rand.NewPCG(51, 52))
	for _, tc := range []struct{ hd, stride, n int }{{8, 32, 5}, {64, 512, 1}, {64, 512, 37}, {64, 64, 300}, {128, 256, 17}, {12, 12, 40}} {
		v, w := randF32(r, tc.n*tc.stride, 1), randF32(r, tc.n, 1)
		got, want := make([]float32, tc.hd), make([]float32, tc.hd)
		WeightedSumGGML(got, v, tc.stride, w, make([]float32, WeightedSumScratch(tc.hd, tc.n)))
		weightedSumGGMLModel(want, v, tc.stride, w)
		for d := range got {
			if math.Float32bits(got[d]) != math.Float32bits(want[d]) {
				t.Fatalf("%+v: out[%d] = %v, model %v", tc, d, got[d], want[d])
			}
		}
	}
}

// TestScoresGGML: the block kernel gives each position what DotF32GGML gives.
func TestScoresGGML(t *testing.T) {
	r := rand.New(rand.NewPCG(53, 54))
	for _, tc := range []struct{ hd, stride, n int }{{64, 64, 1}, {64, 512, 33}, {128, 256, 7}, {8, 32, 5}, {192, 200, 3}} {
		q, k := randF32(r, tc.hd, 1), randF32(r, tc.n*tc.stride, 1)
		got := make([]float32, tc.n)
		scoresGGML(got, k, tc.stride, q, 0.125)
		for j := range got {
			want := DotF32GGML(k[j*tc.stride:j*tc.stride+tc.hd], q) * 0.125
			if math.Float32bits(got[j]) != math.Float32bits(want) {
				t.Fatalf("%+v: score[%d] = %v, want %v", tc, j, got[j], want)
			}
		}
	}
}

// FuzzDotF16Tile: the AVX2 tinyBLAS F16 x F16 dot equals its plain twin bit
// for bit on any halves (NaN and Inf included: both must give the same NaN
// or infinity, and neither may panic).
func FuzzDotF16Tile(f *testing.F) {
	f.Add([]byte{0, 0x3c, 0, 0xbc, 0xff, 0x7b, 1, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		n := len(data) / 4 &^ 15
		x, y := make([]uint16, n), make([]uint16, n)
		for i := range x {
			x[i] = binary.LittleEndian.Uint16(data[4*i:])
			y[i] = binary.LittleEndian.Uint16(data[4*i+2:])
		}
		want := dotF16L16Plain(x, y)
		got := dotF16Tile(x, y)
		if math.Float32bits(got) != math.Float32bits(want) && !(got != got && want != want) {
			t.Fatalf("n=%d: fast %v, plain %v", n, got, want)
		}
	})
}
