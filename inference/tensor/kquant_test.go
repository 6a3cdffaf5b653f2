package tensor

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"burrow/inference/gguf"
	"burrow/internal/testenv"
)

// kqType gathers one K-quant's functions for the shared tests.
type kqType struct {
	name  string
	bs    int // bytes per superblock
	deq   func(dst []float32, src []byte)
	quant func(dst []byte, x []float32)
	plain func(w, x []byte, nb int) float32
	// relErr bounds dequantize(quantize(x)) on Gaussian rows: RMS error
	// over RMS of x.
	relErr float64
}

var (
	kqQ4_K = kqType{"Q4_K", q4KBlockSize, dequantizeQ4_K, quantizeQ4_K, dotQ4_KPlain, 0.12}
	kqQ5_K = kqType{"Q5_K", q5KBlockSize, dequantizeQ5_K, quantizeQ5_K, dotQ5_KPlain, 0.06}
	kqQ6_K = kqType{"Q6_K", q6KBlockSize, dequantizeQ6_K, quantizeQ6_K, dotQ6_KPlain, 0.03}
)

func gaussRow(r *rand.Rand, n int, std float64) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64() * std)
	}
	return x
}

// testKQRoundTrip quantizes Gaussian rows (and awkward ones) and checks the
// dequantized error, and that re-quantizing the dequantized row changes
// almost nothing.
func testKQRoundTrip(t *testing.T, kq kqType) {
	r := rand.New(rand.NewPCG(3, 4))
	const nb = 16
	x := gaussRow(r, nb*qkK, 0.05)
	for i := 0; i < qkK; i++ { // a zero superblock
		x[3*qkK+i] = 0
	}
	for i := 0; i < qkK; i++ { // all positive, one huge outlier
		x[5*qkK+i] = float32(math.Abs(float64(x[5*qkK+i])))
	}
	x[5*qkK+17] = 3
	for i := 0; i < 32; i++ { // one constant sub-block
		x[7*qkK+64+i] = 0.02
	}
	q := make([]byte, nb*kq.bs)
	kq.quant(q, x)
	y := make([]float32, len(x))
	kq.deq(y, q)
	for b := 0; b < nb; b++ {
		var se, sx float64
		for i := b * qkK; i < (b+1)*qkK; i++ {
			if math.IsNaN(float64(y[i])) || math.IsInf(float64(y[i]), 0) {
				t.Fatalf("%s: value %d dequantized to %v", kq.name, i, y[i])
			}
			e := float64(y[i] - x[i])
			se += e * e
			sx += float64(x[i]) * float64(x[i])
		}
		if sx == 0 {
			if se != 0 {
				t.Fatalf("%s: zero superblock came back nonzero", kq.name)
			}
			continue
		}
		rel := math.Sqrt(se / sx)
		if b != 5 && rel > kq.relErr { // block 5 is the outlier stress case
			t.Errorf("%s: superblock %d relative RMS error %.4f > %.4f", kq.name, b, rel, kq.relErr)
		}
	}
	// Re-quantizing what came out lands on (nearly) the same values.
	q2 := make([]byte, len(q))
	kq.quant(q2, y)
	y2 := make([]float32, len(y))
	kq.deq(y2, q2)
	var se, sy float64
	for i := range y {
		e := float64(y2[i] - y[i])
		se += e * e
		sy += float64(y[i]) * float64(y[i])
	}
	if rel := math.Sqrt(se / sy); rel > kq.relErr/4 {
		t.Errorf("%s: requantized relative RMS change %.4f", kq.name, rel)
	}
}

// quantRow makes a Q8_K row of n Gaussian activations.
func quantRow(r *rand.Rand, n int) ([]float32, []byte) {
	x := gaussRow(r, n, 1)
	q := make([]byte, n/qkK*q8KBlockSize)
	quantizeQ8_KAct(q, x)
	return x, q
}

// deqQ8_K is d*q for a Q8_K row.
func deqQ8_K(q []byte) []float32 {
	nb := len(q) / q8KBlockSize
	out := make([]float32, nb*qkK)
	for i := 0; i < nb; i++ {
		d := math.Float32frombits(binary.LittleEndian.Uint32(q[i*q8KBlockSize:]))
		for j := 0; j < qkK; j++ {
			out[i*qkK+j] = d * float32(int8(q[i*q8KBlockSize+4+j]))
		}
	}
	return out
}

