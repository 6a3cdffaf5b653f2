package tensor

import (
	"math"
	"math/rand/v2"
	"testing"

	"burrow/inference/gguf"
)

// checkQ4_0x8Fast holds the assembly repacked Q4_0 kernels to the plain
// twin on w (nb blocks of eight rows) and four Q8_0 rows at x.
func checkQ4_0x8Fast(t *testing.T, w, x []byte, stride, nb int) {
	t.Helper()
	checkX8Fast(t, gemvQ4_0x8Plain, q4_0x8Fast, w, x, stride, nb)
}

// checkX8Fast is checkQ4_0x8Fast for one repacked type's twin and kernels.
func checkX8Fast(t *testing.T, plain func(w, x []byte, nb int, out []float32), fast *q4_0x8Kernels, w, x []byte, stride, nb int) {
	t.Helper()
	const ss = 5 // side values as Activations keeps them, ss >= 4 rows
	sv := make([]float32, 2*nb*ss)
	for row := 0; row < 4; row++ {
		fillQ8_0Scales(sv[row:], ss, x[row*stride:row*stride+nb*q8BlockSize])
	}
	var want, got [8]float32
	for row := 0; row < 4; row++ {
		xr := x[row*stride : row*stride+nb*q8BlockSize]
		plain(w, xr, nb, want[:])
		fast.gemv(w, xr, sv[row:], ss, nb, got[:])
		for j := range want {
			if !sameBits(want[j], got[j]) {
				t.Fatalf("gemv nb=%d row %d lane %d: plain %v (%#x) fast %v (%#x)", nb, row, j, want[j], math.Float32bits(want[j]), got[j], math.Float32bits(got[j]))
			}
		}
	}
	const ostride = 11
	out := make([]float32, 3*ostride+8)
	fast.gemm4(w, x, stride, sv, ss, nb, out, ostride)
	for row := 0; row < 4; row++ {
		plain(w, x[row*stride:], nb, want[:])
		for j := range want {
			if g := out[row*ostride+j]; !sameBits(want[j], g) {
				t.Fatalf("gemm nb=%d row %d lane %d: plain %v (%#x) fast %v (%#x)", nb, row, j, want[j], math.Float32bits(want[j]), g, math.Float32bits(g))
			}
		}
	}
}

func TestQ4_0x8FastEqualsPlain(t *testing.T) {
	testX8FastEqualsPlain(t, gguf.TypeQ4_0, gemvQ4_0x8Plain, q4_0x8Fast)
}

func TestIQ4_NLx8FastEqualsPlain(t *testing.T) {
	testX8FastEqualsPlain(t, gguf.TypeIQ4_NL, gemvIQ4_NLx8Plain, iq4NLx8Fast)
}

func testX8FastEqualsPlain(t *testing.T, typ gguf.Type, plain func(w, x []byte, nb int, out []float32), fast *q4_0x8Kernels) {
	if !haveAVX2 {
		t.Skip("no AVX2")
	}
	r := rand.New(rand.NewPCG(67, 68))
	c := lqFind(typ)
	for nb := 1; nb <= 9; nb++ {
		for rep := 0; rep < 30; rep++ {
			w := lqRandBlocks(r, c, 8*nb)
			if rep%3 != 0 { // also the repacked layout of real rows
				src := w
				w = make([]byte, len(src))
				repackQ4_0(w, src, 8, nb)
			}
			stride := nb*q8BlockSize + 4*(rep%2)
			x := make([]byte, 4*stride)
			for row := 0; row < 4; row++ {
				copy(x[row*stride:], lqRandAct(r, c, nb))
			}
			checkX8Fast(t, plain, fast, w, x, stride, nb)
		}
	}
	var out [8]float32
	out[3] = 1
	fast.gemv(nil, nil, nil, 4, 0, out[:])
	if out != [8]float32{} {
		t.Fatalf("nb=0 gave %v", out)
	}
}

