package tensor

import "burrow/inference/gguf"

// The NEON Q8_0 kernels (type_q8_0_arm64.s, written by tools/gen-neon.py):
// SDOT for the exact integer sums, then the amd64 kernels' float order, so
// they equal dotQ8_0Lanes (the tests' model of llama.cpp's AVX2 order) and
// the AVX2 kernels bit for bit.

func init() {
	registerNEON(gguf.TypeQ8_0, (&q8_0Kernels{one: mulQ8_0NEON, x4: mulQ8_0x4NEON, x2x4: mulQ8_0x2x4NEON}).set(dotQ8_0NEONRow))
}

//go:noescape
func dotQ8_0NEON(x, y *byte, nb int) float32

//go:noescape
func dotQ8_0SNEON(w, a *byte, s *float32, sstride, nb int) float32

//go:noescape
func dotQ8_0x4SNEON(w, a *byte, stride int, s *float32, sstride, nb int, out *[4]float32)

//go:noescape
func dotQ8_0x2x4SNEON(w *byte, wstride int, a *byte, astride int, s *float32, sstride, nb int, out *[8]float32)

func dotQ8_0NEONRow(x, y []byte, nb int) float32 {
	if xp, yp := dotArgs(x, y, nb, q8BlockSize, q8BlockSize); xp != nil {
		return dotQ8_0NEON(xp, yp, nb)
	}
	return 0
}

// mulQ8_0NEON dots weight row w with input row t of a.
func mulQ8_0NEON(w []byte, a *Activations, t, nb int) float32 {
	if nb == 0 {
		return 0
	}
	wp, ap, sp, _ := q8Tile(w, 0, a, t, 1, nb)
	return dotQ8_0SNEON(wp, ap, sp, 4*a.maxRows, nb)
}

// mulQ8_0x4NEON dots weight row w with input rows t..t+3 of a.
func mulQ8_0x4NEON(w []byte, a *Activations, t, nb int) (out [4]float32) {
	if nb == 0 {
		return out
	}
	wp, ap, sp, stride := q8Tile(w, 0, a, t, 4, nb)
	dotQ8_0x4SNEON(wp, ap, stride, sp, 4*a.maxRows, nb, &out)
	return out
}

// mulQ8_0x2x4NEON dots weight rows w[:wstride] and w[wstride:] with input
// rows t..t+3 of a: out[k] for the first row and token t+k, out[4+k] for
// the second.
func mulQ8_0x2x4NEON(w []byte, wstride int, a *Activations, t, nb int) (out [8]float32) {
	if nb == 0 {
		return out
	}
	wp, ap, sp, stride := q8Tile(w, wstride, a, t, 4, nb)
	dotQ8_0x2x4SNEON(wp, wstride, ap, stride, sp, 4*a.maxRows, nb, &out)
	return out
}
