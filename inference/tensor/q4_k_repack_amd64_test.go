package tensor

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// checkQ4Kx8Fast holds the assembly repacked Q4_K kernels to the plain
// twin on w (nb superblocks of eight rows) and four Q8_K rows at x.
func checkQ4Kx8Fast(t *testing.T, w, x []byte, stride, nb int) {
	t.Helper()
	checkQ4Kx8Set(t, q4Kx8Fast, "avx2", w, x, stride, nb)
	if haveVNNI {
		checkQ4Kx8Set(t, q4Kx8VNNI, "vnni", w, x, stride, nb)
	}
}

func checkQ4Kx8Set(t *testing.T, k *q4Kx8Kernels, name string, w, x []byte, stride, nb int) {
	t.Helper()
	var want, got [8]float32
	for row := 0; row < 4; row++ {
		xr := x[row*stride : row*stride+nb*q8KBlockSize]
		gemvQ4_Kx8Plain(w, xr, nb, false, want[:])
		k.gemv(w, xr, nb, got[:])
		for j := range want {
			if !sameFloat(want[j], got[j]) {
				t.Fatalf("%s gemv nb=%d row %d lane %d: plain %v (%#x) fast %v (%#x)", name, nb, row, j, want[j], math.Float32bits(want[j]), got[j], math.Float32bits(got[j]))
			}
		}
	}
	const ostride = 11
	out := make([]float32, 3*ostride+8)
	k.gemm4(w, x, stride, nb, out, ostride)
	for row := 0; row < 4; row++ {
		gemvQ4_Kx8Plain(w, x[row*stride:], nb, true, want[:])
		for j := range want {
			if g := out[row*ostride+j]; !sameFloat(want[j], g) {
				t.Fatalf("%s gemm nb=%d row %d lane %d: plain %v (%#x) fast %v (%#x)", name, nb, row, j, want[j], math.Float32bits(want[j]), g, math.Float32bits(g))
			}
		}
	}
}

func TestQ4Kx8FastEqualsPlain(t *testing.T) {
	if !haveAVX2 {
		t.Skip("no AVX2")
	}
	r := rand.New(rand.NewPCG(27, 28))
	for nb := 1; nb <= 8; nb++ {
		for rep := 0; rep < 30; rep++ {
			var w []byte
			if rep%3 == 0 { // real quantized weights
				src := make([]byte, 8*nb*q4KBlockSize)
				quantizeQ4_K(src, gaussRow(r, 8*nb*qkK, 0.05))
				w = make([]byte, len(src))
				repackQ4_K(w, src, 8, nb)
			} else {
				w = randomQ4Kx8(r, nb)
			}
			stride := nb*q8KBlockSize + 4*(rep%2)
			x := make([]byte, 4*stride)
			for row := 0; row < 4; row++ {
				copy(x[row*stride:], randomQ8K(r, nb, (rep+row)%2 == 1))
			}
			checkQ4Kx8Fast(t, w, x, stride, nb)
		}
	}
	var out [8]float32
	out[3] = 1
	gemvQ4_Kx8Fast(nil, nil, 0, out[:])
	if out != [8]float32{} {
		t.Fatalf("nb=0 gave %v", out)
	}
}

// FuzzQ4Kx8 checks plain == fast on fuzzed bytes: the first byte picks nb
// (1..3), the rest fills the repacked weights, then four Q8_K rows
// (cycled); bit 7 of the first byte keeps the Q8_K scales finite.
func FuzzQ4Kx8(f *testing.F) {
	r := rand.New(rand.NewPCG(29, 30))
	for nb := 1; nb <= 2; nb++ {
		seed := []byte{byte(nb - 1)}
		seed = append(seed, randomQ4Kx8(r, nb)...)
		for row := 0; row < 4; row++ {
			seed = append(seed, randomQ8K(r, nb, row%2 == 0)...)
		}
		f.Add(seed)
	}
	f.Add([]byte{0x80, 0xff, 0x7c})
	f.Fuzz(func(t *testing.T, data []byte) {
		if !haveAVX2 || len(data) < 2 {
			return
		}
		nb := int(data[0]&0x7f)%3 + 1
		stride := nb * q8KBlockSize
		buf := make([]byte, nb*q4Kx8Bytes+4*stride)
		for i := range buf {
			buf[i] = data[1+i%(len(data)-1)]
		}
		w, x := buf[:nb*q4Kx8Bytes], buf[nb*q4Kx8Bytes:]
		if data[0]&0x80 != 0 {
			for b := 0; b < 4*nb; b++ {
				binary.LittleEndian.PutUint32(x[b*q8KBlockSize:], math.Float32bits(float32(int8(x[b*q8KBlockSize]))/64))
			}
		}
		checkQ4Kx8Fast(t, w, x, stride, nb)
	})
}

// BenchmarkKernelQ4_K: in-cache compute cost per superblock-row (256
// weights against one input row) of the file-layout kernels and the
// repacked ones, in CPU time (see BenchmarkKernelQ8_0), on a 2048-wide
// row group (the Llama-3.2-1B width).
func BenchmarkKernelQ4_K(b *testing.B) {
	if !haveAVX2 {
		b.Skip("no AVX2")
	}
	const nb = 8
	r := rand.New(rand.NewPCG(1, 2))
	src := make([]byte, 8*nb*q4KBlockSize)
	quantizeQ4_K(src, gaussRow(r, 8*nb*qkK, 0.05))
	w := make([]byte, len(src))
	repackQ4_K(w, src, 8, nb)
	stride := nb * q8KBlockSize
	x := make([]byte, 4*stride)
	for row := 0; row < 4; row++ {
		_, q := quantRow(r, nb*qkK)
		copy(x[row*stride:], q)
	}
	out := make([]float32, 32)
	kernels := []struct {
		name string
		dots int // superblock-rows per call
		f    func()
	}{
		{"file-dot", 8 * nb, func() {
			for j := 0; j < 8; j++ {
				out[j] = dotQ4_KFast(src[j*nb*q4KBlockSize:], x, nb)
			}
		}},
		{"file-x4", 32 * nb, func() {
			for j := 0; j < 8; j++ {
				o := dotQ4_Kx4Fast(src[j*nb*q4KBlockSize:], x, stride, nb)
				out[j] = o[0]
			}
		}},
		{"repacked-gemv", 8 * nb, func() { gemvQ4_Kx8Fast(w, x, nb, out) }},
		{"repacked-gemm4", 32 * nb, func() { gemm4Q4_Kx8Fast(w, x, stride, nb, out, 8) }},
		{"repacked-vnni-gemv", 8 * nb, func() { q4Kx8VNNI.gemv(w, x, nb, out) }},
		{"repacked-vnni-gemm4", 32 * nb, func() { q4Kx8VNNI.gemm4(w, x, stride, nb, out, 8) }},
		{"file-plain-dot", 8 * nb, func() {
			for j := 0; j < 8; j++ {
				out[j] = dotQ4_KPlain(src[j*nb*q4KBlockSize:], x, nb)
			}
		}},
		{"repacked-plain-gemv", 8 * nb, func() { gemvQ4_Kx8Plain(w, x, nb, false, out) }},
	}
	for _, k := range kernels {
		b.Run(k.name, func(b *testing.B) {
			if strings.Contains(k.name, "vnni") && !haveVNNI {
				b.Skip("no AVX-512 VNNI")
			}
			cpu0 := cpuSeconds()
			for i := 0; i < b.N; i++ {
				k.f()
			}
			b.ReportMetric((cpuSeconds()-cpu0)*1e9/float64(b.N)/float64(k.dots), "cpu-ns/superblock-row")
		})
	}
}