// FuzzQ4_0x8 checks plain == fast (Q4_0 and IQ4_NL, one layout) on fuzzed
// bytes: the first byte picks nb
// (1..4), the rest fills the repacked weights, then four Q8_0 rows
// (cycled).
func FuzzQ4_0x8(f *testing.F) {
	r := rand.New(rand.NewPCG(69, 70))
	c := lqFind(gguf.TypeQ4_0)
	for nb := 1; nb <= 2; nb++ {
		seed := []byte{byte(nb - 1)}
		seed = append(seed, randomQ4_0Rows(r, 8, nb)...)
		for row := 0; row < 4; row++ {
			seed = append(seed, lqRandAct(r, c, nb)...)
		}
		f.Add(seed)
	}
	f.Add([]byte{0x03, 0x80, 0x7c})
	f.Fuzz(func(t *testing.T, data []byte) {
		if !haveAVX2 || len(data) < 2 {
			return
		}
		nb := int(data[0])%4 + 1
		stride := nb * q8BlockSize
		buf := make([]byte, nb*q4_0x8Bytes+4*stride)
		for i := range buf {
			buf[i] = data[1+i%(len(data)-1)]
		}
		checkQ4_0x8Fast(t, buf[:nb*q4_0x8Bytes], buf[nb*q4_0x8Bytes:], stride, nb)
		checkX8Fast(t, gemvIQ4_NLx8Plain, iq4NLx8Fast, buf[:nb*q4_0x8Bytes], buf[nb*q4_0x8Bytes:], stride, nb)
	})
}

// BenchmarkKernelQ4_0: in-cache compute cost per block-row (32 weights
// against one input row) of the file-layout seq kernel and the repacked
// ones (Q4_0, and IQ4_NL on the same bytes), in CPU time, on a 2048-wide row group (the Llama-3.2-1B width).
func BenchmarkKernelQ4_0(b *testing.B) {
	if !haveAVX2 {
		b.Skip("no AVX2")
	}
	const nb = 64
	r := rand.New(rand.NewPCG(1, 2))
	src := make([]byte, 8*nb*q4_0BlockSize)
	quantizeQ4_0(src, randF32(r, 8*nb*lqBlock, 1))
	w := make([]byte, len(src))
	repackQ4_0(w, src, 8, nb)
	stride := nb * q8BlockSize
	x := make([]byte, 4*stride)
	for row := 0; row < 4; row++ {
		quantizeQ8_0Act(x[row*stride:(row+1)*stride], randF32(r, nb*lqBlock, 1))
	}
	sv := make([]float32, 2*nb*4)
	for row := 0; row < 4; row++ {
		fillQ8_0Scales(sv[row:], 4, x[row*stride:(row+1)*stride])
	}
	out := make([]float32, 32)
	kernels := []struct {
		name string
		dots int
		f    func()
	}{
		{"file-seq", 8 * nb, func() {
			for j := 0; j < 8; j++ {
				out[j] = dotQ4_0SeqFast(src[j*nb*q4_0BlockSize:], x, nb)
			}
		}},
		{"repacked-gemv", 8 * nb, func() { q4_0x8Fast.gemv(w, x, sv, 4, nb, out) }},
		{"repacked-gemm4", 32 * nb, func() { q4_0x8Fast.gemm4(w, x, stride, sv, 4, nb, out, 8) }},
		{"repacked-plain-gemv", 8 * nb, func() { gemvQ4_0x8Plain(w, x, nb, out) }},
		// IQ4_NL on the same bytes (its file-layout dot is Go only).
		{"iq4_nl-file-seq-plain", 8 * nb, func() {
			for j := 0; j < 8; j++ {
				out[j] = dotIQ4_NLSeqPlain(src[j*nb*q4_0BlockSize:], x, nb)
			}
		}},
		{"iq4_nl-repacked-gemv", 8 * nb, func() { iq4NLx8Fast.gemv(w, x, sv, 4, nb, out) }},
		{"iq4_nl-repacked-gemm4", 32 * nb, func() { iq4NLx8Fast.gemm4(w, x, stride, sv, 4, nb, out, 8) }},
	}
	for _, k := range kernels {
		b.Run(k.name, func(b *testing.B) {
			cpu0 := cpuSeconds()
			for i := 0; i < b.N; i++ {
				k.f()
			}
			b.ReportMetric((cpuSeconds()-cpu0)*1e9/float64(b.N)/float64(k.dots), "cpu-ns/block-row")
		})
	}
}
