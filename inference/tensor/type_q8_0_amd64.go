package tensor

import (
	"golang.org/x/sys/cpu"

	"burrow/inference/gguf"
)

func init() {
	registerFast(gguf.TypeQ8_0, (&q8_0Kernels{one: mulQ8_0Fast, x4: mulQ8_0x4Fast, x2x4: mulQ8_0x2x4Fast}).set(dotQ8_0Fast))
	vnni := &q8_0Kernels{one: mulQ8_0VNNI, x4: mulQ8_0x4VNNI, x2x4: mulQ8_0x2x4VNNI}
	if haveZMM {
		vnni.x2x4, vnni.x4x4, vnni.x4x8 = mulQ8_0x2x4ZVNNI, mulQ8_0x4x4ZVNNI, mulQ8_0x4x8ZVNNI
	}
	registerVNNI(gguf.TypeQ8_0, vnni.set(dotQ8_0VNNIRow))
}

// haveZMM is VNNI on 512-bit registers with AVX-512 BW's byte operations,
// which the 512-bit prompt tile needs.
var haveZMM = haveVNNI && cpu.X86.HasAVX512BW

//go:noescape
func dotQ8_0x2x4ZVNNI(w *byte, wstride int, a *byte, astride int, s *float32, sstride, nb int, out *[8]float32)

// mulQ8_0x2x4ZVNNI is mulQ8_0x2x4VNNI with two tokens per 512-bit register.
func mulQ8_0x2x4ZVNNI(w []byte, wstride int, a *Activations, t, nb int) (out [8]float32) {
	if nb == 0 {
		return out
	}
	wp, ap, sp, stride := q8Tile(w, wstride, a, t, 4, nb)
	dotQ8_0x2x4ZVNNI(wp, wstride, ap, stride, sp, 4*a.maxRows, nb, &out)
	return out
}

// Each kernel is assembled twice from q8_0_amd64.h (type_q8_0_amd64.s):
// *AVX2 and *VNNI compute the same bits.

//go:noescape
func dotQ8_0AVX2(x, y *byte, nb int) float32

//go:noescape
func dotQ8_0SAVX2(w, a *byte, s *float32, sstride, nb int) float32

//go:noescape
func dotQ8_0x4SAVX2(w, a *byte, stride int, s *float32, sstride, nb int, out *[4]float32)

//go:noescape
func dotQ8_0x2x4SAVX2(w *byte, wstride int, a *byte, astride int, s *float32, sstride, nb int, out *[8]float32)

//go:noescape
func dotQ8_0VNNI(x, y *byte, nb int) float32

//go:noescape
func dotQ8_0SVNNI(w, a *byte, s *float32, sstride, nb int) float32

//go:noescape
func dotQ8_0x4SVNNI(w, a *byte, stride int, s *float32, sstride, nb int, out *[4]float32)

//go:noescape
func dotQ8_0x2x4SVNNI(w *byte, wstride int, a *byte, astride int, s *float32, sstride, nb int, out *[8]float32)

func dotQ8_0Fast(x, y []byte, nb int) float32 {
	if xp, yp := dotArgs(x, y, nb, q8BlockSize, q8BlockSize); xp != nil {
		return dotQ8_0AVX2(xp, yp, nb)
	}
	return 0
}

func dotQ8_0VNNIRow(x, y []byte, nb int) float32 {
	if xp, yp := dotArgs(x, y, nb, q8BlockSize, q8BlockSize); xp != nil {
		return dotQ8_0VNNI(xp, yp, nb)
	}
	return 0
}

// mulQ8_0Fast dots weight row w with input row t of a.
func mulQ8_0Fast(w []byte, a *Activations, t, nb int) float32 {
	if nb == 0 {
		return 0
	}
	wp, ap, sp, _ := q8Tile(w, 0, a, t, 1, nb)
	return dotQ8_0SAVX2(wp, ap, sp, 4*a.maxRows, nb)
}

func mulQ8_0VNNI(w []byte, a *Activations, t, nb int) float32 {
	if nb == 0 {
		return 0
	}
	wp, ap, sp, _ := q8Tile(w, 0, a, t, 1, nb)
	return dotQ8_0SVNNI(wp, ap, sp, 4*a.maxRows, nb)
}

// mulQ8_0x4Fast dots weight row w with input rows t..t+3 of a, loading
// each weight block once for the four.
func mulQ8_0x4Fast(w []byte, a *Activations, t, nb int) (out [4]float32) {
	if nb == 0 {
		return out
	}
	wp, ap, sp, stride := q8Tile(w, 0, a, t, 4, nb)
	dotQ8_0x4SAVX2(wp, ap, stride, sp, 4*a.maxRows, nb, &out)
	return out
}

func mulQ8_0x4VNNI(w []byte, a *Activations, t, nb int) (out [4]float32) {
	if nb == 0 {
		return out
	}
	wp, ap, sp, stride := q8Tile(w, 0, a, t, 4, nb)
	dotQ8_0x4SVNNI(wp, ap, stride, sp, 4*a.maxRows, nb, &out)
	return out
}

// mulQ8_0x2x4Fast dots weight rows w[:wstride] and w[wstride:] with input
// rows t..t+3 of a: out[k] for the first row and token t+k, out[4+k] for
// the second.
func mulQ8_0x2x4Fast(w []byte, wstride int, a *Activations, t, nb int) (out [8]float32) {
	if nb == 0 {
		return out
	}
	wp, ap, sp, stride := q8Tile(w, wstride, a, t, 4, nb)
	dotQ8_0x2x4SAVX2(wp, wstride, ap, stride, sp, 4*a.maxRows, nb, &out)
	return out
}

func mulQ8_0x2x4VNNI(w []byte, wstride int, a *Activations, t, nb int) (out [8]float32) {
	if nb == 0 {
		return out
	}
	wp, ap, sp, stride := q8Tile(w, wstride, a, t, 4, nb)
	dotQ8_0x2x4SVNNI(wp, wstride, ap, stride, sp, 4*a.maxRows, nb, &out)
	return out
}

//go:noescape
func dotQ8_0x4x4ZVNNI(w *byte, wstride int, a *byte, astride int, s *float32, sstride, nb int, out *[16]float32)

// mulQ8_0x4x4ZVNNI dots weight rows w[i*wstride:] (i < 4) with input rows
// t..t+3 of a: out[4*i+k] for row i and token t+k.
func mulQ8_0x4x4ZVNNI(w []byte, wstride int, a *Activations, t, nb int) (out [16]float32) {
	if nb == 0 {
		return out
	}
	wp, ap, sp, stride := q8Tile(w, 3*wstride, a, t, 4, nb)
	dotQ8_0x4x4ZVNNI(wp, wstride, ap, stride, sp, 4*a.maxRows, nb, &out)
	return out
}

//go:noescape
func dotQ8_0x4x8ZVNNI(w *byte, wstride int, a *byte, astride int, s *float32, sstride, nb int, out *[32]float32)

// mulQ8_0x4x8ZVNNI dots weight rows w[i*wstride:] (i < 4) with input rows
// t..t+7 of a: out[8*i+k] for row i and token t+k.
func mulQ8_0x4x8ZVNNI(w []byte, wstride int, a *Activations, t, nb int) (out [32]float32) {
	if nb == 0 {
		return out
	}
	wp, ap, sp, stride := q8Tile(w, 3*wstride, a, t, 8, nb)
	dotQ8_0x4x8ZVNNI(wp, wstride, ap, stride, sp, 4*a.maxRows, nb, &out)
	return out
}
