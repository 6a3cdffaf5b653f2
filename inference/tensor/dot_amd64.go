package tensor

import (
	"golang.org/x/sys/cpu"

	"burrow/inference/gguf"
)

//go:noescape
func dotQ8_0AVX2(x, y *byte, nb int) float32

//go:noescape
func dotQ8_0SAVX2(w, a *byte, s *float32, sstride, nb int) float32

//go:noescape
func dotQ8_0x4SAVX2(w, a *byte, stride int, s *float32, sstride, nb int, out *[4]float32)

//go:noescape
func dotF32GGML512AVX2(x, y *float32, n int) float32

//go:noescape
func dotF16GGML512AVX2(x, y *uint16, n int) float32

//go:noescape
func dotF32L16AVX2(x, y *float32, n int) float32

//go:noescape
func dotF16F32L16AVX2(x *uint16, y *float32, n int) float32

//go:noescape
func dotsF32GGML512AVX2(k *float32, kstride int, q *float32, n, npos int, out *float32, scale float32)

//go:noescape
func wsumLanesAVX2(lanes, v *float32, vstride int, w *float32, npos, ncols int)

//go:noescape
func expSubAVX2(x *float32, n int, m float32)

// haveAVX2 reports whether the assembly kernels can run here: AVX2 with
// FMA and F16C, and an OS that saves the YMM registers (cpu checks that).
var haveAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA && cpu.X86.HasF16C

func init() {
	if haveAVX2 {
		useFast()
	}
}

// fastSet is the AVX2 kernels. Weight types add theirs with registerFast
// from their own _amd64.go files; a type with none runs its plain kernels.
var fastSet = &kernelSet{
	name:          "avx2",
	dotF32GGML512: dotF32GGML512Fast,
	scoresGGML:    scoresGGMLFast,
	wsumLanes:     wsumLanesFast,
	expSub:        expSubFast,
	vectorExp:     true,
	f16AttFast:    true,
}

// useFast makes the assembly the active set; usePlain goes back to the Go twins.
func useFast() { use(fastSet) }

// registerFast sets weight type t's kernels in the AVX2 set.
func registerFast(t gguf.Type, k rowKernels) {
	if int(t) >= maxTypes || k.dot == nil {
		panic("tensor: bad fast kernels for " + t.String())
	}
	fastSet.rows[t] = k
}

func init() {
	registerFast(gguf.TypeQ8_0, (&q8_0Kernels{one: mulQ8_0Fast, x4: mulQ8_0x4Fast, x2x4: mulQ8_0x2x4Fast}).set(dotQ8_0Fast))
	registerFast(gguf.TypeF16, (&f16Kernels{dot: dotF16GGML512Fast, dotF32: dotF16F32L16Fast}).set())
	registerFast(gguf.TypeF32, (&f32Kernels{dot: dotF32GGML512Fast, tile: dotF32L16Fast}).set())
}

func dotQ8_0Fast(x, y []byte, nb int) float32 {
	if nb == 0 {
		return 0
	}
	_, _ = x[nb*q8BlockSize-1], y[nb*q8BlockSize-1]
	return dotQ8_0AVX2(&x[0], &y[0], nb)
}

// mulQ8_0Fast dots weight row w with input row t of a.
func mulQ8_0Fast(w []byte, a *Activations, t, nb int) float32 {
	if nb == 0 {
		return 0
	}
	x := a.q8Row(t)
	_, _ = w[nb*q8BlockSize-1], x[nb*q8BlockSize-1]
	q8s := a.q8s()
	_ = q8s[(nb-1)*a.maxRows+t]
	return dotQ8_0SAVX2(&w[0], &x[0], &q8s[t], 4*a.maxRows, nb)
}

// mulQ8_0x4Fast dots weight row w with input rows t..t+3 of a, loading
// each weight block once for the four.
func mulQ8_0x4Fast(w []byte, a *Activations, t, nb int) (out [4]float32) {
	if nb == 0 {
		return out
	}
	stride := Q8_0RowSize(a.Cols)
	q8, q8s := a.bufs[formQ8_0].data, a.q8s()
	_, _ = w[nb*q8BlockSize-1], q8[(t+3)*stride+nb*q8BlockSize-1]
	_ = q8s[(nb-1)*a.maxRows+t+3]
	dotQ8_0x4SAVX2(&w[0], &q8[t*stride], stride, &q8s[t], 4*a.maxRows, nb, &out)
	return out
}

// dotF16GGML512Fast is ggml_vec_dot_f16 of the AVX-512 build: the
// 16-lane kernel over the multiple of 64, the rest added in float64.
func dotF16GGML512Fast(x, y []uint16) float32 {
	n := len(x)
	y = y[:n]
	np := n &^ 63
	var s float64
	if np > 0 {
		s = float64(dotF16GGML512AVX2(&x[0], &y[0], np))
	}
	for i := np; i < n; i++ {
		s += float64(F16ToF32(x[i]) * F16ToF32(y[i]))
	}
	return float32(s)
}

