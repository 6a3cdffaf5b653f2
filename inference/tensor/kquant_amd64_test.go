package tensor

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"
)

// The assembly K-quant kernels against their Go twins, bit for bit.

type kqFast struct {
	kq   kqType
	fast func(w, x []byte, nb int) float32
}

func kqFasts() []kqFast {
	return []kqFast{{kqQ4_K, dotQ4_KFast}, {kqQ5_K, dotQ5_KFast}, {kqQ6_K, dotQ6_KFast}}
}

func TestDotKQuantFastEqualsPlain(t *testing.T) {
	if !haveAVX2 {
		t.Skip("no AVX2")
	}
	r := rand.New(rand.NewPCG(11, 12))
	for _, f := range kqFasts() {
		for nb := 1; nb <= 8; nb++ {
			for rep := 0; rep < 60; rep++ {
				var w []byte
				if rep%3 == 0 { // real quantized weights
					w = make([]byte, nb*f.kq.bs)
					f.kq.quant(w, gaussRow(r, nb*qkK, 0.05))
				} else {
					w = randomKQBlocks(r, f.kq, nb)
				}
				x := randomQ8K(r, nb, rep%2 == 1)
				p, q := f.kq.plain(w, x, nb), f.fast(w, x, nb)
				if !sameFloat(p, q) {
					t.Fatalf("%s nb=%d rep=%d: plain %v (%#x) fast %v (%#x)", f.kq.name, nb, rep, p, math.Float32bits(p), q, math.Float32bits(q))
				}
			}
		}
		if got := f.fast(nil, nil, 0); got != 0 {
			t.Fatalf("%s: nb=0 gave %v", f.kq.name, got)
		}
	}
}

// fuzzKQ checks plain == fast on fuzzed bytes: the first byte picks nb
// (1..4), the rest fills the weights then the Q8_K row (cycled).
func fuzzKQ(f *testing.F, kq kqType, fast func(w, x []byte, nb int) float32) {
	r := rand.New(rand.NewPCG(13, 14))
	for nb := 1; nb <= 3; nb++ {
		w := randomKQBlocks(r, kq, nb)
		x := randomQ8K(r, nb, nb == 2)
		f.Add(append(append([]byte{byte(nb - 1)}, w...), x...))
	}
	wq := make([]byte, 2*kq.bs)
	kq.quant(wq, gaussRow(r, 2*qkK, 0.05))
	f.Add(append(append([]byte{1}, wq...), randomQ8K(r, 2, false)...))
	f.Add([]byte{0, 0xff, 0x7c})
	f.Fuzz(func(t *testing.T, data []byte) {
		if !haveAVX2 || len(data) < 2 {
			return
		}
		nb := int(data[0])%4 + 1
		buf := make([]byte, nb*(kq.bs+q8KBlockSize))
		for i := range buf {
			buf[i] = data[1+i%(len(data)-1)]
		}
		w, x := buf[:nb*kq.bs], buf[nb*kq.bs:]
		// Keep some Q8_K scales finite so the sums are not all NaN.
		if data[0]&0x80 != 0 {
			for b := 0; b < nb; b++ {
				binary.LittleEndian.PutUint32(x[b*q8KBlockSize:], math.Float32bits(float32(int8(x[b*q8KBlockSize]))/64))
			}
		}
		p := kq.plain(w, x, nb)
		if q := fast(w, x, nb); !sameFloat(p, q) {
			t.Fatalf("nb=%d: plain %v (%#x) fast %v (%#x)", nb, p, math.Float32bits(p), q, math.Float32bits(q))
		}
		// The four-row tile, with the row in slot data[1]%4 and zeros elsewhere.
		for _, f := range kqX4s() {
			if f.kq.name != kq.name {
				continue
			}
			stride := nb * q8KBlockSize
			xs := make([]byte, 4*stride)
			slot := int(data[1]) % 4
			copy(xs[slot*stride:], x)
			got := f.x4(w, xs, stride, nb)
			if !sameFloat(got[slot], p) {
				t.Fatalf("nb=%d: x4 slot %d %v, plain %v", nb, slot, got[slot], p)
			}
		}
	})
}

func FuzzDotQ4_K(f *testing.F) { fuzzKQ(f, kqQ4_K, dotQ4_KFast) }
func FuzzDotQ5_K(f *testing.F) { fuzzKQ(f, kqQ5_K, dotQ5_KFast) }
func FuzzDotQ6_K(f *testing.F) { fuzzKQ(f, kqQ6_K, dotQ6_KFast) }