// testKQDotVsF32 holds the integer dot to float64 sums over the dequantized
// weights. Against the dequantized activations the two differ only by
// float32 rounding: |err| <= 1e-5 * sum|w_i|*|a_i| (with the mins term's
// magnitude counted in w). Against the original float activations the Q8_K
// rounding adds at most sum|w_i| * |d_b|/2 per superblock b.
func testKQDotVsF32(t *testing.T, kq kqType) {
	r := rand.New(rand.NewPCG(5, 6))
	for nb := 1; nb <= 8; nb++ {
		x := gaussRow(r, nb*qkK, 0.05)
		w := make([]byte, nb*kq.bs)
		kq.quant(w, x)
		wf := make([]float32, len(x))
		kq.deq(wf, w)
		af, aq := quantRow(r, nb*qkK)
		ad := deqQ8_K(aq)
		got := float64(kq.plain(w, aq, nb))
		var exact, mag, rnd float64
		for i := range wf {
			exact += float64(wf[i]) * float64(ad[i])
			mag += (math.Abs(float64(wf[i])) + 0.05) * math.Abs(float64(ad[i]))
			rnd += float64(wf[i]) * float64(af[i])
		}
		if e := math.Abs(got - exact); e > 1e-5*mag {
			t.Errorf("%s nb=%d: dot %v, dequantized F32 dot %v (err %g > %g)", kq.name, nb, got, exact, e, 1e-5*mag)
		}
		var bound float64
		for b := 0; b < nb; b++ {
			d := math.Abs(float64(math.Float32frombits(binary.LittleEndian.Uint32(aq[b*q8KBlockSize:]))))
			for i := b * qkK; i < (b+1)*qkK; i++ {
				bound += math.Abs(float64(wf[i])) * d / 2
			}
		}
		if e := math.Abs(got - rnd); e > bound*1.001+1e-5*mag {
			t.Errorf("%s nb=%d: dot %v vs float activations %v (err %g > bound %g)", kq.name, nb, got, rnd, e, bound)
		}
	}
}

// randomKQBlocks fills nb superblocks with random bytes, then gives some
// blocks extreme, zero, subnormal or non-finite F16 scales.
func randomKQBlocks(r *rand.Rand, kq kqType, nb int) []byte {
	w := make([]byte, nb*kq.bs)
	for i := range w {
		w[i] = byte(r.Uint32())
	}
	scaleOffs := []int{0, 2}
	if kq.bs == q6KBlockSize {
		scaleOffs = []int{208}
	}
	specials := []uint16{0x0000, 0x8000, 0x7bff, 0xfbff, 0x0001, 0x3c00, 0x7c00, 0xfc00, 0x7e00}
	for b := 0; b < nb; b++ {
		switch r.IntN(4) {
		case 0: // keep random bits (may be NaN/Inf)
		case 1:
			for _, o := range scaleOffs {
				binary.LittleEndian.PutUint16(w[b*kq.bs+o:], specials[r.IntN(len(specials))])
			}
		case 2:
			clear(w[b*kq.bs : (b+1)*kq.bs])
		default: // sane scales
			for _, o := range scaleOffs {
				binary.LittleEndian.PutUint16(w[b*kq.bs+o:], F32ToF16(float32(r.Float64()*0.01)))
			}
		}
	}
	return w
}

// randomQ8K is a Q8_K row: quantized Gaussian activations, or random
// bytes (quants of -128, arbitrary sums and d) when raw.
func randomQ8K(r *rand.Rand, nb int, raw bool) []byte {
	if !raw {
		_, q := quantRow(r, nb*qkK)
		return q
	}
	q := make([]byte, nb*q8KBlockSize)
	for i := range q {
		q[i] = byte(r.Uint32())
	}
	for b := 0; b < nb; b++ {
		if r.IntN(2) == 0 { // mostly a finite d
			binary.LittleEndian.PutUint32(q[b*q8KBlockSize:], math.Float32bits(float32(r.NormFloat64())))
		}
	}
	return q
}