// dotF32L16Fast and dotF16F32L16Fast are AVX-512 tinyBLAS's order; callers
// pass lengths that are multiples of 16 (others go to the plain twins).
func dotF32L16Fast(x, y []float32) float32 {
	n := len(x)
	y = y[:n]
	if n == 0 || n%16 != 0 {
		return dotF32L16Plain(x, y)
	}
	return dotF32L16AVX2(&x[0], &y[0], n)
}

func dotF16F32L16Fast(x []uint16, y []float32) float32 {
	n := len(x)
	y = y[:n]
	if n == 0 || n%16 != 0 {
		return dotF16F32L16Plain(x, y)
	}
	return dotF16F32L16AVX2(&x[0], &y[0], n)
}

func dotF32GGML512Fast(x, y []float32) float32 {
	n := len(x)
	y = y[:n]
	np := n &^ 63
	var s float32
	if np > 0 {
		s = dotF32GGML512AVX2(&x[0], &y[0], np)
	}
	for i := np; i < n; i++ {
		s = fma32(x[i], y[i], s)
	}
	return s
}

func scoresGGMLFast(out, k []float32, stride int, q []float32, scale float32) {
	n := len(q)
	if n == 0 || n%64 != 0 || len(out) == 0 {
		scoresGGMLPlain(out, k, stride, q, scale)
		return
	}
	_ = k[(len(out)-1)*stride+n-1]
	dotsF32GGML512AVX2(&k[0], 4*stride, &q[0], n, len(out), &out[0], scale)
}

func wsumLanesFast(lanes, v []float32, stride int, w []float32) {
	hd := len(lanes) / 16
	if hd == 0 || hd%8 != 0 || len(w) == 0 {
		wsumLanesPlain(lanes, v, stride, w)
		return
	}
	_ = v[(len(w)-1)*stride+hd-1]
	wsumLanesAVX2(&lanes[0], &v[0], 4*stride, &w[0], len(w), hd)
}

// expSubAsm is expSubFast called directly, so buffers passed to it can stay
// on the stack.
func expSubAsm(x []float32, m float32) { expSubFast(x, m) }

func expSubFast(x []float32, m float32) {
	n := len(x) &^ 7
	if n > 0 {
		expSubAVX2(&x[0], n, m)
	}
	for i := n; i < len(x); i++ {
		x[i] = expV(x[i] - m)
	}
}

//go:noescape
func dotsF16GGML512AVX2(k *uint16, kstride int, q *uint16, n, npos int, out *float32, scale float32)

//go:noescape
func madF16AVX2(acc *float32, v *uint16, vstride int, ms, vs *float32, npos, ncols int)

func scoresF16Fast(out []float32, k []uint16, stride int, q []uint16, scale float32) {
	n := len(q)
	if n == 0 || n%64 != 0 || len(out) == 0 {
		scoresF16Plain(out, k, stride, q, scale)
		return
	}
	_ = k[(len(out)-1)*stride+n-1]
	dotsF16GGML512AVX2(&k[0], 2*stride, &q[0], n, len(out), &out[0], scale)
}

func madF16Fast(acc []float32, v []uint16, stride int, ms, vs []float32) {
	hd := len(acc)
	if hd == 0 || hd%8 != 0 || len(vs) == 0 {
		madF16Plain(acc, v, stride, ms, vs)
		return
	}
	_ = ms[len(vs)-1]
	_ = v[(len(vs)-1)*stride+hd-1]
	madF16AVX2(&acc[0], &v[0], 2*stride, &ms[0], &vs[0], len(vs), hd)
}

//go:noescape
func dotQ8_0x2x4SAVX2(w *byte, wstride int, a *byte, astride int, s *float32, sstride, nb int, out *[8]float32)

// mulQ8_0x2x4Fast dots weight rows w[:wstride] and w[wstride:] with input
// rows t..t+3 of a: out[k] for the first row and token t+k, out[4+k] for
// the second.
func mulQ8_0x2x4Fast(w []byte, wstride int, a *Activations, t, nb int) (out [8]float32) {
	if nb == 0 {
		return out
	}
	stride := Q8_0RowSize(a.Cols)
	q8, q8s := a.bufs[formQ8_0].data, a.q8s()
	_, _ = w[wstride+nb*q8BlockSize-1], q8[(t+3)*stride+nb*q8BlockSize-1]
	_ = q8s[(nb-1)*a.maxRows+t+3]
	dotQ8_0x2x4SAVX2(&w[0], wstride, &q8[t*stride], stride, &q8s[t], 4*a.maxRows, nb, &out)
	return out
}
