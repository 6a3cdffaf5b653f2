package tensor

import (
	"math"
	"math/rand/v2"
	"testing"

	"burrow/inference/gguf"
	"burrow/internal/testenv"
)

// checkMXFP4 holds dotMXFP4Fast to dotMXFP4Plain for every input row and
// the four-row tile to the single-row kernel, bit for bit.
func checkMXFP4(t *testing.T, w []byte, xs [4][]byte, nb int) {
	t.Helper()
	stride := nb * q8BlockSize
	x := make([]byte, 0, 4*stride)
	for _, r := range xs {
		x = append(x, r...)
	}
	four := dotMXFP4x4Fast(w, x, stride, nb)
	for k := range four {
		one, plain := dotMXFP4Fast(w, xs[k], nb), dotMXFP4Plain(w, xs[k], nb)
		if !sameBits(four[k], one) || !sameBits(one, plain) {
			t.Fatalf("nb %d row %d: tile %g (%#x), single %g (%#x), plain %g (%#x)", nb, k,
				four[k], math.Float32bits(four[k]), one, math.Float32bits(one), plain, math.Float32bits(plain))
		}
	}
}

// mxRandBlocks makes nb MXFP4 blocks: mostly quantized random values at
// scales from tiny (subnormal halves) to huge, some zero, some random bytes.
func mxRandBlocks(r *rand.Rand, nb int) []byte {
	w := make([]byte, nb*mxfp4BlockSize)
	for i := 0; i < nb; i++ {
		b := w[i*mxfp4BlockSize : (i+1)*mxfp4BlockSize]
		switch r.IntN(8) {
		case 0: // zero block
		case 1:
			for j := range b {
				b[j] = byte(r.Uint32())
			}
		case 2:
			quantizeMXFP4(b, randF32(r, 32, 1))
			b[0] = byte(r.IntN(4)) // the subnormal and smallest exponents
		default:
			quantizeMXFP4(b, randF32(r, 32, float32(math.Ldexp(r.Float64(), r.IntN(20)-10))))
		}
	}
	return w
}

// mxRandAct is Q8_0 input, sometimes raw bytes (quants of -128 included).
func mxRandAct(r *rand.Rand, nb int) []byte {
	x := make([]byte, nb*q8BlockSize)
	if r.IntN(5) == 0 {
		for j := range x {
			x[j] = byte(r.Uint32())
		}
		for b := 0; b < nb; b++ {
			x[b*q8BlockSize+2+r.IntN(32)] = 0x80
		}
		return x
	}
	quantizeQ8_0Act(x, randF32(r, nb*32, float32(r.Float64()*5)))
	return x
}

func TestMXFP4FastEqualsPlain(t *testing.T) {
	if !haveAVX2 {
		t.Skip("no AVX2")
	}
	r := rand.New(rand.NewPCG(61, 62))
	for it := 0; it < 600; it++ {
		nb := 1 + it%45
		w := mxRandBlocks(r, nb)
		var xs [4][]byte
		for k := range xs {
			xs[k] = mxRandAct(r, nb)
		}
		checkMXFP4(t, w, xs, nb)
	}
	// The extremes: every code against +127 and -128 quants, every exponent.
	w := make([]byte, 256*mxfp4BlockSize)
	for e := 0; e < 256; e++ {
		w[e*mxfp4BlockSize] = byte(e)
		for j := 1; j < mxfp4BlockSize; j++ {
			w[e*mxfp4BlockSize+j] = byte(e*7+j*0x35) | 0x77
		}
	}
	var xs [4][]byte
	for k := range xs {
		xs[k] = make([]byte, 256*q8BlockSize)
		for b := 0; b < 256; b++ {
			xs[k][b*q8BlockSize] = byte(b) | 1 // small F16 scales keep 2^126 finite
			xs[k][b*q8BlockSize+1] = byte(k)
			for j := 2; j < q8BlockSize; j++ {
				xs[k][b*q8BlockSize+j] = []byte{0x80, 0x7f}[(j+k)%2]
			}
		}
	}
	for _, nb := range []int{1, 2, 127, 256} {
		checkMXFP4(t, w[:nb*mxfp4BlockSize], [4][]byte{xs[0][:nb*q8BlockSize], xs[1][:nb*q8BlockSize], xs[2][:nb*q8BlockSize], xs[3][:nb*q8BlockSize]}, nb)
	}
}