// benchKQ reports ns per superblock for one 2048-wide row (8 superblocks,
// the Llama-3.2-1B width), plain and fast.
func benchKQ(b *testing.B, kq kqType, fast func(w, x []byte, nb int) float32) {
	const nb = 8
	r := rand.New(rand.NewPCG(1, 1))
	w := make([]byte, nb*kq.bs)
	kq.quant(w, gaussRow(r, nb*qkK, 0.05))
	_, x := quantRow(r, nb*qkK)
	for _, v := range []struct {
		name string
		f    func(w, x []byte, nb int) float32
	}{{"plain", kq.plain}, {"fast", fast}} {
		if v.name == "fast" && !haveAVX2 {
			continue
		}
		b.Run(v.name, func(b *testing.B) {
			var s float32
			for b.Loop() {
				s += v.f(w, x, nb)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*nb), "ns/superblock")
			_ = s
		})
	}
}

func BenchmarkDotQ4_K(b *testing.B) { benchKQ(b, kqQ4_K, dotQ4_KFast) }
func BenchmarkDotQ5_K(b *testing.B) { benchKQ(b, kqQ5_K, dotQ5_KFast) }
func BenchmarkDotQ6_K(b *testing.B) { benchKQ(b, kqQ6_K, dotQ6_KFast) }

// The four-row tiles equal four single-row plain dots.
func TestDotKQuantX4EqualsPlain(t *testing.T) {
	if !haveAVX2 {
		t.Skip("no AVX2")
	}
	r := rand.New(rand.NewPCG(15, 16))
	for _, f := range kqX4s() {
		for nb := 1; nb <= 8; nb++ {
			for rep := 0; rep < 30; rep++ {
				var w []byte
				if rep%3 == 0 {
					w = make([]byte, nb*f.kq.bs)
					f.kq.quant(w, gaussRow(r, nb*qkK, 0.05))
				} else {
					w = randomKQBlocks(r, f.kq, nb)
				}
				stride := nb*q8KBlockSize + 8*(rep%2)
				x := make([]byte, 4*stride)
				for row := 0; row < 4; row++ {
					copy(x[row*stride:], randomQ8K(r, nb, (rep+row)%2 == 1))
				}
				got := f.x4(w, x, stride, nb)
				for row := 0; row < 4; row++ {
					want := f.kq.plain(w, x[row*stride:], nb)
					if !sameFloat(got[row], want) {
						t.Fatalf("%s x4 nb=%d rep=%d row %d: %v, plain %v", f.kq.name, nb, rep, row, got[row], want)
					}
				}
			}
		}
	}
}

type kqX4 struct {
	kq kqType
	x4 func(w, x []byte, stride, nb int) [4]float32
}

func kqX4s() []kqX4 {
	return []kqX4{{kqQ4_K, dotQ4_Kx4Fast}, {kqQ5_K, dotQ5_Kx4Fast}, {kqQ6_K, dotQ6_Kx4Fast}}
}

// benchKQx4 reports ns per superblock-row pair for the four-row tile
// (compare with the single-row fast number).
func benchKQx4(b *testing.B, kq kqType, x4 func(w, x []byte, stride, nb int) [4]float32) {
	if !haveAVX2 {
		b.Skip("no AVX2")
	}
	const nb = 8
	r := rand.New(rand.NewPCG(1, 1))
	w := make([]byte, nb*kq.bs)
	kq.quant(w, gaussRow(r, nb*qkK, 0.05))
	stride := nb * q8KBlockSize
	x := make([]byte, 4*stride)
	for row := 0; row < 4; row++ {
		_, q := quantRow(r, nb*qkK)
		copy(x[row*stride:], q)
	}
	var s float32
	for b.Loop() {
		o := x4(w, x, stride, nb)
		s += o[0]
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*nb*4), "ns/superblock-row")
	_ = s
}

func BenchmarkDotQ4_Kx4(b *testing.B) { benchKQx4(b, kqQ4_K, dotQ4_Kx4Fast) }
func BenchmarkDotQ6_Kx4(b *testing.B) { benchKQx4(b, kqQ6_K, dotQ6_Kx4Fast) }
func BenchmarkDotQ5_Kx4(b *testing.B) { benchKQx4(b, kqQ5_K, dotQ5_Kx4Fast) }
