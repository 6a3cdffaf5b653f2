package tensor

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"
)

// The NEON K-quant kernels against their Go twins, bit for bit (the arm64
// side of kquant_amd64_test.go).

func TestDotQ6_KNEONEqualsPlain(t *testing.T) {
	if !haveSDOT {
		t.Skip("no SDOT (ARMv8.2 dotprod): the NEON set does not run here")
	}
	r := rand.New(rand.NewPCG(11, 12))
	kq := kqQ6_K
	for nb := 1; nb <= 8; nb++ {
		for rep := 0; rep < 60; rep++ {
			var w []byte
			if rep%3 == 0 { // real quantized weights
				w = make([]byte, nb*kq.bs)
				kq.quant(w, gaussRow(r, nb*qkK, 0.05))
			} else {
				w = randomKQBlocks(r, kq, nb)
			}
			x := randomQ8K(r, nb, rep%2 == 1)
			p, q := kq.plain(w, x, nb), dotQ6_KNEONRow(w, x, nb)
			if !sameFloat(p, q) {
				t.Fatalf("nb=%d rep=%d: plain %v (%#x) NEON %v (%#x)", nb, rep, p, math.Float32bits(p), q, math.Float32bits(q))
			}
		}
	}
	if got := dotQ6_KNEONRow(nil, nil, 0); got != 0 {
		t.Fatalf("nb=0 gave %v", got)
	}
}

// FuzzDotQ6_K holds the NEON kernel to the plain twin on arbitrary bytes
// (bsums that disagree with the quants included). Fuzzing itself cannot run
// under qemu-user; the seeds run in every test run.
func FuzzDotQ6_K(f *testing.F) {
	kq := kqQ6_K
	r := rand.New(rand.NewPCG(13, 14))
	for nb := 1; nb <= 3; nb++ {
		f.Add(append(append([]byte{byte(nb - 1)}, randomKQBlocks(r, kq, nb)...), randomQ8K(r, nb, nb == 2)...))
	}
	wq := make([]byte, 2*kq.bs)
	kq.quant(wq, gaussRow(r, 2*qkK, 0.05))
	f.Add(append(append([]byte{1}, wq...), randomQ8K(r, 2, false)...))
	f.Add([]byte{0x83, 0xff, 0x80, 0x7f})
	f.Fuzz(func(t *testing.T, data []byte) {
		if !haveSDOT || len(data) < 2 {
			return
		}
		nb := int(data[0])%4 + 1
		buf := make([]byte, nb*(kq.bs+q8KBlockSize))
		for i := range buf {
			buf[i] = data[1+i%(len(data)-1)]
		}
		w, x := buf[:nb*kq.bs], buf[nb*kq.bs:]
		if data[0]&0x80 != 0 { // finite Q8_K scales, so the sums are not all NaN
			for b := 0; b < nb; b++ {
				binary.LittleEndian.PutUint32(x[b*q8KBlockSize:], math.Float32bits(float32(int8(x[b*q8KBlockSize]))/64))
			}
		}
		if p, q := kq.plain(w, x, nb), dotQ6_KNEONRow(w, x, nb); !sameFloat(p, q) {
			t.Fatalf("nb=%d: plain %v (%#x) NEON %v (%#x)", nb, p, math.Float32bits(p), q, math.Float32bits(q))
		}
	})
}