// TestMXFP4FastRealBlocks runs every MXFP4 row of the round-2 model that
// llama-quantize wrote (gpt-oss style experts) against Q8_0 inputs.
func TestMXFP4FastRealBlocks(t *testing.T) {
	if !haveAVX2 {
		t.Skip("no AVX2")
	}
	f, err := gguf.Open(testenv.Path(t, "models", "round2", "qwen3moe-mxfp4_moe.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := rand.New(rand.NewPCG(63, 64))
	seen, rowsRun := 0, 0
	for i := range f.Tensors {
		ti := &f.Tensors[i]
		if ti.Type != gguf.TypeMXFP4 {
			continue
		}
		seen++
		data := f.TensorData(ti)
		cols := int(ti.Shape[0])
		nb := cols / 32
		rowBytes := nb * mxfp4BlockSize
		var xs [4][]byte
		for k := range xs {
			xs[k] = mxRandAct(r, nb)
		}
		for row := 0; (row+1)*rowBytes <= len(data); row += 1 + row/64 {
			checkMXFP4(t, data[row*rowBytes:(row+1)*rowBytes], xs, nb)
			rowsRun++
		}
	}
	if seen == 0 {
		t.Fatal("no MXFP4 tensors in qwen3moe-mxfp4_moe.gguf")
	}
	t.Logf("%d tensors, %d rows", seen, rowsRun)
}

// FuzzMXFP4Dot: any weight and input bytes give the fast kernel and the
// four-row tile the plain twin's bits.
func FuzzMXFP4Dot(f *testing.F) {
	r := rand.New(rand.NewPCG(65, 66))
	for nb := 1; nb <= 3; nb++ {
		d := mxRandBlocks(r, nb)
		for k := 0; k < 4; k++ {
			d = append(d, mxRandAct(r, nb)...)
		}
		f.Add(d)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !haveAVX2 {
			return
		}
		nb := len(data) / (mxfp4BlockSize + 4*q8BlockSize)
		if nb == 0 {
			return
		}
		w, rest := data[:nb*mxfp4BlockSize], data[nb*mxfp4BlockSize:]
		var xs [4][]byte
		for k := range xs {
			xs[k] = rest[k*nb*q8BlockSize : (k+1)*nb*q8BlockSize]
		}
		checkMXFP4(t, w, xs, nb)
	})
}

// BenchmarkKernelMXFP4 is the in-cache cost per block (block x input row
// for the tile) of the plain twin, the AVX2 kernel and its four-row tile,
// in CPU time, for one 2048-wide row.
func BenchmarkKernelMXFP4(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	const nb = 64
	w := make([]byte, nb*mxfp4BlockSize)
	quantizeMXFP4(w, randF32(r, nb*32, 1))
	x := make([]byte, 4*nb*q8BlockSize)
	quantizeQ8_0Act(x, randF32(r, 4*nb*32, 1))
	kernels := []struct {
		name string
		rows int
		f    func() float32
	}{
		{"plain", 1, func() float32 { return dotMXFP4Plain(w, x, nb) }},
		{"avx2", 1, func() float32 { return dotMXFP4Fast(w, x, nb) }},
		{"avx2-tile4", 4, func() float32 { return dotMXFP4x4Fast(w, x, nb*q8BlockSize, nb)[0] }},
	}
	for _, k := range kernels {
		b.Run(k.name, func(b *testing.B) {
			if !haveAVX2 && k.name != "plain" {
				b.Skip("no AVX2")
			}
			var s float32
			cpu0 := cpuSeconds()
			for i := 0; i < b.N; i++ {
				s += k.f()
			}
			b.ReportMetric((cpuSeconds()-cpu0)*1e9/float64(b.N)/nb/float64(k.rows), "cpu-ns/block-row")
			sink = s
		})
	}
}
