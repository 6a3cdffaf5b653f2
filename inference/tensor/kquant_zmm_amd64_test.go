package tensor

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"burrow/inference/gguf"
)

// kqZMM is one K-quant type's 512-bit kernels with its twins.
type kqZMM struct {
	kq   kqType
	typ  gguf.Type
	avx2 func(w, x []byte, nb int) float32
	zmm  func(w, x []byte, nb int) float32
	rows func(out []float32, w []byte, wstride int, x []byte, nb int)
}

var (
	kqZMMQ5_K = kqZMM{kqQ5_K, gguf.TypeQ5_K, dotQ5_KFast, q5KZMM.dot, q5KZMM.rows}
	kqZMMQ6_K = kqZMM{kqQ6_K, gguf.TypeQ6_K, dotQ6_KFast, q6KZMM.dot, q6KZMM.rows}
)

// checkKQRows holds every kernel of k's type this CPU runs to the plain
// twin bit for bit on nrows weight rows wstride bytes apart: the AVX2
// one-row dot and, with AVX-512 VNNI+BW, the 512-bit one-row dot and the
// run-of-rows kernel decode uses.
func checkKQRows(t *testing.T, k kqZMM, w []byte, wstride int, x []byte, nb, nrows int) {
	t.Helper()
	out := make([]float32, nrows+1)
	out[nrows] = 42 // the kernel writes nrows results, no more
	if haveZMM {
		k.rows(out[:nrows], w, wstride, x, nb)
		if out[nrows] != 42 {
			t.Fatalf("%s nb=%d nrows=%d: wrote past the last row", k.kq.name, nb, nrows)
		}
	}
	for i := 0; i < nrows; i++ {
		row := w[i*wstride:]
		p := k.kq.plain(row, x, nb)
		if haveAVX2 {
			if q := k.avx2(row, x, nb); !sameFloat(p, q) {
				t.Fatalf("%s nb=%d row %d: plain %v (%#x) AVX2 %v (%#x)", k.kq.name, nb, i, p, math.Float32bits(p), q, math.Float32bits(q))
			}
		}
		if !haveZMM {
			continue
		}
		if q := k.zmm(row, x, nb); !sameFloat(p, q) {
			t.Fatalf("%s nb=%d row %d: plain %v (%#x) ZMM %v (%#x)", k.kq.name, nb, i, p, math.Float32bits(p), q, math.Float32bits(q))
		}
		if !sameFloat(p, out[i]) {
			t.Fatalf("%s nb=%d row %d of %d: plain %v (%#x) ZMM rows %v (%#x)", k.kq.name, nb, i, nrows, p, math.Float32bits(p), out[i], math.Float32bits(out[i]))
		}
	}
}

// TestDotKQuantZMMEqualsPlain: the 512-bit Q5_K and Q6_K kernels against
// their plain twins on quantized and random superblocks (non-finite
// scales included), one to five rows, packed and with gaps.
func TestDotKQuantZMMEqualsPlain(t *testing.T) {
	if !haveZMM {
		t.Log("no AVX-512 VNNI+BW on this CPU: only the AVX2 (if any) and plain kernels are checked")
	}
	r := rand.New(rand.NewPCG(61, 62))
	for _, k := range []kqZMM{kqZMMQ5_K, kqZMMQ6_K} {
		for nb := 1; nb <= 9; nb++ {
			for rep := 0; rep < 40; rep++ {
				nrows := 1 + rep%5
				wstride := nb*k.kq.bs + 3*(rep%3)
				w := make([]byte, (nrows-1)*wstride+nb*k.kq.bs)
				for i := 0; i < nrows; i++ {
					row := w[i*wstride : i*wstride+nb*k.kq.bs]
					if rep%3 == 0 { // real quantized weights
						k.kq.quant(row, gaussRow(r, nb*qkK, 0.05))
					} else {
						copy(row, randomKQBlocks(r, k.kq, nb))
					}
				}
				checkKQRows(t, k, w, wstride, randomQ8K(r, nb, rep%2 == 1), nb, nrows)
			}
		}
		if haveZMM {
			if got := k.zmm(nil, nil, 0); got != 0 {
				t.Fatalf("%s: nb=0 gave %v", k.kq.name, got)
			}
			k.rows(nil, nil, 0, nil, 1) // no rows: no access
		}
	}
}

