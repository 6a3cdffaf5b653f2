package tensor

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"burrow/inference/gguf"
)

// checkQ6_KRows holds every Q6_K kernel this CPU runs to dotQ6_KPlain bit
// for bit on nrows weight rows wstride bytes apart: the AVX2 one-row dot
// and, with AVX-512 VNNI+BW, the 512-bit one-row dot and the run-of-rows
// kernel decode uses.
func checkQ6_KRows(t *testing.T, w []byte, wstride int, x []byte, nb, nrows int) {
	t.Helper()
	out := make([]float32, nrows+1)
	out[nrows] = 42 // the kernel writes nrows results, no more
	if haveZMM {
		dotQ6_KRowsZMMGo(out[:nrows], w, wstride, x, nb)
		if out[nrows] != 42 {
			t.Fatalf("nb=%d nrows=%d: wrote past the last row", nb, nrows)
		}
	}
	for i := 0; i < nrows; i++ {
		row := w[i*wstride:]
		p := dotQ6_KPlain(row, x, nb)
		if haveAVX2 {
			if q := dotQ6_KFast(row, x, nb); !sameFloat(p, q) {
				t.Fatalf("nb=%d row %d: plain %v (%#x) AVX2 %v (%#x)", nb, i, p, math.Float32bits(p), q, math.Float32bits(q))
			}
		}
		if !haveZMM {
			continue
		}
		if q := dotQ6_KZMM(row, x, nb); !sameFloat(p, q) {
			t.Fatalf("nb=%d row %d: plain %v (%#x) ZMM %v (%#x)", nb, i, p, math.Float32bits(p), q, math.Float32bits(q))
		}
		if !sameFloat(p, out[i]) {
			t.Fatalf("nb=%d row %d of %d: plain %v (%#x) ZMM rows %v (%#x)", nb, i, nrows, p, math.Float32bits(p), out[i], math.Float32bits(out[i]))
		}
	}
}

func TestDotQ6_KZMMEqualsPlain(t *testing.T) {
	if !haveZMM {
		t.Log("no AVX-512 VNNI+BW on this CPU: only the AVX2 (if any) and plain Q6_K kernels are checked")
	}
	r := rand.New(rand.NewPCG(61, 62))
	for nb := 1; nb <= 9; nb++ {
		for rep := 0; rep < 40; rep++ {
			nrows := 1 + rep%5
			wstride := nb*q6KBlockSize + 3*(rep%3) // packed rows and gaps
			w := make([]byte, (nrows-1)*wstride+nb*q6KBlockSize)
			for i := 0; i < nrows; i++ {
				row := w[i*wstride : i*wstride+nb*q6KBlockSize]
				if rep%3 == 0 { // real quantized weights
					quantizeQ6_K(row, gaussRow(r, nb*qkK, 0.05))
				} else {
					copy(row, randomKQBlocks(r, kqQ6_K, nb))
				}
			}
			checkQ6_KRows(t, w, wstride, randomQ8K(r, nb, rep%2 == 1), nb, nrows)
		}
	}
	if haveZMM {
		if got := dotQ6_KZMM(nil, nil, 0); got != 0 {
			t.Fatalf("nb=0 gave %v", got)
		}
		dotQ6_KRowsZMMGo(nil, nil, 0, nil, 1) // no rows: no access
	}
}

// TestMatMulQ6_KZMM: MatMul in the VNNI set over many row groups on two
// threads, decode (one input row) and batches with tile leftovers, gives
// every output the plain one-row dot's bits.
func TestMatMulQ6_KZMM(t *testing.T) {
	if !haveZMM {
		t.Log("no AVX-512 VNNI+BW on this CPU: MatMul runs the AVX2 Q6_K kernels here")
	}
	if haveVNNI {
		use(vnniSet)
	}
	defer useFastIfAvailable()
	pool := NewPool(2)
	defer pool.Close()
	r := rand.New(rand.NewPCG(63, 64))
	for _, sh := range []struct{ rows, cols, n int }{{77, 256, 1}, {40, 1024, 1}, {33, 512, 3}, {19, 768, 6}} {
		data := encodeRows(t, gguf.TypeQ6_K, randF32(r, sh.rows*sh.cols, 0.1), sh.cols)
		m, err := NewMatrix(gguf.TypeQ6_K, sh.rows, sh.cols, data)
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
				if one := dotQ6_KPlain(m.Row(rr), a.row(formQ8_K, tt), sh.cols/qkK); !sameFloat(got, one) {
					t.Fatalf("%dx%d n=%d row %d input %d: %v, plain %v", sh.rows, sh.cols, sh.n, rr, tt, got, one)
				}
			}
		}
	}
}

// FuzzDotQ6_KZMM: the first byte picks nb (1..4) and, with the second, the
// row count (1..4) and gap; the rest fills the weights then the Q8_K row.
func FuzzDotQ6_KZMM(f *testing.F) {
	r := rand.New(rand.NewPCG(65, 66))
	for nb := 1; nb <= 3; nb++ {
		f.Add(append(append([]byte{byte(nb - 1), byte(nb)}, randomKQBlocks(r, kqQ6_K, 2*nb)...), randomQ8K(r, nb, nb == 2)...))
	}
	wq := make([]byte, 2*q6KBlockSize)
	quantizeQ6_K(wq, gaussRow(r, 2*qkK, 0.05))
	f.Add(append(append([]byte{0x81, 0}, wq...), randomQ8K(r, 2, false)...))
	f.Add([]byte{0x83, 0xff, 0x80, 0x7f})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 3 {
			return
		}
		nb := int(data[0])%4 + 1
		nrows, gap := int(data[1])%4+1, int(data[1]>>2)%8
		wstride := nb*q6KBlockSize + gap
		nw := (nrows-1)*wstride + nb*q6KBlockSize
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
		checkQ6_KRows(t, w, wstride, x, nb, nrows)
	})
}

// BenchmarkDotQ6_KRows: one Q8_K row against 64 cached 1024-wide weight
// rows (the Qwen3.5-0.8B output matrix's width), the AVX2 one-row dot per
// row against the 512-bit run-of-rows kernel; ns/superblock is the compute
// cost with the memory out of the way.
func BenchmarkDotQ6_KRows(b *testing.B) {
	const nb, rows = 4, 64
	r := rand.New(rand.NewPCG(1, 1))
	w := make([]byte, rows*nb*q6KBlockSize)
	quantizeQ6_K(w, gaussRow(r, rows*nb*qkK, 0.05))
	x := randomQ8K(r, nb, false)
	out := make([]float32, rows)
	rb := nb * q6KBlockSize
	report := func(b *testing.B, cpu0 float64) {
		sbs := float64(b.N * nb * rows)
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/sbs, "ns/superblock")
		// CPU time: what a quiet machine gives when other processes take the core.
		b.ReportMetric((cpuSeconds()-cpu0)*1e9/sbs, "cpu-ns/superblock")
	}
	b.Run("avx2", func(b *testing.B) {
		cpu0 := cpuSeconds()
		for b.Loop() {
			for i := range out {
				out[i] = dotQ6_KFast(w[i*rb:], x, nb)
			}
		}
		report(b, cpu0)
	})
	if !haveZMM {
		return
	}
	b.Run("zmm", func(b *testing.B) {
		cpu0 := cpuSeconds()
		for b.Loop() {
			dotQ6_KRowsZMMGo(out, w, rb, x, nb)
		}
		report(b, cpu0)
	})
}
