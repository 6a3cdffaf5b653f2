package tensor

import (
	"math/rand/v2"
	"testing"

	"burrow/inference/gguf"
)

// checkQ5_0x4 holds the four-row tile to four single-row kernels (and those
// to the plain twin) bit for bit, for weight row w and input rows x.
func checkQ5_0x4(t *testing.T, w []byte, xs [4][]byte, nb int) {
	t.Helper()
	stride := nb * q8BlockSize
	x := make([]byte, 0, 4*stride)
	for _, r := range xs {
		x = append(x, r...)
	}
	four := dotQ5_0x4Fast(w, x, stride, nb)
	for k := range four {
		one, plain := dotQ5_0Fast(w, xs[k], nb), dotQ5_0Plain(w, xs[k], nb)
		if !sameBits(four[k], one) || !sameBits(one, plain) {
			t.Fatalf("nb %d row %d: tile %g, single %g, plain %g", nb, k, four[k], one, plain)
		}
	}
}

func TestQ5_0x4EqualsSingle(t *testing.T) {
	if !haveAVX2 {
		t.Skip("no AVX2")
	}
	c := lqFind(gguf.TypeQ5_0)
	r := rand.New(rand.NewPCG(51, 52))
	for it := 0; it < 300; it++ {
		nb := 1 + it%37
		w := lqRandBlocks(r, c, nb)
		var xs [4][]byte
		for k := range xs {
			xs[k] = lqRandAct(r, c, nb)
		}
		checkQ5_0x4(t, w, xs, nb)
	}
}

// FuzzQ5_0x4: any weight and input bytes give the tile the single-row bits.
func FuzzQ5_0x4(f *testing.F) {
	r := rand.New(rand.NewPCG(53, 54))
	c := lqFind(gguf.TypeQ5_0)
	for nb := 1; nb <= 3; nb++ {
		d := lqRandBlocks(r, c, nb)
		for k := 0; k < 4; k++ {
			d = append(d, lqRandAct(r, c, nb)...)
		}
		f.Add(d)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !haveAVX2 {
			return
		}
		nb := len(data) / (q5_0BlockSize + 4*q8BlockSize)
		if nb == 0 {
			return
		}
		w, rest := data[:nb*q5_0BlockSize], data[nb*q5_0BlockSize:]
		var xs [4][]byte
		for k := range xs {
			xs[k] = rest[k*nb*q8BlockSize : (k+1)*nb*q8BlockSize]
			for b := 0; b < nb; b++ { // finite F16 scales: NaN never compares equal
				xs[k][b*q8BlockSize+1] &= 0x3b
			}
		}
		for b := 0; b < nb; b++ {
			w[b*q5_0BlockSize+1] &= 0x3b
		}
		checkQ5_0x4(t, w, xs, nb)
	})
}
