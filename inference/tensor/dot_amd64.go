package tensor

import "golang.org/x/sys/cpu"

//go:noescape
func dotQ8_0AVX2(x, y *byte, nb int) float32

//go:noescape
func dotQ8_0x4AVX2(w, a *byte, stride, nb int, out *[4]float32)

//go:noescape
func dotF32AVX2(x, y *float32, n int) float32

//go:noescape
func dotF16AVX2(x, y *uint16, n int) float32

// haveAVX2 reports whether the assembly kernels can run here: AVX2 with
// FMA and F16C, and an OS that saves the YMM registers (cpu checks that).
var haveAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA && cpu.X86.HasF16C

func init() {
	if haveAVX2 {
		useFast()
	}
}

// useFast points the kernels at the assembly; usePlain back at the Go twins.
func useFast() {
	dotQ8_0, dotQ8_0x4, dotF32, dotF16 = dotQ8_0Fast, dotQ8_0x4Fast, dotF32Fast, dotF16Fast
	fastKernels = "avx2"
}

func dotQ8_0Fast(x, y []byte, nb int) float32 {
	if nb == 0 {
		return 0
	}
	_, _ = x[nb*q8BlockSize-1], y[nb*q8BlockSize-1]
	return dotQ8_0AVX2(&x[0], &y[0], nb)
}

// dotQ8_0x4Fast dots w with rows a[0:], a[stride:], a[2*stride:], a[3*stride:].
func dotQ8_0x4Fast(w, a []byte, stride, nb int) (out [4]float32) {
	if nb == 0 {
		return out
	}
	_, _ = w[nb*q8BlockSize-1], a[3*stride+nb*q8BlockSize-1]
	dotQ8_0x4AVX2(&w[0], &a[0], stride, nb, &out)
	return out
}

func dotF32Fast(x, y []float32) float32 {
	n := len(x)
	y = y[:n]
	m := n &^ 7
	var s float32
	if m > 0 {
		s = dotF32AVX2(&x[0], &y[0], m)
	}
	for i := m; i < n; i++ {
		s += x[i] * y[i]
	}
	return s
}

func dotF16Fast(x, y []uint16) float32 {
	n := len(x)
	y = y[:n]
	m := n &^ 7
	var s float32
	if m > 0 {
		s = dotF16AVX2(&x[0], &y[0], m)
	}
	for i := m; i < n; i++ {
		s += F16ToF32(x[i]) * F16ToF32(y[i])
	}
	return s
}