// TestMatMulKQuantZMM: MatMul in the VNNI set over many row groups on two
// threads, decode (one input row) and batches with tile leftovers, gives
// every output the plain one-row dot's bits.
func TestMatMulKQuantZMM(t *testing.T) {
	if !haveZMM {
		t.Log("no AVX-512 VNNI+BW on this CPU: MatMul runs the AVX2 kernels here")
	}
	if haveVNNI {
		use(vnniSet)
	}
	defer useFastIfAvailable()
	pool := NewPool(2)
	defer pool.Close()
	r := rand.New(rand.NewPCG(63, 64))
	for _, k := range []kqZMM{kqZMMQ5_K, kqZMMQ6_K} {
		for _, sh := range []struct{ rows, cols, n int }{{77, 256, 1}, {40, 1024, 1}, {33, 512, 3}, {19, 768, 6}} {
			data := encodeRows(t, k.typ, randF32(r, sh.rows*sh.cols, 0.1), sh.cols)
			m, err := NewMatrix(k.typ, sh.rows, sh.cols, data)
			if err != nil {
				t.Fatal(err)
			}
			a := NewActivations(sh.n, sh.cols)
			a.Set(randF32(r, sh.n*sh.cols, 2), sh.n)
			out := make([]float32, sh.n*sh.rows)
			MatMul(pool, out, m, a)
			for tt := 0; tt < sh.n; tt++ {
				for rr := 0; rr < sh.rows; rr++ {
					got := out[tt*sh.rows+rr]
					if one := k.kq.plain(m.Row(rr), a.row(formQ8_K, tt), sh.cols/qkK); !sameFloat(got, one) {
						t.Fatalf("%s %dx%d n=%d row %d input %d: %v, plain %v", k.kq.name, sh.rows, sh.cols, sh.n, rr, tt, got, one)
					}
				}
			}
		}
	}
}

// fuzzKQZMM: the first byte picks nb (1..4), the second the row count
// (1..4) and gap; the rest fills the weights then the Q8_K row (cycled).
func fuzzKQZMM(f *testing.F, k kqZMM) {
	r := rand.New(rand.NewPCG(65, 66))
	for nb := 1; nb <= 3; nb++ {
		f.Add(append(append([]byte{byte(nb - 1), byte(nb)}, randomKQBlocks(r, k.kq, 2*nb)...), randomQ8K(r, nb, nb == 2)...))
	}
	wq := make([]byte, 2*k.kq.bs)
	k.kq.quant(wq, gaussRow(r, 2*qkK, 0.05))
	f.Add(append(append([]byte{0x81, 0}, wq...), randomQ8K(r, 2, false)...))
	f.Add([]byte{0x83, 0xff, 0x80, 0x7f})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 3 {
			return
		}
		nb := int(data[0])%4 + 1
		nrows, gap := int(data[1])%4+1, int(data[1]>>2)%8
		wstride := nb*k.kq.bs + gap
		nw := (nrows-1)*wstride + nb*k.kq.bs
		buf := make([]byte, nw+nb*q8KBlockSize)
		for i := range buf {
			buf[i] = data[2+i%(len(data)-2)]
		}
		w, x := buf[:nw], buf[nw:]
		if data[0]&0x80 != 0 { // finite Q8_K scales, so the sums are not all NaN
			for b := 0; b < nb; b++ {
				binary.LittleEndian.PutUint32(x[b*q8KBlockSize:], math.Float32bits(float32(int8(x[b*q8KBlockSize]))/64))
			}
		}
		checkKQRows(t, k, w, wstride, x, nb, nrows)
	})
}

func FuzzDotQ5_KZMM(f *testing.F) { fuzzKQZMM(f, kqZMMQ5_K) }
func FuzzDotQ6_KZMM(f *testing.F) { fuzzKQZMM(f, kqZMMQ6_K) }

// BenchmarkDotKQuantRows: one Q8_K row against 64 cached 1024-wide weight
// rows (the Qwen3.5-0.8B output matrix's width), the AVX2 one-row dot per
// row against the 512-bit run-of-rows kernel; ns/superblock is the compute
// cost with the memory out of the way.
func BenchmarkDotKQuantRows(b *testing.B) {
	const nb, rows = 4, 64
	for _, k := range []kqZMM{kqZMMQ5_K, kqZMMQ6_K} {
		r := rand.New(rand.NewPCG(1, 1))
		w := make([]byte, rows*nb*k.kq.bs)
		k.kq.quant(w, gaussRow(r, rows*nb*qkK, 0.05))
		x := randomQ8K(r, nb, false)
		out := make([]float32, rows)
		rb := nb * k.kq.bs
		report := func(b *testing.B, cpu0 float64) {
			sbs := float64(b.N * nb * rows)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/sbs, "ns/superblock")
			// CPU time: what a quiet machine gives when other processes take the core.
			b.ReportMetric((cpuSeconds()-cpu0)*1e9/sbs, "cpu-ns/superblock")
		}
		b.Run(k.kq.name+"/avx2", func(b *testing.B) {
			cpu0 := cpuSeconds()
			for b.Loop() {
				for i := range out {
					out[i] = k.avx2(w[i*rb:], x, nb)
				}
			}
			report(b, cpu0)
		})
		if !haveZMM {
			continue
		}
		b.Run(k.kq.name+"/zmm", func(b *testing.B) {
			cpu0 := cpuSeconds()
			for b.Loop() {
				k.rows(out, w, rb, x, nb)
			}
			report(b, cpu0)
		})
	}
}