func sameFloat(a, b float32) bool {
	return math.Float32bits(a) == math.Float32bits(b) || (a != a && b != b)
}

// Hostile blocks must not crash the plain kernels either.
func TestKQHostileNoPanic(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	for _, kq := range []kqType{kqQ4_K, kqQ5_K, kqQ6_K} {
		for nb := 1; nb <= 4; nb++ {
			w := randomKQBlocks(r, kq, nb)
			kq.plain(w, randomQ8K(r, nb, true), nb)
			kq.deq(make([]float32, nb*qkK), w)
		}
	}
}

func TestFmaExact32(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for i := 0; i < 200000; i++ {
		a := math.Float32frombits(r.Uint32())
		b := math.Float32frombits(r.Uint32())
		c := math.Float32frombits(r.Uint32())
		if i%2 == 0 { // products near c, where rounding is delicate
			a, b = float32(r.NormFloat64()), float32(r.NormFloat64())
			c = -a*b + float32(r.NormFloat64())*1e-7
		}
		got := fmaExact32(a, b, c)
		want := fmaBig(a, b, c)
		if !sameFloat(got, want) {
			t.Fatalf("fmaExact32(%g, %g, %g) = %g, want %g", a, b, c, got, want)
		}
	}
	// A double-rounding case: a*b+c is just above a float32 tie, the float64
	// sum lands on it.
	a, b := float32(1+0x1p-23), float32(1+0x1p-23) // a*b = 1 + 2^-22 + 2^-46
	c := float32(0x1p-24)                          // sum = 1 + 2^-22 + 2^-24 + 2^-46
	if got, want := fmaExact32(a, b, c), fmaBig(a, b, c); got != want {
		t.Fatalf("tie case: %g want %g", got, want)
	}
}

// testKQRealFile dequantizes every tensor of kq's type in a llama-quantize
// file of round2: values finite, the standard deviation plausible (blk.*
// projections N(0, 1/fan_in) scaled at most 2x either way, embeddings and
// output about 1 to 2), and quantizing the dequantized tensor gives back
// (nearly) the same bytes and values.
func testKQRealFile(t *testing.T, kq kqType, file string, typ gguf.Type, minSame float64) {
	f, err := gguf.Open(testenv.Path(t, "models", "round2", file))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	seen := 0
	for i := range f.Tensors {
		ti := &f.Tensors[i]
		if ti.Type != typ {
			continue
		}
		seen++
		data := f.TensorData(ti)
		n := int(ti.Elements())
		y := make([]float32, n)
		kq.deq(y, data)
		var s2 float64
		for j, v := range y {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				t.Fatalf("%s %s: value %d is %v", file, ti.Name, j, v)
			}
			s2 += float64(v) * float64(v)
		}
		std := math.Sqrt(s2 / float64(n))
		lo, hi := 0.5/math.Sqrt(float64(ti.Shape[0])), 2/math.Sqrt(float64(ti.Shape[0]))
		if !strings.HasPrefix(ti.Name, "blk.") {
			lo, hi = 0.5, 3
		}
		if std < lo || std > hi {
			t.Errorf("%s %s: std %.4f outside [%.4f, %.4f]", file, ti.Name, std, lo, hi)
		}
		q := make([]byte, len(data))
		kq.quant(q, y)
		same := 0
		for j := range q {
			if q[j] == data[j] {
				same++
			}
		}
		if fr := float64(same) / float64(len(q)); fr < minSame {
			t.Errorf("%s %s: requantized bytes %.4f identical, want >= %.2f", file, ti.Name, fr, minSame)
		}
		y2 := make([]float32, n)
		kq.deq(y2, q)
		var se float64
		for j := range y {
			e := float64(y2[j] - y[j])
			se += e * e
		}
		if rel := math.Sqrt(se / s2); rel > kq.relErr/4 {
			t.Errorf("%s %s: requantized values moved by relative RMS %.4f", file, ti.Name, rel)
		}
	}
	if seen == 0 {
		t.Fatalf("%s has no %s tensor", file, kq.name)
	}
}
